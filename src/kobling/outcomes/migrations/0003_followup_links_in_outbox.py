"""Follow-up e-mails and links move to the outbox (kobling.core.outbox): sent state, failed
attempts and the reminder schedule become outbox messages, every e-mailed link a signed link
that still accepts the token in the e-mail; then the nonce and attempt fields go."""

import datetime as dt

from django.db import migrations

PURPOSE = "followup"
SALT = "kobling.outcomes.followup"
REMINDER_AFTER = dt.timedelta(days=7)


def forwards(apps, schema_editor):
    from kobling.core.migration_moves import move_first_and_reminder, move_link

    FollowUp = apps.get_model("outcomes", "FollowUp")
    rows = FollowUp.objects.select_related("pairing__participant").order_by("pk")
    for fu in rows.iterator():
        if fu.sent_at is None and not (fu.status == "scheduled" and fu.send_attempts):
            continue  # never e-mailed: the tick queues it when it is due
        participant = fu.pairing.participant
        address = participant.guardian_email if fu.recipient == "guardian" else participant.email
        common = {
            "purpose": PURPOSE,
            "subject": f"{PURPOSE}:{fu.pk}",
            "recipient": address or participant.email or participant.guardian_email,
            "municipality_id": fu.municipality_id,
            "template": "outcomes/emails/followup.txt",
        }
        move_first_and_reminder(
            apps, fu, remind_after=REMINDER_AFTER, awaiting_reminder=fu.status == "sent", **common
        )
        if fu.sent_at is not None and fu.expires_at is not None:
            status = (
                "used"
                if fu.status == "answered"
                else "live"
                if fu.status in ("sent", "reminded")
                else "cancelled"
            )
            move_link(
                apps,
                purpose=PURPOSE,
                subject=common["subject"],
                nonce=fu.nonce,
                salt=SALT,
                municipality_id=fu.municipality_id,
                created_at=fu.sent_at,
                expires_at=fu.expires_at,
                status=status,
                used_at=fu.answered_at if status == "used" else None,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_seed_instruments"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="followup", name="last_error"),
        migrations.RemoveField(model_name="followup", name="nonce"),
        migrations.RemoveField(model_name="followup", name="reminder_attempts"),
        migrations.RemoveField(model_name="followup", name="send_attempts"),
    ]
