"""The demo loader used to store "(synthetic)" in the values analysts read ("2016 (synthetic)",
"Synthetic demo status"). Installs that loaded the demo get the clean values the loader now
writes: period 2016, source "Kobling demo" (pages show one "Demo data" notice instead) and the
status set "Ordningsstatus 2016". The period is left alone where a real 2016 edition is stored,
so demo and real figures never mix in one period."""

from django.db import migrations

OLD_PERIOD = "2016 (synthetic)"
OLD_SOURCE = "Synthetic demo data (not FHI figures)"
OLD_STATUS_SET_NAME = "Synthetic demo status"
# Copies of kobling.profiles.choices at the time of writing (a migration must not change with
# the code).
PERIOD = "2016"
SOURCE = "Kobling demo"
STATUS_SET_NAME = "Ordningsstatus 2016"


def forwards(apps, schema_editor):
    Indicator = apps.get_model("profiles", "ProfileIndicator")
    Category = apps.get_model("profiles", "ProfileCategory")
    StatusSet = apps.get_model("profiles", "StatusSet")
    Indicator.objects.filter(source=OLD_SOURCE).update(source=SOURCE)
    Category.objects.filter(source=OLD_SOURCE).update(source=SOURCE)
    if not Indicator.objects.filter(period=PERIOD).exists():
        Indicator.objects.filter(period=OLD_PERIOD).update(period=PERIOD)
    StatusSet.objects.filter(name=OLD_STATUS_SET_NAME, source=OLD_SOURCE).update(
        name=STATUS_SET_NAME, source=SOURCE
    )
    StatusSet.objects.filter(source=OLD_SOURCE).update(source=SOURCE)


def backwards(apps, schema_editor):
    Indicator = apps.get_model("profiles", "ProfileIndicator")
    Category = apps.get_model("profiles", "ProfileCategory")
    StatusSet = apps.get_model("profiles", "StatusSet")
    demo = Indicator.objects.filter(source=SOURCE)
    if not Indicator.objects.filter(period=OLD_PERIOD).exists():
        demo.filter(period=PERIOD).update(period=OLD_PERIOD)
    demo.update(source=OLD_SOURCE)
    Category.objects.filter(source=SOURCE).update(source=OLD_SOURCE)
    StatusSet.objects.filter(name=STATUS_SET_NAME, source=SOURCE).update(
        name=OLD_STATUS_SET_NAME, source=OLD_SOURCE
    )


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
