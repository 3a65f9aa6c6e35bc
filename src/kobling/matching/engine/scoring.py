"""Feature scoring: how well each participant fits each contact, and which pairs are impossible.

Three views of the same numbers:

* ``RowScorer`` scores participants × all contacts, a block of rows at a time (the engine
  streams the blocks straight into its cost matrix). Nothing loops over pairs in Python:
  activity, target group, the gender wish and every per-participant constant (neutral values)
  are one float64 matrix product of per-side features (a participant's weighted wishes, a
  contact's 0/1 attributes); overlapping minutes are one float32 product of 0/1 week covers
  (exact: whole minutes); distance is two 2-column products and a few in-place passes; age
  wishes, languages and the musts are comparisons on the rows that have them.
* ``Encoded.explain`` gives the factors of chosen pairs (the proposals) from the same
  features, vectorised over the pairs, with the reason details a coordinator reads.
* ``explain_pair`` scores one pair in plain Python: for "why (not) this contact?", and the
  reference the tests hold both vectorised paths to.

Factor values are in 0..1; a pair's score is the sum of weight × value (docs/matching.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import reasons as r
from .types import FACTORS, ContactSpec, FactorScore, ParticipantSpec, TimeWindow, Weights

EARTH_RADIUS_KM = 6371.0088
DEFAULT_LIMIT_KM = 15.0  # where the distance factor reaches 0 when the participant gave no limit
NEUTRAL = 0.5  # a factor with nothing to compare (no activities, no windows, no target group)
MINUTES_PER_DAY = 1440
# Scores are sums of a few floats; comparisons with min_score forgive this much rounding.
SCORE_EPS = 1e-9

Person = ParticipantSpec | ContactSpec


# ---------------------------------------------------------------------------------------------
# Definitions shared by all paths


def _check_window(w: TimeWindow) -> None:
    if not (0 <= w.weekday <= 6 and 0 <= w.start <= MINUTES_PER_DAY and 0 <= w.end <= 1440):
        raise ValueError(f"time window outside the week: {w}")
    if w.end < w.start:
        raise ValueError(f"time window ends before it starts: {w}")


def week_intervals(windows: Iterable[TimeWindow]) -> tuple[tuple[int, int], ...]:
    """Windows as disjoint, sorted [start, end) minutes since Monday 00:00 (overlaps merged,
    empty windows dropped). Raises ValueError for a window outside its day."""
    spans = []
    for w in windows:
        _check_window(w)
        if w.end > w.start:
            base = w.weekday * MINUTES_PER_DAY
            spans.append((base + w.start, base + w.end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return tuple(merged)


def _has_coords(x: Person) -> bool:
    return x.lat is not None and x.lon is not None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Straight-line (chord) distance in km: 2R·√hav. At municipal scale it is within
    centimetres of the great-circle distance (the difference is d³/24R², 3 cm at 30 km) and
    needs no arcsine."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p1 - p2) / 2)
    t = math.sin((math.radians(lon1) - math.radians(lon2)) / 2)
    return 2 * EARTH_RADIUS_KM * math.sqrt(a * a + math.cos(p1) * math.cos(p2) * t * t)


def postcode_level(a: str, b: str) -> tuple[str, float]:
    """How close two (non-empty) postcodes are: a level name and its value."""
    if a == b:
        return r.POSTCODE_LEVELS[0]
    if a[:2] == b[:2]:
        return r.POSTCODE_LEVELS[1]
    if a[:1] == b[:1]:
        return r.POSTCODE_LEVELS[2]
    return r.POSTCODE_LEVELS[3]


def _limit_km(p: ParticipantSpec) -> float:
    limit = DEFAULT_LIMIT_KM if p.max_travel_km is None else float(p.max_travel_km)
    return max(limit, 1e-9)


def _has_age_wish(p: ParticipantSpec) -> bool:
    return p.contact_age_min is not None or p.contact_age_max is not None


def _age_range(p: ParticipantSpec) -> tuple[float, float]:
    lo = -math.inf if p.contact_age_min is None else p.contact_age_min
    hi = math.inf if p.contact_age_max is None else p.contact_age_max
    return lo, hi


def _age_ok(p: ParticipantSpec, age: int | None) -> bool:
    lo, hi = _age_range(p)
    return age is not None and lo <= age <= hi


def _soft_wishes(p: ParticipantSpec) -> tuple[bool, bool]:
    """(gender wish, age wish) that are soft; a must is a hard constraint instead."""
    return bool(p.preferred_gender) and not p.gender_must, _has_age_wish(p) and not p.age_must


def _wishes(p: ParticipantSpec, c: ContactSpec) -> tuple[list[str], list[str]]:
    met: list[str] = []
    unmet: list[str] = []
    gender_wish, age_wish = _soft_wishes(p)
    if gender_wish:
        (met if c.gender == p.preferred_gender else unmet).append("gender")
    if age_wish:
        (met if _age_ok(p, c.age) else unmet).append("age")
    return met, unmet


def validate_weights(weights: Weights) -> None:
    for name, value in weights.as_dict().items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight {name} must be a finite number >= 0, got {value!r}")


# Each factor's reason code and details; shared by explain_pair and Encoded.explain.
Reason = tuple[str, dict]
_SHARE_CODES = {
    "activity": (r.SHARED_ACTIVITIES, r.NO_SHARED_ACTIVITIES, r.NO_ACTIVITY_PREFERENCE),
    "target_group": (r.TARGET_GROUP_COMPETENCE, r.NO_TARGET_GROUP_COMPETENCE, r.NO_TARGET_GROUP),
}


def _share_reason(name: str, p_set: frozenset[str], c_set: frozenset[str]) -> Reason:
    codes = _SHARE_CODES[name]
    if not p_set:
        return codes[2], {}
    shared = sorted(p_set & c_set)
    return (codes[0] if shared else codes[1]), {"shared": shared}


def _availability_reason(minutes: int, total: int, contact_has: bool) -> Reason:
    if not total or not contact_has:
        return r.NO_AVAILABILITY_GIVEN, {"missing": "participant" if not total else "contact"}
    reason = r.OVERLAPPING_TIME if minutes else r.NO_OVERLAPPING_TIME
    return reason, {"minutes": minutes, "of_minutes": total}


def _distance_reason(p: ParticipantSpec, c: ContactSpec, km: float) -> Reason:
    if _has_coords(p) and _has_coords(c):
        return r.BY_DISTANCE, {"km": round(km, 1), "limit_km": _limit_km(p)}
    if p.postcode and c.postcode:
        return r.BY_POSTCODE, {"match": postcode_level(p.postcode, c.postcode)[0]}
    missing = "participant" if not (_has_coords(p) or p.postcode) else "contact"
    return r.LOCATION_UNKNOWN, {"missing": missing}


def _preferences_reason(p: ParticipantSpec, c: ContactSpec) -> Reason:
    met, unmet = _wishes(p, c)
    if not (met or unmet):
        return r.NO_WISHES, {}
    reason = r.ALL_WISHES_MET if not unmet else r.SOME_WISHES_MET if met else r.NO_WISHES_MET
    return reason, {"met": met, "unmet": unmet}


def _language_reason(p: ParticipantSpec, c: ContactSpec) -> Reason:
    if not p.languages:
        return r.NO_LANGUAGE_PREFERENCE, {}
    shared = sorted(p.languages & c.languages)
    if shared:
        return r.SHARED_LANGUAGE, {"shared": shared}
    return r.NO_SHARED_LANGUAGE, {"asked": sorted(p.languages)}


def _factors(
    weights: Weights,
    values: Sequence[float],
    reasons: Sequence[Reason],
) -> tuple[FactorScore, ...]:
    """FactorScores in FACTORS order from their values and (reason, details)."""
    return tuple(
        FactorScore(name, v, w, v * w, reason, details)
        for name, w, v, (reason, details) in zip(
            FACTORS, weights.as_dict().values(), values, reasons, strict=True
        )
    )


# ---------------------------------------------------------------------------------------------
# One pair, in plain Python (the reference)


@dataclass(frozen=True)
class PairExplanation:
    """One pair scored in full: every factor with its reason, and the hard constraints it
    breaks (empty when the pair may be proposed)."""

    score: float
    factors: tuple[FactorScore, ...]
    violations: tuple[str, ...]


def pair_factors(p: ParticipantSpec, c: ContactSpec, weights: Weights) -> tuple[FactorScore, ...]:
    """The six factors of one pair, in FACTORS order."""
    activity = len(p.activities & c.activities) / len(p.activities) if p.activities else NEUTRAL
    target = (
        len(p.target_groups & c.target_groups) / len(p.target_groups)
        if p.target_groups
        else NEUTRAL
    )
    km = math.nan
    if _has_coords(p) and _has_coords(c):
        km = distance_km(p.lat, p.lon, c.lat, c.lon)  # type: ignore[arg-type]
        distance = max(0.0, 1.0 - km / _limit_km(p))
    elif p.postcode and c.postcode:
        distance = postcode_level(p.postcode, c.postcode)[1]
    else:
        distance = NEUTRAL
    pw, cw = week_intervals(p.windows), week_intervals(c.windows)
    total = sum(e - s for s, e in pw)
    minutes = sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in pw for s2, e2 in cw)
    availability = minutes / total if total and cw else NEUTRAL
    met, unmet = _wishes(p, c)
    preferences = len(met) / (len(met) + len(unmet)) if met or unmet else 1.0
    language = 1.0 if not p.languages or p.languages & c.languages else 0.0
    return _factors(
        weights,
        (activity, distance, availability, target, preferences, language),
        (
            _share_reason("activity", p.activities, c.activities),
            _distance_reason(p, c, km),
            _availability_reason(minutes, total, bool(cw)),
            _share_reason("target_group", p.target_groups, c.target_groups),
            _preferences_reason(p, c),
            _language_reason(p, c),
        ),
    )


def pair_violations(
    p: ParticipantSpec, c: ContactSpec, forbidden: frozenset[tuple[int, int]] = frozenset()
) -> tuple[str, ...]:
    """The hard constraints the pair breaks, in HARD_CONSTRAINTS order (places aside)."""
    out = []
    if p.gender_must and p.preferred_gender and c.gender != p.preferred_gender:
        out.append(r.GENDER_MUST_NOT_MET)
    if p.age_must and _has_age_wish(p) and not _age_ok(p, c.age):
        out.append(r.AGE_MUST_NOT_MET)
    if p.language_must and p.languages and not (p.languages & c.languages):
        out.append(r.LANGUAGE_MUST_NOT_MET)
    if (
        p.max_travel_km is not None
        and _has_coords(p)
        and _has_coords(c)
        and distance_km(p.lat, p.lon, c.lat, c.lon) > _limit_km(p)  # type: ignore[arg-type]
    ):
        out.append(r.BEYOND_MAX_TRAVEL)
    if c.id in p.avoid_contacts:
        out.append(r.AVOID_CONTACT)
    if (p.id, c.id) in forbidden:
        out.append(r.FORBIDDEN_PAIR)
    return tuple(out)


def explain_pair(
    p: ParticipantSpec,
    c: ContactSpec,
    weights: Weights = Weights(),  # noqa: B008 - frozen, so a shared default is safe
    forbidden: frozenset[tuple[int, int]] = frozenset(),
) -> PairExplanation:
    """Score one pair in words: for a coordinator asking "why (not) this contact?"."""
    factors = pair_factors(p, c, weights)
    return PairExplanation(
        score=math.fsum(f.contribution for f in factors),
        factors=factors,
        violations=pair_violations(p, c, forbidden),
    )


# ---------------------------------------------------------------------------------------------
# All pairs at once


@dataclass
class Bilinear:
    """A factor whose value is p[i] · c[j] + bias[i] (unweighted, in 0..1)."""

    p: np.ndarray  # P×K
    c: np.ndarray  # C×K
    bias: np.ndarray  # P

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return np.einsum("ik,ik->i", self.p[rows], self.c[cols]) + self.bias[rows]


@dataclass
class ScoreTable:
    """Scores and feasibility of every pair (rows: participants, columns: contacts)."""

    score: np.ndarray  # P×C float64
    feasible: np.ndarray  # P×C bool: no hard constraint broken (places aside)
    excluded_by: dict[str, np.ndarray]  # constraint -> per participant, contacts it excludes


def _index(items: Iterable[str]) -> dict[str, int]:
    return {x: i for i, x in enumerate(sorted(set(items)))}


def _members(sets: Sequence[Iterable[str]], index: dict[str, int]) -> np.ndarray:
    """0/1 matrix: row i has a 1 in the column of every code of sets[i] that index knows."""
    out = np.zeros((len(sets), len(index)))
    rows = [i for i, s in enumerate(sets) for x in s if x in index]
    cols = [index[x] for s in sets for x in s if x in index]
    out[rows, cols] = 1.0
    return out


def _share(p_sets: Sequence[frozenset[str]], c_sets: Sequence[frozenset[str]]) -> Bilinear:
    """|p ∩ c| / |p|; NEUTRAL for participants with an empty set."""
    index = _index(x for s in p_sets for x in s)
    p, c = _members(p_sets, index), _members(c_sets, index)
    sizes = p.sum(axis=1)
    has = sizes > 0
    p[has] /= sizes[has, None]
    return Bilinear(p, c, np.where(has, 0.0, NEUTRAL))


def _flat_windows(xs: Sequence[Person]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Everyone's non-empty windows as (row, start, end) arrays in minutes since Monday 00:00;
    ValueError for a window outside its day or ending before it starts."""
    counts = np.fromiter((len(x.windows) for x in xs), np.int64, len(xs))
    values = np.fromiter(
        (v for x in xs for w in x.windows for v in (w.weekday, w.start, w.end)),
        np.int64,
        3 * int(counts.sum()),
    ).reshape(-1, 3)
    day, start, end = values.T
    outside = (day < 0) | (day > 6) | (start < 0) | (start > 1440) | (end < 0) | (end > 1440)
    for bad in (outside, end < start):
        if bad.any():
            _check_window(TimeWindow(*(int(v) for v in values[np.argmax(bad)])))
    rows = np.repeat(np.arange(len(xs)), counts)
    keep = end > start
    base = day * MINUTES_PER_DAY
    return rows[keep], (base + start)[keep], (base + end)[keep]


