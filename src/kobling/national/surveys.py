"""Mapping surveys by e-mail: one signed link per unit, reminders that stop on an answer.

The life of a recipient (every step takes an explicit ``now`` so tests can move time):

1. The analyst dispatches a campaign (:func:`kobling.national.services.campaign_dispatch`):
   each *pending* recipient's e-mail is queued for the worker.
2. The outbox (:mod:`kobling.core.outbox`, purpose ``survey``) e-mails it exactly once,
   retrying a failure with back-off, and issues the signed single-use link, which works for the
   campaign's ``link_valid_days`` from then on.
3. The first GET of the link marks it *opened* (mail scanners that open links count too; the
   docs say so). The page shows the questions; POST answers, declines or opts out.
4. :func:`surveys_tick` (run by the worker's periodic tick) re-queues lost sends and queues
   reminder *n* when ``reminder_interval_days`` have passed since the e-mail or reminder *n−1*
   (the outbox's reminder schedule), up to the campaign's ``reminder_count``, while the
   recipient is *sent* or *opened*. An answer, a decline or an opt-out uses the link up, which
   ends the reminders.

An answer records the scheme status (source *survey*). No health details in any e-mail."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core import outbox_tasks as tasks
from kobling.core.models import OutboxMessage, SignedLink
from kobling.national.choices import (
    GATE_TO_STATE,
    OPEN_RECIPIENT_STATUSES,
    EndReason,
    QuestionKind,
    QuestionRole,
    RecipientStatus,
    SchemeState,
    StatusSource,
)
from kobling.national.models import SurveyQuestion, SurveyRecipient, UnitContact
from kobling.tenancy.audit import audit_context, audit_log, current_context
from kobling.tenancy.choices import AuditAction

logger = logging.getLogger(__name__)

VIA_LINK = "mapping survey link"
VIA_TICK = "mapping survey tick"
PURPOSE = "survey"
# The salt of the links signed before the outbox existed (0004 moves them over).
LEGACY_SIGNER_SALT = "kobling.national.survey"
MAX_NUMBER = 10**7
MAX_TEXT = 2000


LinkState = outbox.AnswerState


class SurveyClosedError(outbox.AnswerClosedError):
    """The survey can no longer be answered (answered, declined, opted out or expired)."""


# --- links --------------------------------------------------------------------------------------


def _subject(recipient: SurveyRecipient) -> str:
    return outbox.subject_key(PURPOSE, recipient.pk)


def recipient_from_token(token: str) -> SurveyRecipient | None:
    """The recipient a token points to, or ``None`` when the token is unknown."""
    resolved = outbox.link_resolve(token, PURPOSE)
    if resolved.link is None:
        return None
    return (
        SurveyRecipient.objects.select_related("campaign__template", "unit")
        .filter(pk=resolved.subject_id)
        .first()
    )


def link_state(recipient: SurveyRecipient, *, now: dt.datetime) -> LinkState:
    if recipient.status == RecipientStatus.ANSWERED:
        return LinkState.ANSWERED
    if recipient.status in (RecipientStatus.DECLINED, RecipientStatus.OPTED_OUT):
        return LinkState.CLOSED
    link = SignedLink.objects.filter(purpose=PURPOSE, subject_key=_subject(recipient)).first()
    if (
        recipient.status in OPEN_RECIPIENT_STATUSES
        and recipient.expires_at is not None
        and now < recipient.expires_at
        and link is not None
        and link.status == "live"
    ):
        return LinkState.OPEN
    return LinkState.EXPIRED


# --- the periodic tick --------------------------------------------------------------------------


def _remind_after(campaign: Any, sequence: int) -> dt.timedelta | None:
    """After e-mail number ``sequence`` (0: the survey), when the next reminder is due."""
    if sequence >= campaign.reminder_count:
        return None
    return dt.timedelta(days=campaign.reminder_interval_days)


def queue_sends(*, recipient_ids: list[int]) -> int:
    """Put the survey e-mail of each recipient in the outbox and queue its send."""
    queued = 0
    recipients = SurveyRecipient.objects.filter(
        pk__in=recipient_ids, status=RecipientStatus.PENDING
    )
    for recipient in recipients.select_related("campaign"):
        message = outbox.message_queue(
            purpose=PURPOSE,
            subject=_subject(recipient),
            recipient=recipient.email,
            template="national/emails/survey.txt",
            remind_after=_remind_after(recipient.campaign, 0),
            enqueue=False,
        )
        queued += tasks.enqueue_send(message.pk)
    return queued


def surveys_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Everything periodic about mapping surveys, safe to run as often as you like."""
    now = now or timezone.now()
    with audit_context(via=VIA_TICK):
        report = {"sends_queued": surveys_queue_unsent(now=now)}
        report["reminders_queued"] = surveys_queue_reminders(now=now)
    return report


