"""An expense laid out for a pair names the pair's course (forløp) too."""

import django.db.models.deletion
from django.db import migrations, models

from kobling.core.migration_ops import copy_through


class Migration(migrations.Migration):
    dependencies = [
        ("pay", "0001_initial"),
        ("followup", "0011_sessions_and_notices_on_the_course"),
    ]

    operations = [
        migrations.AddField(
            model_name="expense",
            name="episode",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="referrals.episode",
                verbose_name="course",
            ),
        ),
        migrations.RunPython(
            copy_through("pay.Expense", "episode_id", "pairing", "followup.Pairing", "episode_id"),
            migrations.RunPython.noop,
        ),
    ]
