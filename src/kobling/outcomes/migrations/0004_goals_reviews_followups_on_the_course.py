"""Goals, reviews and follow-ups belong to the participant's course (forløp), taken from their
pairing; they no longer need a pairing (a course a group or provider delivers)."""

import django.db.models.deletion
from django.db import migrations, models

from kobling.core.migration_ops import copy_through

MODELS = (("goal", "goals"), ("review", "reviews"), ("followup", "follow_ups"))


def course_fk(related_name, null):
    return models.ForeignKey(
        blank=null,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="referrals.episode",
        verbose_name="course",
    )


def pairing_fk(related_name):
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="followup.pairing",
        verbose_name="pairing",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0003_followup_links_in_outbox"),
        ("followup", "0011_sessions_and_notices_on_the_course"),
    ]

    operations = [
        *(migrations.AddField(m, "episode", course_fk(rel, True)) for m, rel in MODELS),
        *(
            migrations.RunPython(
                copy_through(
                    f"outcomes.{m}", "episode_id", "pairing", "followup.Pairing", "episode_id"
                ),
                migrations.RunPython.noop,
            )
            for m, _ in MODELS
        ),
        *(migrations.AlterField(m, "episode", course_fk(rel, False)) for m, rel in MODELS),
        *(migrations.AlterField(m, "pairing", pairing_fk(rel)) for m, rel in MODELS),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("pairing__isnull", True)),
                fields=("episode", "months"),
                name="followup_one_per_course_and_month",
                violation_error_message="This follow-up already exists.",
            ),
        ),
    ]
