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


def default_programme(user: Any) -> Programme | None:
    """The programme the dashboard opens without a choice: one of the user's own, one with data
    (pairings, else referrals) before an empty one, an active one before an ended one — not
    simply the first by name (an empty programme showed nothing but zeros)."""
    from django.db.models import Exists, OuterRef

    from kobling.followup.models import Pairing
    from kobling.referrals.models import Referral

    return (
        managed_programmes(user)
        .annotate(
            has_pairings=Exists(Pairing.objects.filter(programme=OuterRef("pk"))),
            has_referrals=Exists(Referral.objects.filter(programme=OuterRef("pk"))),
        )
        .order_by(
            "-has_pairings", "-has_referrals", "-is_active", "municipality__name", "name", "pk"
        )
        .first()
    )


def programme_for(user: Any, pk: Any) -> Programme:
    try:
        return managed_programmes(user).get(pk=int(pk))
    except (Programme.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
