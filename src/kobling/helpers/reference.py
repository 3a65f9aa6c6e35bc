"""The managed lists of activities and target groups (DOMAIN §2, §6), as seeded.

Seeded by migration and kept present after a flush by a post_migrate handler (helpers/apps.py)."""

from __future__ import annotations

from typing import Any

ACTIVITIES = [
    ("walking", "Gåtur", "Walking"),
    ("hiking", "Fjelltur og friluftsliv", "Hiking and outdoor life"),
    ("running", "Løping", "Running"),
    ("strength", "Styrketrening / treningssenter", "Strength training / gym"),
    ("swimming", "Svømming", "Swimming"),
    ("cycling", "Sykling", "Cycling"),
    ("ball_games", "Ballspill", "Ball games"),
    ("dance", "Dans", "Dance"),
    ("yoga", "Yoga og tøying", "Yoga and stretching"),
    ("skiing", "Skigåing", "Skiing"),
    ("climbing", "Klatring", "Climbing"),
    ("racket", "Racketsport", "Racket sports"),
    ("group_classes", "Gruppetimer", "Group classes"),
    ("aqua", "Vanntrening", "Water aerobics"),
]

TARGET_GROUPS = [
    ("mental_health", "Psykisk helse", "Mental health"),
    ("substance_use", "Rus", "Substance use"),
    ("disability", "Funksjonsnedsettelse", "Disability"),
    ("youth", "Barn og unge (under 18)", "Children and youth (under 18)"),
    (
        "support_contact",
        "Har støttekontakt, ønsker aktivitet",
        "Has a support contact, wants activity",
    ),
    ("overweight", "Overvekt", "Overweight"),
    ("inactive", "Fra inaktiv til aktiv", "From inactive to active"),
    ("newcomers", "Nyankomne / inkludering", "Newcomers / inclusion"),
    ("elderly", "Eldre", "Older adults"),
    ("chronic_disease", "Kronisk sykdom / rehabilitering", "Chronic disease / rehabilitation"),
]


def seed_reference_lists(activity_model: Any, target_group_model: Any) -> None:
    for position, (code, nb, en) in enumerate(ACTIVITIES):
        activity_model.objects.update_or_create(
            code=code, defaults={"name_nb": nb, "name_en": en, "position": position}
        )
    for position, (code, nb, en) in enumerate(TARGET_GROUPS):
        target_group_model.objects.update_or_create(
            code=code, defaults={"name_nb": nb, "name_en": en, "position": position}
        )
