"""The base API viewset: every queryset starts from ``visible_to`` and every read of a single
personal record is audited. Invisible → 404; visible but not permitted → 403."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction


def write_action(method: str) -> str:
    return "view" if method in permissions.SAFE_METHODS else "change"


class ScopedPermission(permissions.BasePermission):
    """A role that can never see (or change) this kind of record gets 403 up front."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        model = view.get_scope_model()
        action = getattr(view, "scope_action", None) or write_action(request.method)
        return model.visibility_q(user, action) is not None

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        action = getattr(view, "scope_action", None) or write_action(request.method)
        if action == "view" or not hasattr(obj, "permits"):
            return True
        return bool(obj.permits(request.user, action))


class ScopedViewSetMixin:
    """Mix into any GenericViewSet. Set ``queryset`` (the model's default manager) and optionally
    ``audit_reads = True`` for records about a person."""

    permission_classes = [permissions.IsAuthenticated, ScopedPermission]
    audit_reads = False
    scope_action: str | None = None

    def get_scope_model(self):  # noqa: ANN201
        return self.queryset.model  # type: ignore[attr-defined]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        """Hook for select_related/prefetch_related so list queries stay constant."""
        return queryset

    def complete_rows(self, rows: list[Any]) -> None:
        """Hook: complete a list's rows once read (a prefetch that only some rows need)."""

    def get_queryset(self):  # noqa: ANN201
        qs = self.get_scope_model()._default_manager.all().visible_to(self.request.user, "view")  # type: ignore[attr-defined]
        return self.optimize(qs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        rows = list(page if page is not None else queryset)
        self.complete_rows(rows)
        if self.audit_reads:
            audit_list_read(user=request.user, objects=rows)
        serializer = self.get_serializer(rows, many=True)  # type: ignore[attr-defined]
        if page is not None:
            return self.get_paginated_response(serializer.data)  # type: ignore[attr-defined]
        return Response(serializer.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        if self.audit_reads:
            audit_log(user=request.user, action=AuditAction.VIEW, obj=instance)
        serializer = self.get_serializer(instance)  # type: ignore[attr-defined]
        return Response(serializer.data)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and read."""


class ScopedCreateViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """List, read and create: records that are not changed afterwards (or only by actions)."""


class ScopedWritableViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """List, read, create and change (no delete)."""


def require(condition: bool, message: str = "") -> None:
    if not condition:
        raise PermissionDenied(message or None)
