"""Base views for pages: the same scoping primitive as the API, and read auditing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def get_visible_or_404(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str = "view",
    audit: bool = False,
    **lookup: Any,
) -> Model:
    """A role that can never do ``action`` on this model gets 403; outsiders get 404; insiders
    who may see but not ``action`` this object get 403."""
    if queryset.model.visibility_q(request.user, action) is None:
        raise PermissionDenied
    obj = get_object_or_404(queryset.visible_to(request.user, "view"), **lookup)
    if action != "view" and not obj.permits(request.user, action):
        raise PermissionDenied
    if audit:
        audit_log(user=request.user, action=AuditAction.VIEW, obj=obj)
    return obj


class ScopedMixin(LoginRequiredMixin):
    """For list and detail pages of a scoped model. ``scope_action`` is what the page needs;
    a role that can never do it on this model gets 403."""

    model: type[Model]
    scope_action = "view"
    audit_reads = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):  # noqa: ANN201
        if (
            request.user.is_authenticated
            and self.model.visibility_q(request.user, self.scope_action) is None
        ):  # type: ignore[attr-defined]
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model._default_manager.all().visible_to(self.request.user, "view")  # type: ignore[attr-defined]

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        queryset = queryset if queryset is not None else self.get_queryset()
        try:
            obj = queryset.get(pk=self.kwargs["pk"])
        except (queryset.model.DoesNotExist, ValueError):
            raise Http404 from None
        if self.scope_action != "view" and not obj.permits(self.request.user, self.scope_action):
            raise PermissionDenied
        if self.audit_reads:
            audit_log(user=self.request.user, action=AuditAction.VIEW, obj=obj)
        return obj


def add_service_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors next to their field, the rest at
    the top (named after the model field when the form has no such field)."""
    pairs = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
    for field, errors in pairs:
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error if target or field == "__all__" else f"{field}: {error}")


def error_text(exc: ValidationError) -> str:
    """A service's ValidationError as one line, for a flash message."""
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(errors) for errors in exc.message_dict.values())
    return " ".join(exc.messages)
