"""A deterministic synthetic matching problem for the benchmark (and for tests): a municipality
of a few settlements within ~30 km, people with 2–5 of 14 activities, 1–3 of 10 target groups,
1–4 weekly windows on a half-hour grid, some language, gender and age wishes (some of them musts),
some travel limits, contacts with 1–3 places, and a few avoided, forbidden and locked pairs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .types import Constraints, ContactSpec, ParticipantSpec, TimeWindow

ACTIVITIES = (
    "walking",
    "hiking",
    "swimming",
    "cycling",
    "strength",
    "yoga",
    "dance",
    "football",
    "skiing",
    "fishing",
    "gardening",
    "bowling",
    "table_tennis",
    "climbing",
)
TARGET_GROUPS = (
    "mental_health",
    "substance_use",
    "elderly",
    "youth",
    "disability",
    "chronic_pain",
    "obesity",
    "immigrants",
    "social_isolation",
    "rehabilitation",
)
OTHER_LANGUAGES = ("en", "ar", "so", "pl", "uk", "ti", "fa")
CENTRE = (63.10, 10.40)  # somewhere in Trøndelag
KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True)
class Problem:
    participants: tuple[ParticipantSpec, ...]
    contacts: tuple[ContactSpec, ...]
    constraints: Constraints


class _People:
    """Attributes shared by both sides, drawn from one seeded generator."""

    def __init__(self, rng: np.random.Generator, settlements: np.ndarray) -> None:
        self.rng = rng
        self.settlements = settlements

    def place(self) -> tuple[float | None, float | None, str]:
        rng = self.rng
        k = int(rng.integers(len(self.settlements)))
        north, east = self.settlements[k] + rng.normal(0.0, 2.5, 2)
        radius = math.hypot(north, east)
        if radius > 30.0:
            north, east = north * 30.0 / radius, east * 30.0 / radius
        postcode = f"7{k}{int(abs(north) * 3) % 10}{int(abs(east) * 3) % 10}"
        if rng.random() < 0.05:  # address without coordinates: scored by postcode
            return None, None, postcode
        lat = CENTRE[0] + north / KM_PER_DEG_LAT
        lon = CENTRE[1] + east / (KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[0])))
        return round(lat, 6), round(lon, 6), postcode

    def pick(self, codes: tuple[str, ...], lo: int, hi: int) -> frozenset[str]:
        n = int(self.rng.integers(lo, hi + 1))
        return frozenset(codes[i] for i in self.rng.choice(len(codes), n, replace=False))

    def windows(self) -> tuple[TimeWindow, ...]:
        rng = self.rng
        out = []
        for _ in range(int(rng.integers(1, 5))):
            weekday = int(rng.choice(7, p=[0.16, 0.16, 0.16, 0.16, 0.16, 0.1, 0.1]))
            start = 8 * 60 + 30 * int(rng.integers(0, 25))  # 08:00–20:00
            end = min(start + 30 * int(rng.integers(2, 7)), 22 * 60)  # 1–3 hours
            out.append(TimeWindow(weekday, start, end))
        return tuple(out)


def generate(n_participants: int, n_contacts: int, seed: int = 0) -> Problem:
    """The same problem for the same (n_participants, n_contacts, seed)."""
    rng = np.random.default_rng([seed, n_participants, n_contacts])
    settlements = rng.uniform(-20.0, 20.0, (6, 2))
    people = _People(rng, settlements)

    contacts = []
    for j in range(n_contacts):
        lat, lon, postcode = people.place()
        languages = {"nb"} if rng.random() < 0.95 else set()
        languages |= people.pick(OTHER_LANGUAGES, 0, 2)
        u = rng.random()
        contacts.append(
            ContactSpec(
                id=10_000 + j,
                capacity=int(rng.integers(1, 4)),
                activities=people.pick(ACTIVITIES, 2, 5),
                target_groups=people.pick(TARGET_GROUPS, 1, 3),
                windows=people.windows(),
                lat=lat,
                lon=lon,
                postcode=postcode,
                gender="female" if u < 0.55 else "male" if u < 0.98 else "",
                age=None if rng.random() < 0.05 else int(rng.integers(20, 76)),
                languages=frozenset(languages),
            )
        )

    participants = []
    for i in range(n_participants):
        lat, lon, postcode = people.place()
        asks_language = rng.random() < 0.3
        languages = people.pick(("nb", "nb", *OTHER_LANGUAGES), 1, 2) if asks_language else None
        wants_gender = rng.random() < 0.3
        wants_age = rng.random() < 0.2
        age_lo = int(rng.integers(20, 60))
        avoid = (
            frozenset({10_000 + int(rng.integers(n_contacts))})
            if n_contacts and rng.random() < 0.02
            else frozenset()
        )
        participants.append(
            ParticipantSpec(
                id=1 + i,
                activities=people.pick(ACTIVITIES, 2, 5),
                target_groups=people.pick(TARGET_GROUPS, 1, 3),
                windows=people.windows(),
                lat=lat,
                lon=lon,
                postcode=postcode,
                max_travel_km=float(rng.integers(5, 26)) if rng.random() < 0.4 else None,
                preferred_gender=str(rng.choice(["female", "male"])) if wants_gender else "",
                gender_must=wants_gender and rng.random() < 0.3,
                contact_age_min=age_lo if wants_age else None,
                contact_age_max=age_lo + int(rng.integers(15, 31)) if wants_age else None,
                age_must=wants_age and rng.random() < 0.25,
                languages=frozenset(languages or ()),
                language_must=asks_language and rng.random() < 0.25,
                avoid_contacts=avoid,
            )
        )

    forbidden: set[tuple[int, int]] = set()
    locked: set[tuple[int, int]] = set()
    if n_participants and n_contacts:
        for _ in range(max(1, n_participants // 100)):
            forbidden.add(
                (1 + int(rng.integers(n_participants)), 10_000 + int(rng.integers(n_contacts)))
            )
        lock_people = rng.choice(
            n_participants, min(n_participants, max(1, n_participants // 200)), replace=False
        )
        for i in lock_people:
            locked.add((1 + int(i), 10_000 + int(rng.integers(n_contacts))))
    return Problem(
        participants=tuple(participants),
        contacts=tuple(contacts),
        constraints=Constraints(locked=frozenset(locked), forbidden=frozenset(forbidden)),
    )
