"""What the apps' data migrations use to move their sent state and live links into the outbox,
so that no e-mail is sent twice and no link already in someone's inbox breaks.

The functions take the migration's historical models (``apps``), never the live ones. An old
link's token was its row's nonce signed with the app's salt; only the SHA-256 of that token is
kept (``legacy_token_hash``), next to the hash of the token the outbox derives for reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core import signing
from django.utils import timezone

MAX_ATTEMPTS = 6  # kobling.core.outbox.MAX_ATTEMPTS when these migrations were written


def legacy_token_hash(nonce: str, salt: str) -> str:
    token = signing.Signer(salt=salt).sign(nonce)
    return hashlib.sha256(token.encode()).hexdigest()


def move_link(
    apps,  # noqa: ANN001
    *,
    purpose: str,
    subject: str,
    nonce: str,
    salt: str,
    municipality_id: int | None,
    created_at: dt.datetime,
    expires_at: dt.datetime,
    status: str = "live",
    used_at: dt.datetime | None = None,
    opened_at: dt.datetime | None = None,
) -> None:
    """One link that was e-mailed before the outbox existed (``status``: live, used or
    cancelled)."""
    from kobling.core.outbox import link_token

    SignedLink = apps.get_model("core", "SignedLink")  # noqa: N806
    link = SignedLink.objects.create(
        purpose=purpose,
        subject_key=subject,
        municipality_id=municipality_id,
        token_hash=secrets.token_hex(32),
        legacy_token_hash=legacy_token_hash(nonce, salt),
        status=status,
        created_at=created_at,
        expires_at=expires_at,
        used_at=used_at,
        opened_at=opened_at,
        cancelled_at=timezone.now() if status == "cancelled" else None,
    )
    link.token_hash = hashlib.sha256(link_token(link).encode()).hexdigest()
    link.save(update_fields=["token_hash"])


def move_message(
    apps,  # noqa: ANN001
    *,
    purpose: str,
    subject: str,
    recipient: str,
    municipality_id: int | None,
    sequence: int = 0,
    sent_at: dt.datetime | None,
    attempts: int = 0,
    last_error: str = "",
    created_at: dt.datetime | None = None,
    template: str = "",
    language: str = "nb",
    remind_after: dt.timedelta | None = None,
    reminder_due_at: dt.datetime | None = None,
    unsent_status: str = "queued",
) -> None:
    """One e-mail's state: sent (with its reminder schedule), or still to send — queued, or
    failed with its retry due now (given up after the last attempt)."""
    OutboxMessage = apps.get_model("core", "OutboxMessage")  # noqa: N806
    now = timezone.now()
    fields = {
        "purpose": purpose,
        "subject_key": subject,
        "sequence": sequence,
        "recipient": recipient or "unknown@invalid",
        "municipality_id": municipality_id,
        "attempts": attempts,
        "last_error": last_error,
        "created_at": created_at or sent_at or now,
        "template": template,
        "language": language or "nb",
        "remind_after": remind_after,
    }
    if sent_at is not None:
        fields.update(status="sent", sent_at=sent_at, reminder_due_at=reminder_due_at)
    elif unsent_status != "queued":
        fields.update(status=unsent_status)
    elif attempts:
        fields.update(status="failed", next_attempt_at=now if attempts < MAX_ATTEMPTS else None)
    OutboxMessage.objects.create(**fields)


def move_first_and_reminder(
    apps,  # noqa: ANN001
    row,  # noqa: ANN001
    *,
    remind_after: dt.timedelta,
    awaiting_reminder: bool,
    **common,  # noqa: ANN003 - purpose, subject, recipient, municipality_id, template, language
) -> None:
    """An e-mail with one reminder (check-ins, follow-ups, whose rows name their fields alike:
    ``sent_at``, ``send_attempts``, ``reminder_sent_at``, ``reminder_attempts``,
    ``last_error``): the first e-mail with its reminder schedule, and the reminder when it was
    sent or tried."""
    reminder_tried = row.reminder_sent_at is not None or (
        awaiting_reminder and row.reminder_attempts
    )
    move_message(
        apps,
        **common,
        sent_at=row.sent_at,
        attempts=row.send_attempts,
        last_error="" if row.sent_at else row.last_error,
        created_at=row.created_at,
        remind_after=remind_after,
        reminder_due_at=row.sent_at + remind_after
        if row.sent_at and awaiting_reminder and not reminder_tried
        else None,
    )
    if reminder_tried:
        move_message(
            apps,
            **common,
            sequence=1,
            sent_at=row.reminder_sent_at,
            attempts=row.reminder_attempts,
            last_error="" if row.reminder_sent_at else row.last_error,
        )