def surveys_queue_unsent(*, now: dt.datetime | None = None) -> int:
    """Re-queue surveys whose send task got lost, or whose retry after a failure is due."""
    return tasks.messages_requeue(purpose=PURPOSE, reminders=False, now=now)


def surveys_queue_reminders(*, now: dt.datetime) -> int:
    """Queue the next reminder of every open recipient that is due for one (the outbox's
    schedule, stopped by an answer, a decline or an opt-out)."""

    def wanted(previous: OutboxMessage) -> bool:
        return _may_remind(_recipient_of(previous), previous.sequence + 1, now)

    def remind_after(previous: OutboxMessage) -> dt.timedelta | None:
        return _remind_after(_recipient_of(previous).campaign, previous.sequence + 1)

    return tasks.reminders_queue(purpose=PURPOSE, now=now, wanted=wanted, remind_after=remind_after)


# --- sending (through the outbox) ---------------------------------------------------------------


def _recipient_of(message: OutboxMessage, *, lock: bool = False) -> SurveyRecipient:
    rows = (
        SurveyRecipient.objects.select_for_update(of=("self",)) if lock else SurveyRecipient.objects
    )
    return rows.select_related("campaign__template", "unit").get(pk=message.subject_id)


def _may_remind(recipient: SurveyRecipient, number: int, now: dt.datetime) -> bool:
    return (
        recipient.status in OPEN_RECIPIENT_STATUSES
        and recipient.reminders_sent == number - 1
        and number <= recipient.campaign.reminder_count
        and recipient.expires_at is not None
        and recipient.expires_at > now
    )


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    recipient = _recipient_of(message)
    if message.sequence:
        return None if _may_remind(recipient, message.sequence, now) else "cancelled"
    if recipient.status == RecipientStatus.PENDING and recipient.sent_at is None:
        return None
    return "opted_out" if recipient.status == RecipientStatus.OPTED_OUT else "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    recipient = _recipient_of(message)
    link = outbox.link_live(purpose=PURPOSE, subject=message.subject_key)
    if message.sequence == 0 or link is None:
        recipient.expires_at = now + dt.timedelta(days=recipient.campaign.link_valid_days)
        link, token = outbox.link_issue(
            purpose=PURPOSE, subject=message.subject_key, expires_at=recipient.expires_at, now=now
        )
    else:
        token = outbox.link_token(link)
    return survey_message(recipient, token=token, reminder=message.sequence)


def _on_sent(message: OutboxMessage, now: dt.datetime) -> None:
    with audit_context(via=VIA_TICK):
        recipient = _recipient_of(message, lock=True)
        before = recipient.status
        if message.sequence:
            recipient.reminders_sent = message.sequence
            recipient.last_reminder_at = now
            fields = ["reminders_sent", "last_reminder_at"]
        else:
            recipient.status = RecipientStatus.SENT
            recipient.sent_at = now
            recipient.expires_at = now + dt.timedelta(days=recipient.campaign.link_valid_days)
            fields = ["status", "sent_at", "expires_at"]
        recipient.save(update_fields=fields)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=recipient,
            changes={"status": [before, recipient.status], "reminder": message.sequence},
        )


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Mapping survey"),
        render=_render,
        settle=_settle,
        on_sent=_on_sent,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)


def recipient_send(
    *, recipient_id: int, reminder: int = 0, now: dt.datetime | None = None
) -> outbox.SendResult:
    """Send the survey (``reminder=0``) or reminder number ``reminder`` now, through the outbox."""
    message = OutboxMessage.objects.filter(
        purpose=PURPOSE, subject_key=outbox.subject_key(PURPOSE, recipient_id), sequence=reminder
    ).first()
    if message is None:
        return outbox.SendResult("skipped")
    return outbox.message_send(message_id=message.pk, now=now)


