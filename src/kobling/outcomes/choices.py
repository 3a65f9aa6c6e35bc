"""Choices for goals, reviews, instruments and the follow-up questionnaires after the end."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GoalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACHIEVED = "achieved", _("Achieved")
    PARTLY = "partly", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")
    DROPPED = "dropped", _("Dropped")


class ReviewKind(models.TextChoices):
    START = "start", _("Start")
    PERIODIC = "periodic", _("Periodic")
    END = "end", _("End")


class InstrumentKind(models.TextChoices):
    """What an instrument measures, which decides how it is shown and compared."""

    ACTIVITY = "activity", _("Activity (minutes per week)")
    RATING = "rating", _("Rating scale")
    GOAL = "goal", _("Goal attainment (per goal)")
    TEST = "test", _("Functional test")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    REMINDED = "reminded", _("Reminder sent")
    ANSWERED = "answered", _("Answered")
    NO_ADDRESS = "no_address", _("No e-mail address")
    OPTED_OUT = "opted_out", _("Opted out or no consent")
    CANCELLED = "cancelled", _("Not sent (too late, or paired again)")


# Months after the end of a pairing at which the participant is asked how it goes.
FOLLOW_UP_MONTHS = (3, 6, 12)

# The activity recommendation (Helsedirektoratet): moderate activity per week.
ADULT_WEEKLY_MINUTES = 150
YOUTH_WEEKLY_MINUTES = 7 * 60  # 60 minutes a day for children and youth
ADULT_AGE = 18

# The codes of the seeded instruments that the code itself relies on.
ACTIVITY_MINUTES = "activity_minutes"
GOAL_ATTAINMENT = "goal_attainment"

MAX_WEEKLY_MINUTES = 3000
