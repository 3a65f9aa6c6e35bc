"""The dashboard figures from hand-built plain rows: no database (kobling.dashboards.facts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kobling.dashboards import facts as f
from kobling.dashboards.models import Grain
from kobling.followup.choices import EndReason, PairingStatus
from kobling.helpers.choices import HelperStatus
from kobling.outcomes import choices as outcomes
from kobling.outcomes.selectors import recommended_weekly_minutes

D = Decimal
JAN, FEB = dt.date(2025, 1, 1), dt.date(2025, 2, 1)


def referral(pk: int = 1, **kw) -> f.ReferralRow:
    values = {
        "id": pk,
        "programme_id": 7,
        "source": "gp",
        "received_on": dt.date(2025, 1, 31),
        "granted_on": None,
        "gender": "female",
        "birth_date": dt.date(1980, 6, 1),
    }
    return f.ReferralRow(**(values | kw))


def pairing(pk: int = 1, **kw) -> f.PairingRow:
    values = {
        "id": pk,
        "course_id": 100,
        "programme_id": 7,
        "referral_id": 1,
        "confirmed_on": dt.date(2025, 2, 10),
    }
    return f.PairingRow(**(values | kw))


def figures(**rows) -> dict:
    """The figures as {(grain, period, metric, dimension, key): value} of programme 7."""
    data = f.FactsInput(today=dt.date(2025, 6, 15), **rows)
    return {k[1:]: v for k, v in f.compute(data).values.items() if k[0] == 7}


def test_the_codes_are_those_of_the_choices():
    assert (f.MONTH, f.YEAR, f.NOW) == (Grain.MONTH, Grain.YEAR, Grain.NOW)
    assert f.GOAL_REACHED == EndReason.GOAL_REACHED
    assert set(f.DROP_OUT_REASONS) == {EndReason.PARTICIPANT_STOPPED, EndReason.NO_CHEMISTRY}
    assert f.PAIRING_ENDED == PairingStatus.ENDED
    assert (f.REVIEW_START, f.REVIEW_END) == (outcomes.ReviewKind.START, outcomes.ReviewKind.END)
    assert f.ACTIVITY_MINUTES == outcomes.ACTIVITY_MINUTES
    assert set(f.TRAINED_NOW) == {HelperStatus.QUALIFIED, HelperStatus.ACTIVE, HelperStatus.PAUSED}
    assert (f.HELPER_ACTIVE, f.HELPER_LEFT) == (HelperStatus.ACTIVE, HelperStatus.LEFT)


def test_nothing_in_gives_no_figure():
    assert f.compute(f.FactsInput(today=dt.date(2025, 1, 1))).values == {}


@pytest.mark.parametrize(
    ("birth", "on", "band"),
    [
        (dt.date(2007, 3, 2), dt.date(2025, 3, 1), "0-17"),  # 18 tomorrow
        (dt.date(2007, 3, 1), dt.date(2025, 3, 1), "18-29"),  # 18 today
        (dt.date(1958, 3, 2), dt.date(2025, 3, 1), "50-66"),
        (dt.date(1958, 3, 1), dt.date(2025, 3, 1), "67+"),
    ],
)
def test_the_age_band_turns_on_the_birthday(birth, on, band):
    assert f.age_band(birth, on) == band


def test_a_referral_counts_in_the_month_it_was_received_and_granted_once_in_its_own_month():
    got = figures(
        referrals=[referral(granted_on=dt.date(2025, 2, 1), first_decision_on=dt.date(2025, 2, 1))]
    )
    assert got[("month", JAN, "referred", "", "")] == 1
    assert got[("month", JAN, "referred", "age_band", "30-49")] == 1
    assert got[("month", JAN, "referred", "target_group", "none")] == 1
    assert got[("month", FEB, "granted", "", "")] == 1
    assert ("month", JAN, "granted", "", "") not in got
    # One day from the last of January to the first of February, counted by the referral month.
    assert got[("month", JAN, "days_to_decision", "days", "1")] == 1


def test_a_single_person_is_counted_exactly_suppression_is_left_to_the_reader():
    got = figures(referrals=[referral(target_groups=("youth", "elderly"))])
    assert got[("month", JAN, "referred", "target_group", "youth")] == 1
    assert got[("month", JAN, "referred", "target_group", "elderly")] == 1
    assert got[("month", JAN, "referred", "gender", "female")] == 1


def test_a_re_matched_course_counts_one_start_and_each_pair_ending():
    first = pairing(
        1,
        started_on=dt.date(2025, 2, 17),
        ended_on=dt.date(2025, 3, 31),
        status="ended",
        end_reason="no_chemistry",
        first_held_on=dt.date(2025, 2, 17),
    )
    second = pairing(
        2,
        confirmed_on=dt.date(2025, 4, 1),
        started_on=dt.date(2025, 4, 7),
        status="paused",
        first_held_on=dt.date(2025, 4, 7),
    )
    got = figures(referrals=[referral()], pairings=[first, second])
    assert got[("month", JAN, "days_to_pairing", "days", "10")] == 1
    assert sum(v for k, v in got.items() if k[2] == "days_to_pairing") == 1
    assert got[("month", FEB, "started", "", "")] == 1
    assert ("month", dt.date(2025, 4, 1), "started", "", "") not in got
    # Each pair's first session counts; only the ended pair counts as ended (and dropped out).
    assert sum(v for k, v in got.items() if k[2] == "days_to_first_session") == 2
    assert got[("month", dt.date(2025, 3, 1), "ended", "", "")] == 1
    assert got[("month", dt.date(2025, 3, 1), "dropped_out", "source", "gp")] == 1
    assert not any(k[2] == "completed" for k in got)
    assert sum(v for k, v in got.items() if k[2] == "ended") == 1


def test_an_ended_pair_without_an_end_date_or_a_referral_out_of_reach_is_not_counted():
    got = figures(
        referrals=[referral()],
        pairings=[
            pairing(1, status="ended", end_reason="goal_reached"),
            pairing(2, referral_id=99, course_id=200, started_on=JAN),
        ],
    )
    assert not any(k[2] in ("ended", "completed", "started", "handovers") for k in got)


def test_session_counts_are_taken_as_given_by_month_and_year():
    got = figures(
        session_months=[f.SessionMonth(7, dt.date(2025, 1, 15), 4, 3, 1, 0, 0, 2, 1)],
        session_years=[f.SessionYear(7, dt.date(2025, 1, 1), 2, 1)],
    )
    assert got[("month", JAN, "sessions_planned", "", "")] == 4
    assert got[("month", JAN, "minutes_held", "", "")] == 0
    assert got[("year", JAN, "participants_served", "", "")] == 2


def _score(kind: str, day: int, value: str, review: int, code: str = "mastery") -> f.Score:
    return f.Score(1, code, kind, dt.date(2025, 3, day), review, D(value))


def test_effectiveness_compares_start_latest_and_end_with_a_review_mean():
    started = pairing(started_on=dt.date(2025, 3, 1), weekly_minutes_needed=150)
    got = figures(
        pairings=[started],
        scores=[
            _score("start", 1, "2", 10),
            _score("start", 1, "4", 10),  # two goals: the review's value is 3
            _score("periodic", 10, "5", 11),
            _score("end", 20, "6", 12),
        ],
    )
    march = dt.date(2025, 3, 1)
    by = ("instrument", "mastery")
    assert got[("month", march, "eff_n", *by)] == 1
    assert got[("month", march, "eff_start_sum", *by)] == 3
    assert got[("month", march, "eff_latest_sum", *by)] == 6
    assert got[("month", march, "eff_end_sum", *by)] == 6


def test_effectiveness_needs_a_start_review_and_a_started_pair():
    got = figures(
        pairings=[pairing(1, started_on=dt.date(2025, 3, 1)), pairing(2, course_id=101)],
        scores=[
            _score("periodic", 10, "5", 11),
            f.Score(2, "mastery", "start", dt.date(2025, 3, 1), 20, D(1)),
            f.Score(2, "mastery", "end", dt.date(2025, 3, 9), 21, D(2)),
        ],
    )
    assert not any(k[2].startswith("eff_") for k in got)


def test_activity_minutes_meet_the_recommendation_at_the_age_the_pair_started():
    need = recommended_weekly_minutes(16)  # youth
    started = pairing(started_on=dt.date(2025, 3, 1), weekly_minutes_needed=need)
    got = figures(
        pairings=[started],
        scores=[
            _score("start", 1, "150", 10, f.ACTIVITY_MINUTES),
            _score("end", 20, str(need), 12, f.ACTIVITY_MINUTES),
        ],
    )
    march, by = dt.date(2025, 3, 1), ("instrument", f.ACTIVITY_MINUTES)
    assert got[("month", march, "eff_meets_start", *by)] == 0
    assert got[("month", march, "eff_meets_end", *by)] == 1


def test_follow_ups_count_by_month_due_and_months_after():
    got = figures(follow_ups=[f.FollowUpMonth(7, dt.date(2025, 1, 31), 3, 2, 1, 1)])
    assert got[("month", JAN, "followup_asked", "months", "3")] == 2


def test_trained_contacts_who_left_are_trained_but_not_retained():
    got = figures(
        helpers=[
            f.HelperRow(1, 7, "left", qualified=True),
            f.HelperRow(2, 7, "active", qualified=False),
            f.HelperRow(3, 7, "applicant", qualified=False),
        ]
    )
    today = dt.date(2025, 6, 15)
    assert got[("now", today, "helpers", "status", "left")] == 1
    assert got[("now", today, "helpers_trained", "", "")] == 2
    assert got[("now", today, "helpers_trained_retained", "", "")] == 1
    assert got[("now", today, "helpers_trained_active", "", "")] == 1


def test_a_partner_without_programmes_counts_for_every_programme():
    data = f.FactsInput(
        today=dt.date(2025, 6, 15),
        programme_ids=[7, 8],
        partners=[f.PartnerRow(1, "club"), f.PartnerRow(2, "gym", (8,))],
    )
    got = f.compute(data).values
    today = dt.date(2025, 6, 15)
    assert got[(7, "now", today, "partners_in_agreement", "", "")] == 1
    assert got[(8, "now", today, "partners_in_agreement", "", "")] == 2


def test_handover_partners_are_distinct_within_a_calendar_year():
    ended = {"status": "ended", "handover_destination": "partner", "handover_partner_kind": "club"}
    got = figures(
        pairings=[
            pairing(1, ended_on=dt.date(2024, 12, 31), handover_partner_id=5, **ended),
            pairing(2, ended_on=dt.date(2025, 1, 1), handover_partner_id=5, **ended),
            pairing(3, ended_on=dt.date(2025, 1, 2), handover_partner_id=5, **ended),
            pairing(4, ended_on=dt.date(2025, 1, 3), status="ended"),
        ]
    )
    assert got[("year", dt.date(2024, 1, 1), "handover_partners", "", "")] == 1
    assert got[("year", JAN, "handover_partners", "kind", "club")] == 1
    assert got[("month", JAN, "handovers_to_partner", "", "")] == 2
    assert got[("month", JAN, "handovers", "destination", "unknown")] == 1


def test_referring_organisations_are_distinct_trimmed_and_case_blind_per_year():
    got = figures(
        referrals=[
            referral(1, organisation=" Fjord  Legesenter"),
            referral(2, organisation="fjord legesenter", source="nav"),
            referral(3, organisation=""),
        ]
    )
    assert got[("year", JAN, "referring_organisations", "", "")] == 1
    assert got[("year", JAN, "referring_organisations", "source", "nav")] == 1


def test_costs_are_added_by_kind():
    got = figures(costs=[f.CostYear(7, JAN, D("1.10"), D("2"), D("0"), D("3.50"))])
    assert got[("year", JAN, "cost_pay", "", "")] == D("1.10")
    assert got[("year", JAN, "cost_courses", "", "")] == 0
