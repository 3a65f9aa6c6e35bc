import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0008_every_pairing_under_a_course"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pairing",
            name="episode",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="pairings",
                to="referrals.episode",
                verbose_name="course",
            ),
        ),
    ]
