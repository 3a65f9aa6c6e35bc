"""Reading self-assessments: which one stands for a programme and year, the scores and the trend,
and the evidence Kobling's own data gives beside the items. Fixed query counts for any number of
programmes and years."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from kobling.dashboards.models import DashboardFact, Grain
from kobling.dashboards.suppression import SUPPRESSED, describing, is_small
from kobling.quality.models import AssessmentAnswer, AssessmentStatus, SelfAssessment
from kobling.quality.scoring import Scores, TrendYear, score, trend
from kobling.support.selectors import summary as supervision_summary
from kobling.tenancy.models import Programme


def with_answers(queryset: Any) -> Any:
    return queryset.select_related("programme__municipality").prefetch_related(
        Prefetch("answers", queryset=AssessmentAnswer.objects.order_by("id"))
    )


def answers_of(assessment: SelfAssessment) -> dict[str, AssessmentAnswer]:
    return {a.item_code: a for a in assessment.answers.all()}


def scores_of(assessment: SelfAssessment) -> Scores:
    return score(assessment.checklist, {a.item_code: a.score for a in assessment.answers.all()})


def standing(assessments: Iterable[SelfAssessment]) -> dict[tuple[int, int], SelfAssessment]:
    """(programme id, year) → the standing assessment: the latest submitted in the year's chain,
    or the original while it is a draft. ``assessments``: every assessment of the programmes."""
    chains: dict[tuple[int, int], list[SelfAssessment]] = defaultdict(list)
    for a in assessments:
        chains[(a.programme_id, a.year)].append(a)
    out = {}
    for key, chain in chains.items():
        submitted = [a for a in chain if a.is_submitted]
        if submitted:
            # Follow the chain: the submitted one that no submitted correction replaces.
            replaced = {a.supersedes_id for a in submitted}
            heads = [a for a in submitted if a.pk not in replaced]
            out[key] = max(heads or submitted, key=lambda a: a.pk)
        else:
            original = next((a for a in chain if a.supersedes_id is None), None)
            if original is not None:
                out[key] = original
    return out


def is_standing(assessment: SelfAssessment) -> bool:
    chain = SelfAssessment.objects.filter(
        programme_id=assessment.programme_id, year=assessment.year
    )
    return standing(chain).get((assessment.programme_id, assessment.year)) == assessment


def assessments_of(programmes: Iterable[Programme]) -> list[SelfAssessment]:
    """Every assessment of the programmes, with their answers (two queries)."""
    ids = sorted(p.pk for p in programmes)
    return list(with_answers(SelfAssessment.objects.filter(programme__in=ids)))


def programme_trend(assessments: Iterable[SelfAssessment], programme_id: int) -> list[TrendYear]:
    """The trend of the standing *submitted* assessments of one programme, oldest year first."""
    rows = [
        (year, a.pk, scores_of(a))
        for (pid, year), a in standing(assessments).items()
        if pid == programme_id and a.is_submitted
    ]
    return trend(rows)


@dataclass
class ProgrammeOverview:
    programme: Programme
    latest: TrendYear | None
    draft: SelfAssessment | None  # this year's (or any) open draft, if one
    years: list[TrendYear]


def overview(programmes: Iterable[Programme]) -> list[ProgrammeOverview]:
    """For the list page: per programme its latest submitted score with the change from the
    year before, and any open draft. Two queries."""
    programmes = list(programmes)
    everything = assessments_of(programmes)
    drafts: dict[int, SelfAssessment] = {}
    for a in everything:
        if a.status == AssessmentStatus.DRAFT:
            current = drafts.get(a.programme_id)
            if current is None or a.year > current.year:
                drafts[a.programme_id] = a
    out = []
    for p in programmes:
        years = programme_trend(everything, p.pk)
        out.append(
            ProgrammeOverview(
                programme=p,
                latest=years[-1] if years else None,
                draft=drafts.get(p.pk),
                years=years,
            )
        )
    return out


# --- Evidence from Kobling's own data -----------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    text: str
    url: str = ""
    link_text: str = ""


def dose(programme: Programme, year: int) -> dict[str, Any]:
    """Sessions planned and held in ``year`` from the dashboards' aggregates (one query), with
    the dashboards' small-cell rule: hidden when they describe fewer than 5 participants."""
    sums = {
        metric: total or Decimal(0)
        for metric, total in DashboardFact.objects.filter(
            programme=programme,
            metric__in=("sessions_planned", "sessions_held", "participants_served"),
            dimension="",
        )
        .filter(
            period__gte=dt.date(year, 1, 1),
            period__lte=dt.date(year, 12, 31),
            grain__in=(Grain.MONTH, Grain.YEAR),
        )
        .values("metric")
        .annotate(total=Sum("value"))
        .values_list("metric", "total")
        .order_by()
    }
    persons = int(sums.get("participants_served", 0))
    planned = int(sums.get("sessions_planned", 0))
    held = int(sums.get("sessions_held", 0))
    share = (
        (Decimal(100) * held / planned).quantize(Decimal("0.1"))
        if planned and not is_small(persons)
        else None
    )
    return {
        "planned": describing(planned, persons),
        "held": describing(held, persons),
        "percent": SUPPRESSED if is_small(persons) else share,
        "participants": SUPPRESSED if is_small(persons) else persons,
    }


