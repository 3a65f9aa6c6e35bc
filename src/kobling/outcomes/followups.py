"""Follow-up after the end: 3, 6 and 12 months after a course (forløp) ended, the participant (a
minor's guardian) gets a short questionnaire by e-mail — still active? minutes a week? where? —
and one reminder a week later. The answers feed the maintenance figures
(:func:`kobling.outcomes.selectors.maintenance`).

The life of a follow-up (every step takes an explicit ``now`` so tests can move time), run by
the worker's periodic tick (:func:`followups_tick`, called from the check-in tick task):

1. :func:`followups_create_missing` creates the three follow-ups of every ended course — whatever
   delivered it: a pairing, a group, a provider — once per course, end and month, each
   *scheduled* for its date.
2. When one is due, :func:`followups_queue_due` settles those that must not be sent — no consent
   to be contacted after the end (*opted out*), no e-mail address (*no address*, looked at again
   while the sending window is open), the participant began a new course or the window of
   :data:`SEND_WINDOW` passed (*cancelled*) — and queues the e-mail for the rest.
3. The outbox (:mod:`kobling.core.outbox`, purpose ``followup``) e-mails it exactly once and
   retries a failure with back-off; consent, address and a new course are checked again at the
   moment of sending. The link works for :data:`LINK_VALID` from then on.
4. :data:`REMINDER_AFTER` without an answer, one reminder (the outbox's reminder schedule,
   stopped by the answer); then nothing more.

The link is the outbox's signed single-use link; GET shows the questions, POST answers (or opts out
of the rest), a second POST is "already answered". No health details in the e-mail."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core import outbox_tasks as tasks
from kobling.core.models import OutboxMessage, SignedLink
from kobling.followup.choices import HandoverDestination
from kobling.followup.models import Pairing
from kobling.outcomes.choices import (
    ADULT_AGE,
    FOLLOW_UP_MONTHS,
    MAX_WEEKLY_MINUTES,
    FollowUpStatus,
)
from kobling.outcomes.models import FollowUp
from kobling.outcomes.selectors import add_months
from kobling.referrals.choices import ConsentScope, EpisodeStatus
from kobling.referrals.models import Consent, Episode
from kobling.referrals.selectors import consent_in_force
from kobling.referrals.services import consent_withdraw_by_participant
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
PURPOSE = "followup"
# The salt of the links signed before the outbox existed (0004 moves them over).
LEGACY_SIGNER_SALT = "kobling.outcomes.followup"
OPEN_STATUSES = (FollowUpStatus.SENT, FollowUpStatus.REMINDED)


LinkState = outbox.AnswerState


class FollowUpClosedError(outbox.AnswerClosedError):
    """The follow-up can no longer be answered (already answered, expired or opted out)."""


# --- links --------------------------------------------------------------------------------------


def _subject(followup: FollowUp) -> str:
    return outbox.subject_key(PURPOSE, followup.pk)


def followup_token(followup: FollowUp, *, now: dt.datetime | None = None) -> str:
    """The token of the follow-up's live link (issued when there is none, valid until the
    follow-up's ``expires_at``)."""
    now = now or timezone.now()
    link = outbox.link_live(purpose=PURPOSE, subject=_subject(followup))
    if link is not None:
        return outbox.link_token(link)
    return outbox.link_issue(
        purpose=PURPOSE,
        subject=_subject(followup),
        municipality_id=followup.municipality_id,
        expires_at=followup.expires_at or now + LINK_VALID,
        now=now,
    )[1]


def followup_from_token(token: str) -> FollowUp | None:
    """The follow-up a token points to, or ``None`` when the token is unknown."""
    resolved = outbox.link_resolve(token, PURPOSE)
    if resolved.link is None:
        return None
    return FollowUp.objects.select_related("municipality").filter(pk=resolved.subject_id).first()


