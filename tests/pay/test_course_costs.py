"""Cost per participant's course: the sum over its pairings (a re-match stays in the course)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kobling.pay import costs
from tests.pay.test_costs import costed  # noqa: F401  (the world worked out by hand there)

D = Decimal


@pytest.mark.django_db
def test_a_course_costs_what_its_pairings_cost_together(costed):  # noqa: F811
    world = costed
    course = world.pairing_a.episode_id
    assert world.earlier.episode_id == course  # the earlier pair served the same course
    result = costs.course_costs([course, world.second.episode_id])
    # As the participant's total in test_costs: pairing_a 4 494.00 and the earlier pair 3 187.50.
    assert result[course].total == D("4494.00") + D("3187.50")
    assert result[course].basis == "mixed"
    assert result[world.second.episode_id].total == D("3000.00")


@pytest.mark.django_db
def test_a_course_without_pairings_costs_nothing():
    assert costs.course_costs([]) == {}
    assert costs.course_costs([987654]) == {987654: costs.Cost()}
