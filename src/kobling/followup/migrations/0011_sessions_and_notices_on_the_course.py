"""Sessions and referrer notices name the course (forløp) they belong to, taken from their
pairing; a notice no longer needs a pairing (a course a group or provider delivers)."""

import django.db.models.deletion
from django.db import migrations, models

from kobling.core.migration_ops import copy_through


def course_fk(related_name, null):
    return models.ForeignKey(
        blank=null,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="referrals.episode",
        verbose_name="course",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0010_confirmations_and_notices_in_outbox"),
        ("referrals", "0005_participant_postal_address"),
    ]

    operations = [
        migrations.AddField("session", "episode", course_fk("sessions", True)),
        migrations.AddField("referrernotice", "episode", course_fk("referrer_notices", True)),
        migrations.RunPython(
            copy_through(
                "followup.Session", "episode_id", "pairing", "followup.Pairing", "episode_id"
            ),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(
            copy_through(
                "followup.ReferrerNotice", "episode_id", "pairing", "followup.Pairing", "episode_id"
            ),
            migrations.RunPython.noop,
        ),
        migrations.AlterField("session", "episode", course_fk("sessions", False)),
        migrations.AlterField("referrernotice", "episode", course_fk("referrer_notices", False)),
        migrations.AlterField(
            model_name="referrernotice",
            name="pairing",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="referrer_notices",
                to="followup.pairing",
                verbose_name="pairing",
            ),
        ),
        migrations.AddConstraint(
            model_name="referrernotice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("pairing__isnull", True)),
                fields=("episode", "kind", "sequence"),
                name="referrer_notice_once_per_course",
            ),
        ),
    ]
