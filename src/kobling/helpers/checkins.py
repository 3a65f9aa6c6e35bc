"""Check-ins replace chasing: every N weeks each active helper is asked whether they are still
available; the answer updates the register, silence makes them unconfirmed.

The life of a check-in (every step takes an explicit ``now`` so tests can move time):

1. :func:`checkins_tick` creates one for each active helper who has neither confirmed nor been
   asked within the municipality's interval, and queues its e-mail.
2. The outbox (:mod:`kobling.core.outbox`) e-mails it exactly once, retrying a failure with
   back-off, and tells us when it went out (``sent_at``).
3. ``checkin_reminder_days`` after sending without an answer, one reminder goes out (same rules).
4. ``checkin_lapse_days`` after the reminder the check-in lapses and the helper becomes
   *unconfirmed*, which keeps them out of matching until they answer.

The answer link is the outbox's signed single-use link (purpose ``checkin``), valid until the
check-in expires; :func:`checkin_answer` applies the answer
through the helper services so the lifecycle rules, history and audit log stay in one place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core import outbox_tasks as tasks
from kobling.core.models import OutboxMessage, SignedLink
from kobling.helpers.choices import CheckInAnswer, CheckInStatus, HelperStatus, LeftReason
from kobling.helpers.models import CheckIn, Helper
from kobling.tenancy.audit import audit_context, audit_log, current_context
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality

logger = logging.getLogger(__name__)

OPEN_STATUSES = (CheckInStatus.PENDING, CheckInStatus.SENT, CheckInStatus.REMINDED)
PURPOSE = "checkin"
# What the audit log shows as the route of changes made by the helper through the e-mail link.
VIA_LINK = "checkin link"
VIA_TICK = "checkin tick"

# The salt of the answer links signed before the outbox existed (0010 moves them over).
LEGACY_SIGNER_SALT = "kobling.helpers.checkin"


LinkState = outbox.AnswerState


class CheckInClosedError(outbox.AnswerClosedError):
    """The check-in can no longer be answered (already answered, or expired/replaced)."""


# --- links ---------------------------------------------------------------------------------


def _subject(checkin: CheckIn) -> str:
    return outbox.subject_key(PURPOSE, checkin.pk)


def checkin_from_token(token: str) -> tuple[CheckIn, SignedLink] | None:
    """The check-in a link's token points to and its link, or ``None`` when the token is
    unknown (tampered with, or never issued)."""
    resolved = outbox.link_resolve(token, PURPOSE)
    if resolved.link is None:
        return None
    checkin = (
        CheckIn.objects.select_related("helper", "municipality")
        .filter(pk=resolved.subject_id)
        .first()
    )
    return None if checkin is None else (checkin, resolved.link)


def checkin_links(token: str) -> dict[str, str]:
    """Absolute answer links, one per answer, for the e-mail."""
    base = settings.KOBLING_BASE_URL.rstrip("/")
    path = reverse("web:checkin_answer", args=[token])
    return {answer: f"{base}{path}?{urlencode({'svar': answer})}" for answer in CheckInAnswer}


def checkin_link_state(checkin: CheckIn, *, now: dt.datetime) -> LinkState:
    """Whether the answer link still works. A lapsed check-in can still be answered (a late
    answer is better than none) until the link expires or a newer check-in replaces it."""
    if checkin.status == CheckInStatus.ANSWERED:
        return LinkState.ANSWERED
    link = SignedLink.objects.filter(purpose=PURPOSE, subject_key=_subject(checkin)).first()
    if (
        checkin.status == CheckInStatus.CANCELLED
        or link is None
        or link.status != "live"
        or now >= checkin.expires_at
        or checkin.helper.status != HelperStatus.ACTIVE
        or CheckIn.objects.filter(helper_id=checkin.helper_id, created_at__gt=checkin.created_at)
        .exclude(pk=checkin.pk)
        .exists()
    ):
        return LinkState.EXPIRED
    return LinkState.OPEN


# --- answering -----------------------------------------------------------------------------


def checkin_answer(
    *,
    checkin: CheckIn,
    answer: str,
    pause_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """Apply the helper's answer: *available* confirms them, *pause* pauses them until the date,
    *stop* marks them as left. Raises :class:`CheckInClosedError` when the link no longer works
    and ``ValidationError`` for a bad answer; on any error nothing is changed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if answer not in CheckInAnswer.values:
        raise ValidationError({"answer": _("Choose one of the answers.")})
    if answer == CheckInAnswer.PAUSE and (pause_until is None or pause_until <= today):
        raise ValidationError({"pause_until": _("Give a date in the future to pause until.")})
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = CheckIn.objects.select_for_update().get(pk=checkin.pk)
        state = checkin_link_state(locked, now=now)
        if state != LinkState.OPEN:
            raise CheckInClosedError(state)
        link = outbox.link_live(purpose=PURPOSE, subject=_subject(locked))
        if link is not None:
            outbox.link_use(link=link, now=now)  # single use; the reminder stops
        from_status = locked.status
        # Closed before the helper changes: pausing or stopping cancels *open* check-ins.
        locked.status = CheckInStatus.ANSWERED
        locked.answered_at = now
        locked.answer = answer
        locked.pause_until = pause_until if answer == CheckInAnswer.PAUSE else None
        locked.save(update_fields=["status", "answered_at", "answer", "pause_until"])
        helper = locked.helper
        if answer == CheckInAnswer.AVAILABLE:
            _helper_confirm(helper=helper, now=now, checkin=locked)
        else:
            from kobling.helpers.services import helper_change_status

            helper_change_status(
                helper=helper,
                by=None,
                to_status=HelperStatus.PAUSED
                if answer == CheckInAnswer.PAUSE
                else HelperStatus.LEFT,
                reason=_("Answered a check-in") if answer == CheckInAnswer.PAUSE else "",
                paused_until=locked.pause_until,
                left_reason=LeftReason.STOPPED_VIA_CHECKIN if answer == CheckInAnswer.STOP else "",
                today=today,
            )
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "status": [from_status, locked.status],
                "answer": answer,
                "pause_until": locked.pause_until,
            },
            via=VIA_LINK,
        )
    return locked