def survey_message(
    recipient: SurveyRecipient, *, token: str, reminder: int = 0
) -> EmailMultiAlternatives:
    """The survey e-mail, in bokmål: plain text with an HTML alternative."""
    campaign = recipient.campaign
    with translation.override(settings.LANGUAGE_CODE or "nb"):
        context = {
            "unit": recipient.unit.name,
            "contact_name": recipient.contact_name,
            "survey": campaign.template.name,
            "link": settings.KOBLING_BASE_URL.rstrip("/")
            + reverse("web:national_survey_answer", args=[token]),
            "expires_on": timezone.localtime(recipient.expires_at).date()
            if recipient.expires_at
            else None,
            "reminder": reminder,
        }
        subject = " ".join(render_to_string("national/emails/survey_subject.txt", context).split())
        text = render_to_string("national/emails/survey.txt", context)
        html = render_to_string("national/emails/survey.html", context)
    host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": f"<survey-{recipient.pk}-{reminder}"
            f".{recipient.created_at:%Y%m%d%H%M%S}@{host}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- the link: open, answer, decline, opt out ---------------------------------------------------


def recipient_open(*, recipient: SurveyRecipient, now: dt.datetime | None = None) -> bool:
    """The first GET of the link: *sent* becomes *opened*. Returns whether it changed."""
    now = now or timezone.now()
    changed = SurveyRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.SENT).update(
        status=RecipientStatus.OPENED, opened_at=now
    )
    if changed:
        recipient.status, recipient.opened_at = RecipientStatus.OPENED, now
        link = outbox.link_live(purpose=PURPOSE, subject=_subject(recipient))
        if link is not None:
            outbox.link_open(link=link, now=now)
    return bool(changed)


