"""Follow-up after the end: 3, 6 and 12 months after a pairing ended, the participant (a
minor's guardian) gets a short questionnaire by e-mail — still active? minutes a week? where? —
and one reminder a week later. The answers feed the maintenance figures
(:func:`kobling.outcomes.selectors.maintenance`).

The life of a follow-up (every step takes an explicit ``now`` so tests can move time), run by
the worker's periodic tick (:func:`followups_tick`, called from the check-in tick task):

1. :func:`followups_create_missing` creates the three follow-ups of every ended pairing (once:
   unique per pairing and month), each *scheduled* for its date.
2. When one is due, :func:`followups_queue_due` settles those that must not be sent — no consent
   to be contacted after the end (*opted out*), no e-mail address (*no address*, looked at again
   while the sending window is open), the participant paired again or the window of
   :data:`SEND_WINDOW` passed (*cancelled*) — and queues the e-mail for the rest.
3. :func:`followup_send` e-mails it under a row lock; ``sent_at`` is set in the same
   transaction after the SMTP server accepted the message, so a retried send never e-mails
   twice. The link works for :data:`LINK_VALID` from then on.
4. :data:`REMINDER_AFTER` without an answer, one reminder; then nothing more.

The link is signed, single-use and expires; GET shows the questions, POST answers (or opts out
of the rest), a second POST is "already answered". No health details in the e-mail."""

from __future__ import annotations

import datetime as dt
import enum
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.utils import exclusive_transaction

from kobling.core.sending import MAX_SEND_ATTEMPTS, SendResult, retry_delay
from kobling.followup.choices import HandoverDestination, PairingStatus
from kobling.followup.models import Pairing
from kobling.outcomes.choices import (
    ADULT_AGE,
    FOLLOW_UP_MONTHS,
    MAX_WEEKLY_MINUTES,
    FollowUpStatus,
)
from kobling.outcomes.models import FollowUp
from kobling.outcomes.selectors import add_months
from kobling.referrals.choices import ConsentScope
from kobling.referrals.selectors import consent_in_force
from kobling.tenancy.audit import audit_context, audit_log, current_context
from kobling.tenancy.choices import AuditAction

logger = logging.getLogger(__name__)

# A follow-up is sent within this long after its date; later it is no longer the 3/6/12-month
# answer, so it is let go (e.g. pairings that ended long before the follow-ups existed).
SEND_WINDOW = dt.timedelta(days=28)
REMINDER_AFTER = dt.timedelta(days=7)
LINK_VALID = dt.timedelta(days=30)

VIA_LINK = "follow-up link"
VIA_TICK = "follow-up tick"
_SIGNER_SALT = "kobling.outcomes.followup"
OPEN_STATUSES = (FollowUpStatus.SENT, FollowUpStatus.REMINDED)


class LinkState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


