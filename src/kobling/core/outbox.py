"""The outbox: every e-mail the system sends, and the signed single-use links they carry.

One mechanism for every app (check-ins, session confirmations, follow-up questionnaires,
mapping surveys, referrer and decision notices):

* :func:`message_queue` puts an e-mail in the outbox and queues its send after commit;
  :func:`message_send` (the worker's :func:`kobling.core.outbox_tasks.message_send_task`) sends it
  in three steps: *claim* (one short transaction under the row lock: mark it *sending* with a
  lease and render it), *hand over* to the mail server (no transaction, no lock held), *record*
  (*sent*, or *failed* and retried with back-off, :data:`RETRY_DELAYS`; after the last attempt it
  stays *failed*). Any number of workers may try the same message: one claims it.
* A worker that dies after the claim leaves the message *sending*; once its lease
  (KOBLING_LEASE_SECONDS) is over, the purpose's :class:`Delivery` decides. The mail server
  may have taken the e-mail just before the death, and nothing can tell: *at least once*
  sends it again, *at most once* marks it *not confirmed* and never sends it again. Every
  attempt carries the same ``Message-ID`` and ``X-Kobling-Idempotency-Key`` (derived from the
  row, :func:`message_idempotency_key`), so a second copy is recognisable as the same e-mail
  (mail systems drop a repeated Message-ID), and ``X-Kobling-Attempt``.
* The calling app registers a :class:`Purpose` that renders the e-mail (its templates stay in
  the app), may settle it instead of sending (consent withdrawn → *opted out*, nothing left to
  ask → *cancelled*) and updates its own row when it was sent.
* A message may schedule a reminder (``remind_after``); :func:`reminders_due` lists the ones due
  and :func:`link_use` stops them when the link is used — reminders stop on answer.
* :func:`link_issue` makes a signed single-use link; only the SHA-256 of its token is stored.
  :func:`link_resolve` says clearly why a link does not work (unknown, expired, used,
  cancelled). At most one link per purpose and subject is live (a database constraint);
  issuing a new one cancels the old.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks_db.utils import exclusive_transaction

from kobling.core.choices import LinkStatus, MessageStatus
from kobling.core.models import OutboxMessage, SignedLink, subject_key
from kobling.core.scheduler import lease

__all__ = [
    "AnswerClosedError",
    "AnswerState",
    "Delivery",
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "LinkClosedError",
    "LinkOutcome",
    "Purpose",
    "Resolved",
    "SendResult",
    "link_issue",
    "link_open",
    "link_resolve",
    "link_token",
    "link_use",
    "links_cancel",
    "message_idempotency_key",
    "message_queue",
    "message_send",
    "messages_due",
    "messages_settle",
    "purpose_choices",
    "purpose_label",
    "purpose_register",
    "reminders_due",
    "retry_delay",
    "subject_key",
]

logger = logging.getLogger(__name__)

# Pauses before retry number 1, 2, … after a failed send; after the last one we give up.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long to wait after ``attempts`` failed sends, or ``None`` when we give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


# --- purposes -------------------------------------------------------------------------------


class Delivery(enum.StrEnum):
    """What to do with an e-mail whose worker died between handing it to the mail server and
    recording that: nobody can know whether it went out.

    * ``AT_LEAST_ONCE``: send it again (same Message-ID). For e-mails whose loss costs more than
      a second copy: a link to answer (a check-in unanswered lapses the contact), a
      questionnaire, a survey, an invitation to choose a password.
    * ``AT_MOST_ONCE``: mark it *not confirmed* (visible on the outbox page) and never send it
      again. For notices whose content the recipient also finds by signing in, where a second
      copy confuses more than a missing one (a decision, a new pair, a notice to a referrer).
    """

    AT_LEAST_ONCE = "at_least_once"
    AT_MOST_ONCE = "at_most_once"


@dataclass(frozen=True)
class Purpose:
    """What an app tells the outbox about one kind of e-mail.

    ``render(message, now)`` builds the e-mail at the moment of sending (and may issue its
    link; what it writes is committed with the claim, so a second copy carries the same live
    link where the app reuses it); ``settle(message, now)`` returns a status (*cancelled*,
    *opted out*) when the e-mail must not go out any more, else ``None``; ``on_sent(message,
    now)`` updates the app's row in the same transaction as the "sent" mark. ``delivery`` is
    the app's choice when a worker dies mid-send (:class:`Delivery`); every purpose states it."""

    name: str
    render: Callable[[OutboxMessage, dt.datetime], EmailMessage]
    label: str = ""  # what the outbox page calls it (a lazy translation)
    settle: Callable[[OutboxMessage, dt.datetime], str | None] | None = None
    on_sent: Callable[[OutboxMessage, dt.datetime], None] | None = None
    delivery: Delivery = field(kw_only=True)


