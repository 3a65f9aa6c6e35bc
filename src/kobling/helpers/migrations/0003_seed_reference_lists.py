"""Seed the managed lists of activities and target groups (DOMAIN §2, §6)."""

from django.db import migrations


def seed(apps, schema_editor):
    from kobling.helpers.reference import seed_reference_lists

    seed_reference_lists(apps.get_model("helpers", "Activity"), apps.get_model("helpers", "TargetGroup"))


class Migration(migrations.Migration):
    dependencies = [("helpers", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