def _clean_value(question: SurveyQuestion, raw: Any) -> Any:
    """One answer, checked against the question's type; ``None`` when left empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if question.kind == QuestionKind.YES_NO:
        if raw in (True, "yes", "true", "1", "ja"):
            return True
        if raw in (False, "no", "false", "0", "nei"):
            return False
        raise ValidationError(_("Answer yes or no."))
    if question.kind == QuestionKind.CHOICE:
        values = [pair[0] for pair in question.choices]
        if raw not in values:
            raise ValidationError(_("Choose one of the answers."))
        return raw
    if question.kind == QuestionKind.NUMBER:
        try:
            number = int(str(raw).strip().replace(" ", ""))
        except ValueError:
            raise ValidationError(_("Give a whole number.")) from None
        if not 0 <= number <= MAX_NUMBER:
            raise ValidationError(_("Give a number from 0 and up."))
        is_year = question.role == QuestionRole.ENDED_YEAR or question.code == "started_year"
        if is_year and not 1990 <= number <= timezone.localdate().year:
            raise ValidationError(_("Give a year from 1990 to this year."))
        return number
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(_("Keep it to at most %(n)s characters.") % {"n": MAX_TEXT})
    return text


def clean_answers(questions: list[SurveyQuestion], raw: dict[str, Any]) -> dict[str, Any]:
    """The answers to keep: the gate first, then only the questions asked for its answer (the
    early exit drops the rest). Raises ``ValidationError`` keyed by question code."""
    problems: dict[str, str] = {}
    gate = next((q for q in questions if q.role == QuestionRole.GATE), None)
    gate_value = ""
    if gate is not None:
        try:
            gate_value = _clean_value(gate, raw.get(gate.code)) or ""
        except ValidationError as exc:
            problems[gate.code] = exc.messages[0]
        if not gate_value and gate.code not in problems:
            problems[gate.code] = _("Please answer this question.")
    answers: dict[str, Any] = {}
    for question in questions:
        if gate is not None and question.pk == gate.pk:
            if gate_value:
                answers[question.code] = gate_value
            continue
        if gate is not None and (not gate_value or not question.asked_for(gate_value)):
            continue
        try:
            value = _clean_value(question, raw.get(question.code))
        except ValidationError as exc:
            problems[question.code] = exc.messages[0]
            continue
        if value is None:
            if question.required:
                problems[question.code] = _("Please answer this question.")
            continue
        answers[question.code] = value
    if problems:
        raise ValidationError(problems)
    return answers


def _locked_open(recipient: SurveyRecipient, now: dt.datetime) -> SurveyRecipient:
    locked = (
        SurveyRecipient.objects.select_for_update(of=("self",))
        .select_related("campaign__template", "unit")
        .get(pk=recipient.pk)
    )
    state = link_state(locked, now=now)
    if state != LinkState.OPEN:
        raise SurveyClosedError(state)
    # Answering, declining and opting out each use the link up; the reminders stop.
    outbox.link_use(link=outbox.link_live(purpose=PURPOSE, subject=_subject(locked)), now=now)
    return locked


def survey_answer(
    *, recipient: SurveyRecipient, answers: dict[str, Any], now: dt.datetime | None = None
) -> SurveyRecipient:
    """Save the unit's answers (once) and record the scheme status they give."""
    from kobling.national.services import scheme_status_record

    now = now or timezone.now()
    questions = list(recipient.campaign.template.questions.order_by("order", "pk"))
    cleaned = clean_answers(questions, answers)
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = _locked_open(recipient, now)
        before = locked.status
        locked.status = RecipientStatus.ANSWERED
        locked.answered_at = now
        locked.answers = cleaned
        locked.save(update_fields=["status", "answered_at", "answers"])
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status]},
        )
        by_role = {q.role: q for q in questions if q.role}
        gate = by_role.get(QuestionRole.GATE)
        state = GATE_TO_STATE.get(cleaned.get(gate.code, "")) if gate else None
        if state is not None:
            ended_year = (
                cleaned.get(by_role[QuestionRole.ENDED_YEAR].code)
                if (QuestionRole.ENDED_YEAR in by_role)
                else None
            )
            reason = (
                cleaned.get(by_role[QuestionRole.ENDED_REASON].code, "")
                if (QuestionRole.ENDED_REASON in by_role)
                else ""
            )
            scheme_status_record(
                unit=locked.unit,
                by=None,
                state=state,
                as_of=timezone.localdate(now),
                programme_kind=locked.campaign.programme_kind,
                source=StatusSource.SURVEY,
                started_year=cleaned.get("started_year"),
                ended_year=ended_year if state == SchemeState.ENDED else None,
                ended_reason=reason if reason in EndReason.values else "",
                note=locked.campaign.name,
                recipient=locked,
            )
    return locked


def survey_decline(
    *, recipient: SurveyRecipient, now: dt.datetime | None = None
) -> SurveyRecipient:
    """ "We don't want to take part": this survey is closed and its reminders stop."""
    now = now or timezone.now()
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = _locked_open(recipient, now)
        before = locked.status
        locked.status = RecipientStatus.DECLINED
        locked.declined_at = now
        locked.save(update_fields=["status", "declined_at"])
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status]},
        )
    return locked


def survey_opt_out(
    *, recipient: SurveyRecipient, now: dt.datetime | None = None
) -> SurveyRecipient:
    """No more mapping surveys by e-mail to this unit: this one closes, later campaigns skip
    the unit (the analyst may still call)."""
    now = now or timezone.now()
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = _locked_open(recipient, now)
        before = locked.status
        locked.status = RecipientStatus.OPTED_OUT
        locked.opted_out_at = now
        locked.save(update_fields=["status", "opted_out_at"])
        contact, _created = UnitContact.objects.get_or_create(unit=locked.unit)
        contact.opted_out_at = now
        contact.save(update_fields=["opted_out_at", "updated_at"])
        # Other campaigns' open or unsent surveys to the unit stop too.
        others = SurveyRecipient.objects.filter(
            unit=locked.unit,
            status__in=[RecipientStatus.PENDING, *OPEN_RECIPIENT_STATUSES],
        ).exclude(pk=locked.pk)
        for other in others:
            outbox.messages_settle(purpose=PURPOSE, subject=_subject(other), status="opted_out")
            outbox.links_cancel(purpose=PURPOSE, subject=_subject(other), now=now)
        others.update(status=RecipientStatus.OPTED_OUT, opted_out_at=now)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status]},
        )
    return locked
