"""The research dataset's rows, made from plain data: no Django, no ORM.

:mod:`kobling.research.dataset` loads the chosen referrals and what hangs off them into a
:class:`ResearchData` (local dates, codes, numbers) and writes what :func:`dataset_rows`
returns as CSV. Here: the pseudonyms, the coarsening, the days since the referral, the order
of the rows and the export's smallest group (docs/research.md has the rules)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

PSEUDONYM_LENGTH = 16  # hex characters: 64 bits, no collisions at municipal sizes


class Pseudonymiser:
    """HMAC-SHA256 of "kind:id" under this export's key, hex, truncated. The kind keeps a person
    and a pairing with the same database id apart."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("The key must be at least 32 bytes.")
        self._key = key

    def __call__(self, kind: str, pk: int | None) -> str:
        if pk is None:
            return ""
        digest = hmac.new(self._key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_LENGTH]

    def __repr__(self) -> str:  # never show the key, not even in a traceback
        return "Pseudonymiser(<key hidden>)"


# --- coarsening and group sizes -------------------------------------------------------------------


def birth_year_band(year: int) -> str:
    """The 5-year band of ``year``: 1983 → "1980-1984"."""
    start = year - year % 5
    return f"{start}-{start + 4}"


def quarter(day: dt.date) -> str:
    """The quarter of ``day``: 2025-08-14 → "2025-Q3"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def smallest_group(rows: dict[str, list[dict[str, Any]]]) -> int | None:
    """The number of participants in the smallest group sharing birth year (or band, as
    exported), gender and programme — the export's k in k-anonymity over those three columns. A
    participant referred to two programmes counts in both programmes' groups. ``None`` when the
    export has no participant."""
    people = {p["participant_id"]: (p["birth_year"], p["gender"]) for p in rows["participants.csv"]}
    groups: dict[tuple[Any, ...], set[str]] = {}
    for referral in rows["referrals.csv"]:
        who = referral["participant_id"]
        groups.setdefault((*people[who], referral["programme"]), set()).add(who)
    return min((len(members) for members in groups.values()), default=None)


def days(day: dt.date | None, since: dt.date) -> int | None:
    """Days from ``since`` (the day the referral was received) to ``day``; None: not happened."""
    return None if day is None else (day - since).days


# --- the plain data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    id: int
    kind: str


@dataclass(frozen=True)
class Referral:
    id: int
    participant_id: int
    birth_date: dt.date
    gender: str
    programme_id: int
    source: str
    received_on: dt.date  # local date
    status: str
    target_groups: tuple[str, ...] = ()
    # (day, outcome) of every decision, first to last (the last one stands).
    decisions: tuple[tuple[dt.date, str], ...] = ()


@dataclass(frozen=True)
class Pairing:
    id: int
    referral_id: int
    participant_id: int
    helper_id: int
    status: str
    confirmed_on: dt.date  # local date
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""
    handover_destination: str = ""


@dataclass(frozen=True)
class Session:
    """A session as it stands (corrections applied, withdrawn entries left out)."""

    pairing_id: int
    date: dt.date
    status: str
    minutes: int
    intensity: str = ""


@dataclass(frozen=True)
class Score:
    """A score of a standing review."""

    review_id: int
    pairing_id: int | None  # None: a review of a course no pairing delivers (group, provider)
    review_kind: str
    review_on: dt.date
    instrument_code: str
    instrument_version: str
    unit: str
    value: Decimal
    goal_id: int | None = None
    referral_id: int | None = None  # the course's referral


@dataclass(frozen=True)
class Course:
    """The participant's course (forløp) of a referral, whatever delivers it."""

    id: int
    referral_id: int
    delivery: str
    status: str
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""


@dataclass(frozen=True)
class ProviderVisit:
    """A visit at an outside provider (gym) as it stands (corrections applied)."""

    course_id: int
    date: dt.date
    attended: bool
    minutes: int
    source: str


@dataclass(frozen=True)
class Goal:
    id: int
    pairing_id: int
    status: str


