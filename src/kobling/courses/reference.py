"""The three shared course templates (DOMAIN §6), seeded by migration and kept present after a
flush (post_migrate). Module titles are data, in bokmål.

The original course is known as "the 40-hour course", but the module hours the source lists
(8 + 8 + 10 + 6 + 6 + 2 + 2) add up to 42: the home assignment/exam comes on top of the
teaching. The modules are seeded exactly as listed; the name keeps the customary "40 timer".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

TEMPLATES = [
    {
        "code": "treningskontakt-40t",
        "name": "Treningskontaktkurs (40 timer)",
        "level": "basic",
        "qualifies": True,
        "description": (
            "Det opprinnelige treningskontaktkurset over to helger, med praktiske øvelser i par. "
            "Hjemmeoppgave/eksamen kommer i tillegg til de 40 undervisningstimene."
        ),
        "modules": [
            ("Rus", 8),
            ("Psykiatri", 8),
            ("Praktisk treningslære", 10),
            ("Teoretisk treningslære", 6),
            ("Anatomi og fysiologi", 6),
            ("Kommunikasjon", 2),
            ("Hjemmeoppgave/eksamen", 2),
        ],
    },
    {
        "code": "oppfolging-20t",
        "name": "Oppfølgingskurs (20 timer)",
        "level": "follow_up",
        "qualifies": False,
        "description": "Offentlig finansiert oppfølgingskurs for treningskontakter som har tatt grunnkurset.",
        "modules": [
            ("Ernæring", 5),
            ("Idrettsskader", 5),
            ("Rus", 5),
            ("Psykiatri", 5),
        ],
    },
    {
        "code": "treningskontakt-light",
        "name": "Treningskontaktkurs – light (12 timer)",
        "level": "light",
        "qualifies": True,
        "description": (
            "Kortere kurs som erstatter 40-timerskurset der kostnaden er for høy. "
            "Selvbestemmelsesteori (mestring, autonomi, tilhørighet) som ramme."
        ),
        "modules": [
            ("Treningslære og praktisk trening", 4),
            ("Motivasjon og mestring", 3),
            ("Psykisk helse og rus", 2),
            ("Treningskontaktrollen", 2),
            ("Funksjonsnedsettelse og tilrettelagt aktivitet", 1),
        ],
    },
]


def seed_shared_templates(template_model: Any, module_model: Any) -> None:
    """Create the shared templates that are missing; never overwrite what an admin changed."""
    for spec in TEMPLATES:
        template, created = template_model.objects.get_or_create(
            provider=None,
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "level": spec["level"],
                "qualifies": spec["qualifies"],
                "programme_kind": "treningskontakt",
                "description": spec["description"],
                "is_active": True,
            },
        )
        if created:
            for position, (title, hours) in enumerate(spec["modules"], start=1):
                module_model.objects.create(
                    template=template, position=position, title=title, hours=Decimal(hours)
                )
