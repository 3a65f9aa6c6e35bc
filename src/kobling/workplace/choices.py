from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(models.TextChoices):
    """The assignment's course (forløp) for an organisation, in order."""

    REQUESTED = "requested", _("Requested")
    LINKED = "linked", _("Coach linked")
    ORDERED = "ordered", _("Ordered")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


# A coach's place is taken from linking until the assignment closes.
OPEN_STATUSES = (AssignmentStatus.LINKED, AssignmentStatus.ORDERED, AssignmentStatus.IN_PROGRESS)


class Decision(models.TextChoices):
    CONTINUE = "continue", _("Continue")
    CLOSE = "close", _("Close")


class Rating(models.IntegerChoices):
    """The leader's closing evaluation: reaction and usefulness on 1–5."""

    VERY_POOR = 1, _("1 – very poor")
    POOR = 2, _("2 – poor")
    FAIR = 3, _("3 – fair")
    GOOD = 4, _("4 – good")
    VERY_GOOD = 5, _("5 – very good")
