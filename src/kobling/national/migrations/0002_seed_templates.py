from django.db import migrations


def seed(apps, schema_editor):
    from kobling.national.seed import seed_templates

    seed_templates(apps.get_model("national", "SurveyTemplate"), apps.get_model("national", "SurveyQuestion"))


class Migration(migrations.Migration):
    dependencies = [("national", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
