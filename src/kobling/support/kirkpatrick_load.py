"""The loader for :mod:`kobling.support.kirkpatrick`: a course run's qualified trainees and what
they carried after (a fixed number of queries). What counts as "carried" is a registry: the
pairings of followup are registered here; workplace assignments can add their own source with
:func:`register_spell_source` in their AppConfig.ready."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from kobling.courses.models import Qualification
from kobling.followup.models import Pairing
from kobling.support.kirkpatrick import Behaviour, Trainee, behaviour

Spell = tuple[dt.date, dt.date | None]
SpellSource = Callable[[set[int]], Iterable[tuple[int, dt.date, dt.date | None]]]
SPELL_SOURCES: list[SpellSource] = []


def register_spell_source(source: SpellSource) -> SpellSource:
    """Add a kind of work a helper carries (idempotent): ``source(helper_ids)`` yields
    ``(helper_id, started, ended or None)`` in a fixed number of queries."""
    if source not in SPELL_SOURCES:
        SPELL_SOURCES.append(source)
    return source


def pairing_spells(helper_ids: set[int]) -> Iterable[tuple[int, dt.date, dt.date | None]]:
    """Pairings that started (one query)."""
    return Pairing.objects.filter(helper_id__in=helper_ids, started_on__isnull=False).values_list(
        "helper_id", "started_on", "ended_on"
    )


register_spell_source(pairing_spells)


def run_behaviour(run: Any, today: dt.date) -> Behaviour:
    """Level 3 for one course run."""
    qualified = dict(
        Qualification.objects.filter(enrolment__run=run).values_list("helper_id", "qualified_on")
    )
    spells: dict[int, list[Spell]] = {h: [] for h in qualified}
    for source in SPELL_SOURCES:
        for helper_id, started, ended in source(set(qualified)):
            spells[helper_id].append((started, ended))
    return behaviour(
        [Trainee(h, q, tuple(sorted(spells[h], key=lambda s: s[0]))) for h, q in qualified.items()],
        today,
    )