def evidence(
    programme: Programme, year: int, responsibilities: list[Any] | None = None
) -> dict[str, Evidence]:
    """Item code → what Kobling's data says beside it (kept light: dose for 6.2, the key-person
    risk for 1.5, the dashboards for 6.1)."""
    out: dict[str, Evidence] = {}
    d = dose(programme, year)
    dashboard = reverse("web:dashboard", args=[programme.pk]) + f"?year={year}"
    if d["planned"] == 0:
        text = _("No sessions are registered for %(year)s.") % {"year": year}
    elif d["percent"] == SUPPRESSED:
        text = _("Sessions in %(year)s describe fewer than 5 participants and are not shown.") % {
            "year": year
        }
    else:
        text = _(
            "In %(year)s: %(held)s sessions held of %(planned)s planned (%(percent)s %%), "
            "%(participants)s participants."
        ) % {"year": year, **d}
    out["evaluation.dose"] = Evidence(text, dashboard, _("Dose on the evaluation page"))
    out["evaluation.adherence"] = Evidence(
        _("Attendance, reviews and waiting times are on the evaluation page."),
        dashboard,
        _("Evaluation (RE-AIM)"),
    )
    out["training.support"] = supervision_evidence(programme, year)
    if responsibilities is not None:
        risks = [r.label for r in responsibilities if r.is_risk]
        gaps = [r.label for r in responsibilities if r.is_gap]
        parts = []
        if risks:
            parts.append(_("Resting on one person: %(list)s.") % {"list": ", ".join(risks)})
        if gaps:
            parts.append(_("Nobody found for: %(list)s.") % {"list": ", ".join(gaps)})
        if not parts:
            parts.append(_("Every responsibility has at least two people."))
        out["team.roles"] = Evidence(
            " ".join(parts),
            reverse("web:quality_key_persons", args=[programme.pk]),
            _("Key-person risk"),
        )
    return out


def supervision_evidence(programme: Programme, year: int) -> Evidence:
    """Beside 4.4 (contacts have support while they work): the supervision the programme's
    helpers received in ``year`` (the support app's summary; four queries)."""
    found = supervision_summary(programme, year)
    if not found.helpers:
        text = _("No helpers with a supervision allowance in %(year)s.") % {"year": year}
    else:
        text = _(
            "In %(year)s: %(supervised)s of %(helpers)s helpers had supervision, %(hours)s hours "
            "in all (allowance %(allowance)s h each); %(meetings)s group meetings held."
        ) % {
            "year": year,
            "supervised": found.supervised,
            "helpers": found.helpers,
            "hours": found.hours,
            "allowance": found.allowance,
            "meetings": found.meetings_held,
        }
    return Evidence(text, reverse("web:supervision_home") + f"?year={year}", _("Supervision"))
