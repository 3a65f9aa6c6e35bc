"""The grants' e-mails, all through the outbox (:mod:`kobling.core.outbox`):

* ``grant-signin`` — the contact person's sign-in link (a signed link, single use, valid
  :data:`SIGNIN_VALID_HOURS`; asking again cancels the one before; at most three a day per
  contact);
* ``grant-decision`` — the decision to every applicant, granted or not, with the letter as PDF;
* ``grant-report-reminder`` — the report is due soon (sequence 0) and late (sequence 1), sent by
  the daily job; a sent report stops them;
* ``grant-report-questions`` — the officers' follow-up questions on a report."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.choices import LinkStatus
from kobling.core.models import OutboxMessage, SignedLink
from kobling.core.send_limits import SendLimit
from kobling.grants.choices import REPORT_DUE_SOON_DAYS, SIGNIN_VALID_HOURS, ReportStatus

SIGNIN = "grant-signin"
DECISION = "grant-decision"
REMINDER = "grant-report-reminder"
QUESTIONS = "grant-report-questions"
LIMIT = SendLimit(count=3, window=dt.timedelta(hours=24))


def _base() -> str:
    return settings.KOBLING_BASE_URL.rstrip("/")


def public_url(municipality) -> str:  # noqa: ANN001
    return _base() + reverse("web:grant_public", args=[municipality.code])


def _email(subject: str, body: str, to: str, municipality) -> EmailMultiAlternatives:  # noqa: ANN001
    contact = municipality.contact_email
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[contact] if contact else None,
        headers={"Auto-Submitted": "auto-generated"},
    )


# --- sign-in link --------------------------------------------------------------------------


def signin_link_send(*, contact, now: dt.datetime | None = None) -> SignedLink:  # noqa: ANN001
    """Issue the contact's sign-in link (cancelling the one before) and queue its e-mail. Call
    under the contact's row lock: the limit is counted there."""
    now = now or timezone.now()
    subject = outbox.subject_key(SIGNIN, contact.pk)
    sent = SignedLink.objects.filter(
        purpose=SIGNIN, subject_key=subject, created_at__gt=now - LIMIT.window
    ).values_list("created_at", flat=True)
    next_at = LIMIT.next_allowed(sent, now=now)
    if next_at is not None:
        raise ValidationError(
            _(
                "A sign-in link was sent %(count)d times in the last %(hours)d hours. You can ask again after %(time)s."
            )
            % {"count": LIMIT.count, "hours": LIMIT.hours, "time": LIMIT.format_time(next_at)},
            code="rate_limited",
        )
    link, _token = outbox.link_issue(
        purpose=SIGNIN,
        subject=subject,
        municipality_id=contact.municipality_id,
        expires_at=now + dt.timedelta(hours=SIGNIN_VALID_HOURS),
        now=now,
    )
    outbox.message_queue(
        purpose=SIGNIN,
        subject=outbox.subject_key(SIGNIN + "-link", link.pk),
        recipient=contact.email,
        municipality_id=contact.municipality_id,
        template="grants/emails/signin.txt",
        now=now,
    )
    return link


def signin_url(token: str) -> str:
    return _base() + reverse("web:grant_signin", args=[token])


def _signin_link(message: OutboxMessage) -> SignedLink:
    return SignedLink.objects.get(pk=message.subject_id, purpose=SIGNIN)


def _signin_settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    link = _signin_link(message)
    return None if link.status == LinkStatus.LIVE and now < link.expires_at else "cancelled"


def _signin_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    from kobling.grants.models import OrganisationContact

    link = _signin_link(message)
    contact = OrganisationContact.objects.select_related("municipality").get(pk=link.subject_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "contact": contact,
            "municipality": contact.municipality,
            "link": signin_url(outbox.link_token(link)),
            "hours": SIGNIN_VALID_HOURS,
        }
        subject = _("Sign in to apply for grants: %(municipality)s") % {
            "municipality": contact.municipality.name
        }
        body = render_to_string("grants/emails/signin.txt", context)
    return _email(subject, body, message.recipient, contact.municipality)


# --- the decision --------------------------------------------------------------------------


def decision_notice_queue(*, decision) -> OutboxMessage:  # noqa: ANN001
    return outbox.message_queue(
        purpose=DECISION,
        subject=outbox.subject_key("grant-decision", decision.pk),
        recipient=decision.application.contact.email,
        municipality_id=decision.municipality_id,
        template="grants/emails/decision.txt",
    )