def followup_link(followup: FollowUp) -> str:
    base = settings.KOBLING_BASE_URL.rstrip("/")
    return base + reverse("web:followup_answer", args=[followup_token(followup)])


def followup_link_state(followup: FollowUp, *, now: dt.datetime) -> LinkState:
    if followup.status == FollowUpStatus.ANSWERED:
        return LinkState.ANSWERED
    link = SignedLink.objects.filter(purpose=PURPOSE, subject_key=_subject(followup)).first()
    if (
        followup.status in OPEN_STATUSES
        and followup.expires_at is not None
        and now < followup.expires_at
        and link is not None
        and link.status == "live"
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


def _began_again(followup: FollowUp) -> bool:
    """The participant is in something newer than what this follow-up asks about: a pairing
    confirmed after this one's (a re-match in data from before courses ended only at the
    course's end), or another course opened since."""
    course = followup.episode
    if followup.pairing_id is not None and (
        Pairing.objects.filter(
            participant_id=course.participant_id,
            confirmed_at__gt=followup.pairing.confirmed_at,
        )
        .exclude(pk=followup.pairing_id)
        .exists()
    ):
        return True
    return (
        Episode.objects.filter(participant_id=course.participant_id)
        .filter(Q(opened_on__gt=course.opened_on) | Q(opened_on=course.opened_on, pk__gt=course.pk))
        .exists()
    )


def _blocked_status(followup: FollowUp, today: dt.date) -> str | None:
    """Why this follow-up must not be sent now (the status to give it), or ``None``."""
    course = followup.episode
    if _began_again(followup):
        return FollowUpStatus.CANCELLED
    if not consent_in_force(course.referral, ConsentScope.CONTACT_FOR_FOLLOW_UP, today):
        return FollowUpStatus.OPTED_OUT
    if not recipient(course.participant, today)[1]:
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
    """Create the missing 3-, 6- and 12-month follow-ups of ended courses (courses that ended so
    long ago that even the 12-month one is past its window get none). A follow-up names the
    course and, where pairs delivered it, the last pair (whose contact sees it)."""
    today = timezone.localdate(now)
    oldest = add_months(today - SEND_WINDOW, -max(FOLLOW_UP_MONTHS))
    last_pairing = (
        Pairing.objects.filter(episode=OuterRef("pk")).order_by("-confirmed_at", "-pk").values("pk")
    )
    # Courses still lacking a follow-up dated from their end (rows dated from an earlier end —
    # a pair re-matched before courses ended only at their end — do not count).
    courses = (
        Episode.objects.filter(
            status=EpisodeStatus.ENDED, ended_on__isnull=False, ended_on__gte=oldest
        )
        .annotate(
            n=Count("follow_ups", filter=Q(follow_ups__due_on__gt=F("ended_on"))),
            last_pairing_id=Subquery(last_pairing[:1]),
        )
        .filter(n__lt=len(FOLLOW_UP_MONTHS))
        .order_by("pk")
    )
    created = 0
    for course in courses:
        have = {
            months
            for months, due_on in course.follow_ups.values_list("months", "due_on")
            if due_on == add_months(course.ended_on, months)
        }
        for months in FOLLOW_UP_MONTHS:
            if months in have:
                continue
            try:
                with transaction.atomic():
                    FollowUp.objects.create(
                        municipality_id=course.municipality_id,
                        episode=course,
                        pairing_id=course.last_pairing_id,
                        months=months,
                        due_on=add_months(course.ended_on, months),
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
    today = timezone.localdate(now)
    report = {"sends_queued": 0, "no_address": 0, "opted_out": 0, "cancelled": 0}
    due = (
        FollowUp.objects.filter(due_on__lte=today)
        .filter(
            Q(status=FollowUpStatus.SCHEDULED)
            | Q(status=FollowUpStatus.NO_ADDRESS, due_on__gte=today - SEND_WINDOW)
        )
        .select_related("episode__participant", "episode__referral", "pairing")
        .order_by("due_on", "pk")
    )
    for followup in due:
        with transaction.atomic():
            locked = (
                FollowUp.objects.select_for_update(of=("self",))
                .select_related("episode__participant", "episode__referral", "pairing")
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
            outbox.message_queue(
                purpose=PURPOSE,
                subject=_subject(locked),
                recipient=recipient(locked.episode.participant, today)[1],
                municipality_id=locked.municipality_id,
                template="outcomes/emails/followup.txt",
                remind_after=REMINDER_AFTER,
                enqueue=False,
                now=now,
            )
    report["sends_queued"] = tasks.messages_requeue(purpose=PURPOSE, reminders=False, now=now)
    return report


def followups_queue_reminders(*, now: dt.datetime) -> int:
    """Queue the one reminder for follow-ups sent :data:`REMINDER_AFTER` ago without answer
    (the outbox's schedule, stopped by the answer)."""
    return tasks.reminders_queue(purpose=PURPOSE, now=now)


# --- sending (through the outbox) ---------------------------------------------------------------


def followup_send(
    *, followup_id: int, reminder: bool = False, now: dt.datetime | None = None
) -> outbox.SendResult:
    """Send a follow-up's e-mail (or its reminder) now, through the outbox: exactly once."""
    message = OutboxMessage.objects.filter(
        purpose=PURPOSE,
        subject_key=outbox.subject_key(PURPOSE, followup_id),
        sequence=int(reminder),
    ).first()
    if message is None:
        return outbox.SendResult("skipped")
    return outbox.message_send(message_id=message.pk, now=now)


def _followup_of(message: OutboxMessage, *, lock: bool = False) -> FollowUp:
    rows = FollowUp.objects.select_for_update(of=("self",)) if lock else FollowUp.objects
    return (
        rows.select_related(
            "episode__participant", "episode__referral", "episode__programme", "pairing"
        )
        .select_related("municipality")
        .get(pk=message.subject_id)
    )


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Consent, address and a new course are checked again at the moment of sending."""
    today = timezone.localdate(now)
    with audit_context(via=VIA_TICK):
        followup = _followup_of(message, lock=True)
        expected = FollowUpStatus.SENT if message.sequence else FollowUpStatus.SCHEDULED
        if followup.status != expected or followup.due_on > today:
            return "cancelled"
        if message.sequence and (followup.expires_at is None or followup.expires_at <= now):
            return "cancelled"
        blocked = _blocked_status(followup, today)
        if blocked is not None:
            _set_status(followup, blocked)
            return "opted_out" if blocked == FollowUpStatus.OPTED_OUT else "cancelled"
    return None


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    followup = _followup_of(message)
    who, address = recipient(followup.episode.participant, timezone.localdate(now))
    # The first attempt of the first e-mail makes a fresh link; a later attempt (the mail server
    # failed, or a worker died after handing it over) and a reminder carry the same link, so a
    # copy that did arrive keeps working.
    if not message.sequence and message.attempts <= 1:
        followup.expires_at = now + LINK_VALID
        outbox.links_cancel(purpose=PURPOSE, subject=message.subject_key, now=now)
    token = followup_token(followup, now=now)
    return followup_message(
        followup, to=address, who=who, token=token, reminder=bool(message.sequence)
    )


def _on_sent(message: OutboxMessage, now: dt.datetime) -> None:
    with audit_context(via=VIA_TICK):
        followup = _followup_of(message, lock=True)
        before = followup.status
        if message.sequence:
            followup.status, followup.reminder_sent_at = FollowUpStatus.REMINDED, now
            fields = ["status", "reminder_sent_at"]
        else:
            who = recipient(followup.episode.participant, timezone.localdate(now))[0]
            followup.status, followup.sent_at, followup.recipient = FollowUpStatus.SENT, now, who
            followup.expires_at = now + LINK_VALID
            fields = ["status", "sent_at", "recipient", "expires_at"]
        followup.save(update_fields=fields)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=followup,
            changes={"status": [before, followup.status], "recipient": followup.recipient},
        )


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Follow-up questionnaire"),
        render=_render,
        settle=_settle,
        on_sent=_on_sent,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)


def followup_message(
    followup: FollowUp, *, to: str, who: str, token: str, reminder: bool = False
) -> EmailMultiAlternatives:
    """The questionnaire e-mail, in bokmål: plain text with an HTML alternative. It names the
    municipality and the programme, never anything about health; for a guardian, the
    participant's first name so they know whom it is about."""
    course = followup.episode
    municipality = followup.municipality
    with translation.override(settings.LANGUAGE_CODE or "nb"):
        context = {
            "months": followup.months,
            "municipality": municipality.name,
            "programme": course.programme.name,
            "contact_email": municipality.contact_email,
            "guardian": who == "guardian",
            "first_name": course.participant.first_name,
            "link": settings.KOBLING_BASE_URL.rstrip("/")
            + reverse("web:followup_answer", args=[token]),
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


def _use_link(followup: FollowUp, now: dt.datetime) -> None:
    """The link works once; the reminder stops."""
    link = outbox.link_live(purpose=PURPOSE, subject=_subject(followup))
    if link is not None:
        outbox.link_use(link=link, now=now)


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
        _use_link(locked, now)
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
    same course are closed as *opted out*. Audited."""
    now = now or timezone.now()
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        state = followup_link_state(locked, now=now)
        if state != LinkState.OPEN:
            raise FollowUpClosedError(state)
        _use_link(locked, now)
        later = FollowUp.objects.select_for_update().filter(
            episode_id=locked.episode_id,
            months__gt=locked.months,
            status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.NO_ADDRESS],
        )
        for row in [locked, *later]:
            _set_status(row, FollowUpStatus.OPTED_OUT, reason="participant opted out")
    return locked


# --- after opting out: withdrawing consents ---------------------------------------------------


def followup_may_withdraw_consents(followup: FollowUp, *, now: dt.datetime) -> bool:
    """Whether the link's holder may still withdraw consents: they opted out through this very
    link (it was used for that, not answered) and its time has not run out. A follow-up closed
    as opted out because consent was missing never had a link used, so it does not qualify."""
    if followup.status != FollowUpStatus.OPTED_OUT or followup.expires_at is None:
        return False
    if now >= followup.expires_at:
        return False
    link = SignedLink.objects.filter(purpose=PURPOSE, subject_key=_subject(followup)).first()
    return link is not None and link.status == "used"


def followup_consents_in_force(followup: FollowUp, *, today: dt.date) -> list[Consent]:
    """The consents of the course's referral that are in force today: what the participant can
    withdraw after opting out (to be contacted after the end, to share with the referrer or a
    partner, research)."""
    return [
        c
        for c in Consent.objects.filter(referral__episode=followup.episode_id).order_by(
            "scope", "id"
        )
        if c.in_force_on(today)
    ]


def followup_withdraw_consents(
    *, followup: FollowUp, consent_ids: list[int], now: dt.datetime | None = None
) -> list[Consent]:
    """After opting out, the participant also withdraws the ticked consents, through the
    referrals app's withdrawal (recorded as by the participant). Only consents of this course
    that are in force may be named; :class:`FollowUpClosedError` when the link no longer
    allows it. Audited (by the withdrawal)."""
    now = now or timezone.now()
    if not followup_may_withdraw_consents(followup, now=now):
        raise FollowUpClosedError(LinkState.EXPIRED)
    offered = {c.pk: c for c in followup_consents_in_force(followup, today=timezone.localdate(now))}
    chosen = [offered[pk] for pk in dict.fromkeys(consent_ids) if pk in offered]
    if not chosen:
        raise ValidationError({"consent": _("Tick the consents you want to withdraw.")})
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        return [consent_withdraw_by_participant(consent=c) for c in chosen]
