"""Seed the three shared course templates (DOMAIN §6); the data lives in courses/reference.py."""

from django.db import migrations


def seed(apps, schema_editor):
    from kobling.courses.reference import seed_shared_templates

    seed_shared_templates(apps.get_model("courses", "CourseTemplate"), apps.get_model("courses", "CourseModule"))


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