_PURPOSES: dict[str, Purpose] = {}


def purpose_register(purpose: Purpose) -> Purpose:
    """Register (or replace) a purpose; apps do this at import, from ``AppConfig.ready``."""
    _PURPOSES[purpose.name] = purpose
    return purpose


def purpose_label(name: str) -> str:
    """The readable name of a purpose (its key when the app gave none)."""
    purpose = _PURPOSES.get(name)
    return str(purpose.label) if purpose is not None and purpose.label else name


def purpose_choices() -> list[tuple[str, str]]:
    return sorted(((name, purpose_label(name)) for name in _PURPOSES), key=lambda c: c[1])


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "skipped", "settled", "failed", "gave_up" or "unconfirmed"
    retry_in: dt.timedelta | None = None


def message_queue(
    *,
    purpose: str,
    subject: str,
    recipient: str,
    municipality_id: int | None = None,
    sequence: int = 0,
    language: str = "nb",
    template: str = "",
    remind_after: dt.timedelta | None = None,
    enqueue: bool = True,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Put one e-mail in the outbox and queue its send once the transaction commits. Queuing
    the same step (purpose, subject, sequence) again returns the message already there. Queuing
    a reminder (``sequence`` > 0) takes the reminder off the previous message's schedule. A
    periodic tick passes ``enqueue=False`` and queues the sends itself (and counts them)."""
    from kobling.core import outbox_tasks as tasks

    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(
                    purpose=purpose,
                    subject_key=subject,
                    sequence=sequence,
                    recipient=recipient,
                    municipality_id=municipality_id,
                    language=language or "nb",
                    template=template,
                    remind_after=remind_after,
                    created_at=now,
                )
        except IntegrityError:
            return OutboxMessage.objects.get(
                purpose=purpose, subject_key=subject, sequence=sequence
            )
        if sequence:
            OutboxMessage.objects.filter(
                purpose=purpose, subject_key=subject, sequence__lt=sequence
            ).update(reminder_due_at=None)
        if enqueue:
            message_id = message.pk
            transaction.on_commit(lambda: tasks.enqueue_send(message_id))
    return message


def messages_due(  # noqa: ANN201
    *,
    purpose: str | None = None,
    reminders: bool | None = None,
    now: dt.datetime | None = None,
):
    """Messages waiting to be (re)tried now: queued, failed with a retry that is due, or left
    *sending* by a worker whose lease ran out (``reminders``: only the reminders, or only the
    first e-mails)."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(
        Q(status=MessageStatus.QUEUED)
        | Q(status=MessageStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=MessageStatus.SENDING, claimed_until__lt=now)
    )
    if purpose is not None:
        due = due.filter(purpose=purpose)
    if reminders is not None:
        due = due.filter(sequence__gt=0) if reminders else due.filter(sequence=0)
    return due.order_by("pk")


def message_idempotency_key(message: OutboxMessage) -> str:
    """The key that names this e-mail in every attempt to send it: derived from the row and the
    secret key, so it is the same in a second copy, differs between installations and says
    nothing about the recipient."""
    value = f"{message.pk}:{message.purpose}:{message.subject_key}:{message.sequence}"
    value += f":{message.created_at.isoformat()}"
    return salted_hmac("kobling.core.outbox.message", value, algorithm="sha256").hexdigest()[:32]