def _helper_confirm(*, helper: Helper, now: dt.datetime, checkin: CheckIn) -> None:
    # Not a lifecycle step and not an edit of the helper's details: no version bump (that would
    # make a coordinator's open edit form fail for no visible reason), but audited.
    locked = Helper.objects.select_for_update().get(pk=helper.pk)
    before = [locked.availability_confirmed_at, locked.is_unconfirmed]
    locked.availability_confirmed_at = now
    locked.is_unconfirmed = False
    locked.save(update_fields=["availability_confirmed_at", "is_unconfirmed", "updated_at"])
    audit_log(
        user=None,
        action=AuditAction.UPDATE,
        obj=locked,
        changes={
            "availability_confirmed_at": [before[0], now],
            "is_unconfirmed": [before[1], False],
            "checkin": checkin.pk,
        },
        via=VIA_LINK,
    )


def checkins_cancel_open(*, helper: Helper) -> int:
    """A helper who paused or left by another route no longer needs an open check-in."""
    with transaction.atomic():
        open_ids = list(
            CheckIn.objects.filter(helper=helper, status__in=OPEN_STATUSES).values_list(
                "pk", flat=True
            )
        )
        for pk in open_ids:
            subject = outbox.subject_key(PURPOSE, pk)
            outbox.messages_settle(purpose=PURPOSE, subject=subject)
            outbox.links_cancel(purpose=PURPOSE, subject=subject)
        return CheckIn.objects.filter(pk__in=open_ids).update(status=CheckInStatus.CANCELLED)


# --- the periodic tick ----------------------------------------------------------------------


