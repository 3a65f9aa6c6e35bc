"""The outcome instruments, as seeded (see docs/outcomes.md for why each one and how to read
it). Seeded by migration and kept present after a flush by a post_migrate handler
(outcomes/apps.py).

An instrument's ``version`` says which definition a score was taken with: every score stores the
code and the version it was recorded under. Change a definition (range, scale, wording of the
anchors) only together with a new version here; the seed then updates the stored definition and
older scores keep the version they were taken with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

INSTRUMENTS: list[dict[str, Any]] = [
    {
        "code": "activity_minutes",
        "version": "1",
        "kind": "activity",
        "name_nb": "Minutter moderat aktivitet per uke",
        "name_en": "Weekly minutes of moderate activity",
        "unit": "min/uke",
        "min_value": Decimal(0),
        "max_value": Decimal(3000),
        "decimals": 0,
        "is_core": True,
        "help_nb": (
            "Selvrapportert: omtrent hvor mange minutter i en vanlig uke deltakeren er i aktivitet "
            "som gjør at hen blir varm og litt andpusten (Borg 12–14). Anbefalingen er minst 150 "
            "minutter i uka for voksne og 60 minutter om dagen for barn og unge."
        ),
        "help_en": (
            "Self-reported: about how many minutes in an ordinary week the participant is active "
            "enough to get warm and slightly out of breath (Borg 12–14). The recommendation is at "
            "least 150 minutes a week for adults and 60 minutes a day for children and youth."
        ),
        "items": [],
    },
    {
        "code": "self_rated_health",
        "version": "1",
        "kind": "rating",
        "name_nb": "Egenvurdert helse",
        "name_en": "Self-rated health",
        "unit": "1–5",
        "min_value": Decimal(1),
        "max_value": Decimal(5),
        "decimals": 0,
        "is_core": True,
        "help_nb": "«Hvordan vurderer du din egen helse sånn i alminnelighet?» Høyere er bedre.",
        "help_en": "“How would you rate your health in general?” Higher is better.",
        "items": [
            (1, "Svært dårlig", "Very poor"),
            (2, "Dårlig", "Poor"),
            (3, "Verken god eller dårlig", "Neither good nor poor"),
            (4, "God", "Good"),
            (5, "Svært god", "Very good"),
        ],
    },
    {
        "code": "mastery",
        "version": "1",
        "kind": "rating",
        "name_nb": "Mestring og trivsel",
        "name_en": "Mastery and well-being",
        "unit": "1–10",
        "min_value": Decimal(1),
        "max_value": Decimal(10),
        "decimals": 0,
        "is_core": True,
        "help_nb": (
            "«På en skala fra 1 til 10: hvor godt synes du at du mestrer å være i aktivitet, og "
            "hvordan trives du med det?» Høyere er bedre."
        ),
        "help_en": (
            "“On a scale from 1 to 10: how well do you feel you manage being active, and how "
            "much do you enjoy it?” Higher is better."
        ),
        "items": [
            (1, "Svært lite", "Very little"),
            (10, "Svært godt", "Very well"),
        ],
    },
    {
        "code": "goal_attainment",
        "version": "1",
        "kind": "goal",
        "name_nb": "Måloppnåelse",
        "name_en": "Goal attainment",
        "unit": "−2 til +2",
        "min_value": Decimal(-2),
        "max_value": Decimal(2),
        "decimals": 0,
        "is_core": True,
        "help_nb": (
            "Per mål, på en forenklet GAS-skala (Goal Attainment Scaling): 0 betyr at målet er "
            "nådd slik deltakeren ønsket."
        ),
        "help_en": (
            "Per goal, on a simplified GAS scale (Goal Attainment Scaling): 0 means the goal is "
            "reached as the participant wanted."
        ),
        "items": [
            (-2, "Ingen framgang (eller tilbakegang)", "No progress (or worse)"),
            (-1, "Noe framgang, ikke nådd", "Some progress, not reached"),
            (0, "Målet er nådd", "Goal reached"),
            (1, "Litt bedre enn målet", "Somewhat beyond the goal"),
            (2, "Mye bedre enn målet", "Much beyond the goal"),
        ],
    },
    {
        "code": "six_minute_walk",
        "version": "1",
        "kind": "test",
        "name_nb": "6 minutters gangtest",
        "name_en": "6-minute walk test",
        "unit": "m",
        "min_value": Decimal(0),
        "max_value": Decimal(1200),
        "decimals": 0,
        "is_core": False,
        "help_nb": "Antall meter gått på 6 minutter på en flat, oppmålt strekning.",
        "help_en": "Metres walked in 6 minutes on a flat, measured course.",
        "items": [],
    },
    {
        "code": "sit_to_stand_30s",
        "version": "1",
        "kind": "test",
        "name_nb": "Reise seg fra stol på 30 sekunder",
        "name_en": "30-second sit-to-stand",
        "unit": "ganger",
        "min_value": Decimal(0),
        "max_value": Decimal(60),
        "decimals": 0,
        "is_core": False,
        "help_nb": "Antall ganger deltakeren reiser seg helt opp fra en stol på 30 sekunder.",
        "help_en": "How many times the participant stands fully up from a chair in 30 seconds.",
        "items": [],
    },
]

_FIELDS = (
    "version",
    "kind",
    "name_nb",
    "name_en",
    "unit",
    "min_value",
    "max_value",
    "decimals",
    "is_core",
    "help_nb",
    "help_en",
)


def seed_instruments(instrument_model: Any, item_model: Any) -> None:
    """Create the instruments that are missing, and bring one up to date when its reference
    version changed. Running it again changes nothing."""
    for position, spec in enumerate(INSTRUMENTS):
        defaults = {field: spec[field] for field in _FIELDS}
        instrument = instrument_model.objects.filter(code=spec["code"]).first()
        if instrument is not None and instrument.version == spec["version"]:
            continue
        if instrument is None:
            instrument = instrument_model.objects.create(
                code=spec["code"], position=position, **defaults
            )
        else:
            for field, value in defaults.items():
                setattr(instrument, field, value)
            instrument.save()
            item_model.objects.filter(instrument=instrument).delete()
        item_model.objects.bulk_create(
            [
                item_model(
                    instrument=instrument,
                    value=Decimal(value),
                    label_nb=nb,
                    label_en=en,
                    position=index,
                )
                for index, (value, nb, en) in enumerate(spec["items"])
            ]
        )