def _mark(email: EmailMessage, message: OutboxMessage) -> None:
    key = message_idempotency_key(message)
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "kobling.local"
    email.extra_headers.update(
        {
            "Message-ID": f"<{key}@{domain}>",
            "X-Kobling-Idempotency-Key": key,
            "X-Kobling-Attempt": str(message.attempts),
        }
    )


def _failed(message: OutboxMessage, error: str, now: dt.datetime) -> SendResult:
    """Record a failed attempt (``message.attempts`` already counts it) and when to retry."""
    message.status = MessageStatus.FAILED
    message.claimed_until = None
    message.last_error = error[:300]
    delay = retry_delay(message.attempts)
    message.next_attempt_at = None if delay is None else now + delay
    message.save(
        update_fields=["status", "attempts", "claimed_until", "last_error", "next_attempt_at"]
    )
    logger.warning(
        "Could not send %s (attempt %s of %s): %s%s",
        message,
        message.attempts,
        MAX_ATTEMPTS,
        message.last_error,
        "" if delay is None else f"; retrying in {delay}",
    )
    return SendResult("failed" if delay else "gave_up", retry_in=delay)


def _claim(message_id: int, now: dt.datetime) -> SendResult | tuple[OutboxMessage, EmailMessage]:
    """Step 1 of a send: under the row lock, decide whether the message goes out now, and if
    so mark it *sending* with a lease, count the attempt and render it. Returns the e-mail to
    hand over, or the result when there is nothing to send."""
    # On SQLite, where SELECT … FOR UPDATE does not exist, the transaction takes the write
    # lock up front instead.
    with exclusive_transaction():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status not in (
            MessageStatus.QUEUED,
            MessageStatus.FAILED,
            MessageStatus.SENDING,
        ):
            return SendResult("skipped")
        purpose = _PURPOSES[message.purpose]
        if message.status == MessageStatus.FAILED:
            if message.next_attempt_at is None:
                return SendResult("gave_up")
            if message.next_attempt_at > now:
                return SendResult("skipped", retry_in=message.next_attempt_at - now)
        if message.status == MessageStatus.SENDING:
            if message.claimed_until is not None and message.claimed_until >= now:
                return SendResult("skipped", retry_in=message.claimed_until - now)
            # The worker that claimed it died, before or after the mail server took it.
            logger.warning("The send of %s was interrupted (attempt %s)", message, message.attempts)
            if purpose.delivery == Delivery.AT_MOST_ONCE:
                message.status = MessageStatus.UNCONFIRMED
                message.claimed_until = None
                message.last_error = "Interrupted while sending; not sent again (at most once)."
                message.save(update_fields=["status", "claimed_until", "last_error"])
                return SendResult("unconfirmed")
            if message.attempts >= MAX_ATTEMPTS:
                return _failed(message, "Interrupted while sending, every attempt.", now)
        settled = purpose.settle(message, now) if purpose.settle else None
        if settled:
            message.status = settled
            message.next_attempt_at = None
            message.claimed_until = None
            message.save(update_fields=["status", "next_attempt_at", "claimed_until"])
            return SendResult("settled")
        message.attempts += 1
        try:
            # A savepoint: a render that fails leaves nothing behind. What a render that
            # worked wrote (a link) is committed with the claim, so the copy that may go out
            # carries a link that exists.
            with transaction.atomic():
                email = purpose.render(message, now)
                _mark(email, message)
                email.message()  # headers and encoding fail here, not after the claim
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            return _failed(message, f"{type(exc).__name__}: {exc}", now)
        message.status = MessageStatus.SENDING
        message.claimed_until = now + lease()
        message.save(update_fields=["status", "claimed_until", "attempts"])
    return message, email


