"""Check-in e-mails and answer links move to the outbox (kobling.core.outbox): the sent state,
failed attempts and reminder schedule become outbox messages, every e-mailed link a signed
link that still accepts the token in the e-mail; then the nonce and attempt fields go."""

import datetime as dt

from django.db import migrations

PURPOSE = "checkin"
SALT = "kobling.helpers.checkin"


def forwards(apps, schema_editor):
    from kobling.core.migration_moves import move_first_and_reminder, move_link

    CheckIn = apps.get_model("helpers", "CheckIn")
    checkins = CheckIn.objects.select_related("helper__user", "municipality").order_by("pk")
    for c in checkins.iterator():
        subject = f"{PURPOSE}:{c.pk}"
        remind_after = dt.timedelta(days=c.municipality.checkin_reminder_days)
        common = {
            "purpose": PURPOSE,
            "subject": subject,
            "recipient": c.helper.email,
            "municipality_id": c.municipality_id,
            "template": "emails/checkin.txt",
            "language": (c.helper.user.preferred_language if c.helper.user_id else "") or "nb",
        }
        if c.sent_at is None and c.status != "pending":
            continue  # never e-mailed and closed: nothing to move
        move_first_and_reminder(
            apps, c, remind_after=remind_after, awaiting_reminder=c.status == "sent", **common
        )
        if c.sent_at is not None:
            status = {"answered": "used", "cancelled": "cancelled"}.get(c.status, "live")
            move_link(
                apps,
                purpose=PURPOSE,
                subject=subject,
                nonce=c.nonce,
                salt=SALT,
                municipality_id=c.municipality_id,
                created_at=c.sent_at,
                expires_at=c.expires_at,
                status=status,
                used_at=c.answered_at if status == "used" else None,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("helpers", "0003_seed_reference_lists"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="checkin", name="last_error"),
        migrations.RemoveField(model_name="checkin", name="nonce"),
        migrations.RemoveField(model_name="checkin", name="reminder_attempts"),
        migrations.RemoveField(model_name="checkin", name="send_attempts"),
    ]
