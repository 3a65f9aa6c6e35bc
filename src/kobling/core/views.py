"""Base views for pages: the same scoping primitive as the API, and read auditing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from kobling.lib.errors import ConflictError
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


@dataclass
class Outcome:
    """What :func:`service_errors` saw: ``ok`` until the service refused."""

    ok: bool = True


@contextmanager
def service_errors(target: Any) -> Iterator[Outcome]:
    """Run a service call for a page: a refusal it raises (a stale version, ``ConflictError``; a
    rule, ``ValidationError``) goes to ``target`` and ``ok`` turns false; anything else passes.
    ``target`` is a form (the error at the top, or next to its field) or the request (a flash
    message, for a button without a form)::

        with service_errors(form) as outcome:
            made = services.thing_create(by=request.user, data=form.cleaned_data)
        if outcome.ok:
            return redirect(made)
    """
    outcome = Outcome()
    try:
        yield outcome
    except (ConflictError, ValidationError) as exc:
        outcome.ok = False
        if isinstance(target, HttpRequest):
            text = str(exc) if isinstance(exc, ConflictError) else error_text(exc)
            messages.error(target, text)
        elif isinstance(exc, ConflictError):
            target.add_error(None, str(exc))
        else:
            add_service_errors(target, exc)