def _record_sent(message: OutboxMessage, email: EmailMessage, now: dt.datetime) -> SendResult:
    """Step 3: the mail server took it. Only our own claim is recorded; when another worker
    took the message over after our lease ran out, it records its own outcome."""
    purpose = _PURPOSES[message.purpose]
    with exclusive_transaction():
        current = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
        if (
            current is None
            or current.attempts != message.attempts
            or current.status not in (MessageStatus.SENDING, MessageStatus.UNCONFIRMED)
        ):
            logger.warning("Sent %s after its claim was taken over", message)
            return SendResult("sent")
        message.status = MessageStatus.SENT
        message.sent_at = now
        message.claimed_until = None
        message.subject_line = str(email.subject)[:300]
        message.last_error = ""
        message.next_attempt_at = None
        message.reminder_due_at = now + message.remind_after if message.remind_after else None
        message.save(
            update_fields=[
                "status",
                "sent_at",
                "claimed_until",
                "subject_line",
                "last_error",
                "next_attempt_at",
                "reminder_due_at",
            ]
        )
        if purpose.on_sent:
            purpose.on_sent(message, now)
    return SendResult("sent")


def _record_failed(message: OutboxMessage, exc: Exception, now: dt.datetime) -> SendResult:
    """Step 3 when the mail server refused or could not be reached (our claim only)."""
    with exclusive_transaction():
        current = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
        if (
            current is None
            or current.attempts != message.attempts
            or current.status != MessageStatus.SENDING
        ):
            return SendResult("skipped")
        return _failed(current, f"{type(exc).__name__}: {exc}", now)


def message_send(*, message_id: int, now: dt.datetime | None = None) -> SendResult:
    """Send one message: claim it, hand it to the mail server, record the outcome.

    Two workers never both send it: the claim is taken under the row lock, and a message being
    sent is left alone until its lease runs out. A worker that dies after the claim leaves it
    *sending*; past the lease the purpose's :class:`Delivery` decides (see the module)."""
    now = now or timezone.now()
    claimed = _claim(message_id, now)
    if isinstance(claimed, SendResult):
        return claimed
    message, email = claimed
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        return _record_failed(message, exc, now)
    return _record_sent(message, email, now)


def messages_settle(*, purpose: str, subject: str, status: str = MessageStatus.CANCELLED) -> int:
    """The subject is closed by another route: its unsent e-mails are settled and its reminders
    stop. Returns how many unsent e-mails were settled."""
    about = OutboxMessage.objects.filter(purpose=purpose, subject_key=subject)
    about.exclude(reminder_due_at=None).update(reminder_due_at=None)
    return about.filter(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED]).update(
        status=status, next_attempt_at=None
    )


