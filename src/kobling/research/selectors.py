"""Reads for research exports: the programmes an administrator may export from, with how many
participants have a research consent in force, and the export list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet

from kobling.research.dataset import consenting_referrals
from kobling.research.models import ResearchExport
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Programme


def exportable_programmes(user: Any) -> QuerySet[Programme]:
    """Programmes of the municipalities ``user`` administers."""
    ids = user.municipality_ids(Role.MUNICIPAL_ADMIN)
    return (
        Programme.objects.filter(municipality__in=sorted(ids))
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )


def consenting_counts(programmes: QuerySet[Programme], *, day: dt.date) -> dict[int, int]:
    """Programme id → participants with a research consent in force on ``day`` (one query)."""
    rows = (
        consenting_referrals(day=day)
        .filter(programme__in=programmes)
        .values("programme")
        .annotate(n=Count("participant", distinct=True))
        .order_by()
    )
    return {row["programme"]: row["n"] for row in rows}


def export_list_queryset(queryset: QuerySet[ResearchExport]) -> QuerySet[ResearchExport]:
    return queryset.select_related("municipality", "created_by").prefetch_related("programmes")
