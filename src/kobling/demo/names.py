"""The demo's fictional names and places, shared by the loader and the history and national
parts (kept apart so that none of them imports another's loader)."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = [
    "Astrid",
    "Bjørn",
    "Camilla",
    "Dag",
    "Eirin",
    "Frode",
    "Guro",
    "Håkon",
    "Ingrid",
    "Jonas",
    "Kari",
    "Lars",
    "Marte",
    "Nils",
    "Oda",
    "Per",
    "Ragnhild",
    "Sindre",
    "Tone",
    "Ulrik",
    "Vilde",
    "Øystein",
    "Åse",
    "Amir",
    "Fatima",
    "Olena",
    "Piotr",
    "Sara",
    "Thea",
    "Magnus",
    "Emma",
    "Henrik",
    "Nora",
    "Sander",
    "Ida",
    "Aksel",
    "Hedda",
    "Mathias",
    "Selma",
    "Tobias",
]

LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Moen",
    "Solberg",
    "Strand",
    "Bakken",
    "Lie",
]


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    slug: str
    lat: float
    lon: float
    postcodes: tuple[str, ...]
    areas: tuple[str, ...]
    contacts: int


TOWNS = (
    Town(
        "4650",
        "Fjordvik",
        "fjordvik",
        61.452,
        5.857,
        ("6800", "6803", "6806", "6810", "6812", "6818"),
        ("Sentrum", "Vie", "Hafstad", "Slåtten", "Bruland", "Erdal"),
        34,
    ),
    Town(
        "5560",
        "Nordby",
        "nordby",
        69.649,
        18.956,
        ("9006", "9008", "9011", "9012", "9015", "9020"),
        ("Sentrum", "Kroken", "Tomasjord", "Kvaløysletta", "Hamna", "Workinn"),
        24,
    ),
)

REFERRAL_NEEDS = [
    "",
    "Rolig start; liker ikke store grupper.",
    "Bruker rullator på lengre turer.",
    "Trenger påminnelse på SMS dagen før.",
    "",
]


def unique_name(rng: random.Random, municipality: object) -> tuple[str, str]:
    """A first and last name that no training contact or participant of ``municipality`` has
    yet, so two people in one municipality are never mixed up in the demo. Draws as before (two
    choices from ``rng``) and, when that name is taken, takes the next free combination in a fixed
    order, without drawing again: the rest of the demo stays as it was."""
    from kobling.helpers.models import Helper
    from kobling.referrals.models import Participant

    taken = set(
        Helper.objects.filter(municipality=municipality).values_list("first_name", "last_name")
    ) | set(
        Participant.objects.filter(municipality=municipality).values_list("first_name", "last_name")
    )
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    start = FIRST_NAMES.index(first) * len(LAST_NAMES) + LAST_NAMES.index(last)
    total = len(FIRST_NAMES) * len(LAST_NAMES)
    for step in range(total):
        i = (start + step) % total
        name = (FIRST_NAMES[i // len(LAST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)])
        if name not in taken:
            return name
    raise ValueError("Every demo name is taken in this municipality.")