class FollowUpClosedError(Exception):
    """The follow-up can no longer be answered (already answered, expired or opted out)."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state)
        self.state = state


# --- links --------------------------------------------------------------------------------------


def followup_token(followup: FollowUp) -> str:
    """The signed token in the link. Only the nonce is signed; expiry and single use are decided
    by the row, so changing the row revokes the link."""
    return signing.Signer(salt=_SIGNER_SALT).sign(followup.nonce)


def followup_from_token(token: str) -> FollowUp | None:
    """The follow-up a token points to, or ``None`` when it was tampered with or is unknown."""
    try:
        nonce = signing.Signer(salt=_SIGNER_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return FollowUp.objects.select_related("municipality").filter(nonce=nonce).first()


def followup_link(followup: FollowUp) -> str:
    base = settings.KOBLING_BASE_URL.rstrip("/")
    return base + reverse("web:followup_answer", args=[followup_token(followup)])


def followup_link_state(followup: FollowUp, *, now: dt.datetime) -> LinkState:
    if followup.status == FollowUpStatus.ANSWERED:
        return LinkState.ANSWERED
    if (
        followup.status in OPEN_STATUSES
        and followup.expires_at is not None
        and now < followup.expires_at
    ):
        return LinkState.OPEN
    return LinkState.EXPIRED


# --- who is asked -------------------------------------------------------------------------------


def recipient(participant: Any, today: dt.date) -> tuple[str, str]:
    """``(who, address)``: an adult participant's own e-mail; for a minor, the guardian's.
    ``("", "")`` when there is none."""
    if participant.age_on(today) < ADULT_AGE:
        return ("guardian", participant.guardian_email) if participant.guardian_email else ("", "")
    return ("participant", participant.email) if participant.email else ("", "")


def _paired_again(pairing: Pairing) -> bool:
    return (
        Pairing.objects.filter(
            participant_id=pairing.participant_id, confirmed_at__gt=pairing.confirmed_at
        )
        .exclude(pk=pairing.pk)
        .exists()
    )


def _blocked_status(followup: FollowUp, today: dt.date) -> str | None:
    """Why this follow-up must not be sent now (the status to give it), or ``None``."""
    pairing = followup.pairing
    if _paired_again(pairing):
        return FollowUpStatus.CANCELLED
    if not consent_in_force(pairing.referral, ConsentScope.CONTACT_FOR_FOLLOW_UP, today):
        return FollowUpStatus.OPTED_OUT
    if not recipient(pairing.participant, today)[1]:
        return FollowUpStatus.NO_ADDRESS
    return None


def _set_status(followup: FollowUp, status: str, **audit: Any) -> None:
    before = followup.status
    followup.status = status
    followup.save(update_fields=["status"])
    audit_log(
        user=None,
        action=AuditAction.UPDATE,
        obj=followup,
        changes={"status": [before, status], **audit},
    )


# --- the periodic tick --------------------------------------------------------------------------


def followups_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Everything periodic about follow-ups, safe to run as often as you like: a second run at
    the same moment creates, sends and changes nothing more."""
    now = now or timezone.now()
    with audit_context(via=VIA_TICK):
        report = {"created": followups_create_missing(now=now)}
        report.update(followups_queue_due(now=now))
        report["reminders_queued"] = followups_queue_reminders(now=now)
    return report


def followups_create_missing(*, now: dt.datetime) -> int:
    """Create the missing 3-, 6- and 12-month follow-ups of ended pairings (pairings that ended
    so long ago that even the 12-month one is past its window get none)."""
    today = timezone.localdate(now)
    oldest = add_months(today - SEND_WINDOW, -max(FOLLOW_UP_MONTHS))
    pairings = (
        Pairing.objects.filter(
            status=PairingStatus.ENDED, ended_on__isnull=False, ended_on__gte=oldest
        )
        .annotate(n=Count("follow_ups"))
        .filter(n__lt=len(FOLLOW_UP_MONTHS))
        .order_by("pk")
    )
    created = 0
    for pairing in pairings:
        have = set(pairing.follow_ups.values_list("months", flat=True))
        for months in FOLLOW_UP_MONTHS:
            if months in have:
                continue
            try:
                with transaction.atomic():
                    FollowUp.objects.create(
                        municipality_id=pairing.municipality_id,
                        pairing=pairing,
                        months=months,
                        due_on=add_months(pairing.ended_on, months),
                        nonce=secrets.token_urlsafe(24),
                        created_at=now,
                    )
            except IntegrityError:
                continue  # a concurrent tick got there first
            created += 1
    return created


def followups_queue_due(*, now: dt.datetime) -> dict[str, int]:
    """Settle the due follow-ups that must not be sent and queue the e-mail for the others. A
    follow-up without an address is looked at again while its window is open (an address may
    have been added). A send already waiting in the queue is not queued twice."""
    from kobling.core.tasks import enqueue_once
    from kobling.outcomes import tasks

    today = timezone.localdate(now)
    report = {"sends_queued": 0, "no_address": 0, "opted_out": 0, "cancelled": 0}
    due = (
        FollowUp.objects.filter(due_on__lte=today)
        .filter(
            Q(status=FollowUpStatus.SCHEDULED)
            | Q(status=FollowUpStatus.NO_ADDRESS, due_on__gte=today - SEND_WINDOW)
        )
        .select_related("pairing__participant", "pairing__referral")
        .order_by("due_on", "pk")
    )
    for followup in due:
        with transaction.atomic():
            locked = (
                FollowUp.objects.select_for_update(of=("self",))
                .select_related("pairing__participant", "pairing__referral")
                .get(pk=followup.pk)
            )
            if locked.status not in (FollowUpStatus.SCHEDULED, FollowUpStatus.NO_ADDRESS):
                continue
            if today > locked.due_on + SEND_WINDOW:
                if locked.status == FollowUpStatus.SCHEDULED:
                    _set_status(locked, FollowUpStatus.CANCELLED, reason="window passed")
                    report["cancelled"] += 1
                continue
            blocked = _blocked_status(locked, today)
            if blocked is not None:
                if blocked != locked.status:
                    _set_status(locked, blocked)
                    report[str(blocked)] += 1
                continue
            if locked.status == FollowUpStatus.NO_ADDRESS:
                # An address has turned up: back in line.
                _set_status(locked, FollowUpStatus.SCHEDULED, reason="address added")
        if locked.send_attempts < MAX_SEND_ATTEMPTS and enqueue_once(
            tasks.followup_send_task, followup_id=locked.pk
        ):
            report["sends_queued"] += 1
    return report