class _Week:
    """Everyone's windows cut at every window edge into elementary intervals: each side is a
    0/1 cover over them, and overlapping minutes are a product weighted by their lengths."""

    def __init__(self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]):
        p_flat, c_flat = _flat_windows(participants), _flat_windows(contacts)
        self.edges = np.unique(np.concatenate([p_flat[1], p_flat[2], c_flat[1], c_flat[2]]))
        self.lengths = np.diff(self.edges).astype(float)
        self.p_cover = self._cover(len(participants), *p_flat)
        self.c_cover = self._cover(len(contacts), *c_flat)
        self.totals = self.p_cover @ self.lengths  # each participant's minutes (overlaps once)
        self.c_has = self.c_cover.any(axis=1)

    def _cover(self, n: int, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """cover[i, k]: row i has a window over elementary interval k (a +1 at each window's
        first interval and a −1 after its last, summed along the week)."""
        width = len(self.lengths) + 1
        first = rows * width + np.searchsorted(self.edges, starts)
        after = rows * width + np.searchsorted(self.edges, ends)
        diff = np.bincount(first, minlength=n * width) - np.bincount(after, minlength=n * width)
        return np.cumsum(diff.reshape(n, width)[:, :-1], axis=1) > 0

    def minutes(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Overlapping minutes of the pairs (rows[k], cols[k])."""
        return (self.p_cover[rows] & self.c_cover[cols]) @ self.lengths

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """overlap / the participant's minutes; NEUTRAL when either side gave no windows."""
        totals = self.totals[rows]
        known = (totals > 0) & self.c_has[cols]
        return np.where(known, self.minutes(rows, cols) / np.where(known, totals, 1.0), NEUTRAL)


class _Wishes:
    """Share of the soft wishes met, each worth 1 / number of wishes (1 with no wishes): the
    gender wish is bilinear (contacts one-hot by gender); the age range is compared directly."""

    def __init__(self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]):
        genders = _index(c.gender for c in contacts if c.gender)
        n = len(participants)
        gender, bias = np.zeros((n, len(genders))), np.zeros(n)
        self.age_share = np.zeros(n)
        self.age_lo, self.age_hi = np.full(n, -np.inf), np.full(n, np.inf)
        for i, x in enumerate(participants):
            gender_wish, age_wish = _soft_wishes(x)
            wishes = gender_wish + age_wish
            if not wishes:
                bias[i] = 1.0
            if gender_wish and x.preferred_gender in genders:
                gender[i, genders[x.preferred_gender]] = 1.0 / wishes
            if age_wish:
                self.age_share[i] = 1.0 / wishes
                self.age_lo[i], self.age_hi[i] = _age_range(x)
        self.gender = Bilinear(gender, _members([(x.gender,) for x in contacts], genders), bias)
        self.c_age = np.fromiter(
            (np.nan if x.age is None else x.age for x in contacts), float, len(contacts)
        )

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        age = self.c_age[cols]
        met = (age >= self.age_lo[rows]) & (age <= self.age_hi[rows])
        return self.gender.pairs(rows, cols) + self.age_share[rows] * met


class _Languages:
    """1 when the contact speaks any language the participant asked for (1 when none asked).
    Each distinct asked SET is a column of ``speaks`` (contacts × sets, 0/1)."""

    def __init__(self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]):
        sets = sorted({x.languages for x in participants if x.languages}, key=sorted)
        set_col = {s: k for k, s in enumerate(sets)}
        codes = _index(code for s in sets for code in s)
        shared = _members([x.languages for x in contacts], codes) @ _members(sets, codes).T
        self.speaks = (shared > 0.5).astype(float).reshape(len(contacts), len(sets))
        self.set_of = np.fromiter(
            (set_col[x.languages] if x.languages else -1 for x in participants),
            np.int64,
            len(participants),
        )

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        sets = self.set_of[rows]
        if not self.speaks.shape[1]:
            return np.ones(len(rows))
        return np.where(sets >= 0, self.speaks[cols, np.maximum(sets, 0)], 1.0)


