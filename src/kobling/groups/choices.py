from django.db import models
from django.utils.translation import gettext_lazy as _

from kobling.core.choices import ParticipantAnswer


class GroupTopic(models.TextChoices):
    """What a group offer is about (the frisklivssentral's usual offers)."""

    TRAINING = "training", _("Training")
    DIET = "diet", _("Diet course")
    TOBACCO = "tobacco", _("Tobacco cessation")
    COPING = "coping", _("Learning and coping")
    OTHER = "other", _("Other")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITING = "waiting", _("On the waiting list")
    LEFT = "left", _("Left")


ACTIVE_ENROLMENT = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING)


# The participant's own answer about an attendance entry (a confirmation link): the shared
# answer of every confirmation link.
AttendanceAnswer = ParticipantAnswer
