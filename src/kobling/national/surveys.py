"""Mapping surveys by e-mail: one signed link per unit, reminders that stop on an answer.

The life of a recipient (every step takes an explicit ``now`` so tests can move time):

1. The analyst dispatches a campaign (:func:`kobling.national.services.campaign_dispatch`):
   each *pending* recipient's e-mail is queued for the worker.
2. :func:`recipient_send` e-mails it under a row lock and marks it *sent* in the same
   transaction after the SMTP server accepted it, so a retried send never e-mails twice. The
   link works for the campaign's ``link_valid_days`` from then on.
3. The first GET of the link marks it *opened* (mail scanners that open links count too; the
   docs say so). The page shows the questions; POST answers, declines or opts out.
4. :func:`surveys_tick` (run by the worker's periodic tick) re-queues lost sends and queues
   reminder *n* when ``reminder_interval_days`` have passed since the e-mail or reminder *n−1*,
   up to the campaign's ``reminder_count``, while the recipient is *sent* or *opened*. An answer,
   a decline or an opt-out ends the reminders.

An answer records the scheme status (source *survey*). No health details in any e-mail."""

from __future__ import annotations

import datetime as dt
import enum
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.utils import exclusive_transaction

from kobling.core.sending import MAX_SEND_ATTEMPTS, SendResult, retry_delay
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
_SIGNER_SALT = "kobling.national.survey"
MAX_NUMBER = 10**7
MAX_TEXT = 2000


class LinkState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"  # declined or opted out
    EXPIRED = "expired"


class SurveyClosedError(Exception):
    def __init__(self, state: LinkState) -> None:
        super().__init__(state)
        self.state = state


# --- links --------------------------------------------------------------------------------------


def recipient_token(recipient: SurveyRecipient) -> str:
    return signing.Signer(salt=_SIGNER_SALT).sign(recipient.nonce)


