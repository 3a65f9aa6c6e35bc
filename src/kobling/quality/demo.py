"""Demo self-assessments: Fjordvik's and Nordby's treningskontakt programmes assessed for each of
the last three years (submitted, improving) and a draft for this year. Runs after
:func:`kobling.demo.loader.load_demo` (it needs the towns, programmes and coordinators made there) and
writes through the services, so the audit log shows the demo's history too."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kobling.quality import services
from kobling.quality.checklist import CHECKLIST
from kobling.quality.models import SelfAssessment
from kobling.tenancy.models import Programme, User

# Where each town starts, per item in checklist order (0–3); every later year moves some items
# up one step. Fjordvik starts weaker than Nordby, and both rest roles on few people.
STARTS = {
    "fjordvik": (1, 1, 0, 0, 0, 2, 1, 0, 1, 1, 0, 0, 1, 2, 1, 1, 0, 1, 0, 1),
    "nordby": (2, 1, 1, 0, 1, 2, 2, 1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1, 2),
}
COMMENTS = {
    "team.roles": "Koordinator har alt ansvar; stedfortreder er ikke utpekt.",
    "evaluation.dose": "Øktene registreres i Kobling fra i år.",
    "training.trainer_relations": "Fast avtale med idrettskretsen om to kurs i året.",
}


def _answers(start: tuple[int, ...], step: int) -> dict[str, tuple[int, str]]:
    out = {}
    for n, item in enumerate(CHECKLIST.items):
        # Every year, every other item (shifted by the year) improves by one, up to 3.
        gain = sum(1 for s in range(step) if (n + s) % 2 == 0)
        out[item.code] = (min(3, start[n] + gain), COMMENTS.get(item.code, ""))
    return out


def load_quality_demo(today: dt.date) -> dict[str, int]:
    """Three submitted years and this year's draft per town (none where the programme has
    assessments already); returns how many were made."""
    made = {"quality_submitted": 0, "quality_drafts": 0}
    for slug, start in STARTS.items():
        coordinator = User.objects.get(username=f"koordinator@{slug}.demo")
        programme = Programme.objects.get(
            municipality__memberships__user=coordinator, name="Treningskontakt"
        )
        if SelfAssessment.objects.filter(programme=programme).exists():
            continue  # loaded before
        for step, year in enumerate(range(today.year - 3, today.year)):
            assessment = services.assessment_create(
                programme=programme,
                year=year,
                by=coordinator,
                note="Gjennomgått i styringsgruppen." if step else "Første egenvurdering.",
                answers=_answers(start, step),
            )
            # Demo history: as if done each December rather than all today. The start is set
            # while it is a draft: the database refuses any change once it is submitted.
            done = timezone.make_aware(dt.datetime(year, 12, 10, 13, 0))
            SelfAssessment.objects.filter(pk=assessment.pk).update(
                created_at=done - dt.timedelta(days=14)
            )
            services.assessment_submit(assessment=assessment, by=coordinator, now=done)
            made["quality_submitted"] += 1
        # This year's draft: half the items filled in so far.
        draft = _answers(start, 3)
        services.assessment_create(
            programme=programme,
            year=today.year,
            by=coordinator,
            answers={code: value for n, (code, value) in enumerate(draft.items()) if n < 10},
        )
        made["quality_drafts"] += 1
    return made
