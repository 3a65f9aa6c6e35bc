"""Plain data in and out of the matching engine. No Django here: the engine is tested and
benchmarked alone, and the Django side (kobling.matching.services) translates models to these.

Factors (each scored 0..1 per pair, multiplied by its weight):

* ``activity``      – overlap between the participant's preferred activities and the contact's
* ``distance``      – closeness of home areas (1 at 0 km, falling to 0 at the participant's limit
                      or the default limit)
* ``availability``  – overlap of weekly time windows
* ``target_group``  – the contact's competence with the participant's target groups
* ``preferences``   – the participant's wishes about the contact (gender, age range) that are
                      soft; musts are hard constraints
* ``language``      – a shared language the participant asked for (soft unless a must)

Hard constraints (a pair that breaks one is never proposed): a must about gender, age range or
language; a distance beyond the participant's stated limit; a contact to avoid (continuity after a
broken pair); a forbidden pair. A locked pair is always assigned (if it is feasible)."""

from __future__ import annotations

from dataclasses import dataclass, field

FACTORS: tuple[str, ...] = (
    "activity",
    "distance",
    "availability",
    "target_group",
    "preferences",
    "language",
)


@dataclass(frozen=True)
class TimeWindow:
    """A weekly window: weekday 0 = Monday, minutes since midnight."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class ParticipantSpec:
    id: int
    activities: frozenset[str] = frozenset()
    target_groups: frozenset[str] = frozenset()
    windows: tuple[TimeWindow, ...] = ()
    lat: float | None = None
    lon: float | None = None
    postcode: str = ""
    max_travel_km: float | None = None
    preferred_gender: str = ""
    gender_must: bool = False
    contact_age_min: int | None = None
    contact_age_max: int | None = None
    age_must: bool = False
    languages: frozenset[str] = frozenset()
    language_must: bool = False
    avoid_contacts: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ContactSpec:
    id: int
    capacity: int  # places left now (capacity minus open pairings)
    activities: frozenset[str] = frozenset()
    target_groups: frozenset[str] = frozenset()
    windows: tuple[TimeWindow, ...] = ()
    lat: float | None = None
    lon: float | None = None
    postcode: str = ""
    gender: str = ""
    age: int | None = None
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Weights:
    activity: float = 3.0
    distance: float = 2.0
    availability: float = 2.0
    target_group: float = 2.0
    preferences: float = 1.0
    language: float = 1.0

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in FACTORS}


@dataclass(frozen=True)
class Constraints:
    locked: frozenset[tuple[int, int]] = frozenset()  # (participant id, contact id)
    forbidden: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class FactorScore:
    """One factor's part of a pair's score. ``reason`` is a stable code and ``details`` its
    parameters, so the Django side can say it in the coordinator's language
    (e.g. reason "shared_activities", details {"shared": ["walking", "swimming"]})."""

    factor: str
    value: float  # 0..1
    weight: float
    contribution: float  # value * weight
    reason: str
    details: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Proposal:
    participant_id: int
    contact_id: int
    score: float  # sum of contributions
    factors: tuple[FactorScore, ...]
    locked: bool = False


@dataclass(frozen=True)
class Unmatched:
    participant_id: int
    reason: str  # "no_acceptable_contact" | "no_capacity" | "below_minimum_score"
    details: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class MatchResult:
    proposals: tuple[Proposal, ...]
    unmatched: tuple[Unmatched, ...]
    objective: float  # total score of the proposals
