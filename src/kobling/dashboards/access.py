"""Who may see a programme's dashboards: the municipality's coordinators and admins. A user who
manages no municipality gets 403; a programme outside the municipalities they manage is 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Programme


def managed_programmes(user: Any) -> QuerySet[Programme]:
    """The programmes of the municipalities ``user`` manages; 403 when there are none."""
    ids = user.municipality_ids(*MANAGER_ROLES)
    if not ids:
        raise PermissionDenied
    return Programme.objects.filter(municipality__in=sorted(ids)).select_related("municipality")


def programme_for(user: Any, pk: Any) -> Programme:
    try:
        return managed_programmes(user).get(pk=int(pk))
    except (Programme.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