@dataclass(frozen=True)
class FollowUp:
    pairing_id: int | None  # None: a course no pairing delivers (a group's, a rehabilitation)
    months: int
    answered: bool
    still_active: bool | None = None
    minutes_per_week: int | None = None
    course_id: int | None = None


@dataclass(frozen=True)
class RehabCourse:
    """The rehabilitation register's fields of a course (``rehab.RehabCourse``)."""

    course_id: int
    diagnosis: str
    icd10: str
    index_event: str
    index_date: dt.date
    referral_date: dt.date
    setting: str = ""
    format: str = ""
    sessions_offered: int = 0
    sessions_attended: int = 0
    completed: bool | None = None


@dataclass(frozen=True)
class ResearchData:
    """The chosen referrals (in the loader's order) and what hangs off them."""

    programmes: Sequence[Programme]
    referrals: Sequence[Referral] = ()
    pairings: Sequence[Pairing] = ()
    sessions: Sequence[Session] = ()
    scores: Sequence[Score] = ()
    goals: Sequence[Goal] = ()
    follow_ups: Sequence[FollowUp] = ()
    courses: Sequence[Course] = ()
    provider_visits: Sequence[ProviderVisit] = ()
    rehab_courses: Sequence[RehabCourse] = ()


# --- the rows -------------------------------------------------------------------------------------


