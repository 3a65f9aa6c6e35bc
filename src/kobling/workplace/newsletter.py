"""The monthly newsletter: what a project group sends on — assignments started and closed in
the month, the scale's movement (aggregate), leader networks that met, and the quarter's IA
figures, and the coaches' supervision (the support app's ledger: hours used in the month and the
year so far, the pool's hours returned and shared out in the year). It leaves the municipality,
so counts of persons go through the small-cell rule (lib.suppression) and hours, which describe
the coaches who had them, are shown only when they describe 5 or more (rule 4). The same data is
the newsletter API's (``as_json``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kobling.lib.pdf import html_to_pdf
from kobling.lib.suppression import SUPPRESSED, is_small, suppress
from kobling.support.choices import PoolEntryKind
from kobling.support.models import PoolEntry, PoolRun, SupervisionEntry
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, ProgrammeKind
from kobling.workplace.minutes import PDF_CSS
from kobling.workplace.models import (
    IA_MEASURES,
    Assignment,
    CoachingMeeting,
    IAFigures,
    NetworkMeeting,
)


@dataclass
class Supervision:
    month_hours: Any
    month_coaches: Any
    year_hours: Any
    year_coaches: Any
    pool_on: dt.date | None
    returned_hours: Any
    returned_by: Any
    shared_hours: Any
    shared_to: Any


@dataclass
class Newsletter:
    municipality: Any
    month: dt.date
    started: int
    closed: int
    moved: int  # assignments with a scale in the month and an earlier one
    movement: float | None  # mean change of the scale's middle, first → latest
    networks_met: int
    network_meetings: int
    quarter: str
    ia: list[tuple[str, Any]]
    supervision: Supervision


def parse_month(text: str | None) -> dt.date | None:
    """``YYYY-MM`` → the month's first day, or None."""
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return first, after - dt.timedelta(days=1)


def _hours(hours: Decimal | None, persons: int) -> Any:
    """Hours describing ``persons`` coaches: shown when they are 0 or 5 or more (rule 4)."""
    return SUPPRESSED if is_small(persons) else suppress(hours or Decimal(0))


def supervision(municipality: Any, first: dt.date, last: dt.date) -> Supervision:
    """The workplace-coaching programme's supervision and pool (five queries)."""
    coaching = {"municipality": municipality, "programme__kind": ProgrammeKind.WORKPLACE_COACHING}
    lines = SupervisionEntry.objects.filter(**coaching)

    def used(since: dt.date) -> tuple[Decimal | None, int]:
        row = lines.filter(date__range=(since, last)).aggregate(
            hours=Sum("hours"), coaches=Count("helper", distinct=True)
        )
        return row["hours"], row["coaches"]

    month_hours, month_coaches = used(first)
    year_hours, year_coaches = used(first.replace(month=1, day=1))
    runs = PoolRun.objects.filter(**coaching, year=first.year, on__lte=last)
    pool = runs.aggregate(returned=Sum("returned_hours"), shared=Sum("shared_hours"), on=Max("on"))
    by_kind = dict(
        PoolEntry.objects.filter(run__in=runs)
        .values("kind")
        .annotate(n=Count("helper", distinct=True))
        .values_list("kind", "n")
    )
    returned_by = by_kind.get(PoolEntryKind.RETURNED, 0)
    shared_to = by_kind.get(PoolEntryKind.SHARED, 0)
    return Supervision(
        month_hours=_hours(month_hours, month_coaches),
        month_coaches=suppress(month_coaches),
        year_hours=_hours(year_hours, year_coaches),
        year_coaches=suppress(year_coaches),
        pool_on=pool["on"],
        returned_hours=_hours(pool["returned"], returned_by),
        returned_by=suppress(returned_by),
        shared_hours=_hours(pool["shared"], shared_to),
        shared_to=suppress(shared_to),
    )


def build(municipality: Any, month: dt.date) -> Newsletter:
    first, last = month_bounds(month)
    assignments = Assignment.objects.filter(municipality=municipality)
    meetings = list(
        CoachingMeeting.objects.filter(municipality=municipality, held_on__lte=last).order_by(
            "assignment_id", "held_on", "pk"
        )
    )
    by_assignment: dict[int, list[CoachingMeeting]] = {}
    for m in meetings:
        by_assignment.setdefault(m.assignment_id, []).append(m)
    changes = [
        rows[-1].scale_mid - rows[0].scale_mid
        for rows in by_assignment.values()
        if len(rows) >= 2 and rows[-1].held_on >= first
    ]
    held = NetworkMeeting.objects.filter(
        municipality=municipality, held=True, date__range=(first, last)
    )
    quarter = (first.month - 1) // 3 + 1
    figures = (
        IAFigures.objects.filter(
            municipality=municipality, year=first.year, quarter=quarter
        ).first()
        or IAFigures.objects.filter(municipality=municipality).order_by("-year", "-quarter").first()
    )
    names = {f.name: f.verbose_name for f in IAFigures._meta.fields}
    return Newsletter(
        municipality=municipality,
        month=first,
        started=assignments.filter(requested_on__range=(first, last)).count(),
        closed=assignments.filter(closed_on__range=(first, last)).count(),
        moved=len(changes),
        movement=round(sum(changes) / len(changes), 1) if changes else None,
        networks_met=held.values("network").distinct().count(),
        network_meetings=held.count(),
        quarter=str(figures) if figures else "",
        ia=[(str(names[n]), suppress(getattr(figures, n))) for n in IA_MEASURES] if figures else [],
        supervision=supervision(municipality, first, last),
    )


def as_json(letter: Newsletter) -> dict[str, Any]:
    """The newsletter's data for the API (the same cells as the page: suppressed as "<5")."""
    names = {str(f.verbose_name): f.name for f in IAFigures._meta.fields}
    s = letter.supervision
    return {
        "municipality": {"id": letter.municipality.pk, "name": letter.municipality.name},
        "month": f"{letter.month:%Y-%m}",
        "assignments_started": letter.started,
        "assignments_closed": letter.closed,
        "scale_movement": {"mean": letter.movement, "assignments": letter.moved},
        "networks_met": letter.networks_met,
        "network_meetings": letter.network_meetings,
        "ia_quarter": letter.quarter,
        "ia_figures": {names.get(label, label): value for label, value in letter.ia},
        "supervision": {
            "month_hours": _plain(s.month_hours),
            "month_coaches": s.month_coaches,
            "year_hours": _plain(s.year_hours),
            "year_coaches": s.year_coaches,
            "pool_shared_on": s.pool_on,
            "pool_returned_hours": _plain(s.returned_hours),
            "pool_returned_by": s.returned_by,
            "pool_shared_hours": _plain(s.shared_hours),
            "pool_shared_to": s.shared_to,
        },
        "suppressed_as": SUPPRESSED,
    }


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def newsletter_pdf(letter: Newsletter, *, user: Any, lang: str = "nb") -> bytes:
    lang = lang if lang in ("nb", "en") else "nb"
    with translation.override(lang):
        html = render_to_string(
            "workplace/newsletter_document.html",
            {"letter": letter, "lang": lang, "printed": timezone.localdate()},
        )
    audit_log(
        user=user,
        action=AuditAction.EXPORT,
        municipality_id=letter.municipality.pk,
        object_type="workplace.newsletter",
        object_repr=f"{letter.municipality} {letter.month:%Y-%m}",
    )
    return html_to_pdf(html, PDF_CSS)
