"""Session-confirmation e-mails and links and the notices to referrers move to the outbox
(kobling.core.outbox): sent state and failed attempts become outbox messages, every
confirmation link a signed link that still accepts the token in the e-mail; then the nonce,
sent and attempt fields go."""

from django.db import migrations

CONFIRMATION = "session-confirmation"
CONFIRMATION_SALT = "kobling.followup.session-confirmation"
NOTICE = "referrer-notice"
OLD_MAX_ATTEMPTS = 4  # both sent at most four times before the outbox


def forwards(apps, schema_editor):
    from kobling.core.migration_moves import move_link, move_message

    Link = apps.get_model("followup", "SessionConfirmationLink")
    for link in Link.objects.order_by("pk").iterator():
        subject = f"{CONFIRMATION}:{link.pk}"
        move_message(
            apps,
            purpose=CONFIRMATION,
            subject=subject,
            recipient=link.recipient,
            municipality_id=link.municipality_id,
            sent_at=link.sent_at,
            attempts=link.send_attempts,
            last_error="" if link.sent_at else link.last_error,
            created_at=link.created_at,
            template="followup/emails/confirmation.txt",
            unsent_status="failed" if link.send_attempts >= OLD_MAX_ATTEMPTS else "queued",
        )
        move_link(
            apps,
            purpose=CONFIRMATION,
            subject=subject,
            nonce=link.nonce,
            salt=CONFIRMATION_SALT,
            municipality_id=link.municipality_id,
            created_at=link.created_at,
            expires_at=link.expires_at,
            status="used" if link.used_at else "live",
            used_at=link.used_at,
        )
    Notice = apps.get_model("followup", "ReferrerNotice")
    notices = Notice.objects.select_related("pairing__referral__referrer").order_by("pk")
    for notice in notices.iterator():
        referrer = notice.pairing.referral.referrer
        move_message(
            apps,
            purpose=NOTICE,
            subject=f"{NOTICE}:{notice.pk}",
            recipient=notice.recipient,
            municipality_id=notice.municipality_id,
            sent_at=notice.sent_at,
            attempts=notice.send_attempts,
            last_error="" if notice.sent_at else notice.last_error,
            created_at=notice.created_at,
            template="emails/referrer_notice.txt",
            language=(referrer.preferred_language if referrer else "") or "nb",
            unsent_status="failed" if notice.send_attempts >= OLD_MAX_ATTEMPTS else "queued",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0009_pairing_episode_required"),
        ("core", "0002_outbox"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="referrernotice", name="last_error"),
        migrations.RemoveField(model_name="referrernotice", name="send_attempts"),
        migrations.RemoveField(model_name="referrernotice", name="sent_at"),
        migrations.RemoveField(model_name="sessionconfirmationlink", name="last_error"),
        migrations.RemoveField(model_name="sessionconfirmationlink", name="nonce"),
        migrations.RemoveField(model_name="sessionconfirmationlink", name="send_attempts"),
        migrations.RemoveField(model_name="sessionconfirmationlink", name="sent_at"),
    ]
