"""The one gate for "may manage this programme / municipality": coordinators and municipal
administrators of the municipality. Pages and the API ask it alike (the scoped querysets of
core.views / core.viewsets decide what a user may *see*; this decides who may *run* the
municipality's work: matching, decisions, approvals, exports, …)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import MANAGER_ROLES

MANAGER_ONLY = _("Only coordinators and municipal administrators can do this.")


class NotManager(PermissionDenied):
    """403 on a page; in the API a 403 whose detail is the message (kobling.api.exceptions)."""


def managed_municipality_ids(user: Any) -> set[int]:
    """The municipalities the user manages; empty for anyone else (and for anonymous users)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(user.municipality_ids(*MANAGER_ROLES))


def is_manager(user: Any, municipality_id: int | None = None) -> bool:
    """Whether the user manages ``municipality_id`` (without one: any municipality)."""
    managed = managed_municipality_ids(user)
    return bool(managed) if municipality_id is None else municipality_id in managed


def require_manager(user: Any, municipality_id: int | None = None, message: Any = None) -> None:
    """Raise :class:`NotManager` (403) unless the user manages ``municipality_id`` (without one:
    any municipality)."""
    if not is_manager(user, municipality_id):
        raise NotManager(message or MANAGER_ONLY)