def reminders_due(*, purpose: str, now: dt.datetime | None = None):  # noqa: ANN201
    """Sent messages of ``purpose`` whose reminder is due (oldest first). Queue the reminder
    with :func:`message_queue` (``sequence`` + 1), which takes it off the schedule."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        purpose=purpose, status=MessageStatus.SENT, reminder_due_at__lte=now
    ).order_by("reminder_due_at", "pk")


# --- signed links ---------------------------------------------------------------------------


class LinkOutcome(enum.StrEnum):
    LIVE = "live"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"


class LinkClosedError(Exception):
    """The link can no longer be used; ``outcome`` says why."""

    def __init__(self, outcome: LinkOutcome) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class AnswerState(enum.StrEnum):
    """Whether the thing a link answers can still be answered, as its app sees it (the link's
    own outcome plus the app's rules: a newer check-in, a withdrawn consent, …). Each app uses
    the states it needs; the pages show them."""

    OPEN = "open"
    ANSWERED = "answered"
    USED = "used"
    CLOSED = "closed"  # declined or opted out
    EXPIRED = "expired"


class AnswerClosedError(Exception):
    """It can no longer be answered; ``state`` says why. Apps subclass it with their name."""

    def __init__(self, state: AnswerState) -> None:
        super().__init__(state)
        self.state = state


@dataclass(frozen=True)
class Resolved:
    outcome: LinkOutcome
    link: SignedLink | None = None

    @property
    def subject_id(self) -> int | None:
        """The primary key in the link's subject key (``"checkin:12"`` → 12)."""
        return None if self.link is None else self.link.subject_id


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_token(link: SignedLink) -> str:
    """The token of a link, derived from the secret key and the row (never stored), so the
    reminder e-mail can carry the same link as the first."""
    value = f"{link.pk}:{link.purpose}:{link.subject_key}:{link.created_at.isoformat()}"
    digest = salted_hmac("kobling.core.signed-link", value, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_issue(
    *,
    purpose: str,
    subject: str,
    expires_at: dt.datetime,
    municipality_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[SignedLink, str]:
    """A new live link for ``subject`` and its token; a live link issued before is cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        links_cancel(purpose=purpose, subject=subject, now=now)
        link = SignedLink.objects.create(
            purpose=purpose,
            subject_key=subject,
            municipality_id=municipality_id,
            token_hash=secrets.token_hex(32),  # replaced below, once the row has its key
            created_at=now,
            expires_at=expires_at,
        )
        token = link_token(link)
        link.token_hash = _hash(token)
        link.save(update_fields=["token_hash"])
    return link, token


def link_live(*, purpose: str, subject: str) -> SignedLink | None:
    """The live link of ``subject``, if any (it may have expired meanwhile)."""
    return SignedLink.objects.filter(
        purpose=purpose, subject_key=subject, status=LinkStatus.LIVE
    ).first()


def links_cancel(*, purpose: str, subject: str, now: dt.datetime | None = None) -> int:
    """Cancel the live link of ``subject`` (a newer one replaces it, or the subject closed)."""
    return SignedLink.objects.filter(
        purpose=purpose, subject_key=subject, status=LinkStatus.LIVE
    ).update(status=LinkStatus.CANCELLED, cancelled_at=now or timezone.now())


def _outcome(link: SignedLink, now: dt.datetime) -> LinkOutcome:
    if link.status == LinkStatus.LIVE:
        return LinkOutcome.LIVE if now < link.expires_at else LinkOutcome.EXPIRED
    return LinkOutcome(link.status)


def link_resolve(token: str, purpose: str, *, now: dt.datetime | None = None) -> Resolved:
    """What a token from a link points to, and whether it still works."""
    if not token or len(token) > 200:
        return Resolved(LinkOutcome.UNKNOWN)
    digest = _hash(token)
    link = (
        SignedLink.objects.filter(purpose=purpose)
        .filter(Q(token_hash=digest) | Q(legacy_token_hash=digest))
        .first()
    )
    if link is None:
        return Resolved(LinkOutcome.UNKNOWN)
    return Resolved(_outcome(link, now or timezone.now()), link)


def link_open(*, link: SignedLink, now: dt.datetime | None = None) -> bool:
    """Note the first time a live link was opened. Returns whether this was the first time."""
    now = now or timezone.now()
    return bool(SignedLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=now))


def link_use(*, link: SignedLink, now: dt.datetime | None = None) -> SignedLink:
    """Use the link up (call inside the transaction that applies the answer). Its subject's
    pending reminders stop. Raises :class:`LinkClosedError` when it no longer works."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = SignedLink.objects.select_for_update().get(pk=link.pk)
        outcome = _outcome(locked, now)
        if outcome != LinkOutcome.LIVE:
            raise LinkClosedError(outcome)
        locked.status = LinkStatus.USED
        locked.used_at = now
        locked.save(update_fields=["status", "used_at"])
        reminders_stop(purpose=locked.purpose, subject=locked.subject_key)
    return locked


def reminders_stop(*, purpose: str, subject: str) -> None:
    """The subject was answered: no more reminders, and one queued but unsent is cancelled."""
    about = OutboxMessage.objects.filter(purpose=purpose, subject_key=subject)
    about.exclude(reminder_due_at=None).update(reminder_due_at=None)
    about.filter(sequence__gt=0, status__in=[MessageStatus.QUEUED, MessageStatus.FAILED]).update(
        status=MessageStatus.CANCELLED, next_attempt_at=None
    )
