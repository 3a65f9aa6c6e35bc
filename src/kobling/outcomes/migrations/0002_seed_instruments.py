"""Seed the outcome instruments; the definitions live in outcomes/reference.py."""

from django.db import migrations


def seed(apps, schema_editor):
    from kobling.outcomes.reference import seed_instruments

    seed_instruments(apps.get_model("outcomes", "Instrument"), apps.get_model("outcomes", "InstrumentItem"))


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
