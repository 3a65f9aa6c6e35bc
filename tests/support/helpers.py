"""Shared set-up for the support tests: a supervision group of programme A whose leader is
coordinator A and whose members are A's two helpers (active), with one meeting in the past."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.support import services


def activate(*helpers: Helper) -> None:
    Helper.objects.filter(pk__in=[h.pk for h in helpers]).update(status=HelperStatus.ACTIVE)


def make_group(cast, *, leader=None, leader_name: str = ""):  # noqa: ANN001, ANN201
    activate(cast.helper_a, cast.helper_a2)
    group = services.group_create(
        by=cast.coordinator_a,
        programme=cast.programme_a,
        data={
            "name": "Veiledningsgruppe vår",
            "leader": leader if leader is not None else cast.coordinator_a,
            "leader_name": leader_name,
            "meeting_minutes": 90,
        },
        members=[cast.helper_a, cast.helper_a2],
    )
    meeting = services.meeting_plan(
        group=group,
        by=cast.coordinator_a,
        date=timezone.localdate() - dt.timedelta(days=1),
        topic="Når en deltaker uteblir",
    )
    return group, meeting
