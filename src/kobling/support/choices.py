from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class EntryKind(models.TextChoices):
    """What a line of supervision received is."""

    GROUP = "group", _("Group supervision")
    INDIVIDUAL = "individual", _("Individual supervision")
    # A reversal of an earlier line (attendance corrected): negative hours, never an edit.
    CORRECTION = "correction", _("Correction")


class PoolEntryKind(models.TextChoices):
    """A line of the supervision pool's ledger."""

    RETURNED = "returned", _("Unused hours returned to the pool")
    SHARED = "shared", _("Hours shared out from the pool")


class TrainingForm(models.TextChoices):
    """The trainee's short forms about a course run (Kirkpatrick levels 1 and 2)."""

    BEFORE = "before", _("Before the course")
    AFTER = "after", _("After the course")
