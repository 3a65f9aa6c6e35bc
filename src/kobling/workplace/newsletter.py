"""The monthly newsletter: what a project group sends on — assignments started and closed in
the month, the scale's movement (aggregate), leader networks that met, and the quarter's IA
figures. It leaves the municipality, so the IA figures (counts of persons) go through the
small-cell rule (lib.suppression); supervision pools are the support app's and come later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from kobling.lib.pdf import html_to_pdf
from kobling.lib.suppression import suppress
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.workplace.minutes import PDF_CSS
from kobling.workplace.models import (
    IA_MEASURES,
    Assignment,
    CoachingMeeting,
    IAFigures,
    NetworkMeeting,
)


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


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return first, after - dt.timedelta(days=1)


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
    )


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
