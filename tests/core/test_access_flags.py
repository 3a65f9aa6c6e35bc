"""The access-log review's flag rules, on hand-built rows without a database."""

from __future__ import annotations

import datetime as dt

from kobling.core.access_flags import (
    AFTER_COURSE,
    MANY_PERSONS,
    NIGHT,
    OUTSIDE_CASELOAD,
    Caseload,
    PersonRead,
    Rules,
    flag_reads,
    summary,
)

DAY = dt.datetime(2026, 3, 10, 10, 0)
RULES = Rules(burst_persons=3, burst_minutes=10, grace_days=30)
CONTACT, COORDINATOR = 1, 2
MUNI = 7


def read(person_id: int, *, at: dt.datetime = DAY, user: int | None = CONTACT, entry: int = 0):
    return PersonRead(entry or person_id, at, user, MUNI, ("participant", person_id))


def flags_of(reads, *, caseloads=None, ends=None, rules=RULES):
    caseloads = (
        caseloads
        if caseloads is not None
        else {
            CONTACT: Caseload(persons=frozenset({("participant", 1)})),
            COORDINATOR: Caseload(municipality_ids=frozenset({MUNI})),
        }
    )
    return [
        row.flags
        for row in flag_reads(reads, caseloads=caseloads, course_ends=ends or {}, rules=rules)
    ]


def test_a_contact_reading_someone_outside_their_pairs_is_flagged_a_coordinator_is_not():
    assert flags_of([read(1), read(2), read(2, user=COORDINATOR)]) == [
        set(),
        {OUTSIDE_CASELOAD},
        set(),
    ]


def test_a_user_without_any_role_has_no_caseload():
    assert flags_of([read(1, user=99)]) == [{OUTSIDE_CASELOAD}]


def test_many_different_people_within_the_window_flags_every_read_in_it():
    coordinator = [
        read(n, at=DAY + dt.timedelta(minutes=4 * i), user=COORDINATOR, entry=10 + i)
        for i, n in enumerate([5, 6, 5, 7, 8])
    ]
    # 5, 6, 5 within 8 minutes are only two people; 6, 5, 7 at 4–12 minutes are three.
    assert flags_of(coordinator) == [
        set(),
        {MANY_PERSONS},
        {MANY_PERSONS},
        {MANY_PERSONS},
        {MANY_PERSONS},
    ]


def test_the_same_people_read_again_and_again_is_not_a_burst():
    rows = [read(1, at=DAY + dt.timedelta(minutes=i), entry=i + 1) for i in range(20)]
    assert all(MANY_PERSONS not in f for f in flags_of(rows))


def test_reads_spread_wider_than_the_window_are_not_a_burst():
    rows = [
        read(n, at=DAY + dt.timedelta(minutes=6 * i), user=COORDINATOR, entry=n)
        for i, n in enumerate([5, 6, 7, 8])
    ]
    assert all(MANY_PERSONS not in f for f in flags_of(rows))


def test_night_is_from_eleven_in_the_evening_to_six_in_the_morning():
    at = lambda h, m=0: dt.datetime(2026, 3, 10, h, m)  # noqa: E731
    rows = [
        read(1, at=at(h, m), entry=i + 1)
        for i, (h, m) in enumerate([(22, 59), (23, 0), (2, 0), (5, 59), (6, 0)])
    ]
    assert [NIGHT in f for f in flags_of(rows)] == [False, True, True, True, False]


def test_reads_after_the_course_ended_and_the_grace_period_are_flagged():
    ends = {
        ("participant", 1): DAY.date() - dt.timedelta(days=31),
        ("participant", 3): DAY.date() - dt.timedelta(days=30),
    }
    caseloads = {
        CONTACT: Caseload(
            persons=frozenset({("participant", 1), ("participant", 2), ("participant", 3)})
        )
    }
    assert flags_of(
        [read(1), read(2), read(3)], caseloads=caseloads, ends=ends, rules=Rules(grace_days=30)
    ) == [
        {AFTER_COURSE},
        set(),
        set(),
    ]


def test_the_system_and_the_participants_own_links_are_never_flagged():
    night = dt.datetime(2026, 3, 10, 3, 0)
    assert flags_of(
        [read(2, at=night, user=None)], ends={("participant", 2): dt.date(2020, 1, 1)}
    ) == [set()]


def test_the_summary_counts_rows_per_flag():
    rows = flag_reads(
        [read(2), read(2, at=DAY.replace(hour=23), entry=9)],
        caseloads={},
        course_ends={},
        rules=RULES,
    )
    assert summary(rows) == {OUTSIDE_CASELOAD: 2, MANY_PERSONS: 0, NIGHT: 1, AFTER_COURSE: 0}
