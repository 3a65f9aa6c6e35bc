"""Seed the managed lists of activities and target groups (DOMAIN §2, §6)."""

from django.db import migrations

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
    ("support_contact", "Har støttekontakt, ønsker aktivitet", "Has a support contact, wants activity"),
    ("overweight", "Overvekt", "Overweight"),
    ("inactive", "Fra inaktiv til aktiv", "From inactive to active"),
    ("newcomers", "Nyankomne / inkludering", "Newcomers / inclusion"),
    ("elderly", "Eldre", "Older adults"),
    ("chronic_disease", "Kronisk sykdom / rehabilitering", "Chronic disease / rehabilitation"),
]


def seed(apps, schema_editor):
    Activity = apps.get_model("helpers", "Activity")
    TargetGroup = apps.get_model("helpers", "TargetGroup")
    for position, (code, nb, en) in enumerate(ACTIVITIES):
        Activity.objects.update_or_create(code=code, defaults={"name_nb": nb, "name_en": en, "position": position})
    for position, (code, nb, en) in enumerate(TARGET_GROUPS):
        TargetGroup.objects.update_or_create(code=code, defaults={"name_nb": nb, "name_en": en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("helpers", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
