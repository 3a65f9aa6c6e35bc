"""Participation (started / eligible) and completion (completed / started) rates, compared with
the hand-computed values of tests/rehab/builders.py, and the small-cell rule outside the unit."""

from __future__ import annotations

import pytest

from kobling.rehab import calc
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db

URL = "/api/v1/rehab/participation/"


@pytest.fixture
def world(cast):
    return build(cast)


def _rows(api, user, **params):
    response = api(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def _by_unit(rows):
    return {r["unit"]: r for r in rows}


def test_the_hospitals_staff_read_their_own_unit_unsuppressed(cast, api, world):
    rows = _rows(api, world.h.clinician, diagnosis="chd", period="2025Q1")
    assert [r["unit"] for r in rows] == ["H001"]
    row = rows[0]
    assert (row["eligible"], row["started"], row["completed"]) == (20, 8, 5)
    assert row["participation_rate"] == 40.0 and row["completion_rate"] == 62.5
    assert row["diagnosis"] == "chd" and row["period"] == "2025Q1"
    second = _rows(api, world.h2.coordinator, diagnosis="chd", period="2025Q1")[0]
    assert (second["eligible"], second["started"], second["completed"]) == (12, 3, 1)
    assert second["participation_rate"] == 25.0 and second["completion_rate"] == 33.3


def test_the_analyst_sees_every_unit_with_small_cells_suppressed(cast, api, world):
    rows = _by_unit(_rows(api, cast.analyst, diagnosis="chd", period="2025Q1"))
    assert set(rows) == {"H001", "H002"}
    # H002 started 3 and completed 1: hidden; H001's started and completed then hidden too,
    # so H002's cannot be found from the national total by subtraction.
    assert (rows["H002"]["eligible"], rows["H002"]["started"], rows["H002"]["completed"]) == (
        12,
        "<5",
        "<5",
    )
    assert (rows["H001"]["eligible"], rows["H001"]["started"], rows["H001"]["completed"]) == (
        20,
        "<5",
        "<5",
    )
    assert {rows[u]["participation_rate"] for u in rows} == {"<5"}
    # The wait describes the started persons: hidden with them.
    assert {rows[u]["median_wait_days"] for u in rows} == {"<5"}


def test_the_national_and_regional_rates_equal_the_hand_computed_ones(cast, api, world):
    for level, unit in (("national", ""), ("region", "HV")):
        rows = _rows(api, cast.analyst, diagnosis="chd", period="2025Q1", level=level)
        assert len(rows) == 1
        row = rows[0]
        assert row["unit"] == unit
        assert (row["eligible"], row["started"], row["completed"]) == (32, 11, 6)
        assert row["participation_rate"] == 34.4 and row["completion_rate"] == 54.5
        assert row["median_wait_days"] == 21.0  # every course started three weeks after


def test_staff_read_the_nation_suppressed_like_everyone_else(cast, api, world):
    rows = _rows(api, world.h.clinician, diagnosis="chd", period="2025Q2", level="national")
    # One started of five eligible: outside the unit this is small.
    assert (rows[0]["eligible"], rows[0]["started"]) == (5, "<5")
    own = _rows(api, world.h.clinician, diagnosis="chd", period="2025Q2")[0]
    assert (own["eligible"], own["started"], own["participation_rate"]) == (5, 1, 20.0)


def test_by_sex_by_year_and_by_period(cast, api, world):
    women = _rows(api, world.h.coordinator, diagnosis="chd", period="2025Q1", sex="female")[0]
    assert (women["eligible"], women["started"], women["completed"]) == (10, 4, 3)
    assert women["participation_rate"] == 40.0 and women["completion_rate"] == 75.0
    year = _rows(api, world.h.coordinator, diagnosis="chd", period="2025")[0]
    assert (year["period"], year["eligible"], year["started"], year["completed"]) == (
        "2025",
        25,
        9,
        5,
    )
    quarters = _rows(api, world.h.coordinator, diagnosis="chd")
    assert [r["period"] for r in quarters] == ["2025Q1", "2025Q2"]
    band = _rows(api, world.h.coordinator, diagnosis="chd", period="2025Q1", age_band="70-79")
    assert band == []


def test_other_units_staff_see_no_rows_of_the_hospital(cast, api, world):
    assert _rows(api, cast.coordinator_a, diagnosis="chd") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"diagnosis": "flu"}, "diagnosis"),
        ({"period": "2025-13"}, "period"),
        ({"level": "county"}, "level"),
        ({"sex": "x"}, "sex"),
        ({"age_band": "1-2"}, "age_band"),
    ],
)
def test_bad_filters_are_refused_with_the_field(cast, api, params, field):
    response = api(cast.analyst).get(URL, params)
    assert response.status_code == 400 and field in response.json()


def test_the_calculation_alone_on_hand_built_rows():
    rows = [
        calc.CourseRow(1, 9, "copd", 2025, 3, "male", "60-69", started=True, completed=True),
        calc.CourseRow(1, 9, "copd", 2025, 3, "male", "60-69", started=True, completed=False),
        calc.CourseRow(1, 9, "copd", 2025, 3, "male", "60-69", started=False, completed=False),
        calc.CourseRow(2, 9, "copd", 2025, 4, "female", "80+", started=True, completed=True),
    ]
    dens = [calc.DenominatorRow(1, 9, "copd", 2025, 3, "male", "60-69", 8)]
    cells = calc.aggregate(rows, dens)
    one = cells[(1, "copd", "2025Q3")]
    assert (one.eligible, one.started, one.completed) == (8, 2, 1)
    assert one.participation_rate == 25.0 and one.completion_rate == 50.0
    # Started without an eligible count: no rate rather than a division by zero.
    assert cells[(2, "copd", "2025Q4")].participation_rate is None
    national = calc.aggregate(rows, dens, level="national", grain="year")
    assert national[(None, "copd", "2025")].started == 3


@pytest.mark.parametrize(("waits", "median"), [([], None), ([30, 10, 20], 20.0), ([10, 21], 15.5)])
def test_the_median_wait_from_index_event_to_start(waits, median):
    rows = [
        calc.CourseRow(1, None, "pad", 2025, 1, "male", "60-69", True, False, wait_days=w)
        for w in waits
    ]
    cells = calc.aggregate(rows, [])
    assert (cells[(1, "pad", "2025Q1")].median_wait_days if rows else None) == median


@pytest.mark.parametrize(
    ("started", "flag"),
    [(30, ""), (38, ""), (40, "high_95"), (45, "high_998"), (20, "low_95"), (15, "low_998")],
)
def test_the_funnel_plot_flags_units_outside_the_95_and_998_limits(started, flag):
    # National 30 %, 100 eligible: 95 % limits 21.0–39.0 %, 99.8 % limits 15.8–44.2 %.
    assert calc.funnel_flag(started, 100, 0.30) == flag


def test_the_flag_is_given_only_where_the_rate_is_shown(cast, api, world):
    own = _rows(api, world.h.clinician, diagnosis="chd", period="2025Q1")[0]
    assert own["funnel_flag"] == ""  # 40 % of 20 lies inside the limits around 34.4 %
    rows = _rows(api, cast.analyst, diagnosis="chd", period="2025Q1")
    assert {r["funnel_flag"] for r in rows} == {""}