def followups_queue_reminders(*, now: dt.datetime) -> int:
    """Queue the one reminder for follow-ups sent :data:`REMINDER_AFTER` ago without answer."""
    from kobling.core.tasks import enqueue_once
    from kobling.outcomes import tasks

    due = FollowUp.objects.filter(
        status=FollowUpStatus.SENT,
        reminder_sent_at__isnull=True,
        reminder_attempts__lt=MAX_SEND_ATTEMPTS,
        sent_at__lte=now - REMINDER_AFTER,
        expires_at__gt=now,
    ).values_list("pk", flat=True)
    return sum(enqueue_once(tasks.followup_reminder_task, followup_id=pk) for pk in due)


# --- sending ------------------------------------------------------------------------------------


def followup_send(
    *, followup_id: int, reminder: bool = False, now: dt.datetime | None = None
) -> SendResult:
    """E-mail a follow-up (or its reminder) exactly once. The row is locked for the whole send
    and the "sent" mark is written in the same transaction after the SMTP server accepted the
    message. Consent, address and a new pairing are checked again at the moment of sending."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent_field, attempts_field = (
        ("reminder_sent_at", "reminder_attempts") if reminder else ("sent_at", "send_attempts")
    )
    expected_status = FollowUpStatus.SENT if reminder else FollowUpStatus.SCHEDULED
    with exclusive_transaction(), audit_context(via=VIA_TICK):
        locked = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("pairing__participant", "pairing__referral", "pairing__programme")
            .select_related("municipality")
            .filter(pk=followup_id)
            .first()
        )
        if (
            locked is None
            or locked.status != expected_status
            or getattr(locked, sent_field) is not None
            or locked.due_on > today
        ):
            return SendResult("skipped")
        if reminder and (locked.expires_at is None or locked.expires_at <= now):
            return SendResult("skipped")
        blocked = _blocked_status(locked, today)
        if blocked is not None:
            _set_status(locked, blocked)
            return SendResult("skipped")
        attempts = getattr(locked, attempts_field)
        if attempts >= MAX_SEND_ATTEMPTS:
            return SendResult("gave_up")
        who, address = recipient(locked.pairing.participant, today)
        if not reminder:
            locked.expires_at = now + LINK_VALID
        try:
            followup_message(locked, to=address, who=who, reminder=reminder).send(
                fail_silently=False
            )
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            attempts += 1
            setattr(locked, attempts_field, attempts)
            locked.last_error = f"{type(exc).__name__}: {exc}"[:300]
            locked.save(update_fields=[attempts_field, "last_error"])
            delay = retry_delay(attempts)
            logger.warning(
                "Could not e-mail follow-up %s%s (attempt %s of %s): %s",
                locked.pk,
                " reminder" if reminder else "",
                attempts,
                MAX_SEND_ATTEMPTS,
                locked.last_error,
            )
            return SendResult("failed" if delay else "gave_up", retry_in=delay)
        setattr(locked, attempts_field, attempts + 1)
        setattr(locked, sent_field, now)
        before = locked.status
        locked.status = FollowUpStatus.REMINDED if reminder else FollowUpStatus.SENT
        locked.recipient = who
        locked.last_error = ""
        locked.save(
            update_fields=[
                attempts_field,
                sent_field,
                "status",
                "recipient",
                "expires_at",
                "last_error",
            ]
        )
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "recipient": who},
        )
    return SendResult("sent")


def followup_message(
    followup: FollowUp, *, to: str, who: str, reminder: bool = False
) -> EmailMultiAlternatives:
    """The questionnaire e-mail, in bokmål: plain text with an HTML alternative. It names the
    municipality and the programme, never anything about health; for a guardian, the
    participant's first name so they know whom it is about."""
    pairing = followup.pairing
    municipality = followup.municipality
    with translation.override(settings.LANGUAGE_CODE or "nb"):
        context = {
            "months": followup.months,
            "municipality": municipality.name,
            "programme": pairing.programme.name,
            "contact_email": municipality.contact_email,
            "guardian": who == "guardian",
            "first_name": pairing.participant.first_name,
            "link": followup_link(followup),
            "expires_on": timezone.localtime(followup.expires_at).date()
            if followup.expires_at
            else None,
            "reminder": reminder,
        }
        subject = " ".join(
            render_to_string("outcomes/emails/followup_subject.txt", context).split()
        )
        text = render_to_string("outcomes/emails/followup.txt", context)
        html = render_to_string("outcomes/emails/followup.html", context)
    host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[municipality.contact_email] if municipality.contact_email else None,
        headers={
            "Message-ID": f"<followup-{followup.pk}-{'reminder' if reminder else 'first'}"
            f".{followup.created_at:%Y%m%d%H%M%S}@{host}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- answering ----------------------------------------------------------------------------------


def _answer_problems(
    still_active: Any, minutes: Any, where: str, where_other: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if still_active not in (True, False):
        problems["still_active"] = _("Answer yes or no.")
    if minutes is not None and (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 0 <= minutes <= MAX_WEEKLY_MINUTES
    ):
        problems["minutes_per_week"] = _("Give a number of minutes from 0 to %(max)s.") % {
            "max": MAX_WEEKLY_MINUTES
        }
    elif still_active is True and minutes is None:
        problems["minutes_per_week"] = _("About how many minutes a week are you active?")
    if where and where not in HandoverDestination.values:
        problems["where"] = _("Choose one of the places.")
    elif still_active is True and not where:
        problems["where"] = _("Where are you active?")
    if where == HandoverDestination.OTHER and not where_other:
        problems["where_other"] = _("Say where.")
    if len(where_other) > 200:
        problems["where_other"] = _("Keep it to at most 200 characters.")
    return problems


def followup_answer(
    *,
    followup: FollowUp,
    still_active: bool | None,
    minutes_per_week: int | None,
    where: str = "",
    where_other: str = "",
    now: dt.datetime | None = None,
) -> FollowUp:
    """Record the answer given through the link. Raises :class:`FollowUpClosedError` when the
    link no longer works (already answered: a second answer changes nothing) and
    ``ValidationError`` for a bad answer; on any error nothing is changed. Audited."""
    now = now or timezone.now()
    where = (where or "").strip()
    where_other = (where_other or "").strip()
    problems = _answer_problems(still_active, minutes_per_week, where, where_other)
    if problems:
        raise ValidationError(problems)
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        state = followup_link_state(locked, now=now)
        if state != LinkState.OPEN:
            raise FollowUpClosedError(state)
        before = locked.status
        locked.status = FollowUpStatus.ANSWERED
        locked.answered_at = now
        locked.still_active = still_active
        locked.minutes_per_week = minutes_per_week
        locked.where = where
        locked.where_other = where_other if where == HandoverDestination.OTHER else ""
        locked.save(
            update_fields=[
                "status",
                "answered_at",
                "still_active",
                "minutes_per_week",
                "where",
                "where_other",
            ]
        )
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status]},
        )
    return locked


def followup_opt_out(*, followup: FollowUp, now: dt.datetime | None = None) -> FollowUp:
    """The participant does not want these questions: this follow-up and the later ones of the
    same pairing are closed as *opted out*. Audited."""
    now = now or timezone.now()
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        state = followup_link_state(locked, now=now)
        if state != LinkState.OPEN:
            raise FollowUpClosedError(state)
        later = FollowUp.objects.select_for_update().filter(
            pairing_id=locked.pairing_id,
            months__gt=locked.months,
            status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.NO_ADDRESS],
        )
        for row in [locked, *later]:
            _set_status(row, FollowUpStatus.OPTED_OUT, reason="participant opted out")
    return locked
