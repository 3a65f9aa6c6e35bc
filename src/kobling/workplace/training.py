"""The coach training (HEFA: 10 days in 5 gatherings) is a course run of the courses app: a
template of kind *workplace coaching* whose modules are the gatherings, its trainees enrolled,
their attendance per gathering, and on completion a :class:`~kobling.courses.models.Qualification`
for the municipality's workplace-coaching programme. A **trained coach** is a helper of kind
workplace coach, qualified or active, holding such a qualification valid today — only they can
be linked to an assignment.

What a coach carries afterwards (their assignments, from linking to closing) is a spell source
for the Kirkpatrick level 3 of any course run (registered in ``WorkplaceConfig.ready``), so the
behaviour of the coach gatherings is measured the way the training contacts' courses are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from kobling.courses.models import Qualification
from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.choices import ProgrammeKind

COACH_STATUSES = (HelperStatus.QUALIFIED, HelperStatus.ACTIVE)


def qualified_q(day: dt.date | None = None) -> Exists:
    """Helpers holding a workplace-coaching qualification valid on ``day`` (a subquery, so it
    neither duplicates rows nor costs a query of its own)."""
    day = day or timezone.localdate()
    return Exists(
        Qualification.objects.filter(
            helper=OuterRef("pk"),
            programme__kind=ProgrammeKind.WORKPLACE_COACHING,
            qualified_on__lte=day,
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    )


def trained_coaches(municipality_id: int, day: dt.date | None = None):  # noqa: ANN201
    """The municipality's trained coaches (a queryset)."""
    return Helper.objects.filter(
        qualified_q(day),
        municipality_id=municipality_id,
        kind=HelperKind.WORKPLACE_COACH,
        status__in=COACH_STATUSES,
    )


def is_trained(helper: Helper, day: dt.date | None = None) -> bool:
    return (
        helper.kind == HelperKind.WORKPLACE_COACH
        and helper.status in COACH_STATUSES
        and Helper.objects.filter(qualified_q(day), pk=helper.pk).exists()
    )


def assignment_spells(helper_ids: set[int]) -> Iterable[tuple[int, dt.date, dt.date | None]]:
    """Assignments a coach carried: from linking (before the field existed: the request) to
    closing (one query)."""
    from kobling.workplace.models import Assignment

    return (
        Assignment.objects.filter(coach_id__in=helper_ids)
        .annotate(started=Coalesce("linked_on", "requested_on"))
        .values_list("coach_id", "started", "closed_on")
    )
