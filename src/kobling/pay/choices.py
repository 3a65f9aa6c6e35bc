"""Choices for timesheets, their lines and expenses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimesheetStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")


class LineKind(models.TextChoices):
    SESSION = "session", _("Session")
    MEETING = "meeting", _("Group meeting")
    ADJUSTMENT = "adjustment", _("Correction of an earlier month")
    MANUAL = "manual", _("Adjustment by the coordinator")
    EXPENSE = "expense", _("Expense")


class ExpenseCategory(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment")
    GYM_FEE = "gym_fee", _("Gym fee")
    TRANSPORT = "transport", _("Transport")
    OTHER = "other", _("Other")


class ExpenseStatus(models.TextChoices):
    OPEN = "open", _("Awaiting approval")
    APPROVED = "approved", _("Approved")


# Receipts: what may be uploaded (sniffed from the file's first bytes, never trusted from the
# browser) and how big.
RECEIPT_MAX_BYTES = 10 * 1024 * 1024
RECEIPT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
# Paid preparation/travel minutes per held session: a sane upper bound.
MAX_EXTRA_MINUTES = 240
# Adjustment lines by the coordinator: at most ±100 hours in one line.
MAX_MANUAL_MINUTES = 6000