def _sorted(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    # Sorted by pseudonym (and offset), never by database order, which follows time.
    return sorted(rows, key=lambda r: tuple(("" if r[k] is None else str(r[k])) for k in keys))


def dataset_rows(
    data: ResearchData, pseudonym: Pseudonymiser, *, bands: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Every data file's rows (file name → rows as column → value). With ``bands`` birth years
    are 5-year bands and referral months quarters. Programmes are P1, P2, … in id order."""
    programme_keys = {
        p.id: f"P{i}" for i, p in enumerate(sorted(data.programmes, key=lambda p: p.id), 1)
    }
    programme_kinds = {p.id: p.kind for p in data.programmes}
    received: dict[int, dt.date] = {}
    participants: dict[int, dict[str, Any]] = {}
    referral_rows = []
    for referral in data.referrals:
        since = referral.received_on
        received[referral.id] = since
        who = pseudonym("participant", referral.participant_id)
        year = referral.birth_date.year
        participants[referral.participant_id] = {
            "participant_id": who,
            "birth_year": birth_year_band(year) if bands else year,
            "gender": referral.gender,
        }
        first = referral.decisions[0] if referral.decisions else None
        final = referral.decisions[-1] if referral.decisions else None
        referral_rows.append(
            {
                "referral_id": pseudonym("referral", referral.id),
                "participant_id": who,
                "programme": programme_keys[referral.programme_id],
                "programme_kind": programme_kinds[referral.programme_id],
                "source": referral.source,
                "target_groups": ";".join(sorted(referral.target_groups)),
                "referral_month": quarter(since) if bands else f"{since:%Y-%m}",
                "status": referral.status,
                "first_decision_day": days(first[0], since) if first else None,
                "final_decision_outcome": final[1] if final else None,
                "final_decision_day": days(final[0], since) if final else None,
            }
        )

    since_pairing = {p.id: received[p.referral_id] for p in data.pairings}
    pairing_rows = [
        {
            "pairing_id": pseudonym("pairing", p.id),
            "referral_id": pseudonym("referral", p.referral_id),
            "participant_id": pseudonym("participant", p.participant_id),
            "helper_id": pseudonym("helper", p.helper_id),
            "status": p.status,
            "confirmed_day": days(p.confirmed_on, since_pairing[p.id]),
            "start_day": days(p.started_on, since_pairing[p.id]),
            "end_day": days(p.ended_on, since_pairing[p.id]),
            "end_reason": p.end_reason or None,
            "handover_destination": p.handover_destination or None,
        }
        for p in data.pairings
    ]
    session_rows = [
        {
            "pairing_id": pseudonym("pairing", s.pairing_id),
            "day": days(s.date, since_pairing[s.pairing_id]),
            "status": s.status,
            "minutes": s.minutes,
            "intensity": s.intensity or None,
        }
        for s in data.sessions
    ]
    score_rows = [
        {
            "pairing_id": pseudonym("pairing", s.pairing_id),
            "review_id": pseudonym("review", s.review_id),
            "review_kind": s.review_kind,
            "day": days(
                s.review_on,
                since_pairing[s.pairing_id]
                if s.pairing_id is not None
                else received[s.referral_id],  # type: ignore[index]
            ),
            "instrument_code": s.instrument_code,
            "instrument_version": s.instrument_version,
            "unit": s.unit,
            "value": s.value,
            "goal_id": pseudonym("goal", s.goal_id),
        }
        for s in data.scores
    ]
    goal_rows = [
        {
            "pairing_id": pseudonym("pairing", g.pairing_id),
            "goal_id": pseudonym("goal", g.id),
            "status": g.status,
        }
        for g in data.goals
    ]
    follow_up_rows = [
        {
            "pairing_id": pseudonym("pairing", u.pairing_id),
            "course_id": pseudonym("course", u.course_id),
            "months": u.months,
            "answered": u.answered,
            "still_active": u.still_active,
            "minutes_per_week": u.minutes_per_week,
        }
        for u in data.follow_ups
    ]
    course_rows = [
        {
            "course_id": pseudonym("course", c.id),
            "referral_id": pseudonym("referral", c.referral_id),
            "delivery": c.delivery,
            "status": c.status,
            "start_day": days(c.started_on, received[c.referral_id]),
            "end_day": days(c.ended_on, received[c.referral_id]),
            "end_reason": c.end_reason or None,
        }
        for c in data.courses
    ]
    since_course = {c.id: received[c.referral_id] for c in data.courses}
    visit_rows = [
        {
            "course_id": pseudonym("course", v.course_id),
            "day": days(v.date, since_course[v.course_id]),
            "attended": v.attended,
            "minutes": v.minutes,
            "source": v.source,
        }
        for v in data.provider_visits
    ]
    rehab_rows = [
        {
            "course_id": pseudonym("course", c.course_id),
            "diagnosis": c.diagnosis,
            "icd10": c.icd10,
            "index_event": c.index_event,
            "index_day": days(c.index_date, since_course[c.course_id]),
            "rehab_referral_day": days(c.referral_date, since_course[c.course_id]),
            "setting": c.setting or None,
            "format": c.format or None,
            "sessions_offered": c.sessions_offered,
            "sessions_attended": c.sessions_attended,
            "completed": c.completed,
        }
        for c in data.rehab_courses
    ]
    return {
        "participants.csv": _sorted(list(participants.values()), "participant_id"),
        "referrals.csv": _sorted(referral_rows, "participant_id", "referral_month", "referral_id"),
        "pairings.csv": _sorted(pairing_rows, "referral_id", "confirmed_day", "pairing_id"),
        "sessions.csv": sorted(
            session_rows, key=lambda r: (r["pairing_id"], r["day"], r["status"], r["minutes"])
        ),
        "review_scores.csv": sorted(
            score_rows,
            key=lambda r: (
                r["pairing_id"],
                r["day"],
                r["review_id"],
                r["instrument_code"],
                r["goal_id"],
            ),
        ),
        "goals.csv": _sorted(goal_rows, "pairing_id", "goal_id"),
        "follow_ups.csv": sorted(
            follow_up_rows, key=lambda r: (r["pairing_id"] or "", r["course_id"] or "", r["months"])
        ),
        "courses.csv": _sorted(course_rows, "referral_id", "course_id"),
        "provider_visits.csv": sorted(
            visit_rows, key=lambda r: (r["course_id"], r["day"], r["source"], r["minutes"])
        ),
        "rehab_courses.csv": _sorted(rehab_rows, "course_id"),
    }
