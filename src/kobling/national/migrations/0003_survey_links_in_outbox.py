"""Mapping-survey e-mails and links move to the outbox (kobling.core.outbox): sent state, the
reminders sent so far and the next one due become outbox messages, every e-mailed link a
signed link that still accepts the token in the e-mail; then the nonce and attempt fields go."""

import datetime as dt

from django.db import migrations

PURPOSE = "survey"
SALT = "kobling.national.survey"
OPEN = ("sent", "opened")


def forwards(apps, schema_editor):
    from kobling.core.migration_moves import move_link, move_message

    SurveyRecipient = apps.get_model("national", "SurveyRecipient")
    rows = SurveyRecipient.objects.select_related("campaign").order_by("pk")
    for r in rows.iterator():
        if r.sent_at is None and not (r.status == "pending" and r.send_attempts):
            continue
        campaign = r.campaign
        interval = dt.timedelta(days=campaign.reminder_interval_days)
        common = {
            "purpose": PURPOSE,
            "subject": f"{PURPOSE}:{r.pk}",
            "recipient": r.email,
            "municipality_id": None,
            "template": "national/emails/survey.txt",
        }
        last = r.reminders_sent if r.sent_at else 0
        next_due = (
            (r.last_reminder_at or r.sent_at) + interval
            if r.sent_at and r.status in OPEN and last < campaign.reminder_count
            else None
        )
        for sequence in range(last + 1):
            sent_at = r.sent_at if sequence == 0 else (r.last_reminder_at or r.sent_at)
            move_message(
                apps,
                **common,
                sequence=sequence,
                sent_at=sent_at,
                attempts=(r.send_attempts if sequence == 0 else 1) or 1 if sent_at else r.send_attempts,
                last_error="" if sent_at else r.last_error,
                created_at=r.created_at,
                remind_after=interval if sequence < campaign.reminder_count else None,
                reminder_due_at=next_due if sequence == last else None,
            )
        if r.sent_at is not None and r.expires_at is not None:
            if r.status in OPEN:
                status, used_at = "live", None
            elif r.status in ("answered", "declined", "opted_out"):
                status = "used"
                used_at = r.answered_at or r.declined_at or r.opted_out_at
            else:
                status, used_at = "cancelled", None
            move_link(
                apps,
                purpose=PURPOSE,
                subject=common["subject"],
                nonce=r.nonce,
                salt=SALT,
                municipality_id=None,
                created_at=r.sent_at,
                expires_at=r.expires_at,
                status=status,
                used_at=used_at,
                opened_at=r.opened_at,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("national", "0002_seed_templates"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="surveyrecipient", name="last_error"),
        migrations.RemoveField(model_name="surveyrecipient", name="nonce"),
        migrations.RemoveField(model_name="surveyrecipient", name="reminder_attempts"),
        migrations.RemoveField(model_name="surveyrecipient", name="send_attempts"),
    ]