def checkins_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Everything periodic about check-ins, safe to run as often as you like: a second run at
    the same moment creates, sends and changes nothing more."""
    from kobling.helpers.services import helpers_resume_paused

    now = now or timezone.now()
    with audit_context(via=VIA_TICK):
        # Clearing dead check-ins first lets their helpers be asked afresh in the same run.
        report = {"expired": checkins_expire_unsent(now=now)}
        report["created"] = checkins_create_due(now=now)
        report["sends_queued"] = checkins_queue_sends(now=now)
        report["reminders_queued"] = checkins_queue_reminders(now=now)
        report["lapsed"] = checkins_lapse_overdue(now=now)
        report["resumed"] = len(helpers_resume_paused(today=timezone.localdate(now)))
    return report


def _open_checkin(helper_ref: OuterRef) -> Exists:
    return Exists(CheckIn.objects.filter(helper=helper_ref, status__in=OPEN_STATUSES))


def helpers_due_for_checkin(*, municipality: Municipality, now: dt.datetime):  # noqa: ANN201
    """Active helpers of ``municipality`` who have neither confirmed their availability nor been
    asked within the check-in interval, and have no check-in under way."""
    cutoff = now - dt.timedelta(weeks=municipality.checkin_interval_weeks)
    asked_recently = CheckIn.objects.filter(helper=OuterRef("pk"), created_at__gt=cutoff)
    return (
        Helper.objects.filter(
            municipality=municipality, status=HelperStatus.ACTIVE, programme__is_active=True
        )
        .filter(
            Q(availability_confirmed_at__isnull=True) | Q(availability_confirmed_at__lte=cutoff)
        )
        .exclude(_open_checkin(OuterRef("pk")))
        .exclude(Exists(asked_recently))
        .order_by("pk")
    )


def checkins_create_due(*, now: dt.datetime) -> int:
    """Create a check-in for every helper who is due. Returns how many were created."""
    created = 0
    municipalities = Municipality.objects.filter(
        Exists(Helper.objects.filter(municipality=OuterRef("pk"), status=HelperStatus.ACTIVE))
    )
    for municipality in municipalities:
        valid_for = dt.timedelta(
            weeks=municipality.checkin_interval_weeks,
            days=municipality.checkin_reminder_days + municipality.checkin_lapse_days,
        )
        for helper in helpers_due_for_checkin(municipality=municipality, now=now):
            try:
                with transaction.atomic():
                    checkin = CheckIn.objects.create(
                        helper=helper,
                        municipality_id=helper.municipality_id,
                        created_at=now,
                        status=CheckInStatus.PENDING,
                        expires_at=now + valid_for,
                    )
                    outbox.message_queue(
                        purpose=PURPOSE,
                        subject=_subject(checkin),
                        recipient=helper.email,
                        municipality_id=checkin.municipality_id,
                        language=_language(helper),
                        template="emails/checkin.txt",
                        remind_after=dt.timedelta(days=municipality.checkin_reminder_days),
                        enqueue=False,  # the tick queues the sends next
                        now=now,
                    )
            except IntegrityError:
                # A concurrent tick got there first; the constraint allows one open check-in.
                continue
            created += 1
    return created


def checkins_queue_sends(*, now: dt.datetime) -> int:
    """Queue the e-mail of every check-in not sent yet (new ones, failed sends whose retry is
    due, and sends whose task got lost). A send already waiting in the queue is not queued
    twice."""
    return tasks.messages_requeue(purpose=PURPOSE, now=now, reminders=False)


def _by_municipality(statuses: tuple[str, ...]) -> Iterator[Municipality]:
    return Municipality.objects.filter(
        Exists(CheckIn.objects.filter(municipality=OuterRef("pk"), status__in=statuses))
    ).iterator()


def checkins_queue_reminders(*, now: dt.datetime) -> int:
    """Queue the one reminder of check-ins sent ``checkin_reminder_days`` ago without answer
    (the outbox's schedule, stopped by the answer)."""
    return tasks.reminders_queue(purpose=PURPOSE, now=now)


def checkins_lapse_overdue(*, now: dt.datetime) -> int:
    """No answer ``checkin_lapse_days`` after the reminder: the check-in lapses and the helper
    becomes unconfirmed. (If the reminder could not be sent at all, the clock runs from when it
    was due.)"""
    lapsed = 0
    for municipality in _by_municipality((CheckInStatus.SENT, CheckInStatus.REMINDED)):
        lapse = dt.timedelta(days=municipality.checkin_lapse_days)
        remind = dt.timedelta(days=municipality.checkin_reminder_days)
        overdue = CheckIn.objects.filter(municipality=municipality).filter(
            Q(status=CheckInStatus.REMINDED, reminder_sent_at__lte=now - lapse)
            | Q(status=CheckInStatus.SENT, sent_at__lte=now - remind - lapse)
            | Q(status__in=[CheckInStatus.SENT, CheckInStatus.REMINDED], expires_at__lte=now)
        )
        for pk in overdue.values_list("pk", flat=True):
            lapsed += checkin_lapse(checkin_id=pk, now=now)
    return lapsed


def checkin_lapse(*, checkin_id: int, now: dt.datetime) -> bool:
    """Close one unanswered check-in and mark its helper unconfirmed."""
    with transaction.atomic():
        locked = CheckIn.objects.select_for_update().get(pk=checkin_id)
        if locked.status not in (CheckInStatus.SENT, CheckInStatus.REMINDED):
            return False
        locked.status = CheckInStatus.LAPSED
        locked.lapsed_at = now
        locked.save(update_fields=["status", "lapsed_at"])
        # No more e-mails; the link keeps working for a late answer until it expires.
        outbox.messages_settle(purpose=PURPOSE, subject=_subject(locked))
        helper = Helper.objects.select_for_update().get(pk=locked.helper_id)
        if helper.status == HelperStatus.ACTIVE and not helper.is_unconfirmed:
            helper.is_unconfirmed = True
            helper.save(update_fields=["is_unconfirmed", "updated_at"])
            audit_log(
                user=None,
                action=AuditAction.UPDATE,
                obj=helper,
                changes={"is_unconfirmed": [False, True], "checkin": locked.pk},
                via=VIA_TICK,
            )
    return True


def checkins_expire_unsent(*, now: dt.datetime) -> int:
    """A check-in that could never be sent is given up when its link would have expired, so the
    helper is asked afresh by the next tick instead of being stuck with a dead check-in."""
    stale = CheckIn.objects.filter(status=CheckInStatus.PENDING, expires_at__lte=now)
    count = 0
    for checkin in stale:
        message = OutboxMessage.objects.filter(
            purpose=PURPOSE, subject_key=_subject(checkin), sequence=0
        ).first()
        logger.warning(
            "Check-in %s was never sent (%s attempts, last error: %s); giving up.",
            checkin.pk,
            message.attempts if message else 0,
            (message.last_error if message else "") or "—",
        )
        with transaction.atomic():
            outbox.messages_settle(purpose=PURPOSE, subject=_subject(checkin))
            count += CheckIn.objects.filter(pk=checkin.pk, status=CheckInStatus.PENDING).update(
                status=CheckInStatus.CANCELLED
            )
    return count


# --- sending (through the outbox) -----------------------------------------------------------


def checkin_send(
    *, checkin_id: int, reminder: bool = False, now: dt.datetime | None = None
) -> outbox.SendResult:
    """Send a check-in's e-mail (or its reminder) now, through the outbox: exactly once."""
    message = OutboxMessage.objects.filter(
        purpose=PURPOSE, subject_key=outbox.subject_key(PURPOSE, checkin_id), sequence=int(reminder)
    ).first()
    if message is None:
        return outbox.SendResult("skipped")
    return outbox.message_send(message_id=message.pk, now=now)


def _language(helper: Helper) -> str:
    return (helper.user.preferred_language if helper.user_id else "") or settings.LANGUAGE_CODE


def _checkin_of(message: OutboxMessage) -> CheckIn:
    pk = message.subject_id
    return CheckIn.objects.select_related("helper__user", "helper__programme", "municipality").get(
        pk=pk
    )


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Send the first e-mail only while the check-in waits for it, the reminder only while it
    waits for an answer and has not expired."""
    checkin = _checkin_of(message)
    if message.sequence == 0 and checkin.status == CheckInStatus.PENDING:
        return None
    if message.sequence == 1 and checkin.status == CheckInStatus.SENT and now < checkin.expires_at:
        return None
    return "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    checkin = _checkin_of(message)
    link = outbox.link_live(purpose=PURPOSE, subject=message.subject_key)
    if link is None:
        link, token = outbox.link_issue(
            purpose=PURPOSE,
            subject=message.subject_key,
            municipality_id=checkin.municipality_id,
            expires_at=checkin.expires_at,
            now=now,
        )
    else:
        token = outbox.link_token(link)
    return checkin_message(checkin, token=token, reminder=bool(message.sequence))


def _on_sent(message: OutboxMessage, now: dt.datetime) -> None:
    checkin = CheckIn.objects.select_for_update().get(pk=_checkin_of(message).pk)
    if message.sequence:
        checkin.status, checkin.reminder_sent_at = CheckInStatus.REMINDED, now
        checkin.save(update_fields=["status", "reminder_sent_at"])
    else:
        checkin.status, checkin.sent_at = CheckInStatus.SENT, now
        checkin.save(update_fields=["status", "sent_at"])


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Check-in"),
        render=_render,
        settle=_settle,
        on_sent=_on_sent,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)


def checkin_message(
    checkin: CheckIn, *, token: str, reminder: bool = False
) -> EmailMultiAlternatives:
    """The check-in e-mail: plain text with an HTML alternative, in the helper's language (the
    site's default, Norwegian bokmål, unless their account says otherwise). No health data."""
    helper = checkin.helper
    municipality = checkin.municipality
    language = _language(helper)
    lapse_on = None
    if reminder:
        lapse_on = timezone.localdate() + dt.timedelta(days=municipality.checkin_lapse_days)
    with translation.override(language):
        context = {
            "helper_first_name": helper.first_name,
            "kind": helper.get_kind_display(),
            "programme": helper.programme.name,
            "municipality": municipality.name,
            "contact_email": municipality.contact_email,
            "interval_weeks": municipality.checkin_interval_weeks,
            "links": checkin_links(token),
            "expires_on": timezone.localtime(checkin.expires_at).date(),
            "reminder": reminder,
            "lapse_on": lapse_on,
        }
        subject = " ".join(render_to_string("emails/checkin_subject.txt", context).split())
        text = render_to_string("emails/checkin.txt", context)
        html = render_to_string("emails/checkin.html", context)
    host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[helper.email],
        reply_to=[municipality.contact_email] if municipality.contact_email else None,
        headers={
            # The same check-in always has the same Message-ID, so if a duplicate ever slipped
            # through, mail systems can recognise it.
            "Message-ID": f"<checkin-{checkin.pk}-{'reminder' if reminder else 'first'}"
            f".{checkin.created_at:%Y%m%d%H%M%S}@{host}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
