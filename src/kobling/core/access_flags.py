"""The access-log review's flags, as one pure function over plain rows (no Django): the loader
(:mod:`kobling.core.access_review`) reads the audit log into :class:`PersonRead` rows and
:class:`Caseload` sets, and :func:`flag_reads` says which rows deserve a look.

The four flags — each a prompt for the privacy officer, not a verdict:

* ``outside_caseload`` — the user touched a person outside their caseload: not in a
  municipality where they see everyone (coordinator, municipal admin), and not one of the
  people their work gives them (the referrer's own referrals, the contact's pairs and groups,
  the provider's trainees, a contact's own helper record). See docs/access-review.md.
* ``many_persons`` — the user touched at least ``burst_persons`` different people within
  ``burst_minutes`` (every row inside such a window is flagged).
* ``night`` — at or after ``night_start`` or before ``night_end``, local time.
* ``after_course`` — more than ``grace_days`` after the person's last course (forløp) ended,
  when none is open.

Rows without a user (the system, a participant's signed link) are never flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

OUTSIDE_CASELOAD = "outside_caseload"
MANY_PERSONS = "many_persons"
NIGHT = "night"
AFTER_COURSE = "after_course"
FLAGS = (OUTSIDE_CASELOAD, MANY_PERSONS, NIGHT, AFTER_COURSE)

# ("participant", 12) or ("helper", 4): a person, whatever record of theirs was touched.
PersonRef = tuple[str, int]


@dataclass(frozen=True)
class PersonRead:
    """One person touched by one audit entry (a list read touches several: one row each)."""

    entry_id: int
    at: dt.datetime  # local time (Europe/Oslo)
    user_id: int | None
    municipality_id: int | None
    person: PersonRef


@dataclass(frozen=True)
class Caseload:
    """Whom a user may touch in their work: everyone in ``municipality_ids``, and ``persons``
    anywhere."""

    municipality_ids: frozenset[int] = frozenset()
    persons: frozenset[PersonRef] = frozenset()

    def covers(self, municipality_id: int | None, person: PersonRef) -> bool:
        return municipality_id in self.municipality_ids or person in self.persons


@dataclass(frozen=True)
class Rules:
    burst_persons: int = 100
    burst_minutes: int = 15
    night_start: dt.time = dt.time(23, 0)
    night_end: dt.time = dt.time(6, 0)
    grace_days: int = 400


@dataclass
class Flagged:
    read: PersonRead
    flags: set[str] = field(default_factory=set)


NO_CASELOAD = Caseload()


def is_night(at: dt.datetime, rules: Rules) -> bool:
    t = at.time()
    if rules.night_start <= rules.night_end:  # a window that does not cross midnight
        return rules.night_start <= t < rules.night_end
    return t >= rules.night_start or t < rules.night_end


def flag_reads(
    reads: Iterable[PersonRead],
    *,
    caseloads: Mapping[int, Caseload],
    course_ends: Mapping[PersonRef, dt.date | None],
    rules: Rules,
) -> list[Flagged]:
    """Every read with the set of flags it raises, in the order given. ``caseloads`` by user
    id (a user missing has none); ``course_ends`` by person: the day their last course ended
    when none is open (missing or ``None``: open, or never had one). One pass per rule;
    ``many_persons`` slides a window over each user's reads in time order."""
    rows = [Flagged(read) for read in reads]
    by_user: dict[int, list[Flagged]] = defaultdict(list)
    grace = dt.timedelta(days=rules.grace_days)
    for row in rows:
        read = row.read
        if read.user_id is None:
            continue
        by_user[read.user_id].append(row)
        if not caseloads.get(read.user_id, NO_CASELOAD).covers(read.municipality_id, read.person):
            row.flags.add(OUTSIDE_CASELOAD)
        if is_night(read.at, rules):
            row.flags.add(NIGHT)
        ended = course_ends.get(read.person)
        if ended is not None and read.at.date() > ended + grace:
            row.flags.add(AFTER_COURSE)
    window = dt.timedelta(minutes=rules.burst_minutes)
    for user_rows in by_user.values():
        _flag_bursts(sorted(user_rows, key=lambda r: r.read.at), window, rules.burst_persons)
    return rows


def _flag_bursts(rows: list[Flagged], window: dt.timedelta, threshold: int) -> None:
    """Two pointers over one user's reads in time order: whenever the window ending at a read
    holds ``threshold`` distinct people, every read in it is flagged (each at most once)."""
    if threshold < 1:
        return
    seen: Counter[PersonRef] = Counter()
    left = 0
    marked_to = -1  # rows[..marked_to] are flagged already
    for right, row in enumerate(rows):
        seen[row.read.person] += 1
        while row.read.at - rows[left].read.at > window:
            gone = rows[left].read.person
            seen[gone] -= 1
            if not seen[gone]:
                del seen[gone]
            left += 1
        if len(seen) >= threshold:
            for i in range(max(left, marked_to + 1), right + 1):
                rows[i].flags.add(MANY_PERSONS)
            marked_to = right


def summary(rows: Iterable[Flagged]) -> dict[str, int]:
    """How many rows raise each flag (every flag present, zero when none)."""
    counts = dict.fromkeys(FLAGS, 0)
    for row in rows:
        for flag in row.flags:
            counts[flag] += 1
    return counts