class _Geo:
    """Coordinates as per-side half-angle sines and cosines: sin((x1 − x2)/2) is a 2-column
    product of them, so the haversine needs no per-pair trigonometry and stays well
    conditioned (no 1 − cos cancellation)."""

    def __init__(self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]):
        self.p_has = np.fromiter((_has_coords(x) for x in participants), bool, len(participants))
        self.c_has = np.fromiter((_has_coords(x) for x in contacts), bool, len(contacts))
        self.p_lat, self.p_lon = self._radians(participants, self.p_has)
        self.c_lat, self.c_lon = self._radians(contacts, self.c_has)
        self.limits = np.fromiter((_limit_km(x) for x in participants), float, len(participants))
        self.hard = self.p_has & np.fromiter(
            (x.max_travel_km is not None for x in participants), bool, len(participants)
        )

    @staticmethod
    def _radians(xs: Sequence[Person], has: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat = np.fromiter((x.lat if h else 0.0 for x, h in zip(xs, has, strict=True)), float)
        lon = np.fromiter((x.lon if h else 0.0 for x, h in zip(xs, has, strict=True)), float)
        return np.radians(lat), np.radians(lon)

    def halves(self, scale: np.ndarray | float, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Left (participants ``rows``) and right (all contacts) factors of sin(Δlat/2) and of
        √(cos lat1 cos lat2)·sin(Δlon/2), the left rows multiplied by ``scale``: the products
        of left and right are scale × sin((x1 − x2)/2) by the angle-difference identity."""
        p_lat, p_lon = self.p_lat[rows], self.p_lon[rows]
        s = np.broadcast_to(np.asarray(scale, float), p_lat.shape)

        def pair(p: np.ndarray, c: np.ndarray, pr: np.ndarray, cr: np.ndarray | float) -> tuple:
            left = np.stack([np.sin(p / 2), -np.cos(p / 2)], axis=1) * np.reshape(pr, (-1, 1))
            right = np.stack([np.cos(c / 2), np.sin(c / 2)], axis=1) * np.reshape(cr, (-1, 1))
            return left, right

        lat_l, lat_r = pair(p_lat, self.c_lat, s, 1.0)
        lon_l, lon_r = pair(
            p_lon, self.c_lon, s * np.sqrt(np.cos(p_lat)), np.sqrt(np.cos(self.c_lat))
        )
        return lat_l, lat_r, lon_l, lon_r

    def km(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """km of the pairs (rows[k], cols[k]) (garbage where a side has no coordinates)."""
        lat_l, lat_r, lon_l, lon_r = self.halves(2 * EARTH_RADIUS_KM, rows)
        a = np.einsum("ik,ik->i", lat_l, lat_r[cols])
        t = np.einsum("ik,ik->i", lon_l, lon_r[cols])
        return np.sqrt(a * a + t * t)


class _Postcodes:
    """Postcodes as integer codes per level (first digit, first two, whole; −1 if missing)."""

    LEVELS = ((1, r.POSTCODE_LEVELS[2][1]), (2, r.POSTCODE_LEVELS[1][1]), (None, 1.0))

    def __init__(self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]):
        p_codes = [x.postcode for x in participants]
        c_codes = [x.postcode for x in contacts]
        known = sorted((set(p_codes) | set(c_codes)) - {""})
        at = {code: k for k, code in enumerate(known)}
        p_at = np.fromiter((at.get(code, -1) for code in p_codes), np.int64, len(p_codes))
        c_at = np.fromiter((at.get(code, -1) for code in c_codes), np.int64, len(c_codes))
        self.p, self.c = [], []
        for n, _ in self.LEVELS:
            prefixes = _index(code[:n] for code in known)
            level = np.asarray([prefixes[code[:n]] for code in known] + [-1], np.int64)
            self.p.append(level[p_at])  # index −1 picks the trailing −1: no postcode
            self.c.append(level[c_at])

    def values(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Postcode proximity of participants rows × contacts cols (NEUTRAL where missing)."""
        value = np.zeros((len(rows), len(cols)))
        for (_, v), p, c in zip(self.LEVELS, self.p, self.c, strict=True):
            value[p[rows][:, None] == c[cols][None, :]] = v
        unknown = (self.p[0][rows] < 0)[:, None] | (self.c[0][cols] < 0)[None, :]
        value[unknown] = NEUTRAL
        return value


class Encoded:
    """Both sides turned into arrays once, for RowScorer and for explaining chosen pairs."""

    def __init__(
        self, participants: Sequence[ParticipantSpec], contacts: Sequence[ContactSpec]
    ) -> None:
        self.participants, self.contacts = participants, contacts
        self.week = _Week(participants, contacts)
        self.geo = _Geo(participants, contacts)
        self.postcodes = _Postcodes(participants, contacts)
        self.wishes = _Wishes(participants, contacts)
        self.languages = _Languages(participants, contacts)
        self.activity = _share(
            [x.activities for x in participants], [x.activities for x in contacts]
        )
        self.target_group = _share(
            [x.target_groups for x in participants], [x.target_groups for x in contacts]
        )
        # Each factor but distance, by name, for explaining pairs.
        self.factors: dict[str, Bilinear | _Week | _Wishes | _Languages] = {
            "activity": self.activity,
            "availability": self.week,
            "target_group": self.target_group,
            "preferences": self.wishes,
            "language": self.languages,
        }

    def scorer(
        self,
        weights: Weights,
        rows: np.ndarray,
        forbidden: frozenset[tuple[int, int]] = frozenset(),
        sign: float = 1.0,
    ) -> RowScorer:
        """A scorer for the participants ``rows`` against every contact."""
        return RowScorer(self, weights, rows, forbidden, sign)

    def explain(
        self, rows: Sequence[int], cols: Sequence[int], weights: Weights
    ) -> list[tuple[FactorScore, ...]]:
        """The factors of pairs (rows[k], cols[k]), as pair_factors would give them, computed
        from the same features as the scores (vectorised over the pairs)."""
        if not len(rows):
            return []
        ri, ci = np.asarray(rows), np.asarray(cols)
        values = {name: f.pairs(ri, ci).tolist() for name, f in self.factors.items()}
        geo = self.geo
        km = geo.km(ri, ci)
        distance = np.maximum(0.0, 1.0 - km / geo.limits[ri]).tolist()
        km_list = km.tolist()
        for k in np.flatnonzero(~(geo.p_has[ri] & geo.c_has[ci])).tolist():
            p, c = self.participants[rows[k]], self.contacts[cols[k]]
            distance[k] = (
                postcode_level(p.postcode, c.postcode)[1] if p.postcode and c.postcode else NEUTRAL
            )
        minutes = self.week.minutes(ri, ci).astype(int).tolist()
        totals = self.week.totals[ri].astype(int).tolist()
        c_has = self.week.c_has[ci].tolist()
        wa, wd, wv, wt, wp, wl = weights.as_dict().values()
        activity, target = values["activity"], values["target_group"]
        time, wishes, language = values["availability"], values["preferences"], values["language"]
        out = []
        for k, (i, j) in enumerate(zip(rows, cols, strict=True)):
            p, c = self.participants[i], self.contacts[j]
            va, vd, vv, vt, vp, vl = (
                activity[k],
                distance[k],
                time[k],
                target[k],
                wishes[k],
                language[k],
            )
            out.append(
                (
                    FactorScore(
                        "activity",
                        va,
                        wa,
                        va * wa,
                        *_share_reason("activity", p.activities, c.activities),
                    ),
                    FactorScore("distance", vd, wd, vd * wd, *_distance_reason(p, c, km_list[k])),
                    FactorScore(
                        "availability",
                        vv,
                        wv,
                        vv * wv,
                        *_availability_reason(minutes[k], totals[k], c_has[k]),
                    ),
                    FactorScore(
                        "target_group",
                        vt,
                        wt,
                        vt * wt,
                        *_share_reason("target_group", p.target_groups, c.target_groups),
                    ),
                    FactorScore("preferences", vp, wp, vp * wp, *_preferences_reason(p, c)),
                    FactorScore("language", vl, wl, vl * wl, *_language_reason(p, c)),
                )
            )
        return out


class RowScorer:
    """Scores a block of participant rows against all contacts at a time, so that the caller
    can stream the P×C work through a cache-sized buffer straight into its cost matrix.

    ``block(k0, k1, out, blocked)`` writes sign × score of rows[k0:k1] into ``out`` (any
    (k1 − k0) × C float64 view; sign −1 gives the solver's costs) and marks in ``blocked`` the
    pairs that break a hard constraint (places aside). ``excluded`` counts, per hard
    constraint and row, the contacts it rules out."""

    def __init__(
        self,
        enc: Encoded,
        weights: Weights,
        rows: np.ndarray,
        forbidden: frozenset[tuple[int, int]],
        sign: float,
    ) -> None:
        ps, cs = enc.participants, enc.contacts
        self.rows = rows = np.asarray(rows, np.int64)
        self.n_contacts = n_c = len(cs)
        w = weights.as_dict()
        self.excluded = {name: np.zeros(len(rows), np.int64) for name in r.HARD_CONSTRAINTS}

        # One float64 product for activity, target group, the gender wish, a contact without
        # windows, and all per-participant constants (neutral values, and the full distance
        # weight that the distance pass subtracts from).
        act, target = enc.activity, enc.target_group
        week, wishes, langs = enc.week, enc.wishes, enc.languages
        p_has_time = week.totals > 0
        bias = (
            w["activity"] * act.bias
            + w["target_group"] * target.bias
            + w["preferences"] * wishes.gender.bias
            + w["availability"] * NEUTRAL * ~p_has_time
            + w["language"] * (langs.set_of < 0)
            + w["distance"]
        )
        left = np.hstack(
            [
                w["activity"] * act.p,
                w["target_group"] * target.p,
                w["preferences"] * wishes.gender.p,
                (w["availability"] * NEUTRAL * p_has_time)[:, None],
                bias[:, None],
            ]
        )
        self.left = sign * left[rows]
        self.right = np.hstack(
            [
                act.c,
                target.c,
                wishes.gender.c,
                (~week.c_has).astype(float)[:, None],
                np.ones((n_c, 1)),
            ]
        )
        # Overlapping minutes: a float32 product of 0/1 covers weighted by interval lengths,
        # exact (whole minutes, far below 2**24) and twice as fast as float64; then scaled by
        # weight / the participant's minutes. Only intervals both sides use are kept.
        p_cover = week.p_cover[rows]
        keep = p_cover.any(axis=0) & week.c_cover.any(axis=0)
        self.use_time = bool(keep.any()) and w["availability"] > 0
        self.time_left = (p_cover[:, keep] * week.lengths[keep]).astype(np.float32)
        self.time_right = week.c_cover[:, keep].astype(np.float32)
        totals = week.totals[rows]
        self.time_scale = sign * w["availability"] / np.where(totals > 0, totals, np.inf)
        # Soft age wishes and asked languages: direct comparisons on the rows that have them.
        self.age_local = np.flatnonzero(wishes.age_share[rows] > 0)
        at = rows[self.age_local]
        self.age_coef = sign * w["preferences"] * wishes.age_share[at]
        self.age_lo, self.age_hi = wishes.age_lo[at], wishes.age_hi[at]
        self.c_age = wishes.c_age
        self.lang_set = langs.set_of[rows]
        self.lang_local = (
            np.flatnonzero(self.lang_set >= 0) if w["language"] > 0 else np.zeros(0, int)
        )
        self.lang_coef = sign * w["language"]
        self.speaks = langs.speaks
        self._scratch: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._beyond = np.empty((0, n_c), bool)

        # Distance: x = unit × km / limit; the score loses weight × min(1, km / limit).
        geo = enc.geo
        self.weight = w["distance"]
        self.unit = self.weight if self.weight > 0 else 1.0  # the hard limits need km anyway
        self.sign = sign
        self.hard = geo.hard[rows]
        # x > hard_at means beyond the participant's stated limit (x = unit × km / limit).
        self.hard_at = np.where(self.hard, self.unit, np.inf)
        self.use_coords = (
            geo.p_has.any() and geo.c_has.any() and (self.weight > 0 or self.hard.any())
        )
        if self.use_coords:
            scale = (self.unit * 2 * EARTH_RADIUS_KM / geo.limits)[rows]
            lat_l, self.lat_r, lon_l, self.lon_r = geo.halves(scale, rows)
            self.lat_l, self.lon_l = lat_l, lon_l
        self.c_has = geo.c_has
        self.local_no_coords = np.flatnonzero(~geo.p_has[rows])
        self.cols_no_coords = np.flatnonzero(~geo.c_has)
        # Where a side has no coordinates, x is weight × (1 − postcode proximity).
        postcodes = enc.postcodes
        self.pc_rows = (
            self.weight * (1.0 - postcodes.values(rows[self.local_no_coords], np.arange(n_c)))
            if len(self.local_no_coords)
            else None
        )
        self.pc_cols = (
            self.weight * (1.0 - postcodes.values(rows, self.cols_no_coords))
            if len(self.cols_no_coords)
            else None
        )

        # Musts, as per-row codes compared against per-contact codes.
        sub = [ps[i] for i in rows]
        genders = _index([c.gender for c in cs] + [p.preferred_gender for p in sub])
        self.c_gender = np.fromiter((genders[c.gender] for c in cs), np.int64, n_c)
        self.p_gender = np.fromiter(
            (
                genders[p.preferred_gender] if p.gender_must and p.preferred_gender else -1
                for p in sub
            ),
            np.int64,
            len(sub),
        )
        age_must = [p.age_must and _has_age_wish(p) for p in sub]
        self.age_must = np.asarray(age_must, bool)
        ranges = np.asarray([_age_range(p) for p in sub], float).reshape(-1, 2)
        self.must_lo, self.must_hi = ranges[:, 0], ranges[:, 1]
        self.lang_must = np.fromiter(
            (p.language_must and bool(p.languages) for p in sub), bool, len(sub)
        )

        # Avoided and forbidden pairs, by local row.
        p_local = {ps[i].id: k for k, i in enumerate(rows.tolist())}
        c_at = {c.id: j for j, c in enumerate(cs)}
        self.banned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        avoid = {
            (k, c_at[cid]) for k, p in enumerate(sub) for cid in p.avoid_contacts if cid in c_at
        }
        banned = {
            (p_local[pid], c_at[cid]) for pid, cid in forbidden if pid in p_local and cid in c_at
        }
        for name, pairs in ((r.AVOID_CONTACT, avoid), (r.FORBIDDEN_PAIR, banned)):
            arr = np.asarray(sorted(pairs), np.int64).reshape(-1, 2)
            self.banned[name] = (arr[:, 0], arr[:, 1])
            np.add.at(self.excluded[name], arr[:, 0], 1)

    def block(self, k0: int, k1: int, out: np.ndarray, blocked: np.ndarray) -> None:
        first, second, minutes = self._buffers(k1 - k0)
        np.matmul(self.left[k0:k1], self.right.T, out=out)
        if self.use_time:
            np.matmul(self.time_left[k0:k1], self.time_right.T, out=minutes)
            np.multiply(minutes, self.time_scale[k0:k1, None], out=first)
            np.add(out, first, out=out)
        lo, hi = np.searchsorted(self.age_local, [k0, k1])
        if hi > lo:
            local = self.age_local[lo:hi] - k0
            age = self.c_age[None, :]
            met = (age >= self.age_lo[lo:hi, None]) & (age <= self.age_hi[lo:hi, None])
            out[local] += self.age_coef[lo:hi, None] * met
        lo, hi = np.searchsorted(self.lang_local, [k0, k1])
        if hi > lo:
            local = self.lang_local[lo:hi] - k0
            out[local] += self.lang_coef * self.speaks[:, self.lang_set[k0 + local]].T
        blocked.fill(False)
        self._distance(k0, k1, out, blocked, first, second)
        self._musts(k0, k1, blocked)
        for rows, cols in self.banned.values():
            lo, hi = np.searchsorted(rows, [k0, k1])
            blocked[rows[lo:hi] - k0, cols[lo:hi]] = True

    def _buffers(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scratch space for a block of m rows, reused from block to block."""
        if m not in self._scratch:
            n = self.n_contacts
            self._scratch[m] = (np.empty((m, n)), np.empty((m, n)), np.empty((m, n), np.float32))
            if len(self._beyond) < m:
                self._beyond = np.empty((m, n), bool)
        return self._scratch[m]

    def _distance(
        self,
        k0: int,
        k1: int,
        out: np.ndarray,
        blocked: np.ndarray,
        x: np.ndarray,
        t: np.ndarray,
    ) -> None:
        if self.use_coords:
            np.matmul(self.lat_l[k0:k1], self.lat_r.T, out=x)
            np.matmul(self.lon_l[k0:k1], self.lon_r.T, out=t)
            np.multiply(x, x, out=x)
            np.multiply(t, t, out=t)
            np.add(x, t, out=x)
            np.sqrt(x, out=x)  # unit × km / limit
            if self.hard[k0:k1].any():
                beyond = np.greater(x, self.hard_at[k0:k1, None], out=self._beyond[: k1 - k0])
                beyond[:, self.cols_no_coords] = False
                self.excluded[r.BEYOND_MAX_TRAVEL][k0:k1] += np.count_nonzero(beyond, axis=1)
                np.logical_or(blocked, beyond, out=blocked)
        if self.weight == 0:
            return
        if self.use_coords:
            np.minimum(x, self.weight, out=x)
        if self.pc_rows is not None:
            lo, hi = np.searchsorted(self.local_no_coords, [k0, k1])
            if hi > lo:
                local = self.local_no_coords[lo:hi]
                x[local - k0] = self.pc_rows[lo:hi]
        if self.pc_cols is not None:
            x[:, self.cols_no_coords] = self.pc_cols[k0:k1]
        if self.sign > 0:
            np.subtract(out, x, out=out)
        else:
            np.add(out, x, out=out)

    def _musts(self, k0: int, k1: int, blocked: np.ndarray) -> None:
        def restrict(name: str, local: np.ndarray, violates: np.ndarray) -> None:
            blocked[local] |= violates
            self.excluded[name][k0 + local] += np.count_nonzero(violates, axis=1)

        local = np.flatnonzero(self.p_gender[k0:k1] >= 0)
        if len(local):
            pg = self.p_gender[k0 + local]
            restrict(r.GENDER_MUST_NOT_MET, local, self.c_gender[None, :] != pg[:, None])
        local = np.flatnonzero(self.age_must[k0:k1])
        if len(local):
            lo, hi = self.must_lo[k0 + local], self.must_hi[k0 + local]
            age = self.c_age[None, :]
            restrict(r.AGE_MUST_NOT_MET, local, ~((age >= lo[:, None]) & (age <= hi[:, None])))
        local = np.flatnonzero(self.lang_must[k0:k1])
        if len(local):
            speaks = self.speaks[:, self.lang_set[k0 + local]].T
            restrict(r.LANGUAGE_MUST_NOT_MET, local, speaks < 0.5)


BLOCK_PAIRS = 131072  # pairs per block: the temporaries of a block (~30 bytes a pair) stay in cache


def block_rows(n_contacts: int) -> int:
    """Rows per block of the streamed scoring."""
    return max(8, BLOCK_PAIRS // max(n_contacts, 1))


def score_matrix(
    participants: Sequence[ParticipantSpec],
    contacts: Sequence[ContactSpec],
    weights: Weights,
    forbidden: frozenset[tuple[int, int]] = frozenset(),
) -> ScoreTable:
    """Score and check every pair (the whole matrix; the engine streams blocks instead)."""
    enc = Encoded(participants, contacts)
    n_p, n_c = len(participants), len(contacts)
    scorer = enc.scorer(weights, np.arange(n_p), forbidden)
    score, blocked = np.zeros((n_p, n_c)), np.zeros((n_p, n_c), bool)
    if n_c:
        step = block_rows(n_c)
        for k0 in range(0, n_p, step):
            k1 = min(k0 + step, n_p)
            scorer.block(k0, k1, score[k0:k1], blocked[k0:k1])
    return ScoreTable(score, ~blocked, scorer.excluded)


__all__ = [
    "DEFAULT_LIMIT_KM",
    "FACTORS",
    "NEUTRAL",
    "Encoded",
    "PairExplanation",
    "RowScorer",
    "ScoreTable",
    "distance_km",
    "explain_pair",
    "pair_factors",
    "pair_violations",
    "score_matrix",
    "validate_weights",
    "week_intervals",
]