def _decision_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    from kobling.grants.letters import grant_letter_pdf, letter_filename
    from kobling.grants.models import GrantDecision

    decision = GrantDecision.objects.select_related(
        "application__round__scheme", "application__partner", "municipality"
    ).get(pk=message.subject_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "decision": decision,
            "application": decision.application,
            "municipality": decision.municipality,
            "link": public_url(decision.municipality),
        }
        subject = _("Decision on your grant application: %(title)s") % {
            "title": decision.application.title
        }
        body = render_to_string("grants/emails/decision.txt", context)
        pdf = grant_letter_pdf(decision)
    email = _email(subject, body, message.recipient, decision.municipality)
    email.attach(letter_filename(decision), pdf, "application/pdf")
    return email


# --- report reminders and questions --------------------------------------------------------


def _application_of(message: OutboxMessage):  # noqa: ANN202
    from kobling.grants.models import Application

    return Application.objects.select_related("municipality", "contact", "round__scheme").get(
        pk=message.subject_id
    )


def _reminder_settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    application = _application_of(message)
    report = getattr(application, "report", None) if hasattr(application, "report") else None
    if application.reclaimed_on or (
        report is not None and report.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
    ):
        return "cancelled"
    return None


def _reminder_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    application = _application_of(message)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "application": application,
            "municipality": application.municipality,
            "late": message.sequence > 0,
            "link": public_url(application.municipality),
        }
        if message.sequence > 0:
            subject = _("The report on your grant is late: %(title)s") % {
                "title": application.title
            }
        else:
            subject = _("The report on your grant is due: %(title)s") % {"title": application.title}
        body = render_to_string("grants/emails/report_reminder.txt", context)
    return _email(subject, body, message.recipient, application.municipality)


def report_reminders_stop(*, application) -> None:  # noqa: ANN001
    outbox.messages_settle(
        purpose=REMINDER, subject=outbox.subject_key("grant-application", application.pk)
    )


def report_questions_queue(*, report) -> OutboxMessage:  # noqa: ANN001
    return outbox.message_queue(
        purpose=QUESTIONS,
        subject=outbox.subject_key("grant-report", report.pk),
        sequence=report.version,
        recipient=report.application.contact.email,
        municipality_id=report.municipality_id,
        template="grants/emails/report_questions.txt",
    )


def _questions_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    from kobling.grants.models import GrantReport

    report = GrantReport.objects.select_related("application__municipality").get(
        pk=message.subject_id
    )
    application = report.application
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "report": report,
            "application": application,
            "link": public_url(application.municipality),
        }
        subject = _("Questions about your grant report: %(title)s") % {"title": application.title}
        body = render_to_string("grants/emails/report_questions.txt", context)
    return _email(subject, body, message.recipient, application.municipality)


def report_reminders_tick(now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: a reminder for each grant whose report is due within
    :data:`REPORT_DUE_SOON_DAYS` days, and one more when it is late — once each (the outbox keeps
    one message per step)."""
    from kobling.grants.models import Application

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    due = (
        Application.objects.filter(
            report_due_on__isnull=False,
            report_due_on__lte=today + dt.timedelta(days=REPORT_DUE_SOON_DAYS),
            reclaimed_on__isnull=True,
            decisions__outcome="granted",
            decisions__superseded_by__isnull=True,
        )
        .exclude(report__status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED])
        .select_related("contact")
        .distinct()
    )
    queued = 0
    for application in due:
        sequence = 1 if application.report_due_on < today else 0
        message = outbox.message_queue(
            purpose=REMINDER,
            subject=outbox.subject_key("grant-application", application.pk),
            sequence=sequence,
            recipient=application.contact.email,
            municipality_id=application.municipality_id,
            template="grants/emails/report_reminder.txt",
            now=now,
        )
        queued += int(message.created_at == now)
    return {"grant_report_reminders": queued}


outbox.purpose_register(
    outbox.Purpose(
        name=SIGNIN,
        label=gettext_lazy("Grant sign-in link"),
        render=_signin_render,
        settle=_signin_settle,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)
outbox.purpose_register(
    outbox.Purpose(
        name=DECISION,
        label=gettext_lazy("Grant decision"),
        render=_decision_render,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)
outbox.purpose_register(
    outbox.Purpose(
        name=REMINDER,
        label=gettext_lazy("Grant report reminder"),
        render=_reminder_render,
        settle=_reminder_settle,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)
outbox.purpose_register(
    outbox.Purpose(
        name=QUESTIONS,
        label=gettext_lazy("Questions about a grant report"),
        render=_questions_render,
        delivery=outbox.Delivery.AT_MOST_ONCE,
    )
)
