"""The research dataset's rows from hand-built plain data: no database (kobling.research.rows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kobling.research import dataset
from kobling.research import rows as r

KEY = bytes(range(32))
FILES = (
    "participants.csv",
    "referrals.csv",
    "pairings.csv",
    "sessions.csv",
    "review_scores.csv",
    "goals.csv",
    "follow_ups.csv",
    "courses.csv",
    "provider_visits.csv",
    "rehab_courses.csv",
)


def referral(pk: int = 1, **kw) -> r.Referral:
    values = {
        "id": pk,
        "participant_id": pk,
        "birth_date": dt.date(1984, 12, 31),
        "gender": "female",
        "programme_id": 3,
        "source": "gp",
        "received_on": dt.date(2025, 12, 31),
        "status": "closed",
    }
    return r.Referral(**(values | kw))


def data(**kw) -> r.ResearchData:
    return r.ResearchData(programmes=[r.Programme(3, "training_contact")], **kw)


def test_the_files_are_those_the_dictionary_lists():
    assert tuple(dataset.FILES) == FILES
    rows = r.dataset_rows(data(referrals=[referral()]), r.Pseudonymiser(KEY))
    for name in FILES:
        for row in rows[name]:
            assert set(row) == {c.name for c in dataset.FILES[name][1]}


def test_no_referral_gives_empty_files_and_no_smallest_group():
    rows = r.dataset_rows(data(), r.Pseudonymiser(KEY))
    assert tuple(rows) == FILES
    assert all(v == [] for v in rows.values())
    assert r.smallest_group(rows) is None


def test_a_short_key_is_refused_and_the_key_never_shows():
    with pytest.raises(ValueError):
        r.Pseudonymiser(b"short")
    assert "key hidden" in repr(r.Pseudonymiser(KEY))


def test_pseudonyms_are_stable_within_an_export_and_keep_kinds_apart():
    p = r.Pseudonymiser(KEY)
    assert p("pairing", 1) == p("pairing", 1) != p("participant", 1)
    assert p("pairing", 1) != r.Pseudonymiser(bytes(32))("pairing", 1)
    assert p("goal", None) == ""
    assert len(p("pairing", 1)) == r.PSEUDONYM_LENGTH


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2025, 12, 31), "2025-Q4"),
        (dt.date(2026, 1, 1), "2026-Q1"),
        (dt.date(2025, 4, 1), "2025-Q2"),
    ],
)
def test_the_quarter_turns_on_the_first_of_the_month(day, label):
    assert r.quarter(day) == label


def test_banded_and_exact_years_and_months():
    one = data(referrals=[referral(decisions=((dt.date(2026, 1, 2), "granted"),))])
    banded = r.dataset_rows(one, r.Pseudonymiser(KEY))
    exact = r.dataset_rows(one, r.Pseudonymiser(KEY), bands=False)
    assert banded["participants.csv"][0]["birth_year"] == "1980-1984"
    assert exact["participants.csv"][0]["birth_year"] == 1984
    assert banded["referrals.csv"][0]["referral_month"] == "2025-Q4"
    assert exact["referrals.csv"][0]["referral_month"] == "2025-12"
    # Across the year end: two days after the referral.
    assert banded["referrals.csv"][0]["first_decision_day"] == 2


def test_the_first_and_the_standing_decision_and_none_yet():
    decided = referral(
        1, decisions=((dt.date(2026, 1, 5), "refused"), (dt.date(2026, 2, 1), "granted"))
    )
    rows = r.dataset_rows(data(referrals=[decided, referral(2)]), r.Pseudonymiser(KEY))
    by_id = {row["referral_id"]: row for row in rows["referrals.csv"]}
    p = r.Pseudonymiser(KEY)
    assert by_id[p("referral", 1)]["first_decision_day"] == 5
    assert by_id[p("referral", 1)]["final_decision_outcome"] == "granted"
    assert by_id[p("referral", 1)]["final_decision_day"] == 32
    assert by_id[p("referral", 2)]["final_decision_outcome"] is None


def test_a_paused_pair_has_no_end_and_everything_counts_days_from_its_referral():
    pair = r.Pairing(
        9,
        1,
        1,
        helper_id=4,
        status="paused",
        confirmed_on=dt.date(2026, 1, 10),
        started_on=dt.date(2026, 1, 12),
    )
    rows = r.dataset_rows(
        data(
            referrals=[referral()],
            pairings=[pair],
            sessions=[r.Session(9, dt.date(2026, 1, 12), "held", 60, "")],
            scores=[
                r.Score(20, 9, "start", dt.date(2026, 1, 12), "mastery", "1", "", Decimal("3.5"))
            ],
            goals=[r.Goal(30, 9, "open")],
            follow_ups=[r.FollowUp(9, 3, answered=False)],
        ),
        r.Pseudonymiser(KEY),
    )
    [p] = rows["pairings.csv"]
    assert (p["confirmed_day"], p["start_day"], p["end_day"], p["end_reason"]) == (
        10,
        12,
        None,
        None,
    )
    assert rows["sessions.csv"][0]["day"] == 12
    assert rows["sessions.csv"][0]["intensity"] is None
    assert rows["review_scores.csv"][0]["goal_id"] == ""
    assert rows["follow_ups.csv"][0]["still_active"] is None
    assert {row["pairing_id"] for name in FILES[3:] for row in rows[name]} == {p["pairing_id"]}


def test_rows_are_ordered_by_pseudonym_not_by_the_order_they_came_in():
    people = [referral(pk) for pk in range(1, 8)]
    forwards = r.dataset_rows(data(referrals=people), r.Pseudonymiser(KEY))
    backwards = r.dataset_rows(data(referrals=people[::-1]), r.Pseudonymiser(KEY))
    assert forwards == backwards
    ids = [row["participant_id"] for row in forwards["participants.csv"]]
    assert ids == sorted(ids)


def test_the_smallest_group_counts_a_person_in_each_programme_they_were_referred_to():
    two = r.ResearchData(
        programmes=[r.Programme(3, "training_contact"), r.Programme(4, "other")],
        referrals=[
            referral(1),
            referral(2, participant_id=1, programme_id=4),
            referral(3, participant_id=3),
            referral(4, participant_id=4, gender="male"),
        ],
    )
    rows = r.dataset_rows(two, r.Pseudonymiser(KEY))
    assert len(rows["participants.csv"]) == 3
    # (1980-1984, female, P1): two people; (…, P2): one; (…, male, P1): one.
    assert r.smallest_group(rows) == 1


def test_a_provider_course_brings_its_course_visits_and_course_reviews():
    """A course no pairing delivers (a gym's): courses.csv names it with its delivery,
    provider_visits.csv its visits, and its reviews (of the course, no pairing) are in
    review_scores.csv with an empty pairing and days counted from the referral."""
    course = r.Course(
        id=9,
        referral_id=1,
        delivery="provider",
        status="ended",
        started_on=dt.date(2026, 1, 10),
        ended_on=dt.date(2026, 4, 1),
        end_reason="goal_reached",
    )
    visit = r.ProviderVisit(
        course_id=9, date=dt.date(2026, 1, 12), attended=True, minutes=60, source="api"
    )
    score = r.Score(
        review_id=4,
        pairing_id=None,
        review_kind="start",
        review_on=dt.date(2026, 1, 10),
        instrument_code="activity_minutes",
        instrument_version="1",
        unit="min/week",
        value=Decimal(60),
        referral_id=1,
    )
    rows = r.dataset_rows(
        data(referrals=[referral()], courses=[course], provider_visits=[visit], scores=[score]),
        r.Pseudonymiser(KEY),
    )
    (made,) = rows["courses.csv"]
    assert made["delivery"] == "provider" and made["start_day"] == 10 and made["end_day"] == 91
    (came,) = rows["provider_visits.csv"]
    assert came["course_id"] == made["course_id"] and came["day"] == 12 and came["attended"]
    (scored,) = rows["review_scores.csv"]
    assert scored["pairing_id"] == "" and scored["day"] == 10