def recipient_from_token(token: str) -> SurveyRecipient | None:
    try:
        nonce = signing.Signer(salt=_SIGNER_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (
        SurveyRecipient.objects.select_related("campaign__template", "unit")
        .filter(nonce=nonce)
        .first()
    )


def recipient_link(recipient: SurveyRecipient) -> str:
    base = settings.KOBLING_BASE_URL.rstrip("/")
    return base + reverse("web:national_survey_answer", args=[recipient_token(recipient)])


def link_state(recipient: SurveyRecipient, *, now: dt.datetime) -> LinkState:
    if recipient.status == RecipientStatus.ANSWERED:
        return LinkState.ANSWERED
    if recipient.status in (RecipientStatus.DECLINED, RecipientStatus.OPTED_OUT):
        return LinkState.CLOSED
    if (
        recipient.status in OPEN_RECIPIENT_STATUSES
        and recipient.expires_at is not None
        and now < recipient.expires_at
    ):
        return LinkState.OPEN
    return LinkState.EXPIRED


# --- the periodic tick --------------------------------------------------------------------------


def queue_sends(*, recipient_ids: list[int]) -> int:
    from kobling.core.tasks import enqueue_once
    from kobling.national import tasks

    return sum(enqueue_once(tasks.survey_send_task, recipient_id=pk) for pk in recipient_ids)


def surveys_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Everything periodic about mapping surveys, safe to run as often as you like."""
    now = now or timezone.now()
    with audit_context(via=VIA_TICK):
        report = {"sends_queued": surveys_queue_unsent()}
        report["reminders_queued"] = surveys_queue_reminders(now=now)
    return report


def surveys_queue_unsent() -> int:
    """Re-queue dispatched recipients whose send task got lost (or failed and was not retried)."""
    unsent = SurveyRecipient.objects.filter(
        status=RecipientStatus.PENDING,
        campaign__dispatched_at__isnull=False,
        send_attempts__lt=MAX_SEND_ATTEMPTS,
    ).values_list("pk", flat=True)
    return queue_sends(recipient_ids=list(unsent))


def _reminder_due(recipient: SurveyRecipient, now: dt.datetime) -> bool:
    campaign = recipient.campaign
    since = recipient.last_reminder_at or recipient.sent_at
    return (
        recipient.status in OPEN_RECIPIENT_STATUSES
        and recipient.reminders_sent < campaign.reminder_count
        and since is not None
        and since <= now - dt.timedelta(days=campaign.reminder_interval_days)
        and recipient.expires_at is not None
        and recipient.expires_at > now
        and recipient.reminder_attempts < MAX_SEND_ATTEMPTS
    )


def surveys_queue_reminders(*, now: dt.datetime) -> int:
    """Queue the next reminder of every open recipient that is due for one."""
    from kobling.core.tasks import enqueue_once
    from kobling.national import tasks

    candidates = SurveyRecipient.objects.filter(
        status__in=OPEN_RECIPIENT_STATUSES,
        reminders_sent__lt=F("campaign__reminder_count"),
        expires_at__gt=now,
    ).select_related("campaign")
    queued = 0
    for recipient in candidates:
        if _reminder_due(recipient, now):
            queued += enqueue_once(
                tasks.survey_reminder_task,
                recipient_id=recipient.pk,
                number=recipient.reminders_sent + 1,
            )
    return queued


# --- sending ------------------------------------------------------------------------------------


def recipient_send(
    *, recipient_id: int, reminder: int = 0, now: dt.datetime | None = None
) -> SendResult:
    """E-mail the survey (``reminder=0``) or reminder number ``reminder``, exactly once."""
    now = now or timezone.now()
    attempts_field = "reminder_attempts" if reminder else "send_attempts"
    with exclusive_transaction(), audit_context(via=VIA_TICK):
        locked = (
            SurveyRecipient.objects.select_for_update(of=("self",))
            .select_related("campaign__template", "unit")
            .filter(pk=recipient_id)
            .first()
        )
        if locked is None:
            return SendResult("skipped")
        if reminder:
            if locked.reminders_sent != reminder - 1 or not _reminder_due(locked, now):
                return SendResult("skipped")
        elif locked.status != RecipientStatus.PENDING or locked.sent_at is not None:
            return SendResult("skipped")
        attempts = getattr(locked, attempts_field)
        if attempts >= MAX_SEND_ATTEMPTS:
            return SendResult("gave_up")
        if not reminder:
            locked.expires_at = now + dt.timedelta(days=locked.campaign.link_valid_days)
        try:
            survey_message(locked, reminder=reminder).send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            attempts += 1
            setattr(locked, attempts_field, attempts)
            locked.last_error = f"{type(exc).__name__}: {exc}"[:300]
            locked.save(update_fields=[attempts_field, "last_error"])
            delay = retry_delay(attempts)
            logger.warning(
                "Could not e-mail mapping survey %s (reminder %s, attempt %s): %s",
                locked.pk,
                reminder,
                attempts,
                locked.last_error,
            )
            return SendResult("failed" if delay else "gave_up", retry_in=delay)
        before = locked.status
        if reminder:
            locked.reminders_sent = reminder
            locked.last_reminder_at = now
            locked.reminder_attempts = 0
            fields = ["reminders_sent", "last_reminder_at", "reminder_attempts", "last_error"]
        else:
            locked.status = RecipientStatus.SENT
            locked.sent_at = now
            locked.send_attempts = attempts + 1
            fields = ["status", "sent_at", "send_attempts", "expires_at", "last_error"]
        locked.last_error = ""
        locked.save(update_fields=fields)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "reminder": reminder},
        )
    return SendResult("sent")


def survey_message(recipient: SurveyRecipient, *, reminder: int = 0) -> EmailMultiAlternatives:
    """The survey e-mail, in bokmål: plain text with an HTML alternative."""
    campaign = recipient.campaign
    with translation.override(settings.LANGUAGE_CODE or "nb"):
        context = {
            "unit": recipient.unit.name,
            "contact_name": recipient.contact_name,
            "survey": campaign.template.name,
            "link": recipient_link(recipient),
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
        SurveyRecipient.objects.filter(
            unit=locked.unit,
            status__in=[RecipientStatus.PENDING, *OPEN_RECIPIENT_STATUSES],
        ).exclude(pk=locked.pk).update(status=RecipientStatus.OPTED_OUT, opted_out_at=now)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status]},
        )
    return locked
