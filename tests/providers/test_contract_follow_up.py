"""A contract's follow-up from the real data: every requirement with its measured value,
target and result per period; the small-cell rule when the figures leave the municipality; a
fixed number of queries however many placements and visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.providers import contract_selectors as sel
from kobling.providers import contract_services as contracts
from tests.providers.builders import certified, provider_programme
from tests.providers.contract_builders import claim_month, contracted_gym, eligible_course, visits

pytestmark = pytest.mark.django_db


def with_requirements(cast, terms):
    for measure, target in (
        ("certified_trainer", "100"),
        ("sites_accessible", "100"),
        ("answered_in_time", "90"),
        ("plan_within_14_days", "80"),
        ("attendance_75", "60"),
        ("active_6_months", "50"),
    ):
        contracts.requirement_add(
            by=cast.coordinator_a, terms=terms, measure=measure, target=Decimal(target)
        )


def test_every_requirement_is_measured_per_period_and_small_cells_hide_outside(cast):
    programme = provider_programme(cast)
    provider, terms = contracted_gym(cast)
    with_requirements(cast, terms)
    trainer = certified(cast, provider)
    month = claim_month()
    placement = eligible_course(cast, programme, provider)
    for visit in visits(placement, [0, 2], month):
        assert visit.trainer_id is None  # the placement's trainer counts when the visit names none
    placement.trainer = trainer
    placement.save()
    rows = {r.requirement.measure: r for r in sel.contract_follow_up(terms)}
    assert len(rows) == 6
    certified_row = [p for p in rows["certified_trainer"].periods if p.judged.denominator]
    assert [(p.judged.value, p.judged.result) for p in certified_row] == [(Decimal("100.0"), "met")]
    assert rows["sites_accessible"].latest.judged.result == "no_data"
    outside = {r.requirement.measure: r for r in sel.contract_follow_up(terms, outside=True)}
    shown = [p for p in outside["certified_trainer"].periods if p.judged.result != "no_data"]
    assert [(p.judged.value, p.judged.result) for p in shown] == [(None, "too_few")]


def test_the_follow_up_takes_the_same_queries_for_one_or_many_placements(cast):
    programme = provider_programme(cast)
    provider, terms = contracted_gym(cast)
    with_requirements(cast, terms)
    month = claim_month()
    first = eligible_course(cast, programme, provider, first_name="P0")
    visits(first, [0], month)
    with CaptureQueriesContext(connection) as few:
        sel.contract_follow_up(terms)
    for i in range(1, 5):
        placement = eligible_course(cast, programme, provider, first_name=f"P{i}")
        visits(placement, [0, 1, 2], month)
    with CaptureQueriesContext(connection) as many:
        result = sel.contract_follow_up(terms)
    assert len(many) == len(few)
    assert timezone.localdate() > month + dt.timedelta(days=3)
    assert any(p.judged.denominator for r in result for p in r.periods)
