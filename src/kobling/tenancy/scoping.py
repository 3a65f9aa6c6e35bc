"""The one scoping primitive: ``Model.objects.visible_to(user, action)``.

Every tenant-owned model uses :class:`ScopedQuerySet` as its manager and implements
``visibility_q(user, action)`` returning a ``Q`` (or ``None`` for "nothing"). Base views and the
base API viewset always start from ``visible_to``, so a new screen or endpoint is scoped without
anyone remembering to. Whether a *visible* object may be changed is a separate question answered
by ``obj.permits(user, action)``: invisible → 404, visible but not permitted → 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q, prefetch_related_objects

from kobling.tenancy.prefetch import prefetch_lists

if TYPE_CHECKING:
    from kobling.tenancy.models import User


class ScopedQuerySet(models.QuerySet):
    def _prefetch_related_objects(self) -> None:
        # The simple to-many prefetches without a queryset built per row (tenancy.prefetch).
        rest = prefetch_lists(self._result_cache, self._prefetch_related_lookups)
        if rest:
            prefetch_related_objects(self._result_cache, *rest)
        self._prefetch_done = True

    def visible_to(self, user: User | Any, action: str = "view") -> ScopedQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        q = self.model.visibility_q(user, action)
        if q is None:
            return self.none()
        # distinct() because a Q may follow a to-many relation (e.g. provider → enrolments).
        return (
            self.filter(q).distinct()
            if getattr(self.model, "SCOPE_NEEDS_DISTINCT", False)
            else self.filter(q)
        )


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def in_municipalities(user: User, roles: tuple[str, ...], field: str = "municipality") -> Q | None:
    """Q matching rows whose tenant is a municipality where ``user`` holds one of ``roles``."""
    ids = user.municipality_ids(*roles)
    if not ids:
        return None
    return Q(**{f"{field}__in": sorted(ids)})


def any_of(*qs: Q | None) -> Q | None:
    present = [q for q in qs if q is not None]
    if not present:
        return None
    combined = present[0]
    for q in present[1:]:
        combined |= q
    return combined


class AnalystOnly:
    """National records (the unit register, surveys, public-health profiles): the national
    analyst sees and changes them; nobody else does. Aggregates only, never a person."""

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return Q() if getattr(user, "is_analyst", False) else None

    def permits(self, user: Any, action: str) -> bool:
        return bool(getattr(user, "is_analyst", False))
