"""The watchdog sentence moves to the partners module: it is printed on every agreement as well
as on grant letters, and agreements live below grants. Existing sentences are copied."""

from django.db import migrations


def copy_sentences(apps, schema_editor):  # noqa: ANN001, ANN201
    old = apps.get_model("grants", "GrantSettings")
    new = apps.get_model("partners", "PartnerSettings")
    for row in old.objects.all():
        new.objects.update_or_create(
            municipality_id=row.municipality_id,
            defaults={"watchdog_sentence": row.watchdog_sentence, "version": row.version},
        )


def copy_back(apps, schema_editor):  # noqa: ANN001, ANN201
    old = apps.get_model("grants", "GrantSettings")
    new = apps.get_model("partners", "PartnerSettings")
    for row in new.objects.all():
        old.objects.update_or_create(
            municipality_id=row.municipality_id,
            defaults={"watchdog_sentence": row.watchdog_sentence, "version": row.version},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0002_decisions_append_only"),
        ("partners", "0003_premises_append_only"),
    ]
    operations = [
        migrations.RunPython(copy_sentences, copy_back),
        migrations.DeleteModel(name="GrantSettings"),
    ]
