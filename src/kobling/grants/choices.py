"""Choices for grant schemes, rounds, applications, decisions and reports (issue 17, DOMAIN §2, §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Attachments to an application: PDF, JPEG or PNG (by their bytes), at most this big, this many.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
ATTACHMENTS_PER_APPLICATION = 10
# An officer scores each criterion on this scale.
SCORE_MIN, SCORE_MAX = 0, 5
# A grant's report counts as "due" this many days before its due date; reminders go then.
REPORT_DUE_SOON_DAYS = 30
# How long the e-mailed sign-in link for an organisation's contact person works.
SIGNIN_VALID_HOURS = 48


class RoundKind(models.TextChoices):
    YEARLY = "yearly", _("Yearly rounds")
    ROLLING = "rolling", _("Rolling (apply any time)")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    DECIDED = "decided", _("Decided")


class DecisionOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    QUESTIONS = "questions", _("Follow-up questions")
    APPROVED = "approved", _("Approved")


class GrantStatus(models.TextChoices):
    """Derived for a granted application on a given day, never stored (see
    :func:`kobling.grants.models.grant_status`)."""

    GRANTED = "granted", _("Granted")
    PAID = "paid", _("Paid")
    REPORT_DUE = "report_due", _("Report due")
    REPORT_SUBMITTED = "report_submitted", _("Report submitted")
    REPORT_LATE = "report_late", _("Report late")
    REPORT_APPROVED = "report_approved", _("Report approved")
    RECLAIMED = "reclaimed", _("Reclaimed")


class RoundState(models.TextChoices):
    UPCOMING = "upcoming", _("Not yet open")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
