from django.db import models
from django.utils.translation import gettext_lazy as _


class HelperKind(models.TextChoices):
    """Kinds of helper. Training contacts first; the others share the same register and
    lifecycle so they can join without a rewrite."""

    TRAINING_CONTACT = "training_contact", _("Training contact")
    WORKPLACE_COACH = "workplace_coach", _("Workplace coach")
    HEALTH_GUIDE = "health_guide", _("Certified health guide")
    # The frisklivssentral's staff who lead groups and hold the health conversations.
    HEALTHY_LIFE_GUIDE = "healthy_life_guide", _("Healthy-life guide (frisklivsveileder)")
    INSTRUCTOR = "instructor", _("Group instructor")


class HelperStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    SCREENING = "screening", _("Screening")
    IN_TRAINING = "in_training", _("In training")
    QUALIFIED = "qualified", _("Qualified")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left")


# Allowed lifecycle moves. Anything else is refused with a clear message.
TRANSITIONS: dict[str, frozenset[str]] = {
    HelperStatus.APPLICANT: frozenset({HelperStatus.SCREENING, HelperStatus.LEFT}),
    HelperStatus.SCREENING: frozenset(
        {HelperStatus.IN_TRAINING, HelperStatus.QUALIFIED, HelperStatus.LEFT}
    ),
    HelperStatus.IN_TRAINING: frozenset({HelperStatus.QUALIFIED, HelperStatus.LEFT}),
    HelperStatus.QUALIFIED: frozenset(
        {HelperStatus.ACTIVE, HelperStatus.IN_TRAINING, HelperStatus.LEFT}
    ),
    HelperStatus.ACTIVE: frozenset({HelperStatus.PAUSED, HelperStatus.LEFT}),
    HelperStatus.PAUSED: frozenset({HelperStatus.ACTIVE, HelperStatus.LEFT}),
    HelperStatus.LEFT: frozenset({HelperStatus.SCREENING}),
}


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNSPECIFIED = "unspecified", _("Prefer not to say")


class LeftReason(models.TextChoices):
    MOVED = "moved", _("Moved")
    LOST_INTEREST = "lost_interest", _("Lost interest")
    NO_TIME = "no_time", _("No time")
    NEW_JOB = "new_job", _("New job or studies")
    UNSUITABLE = "unsuitable", _("Found unsuitable")
    CONTRACT_ENDED = "contract_ended", _("Contract ended")
    STOPPED_VIA_CHECKIN = "checkin_stop", _("Said stop in a check-in")
    OTHER = "other", _("Other")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Language(models.TextChoices):
    """Languages a helper speaks (ISO 639 codes), the ones most asked for in Norway."""

    NB = "nb", _("Norwegian")
    NN = "nn", _("Norwegian nynorsk")
    SE = "se", _("Northern Sami")
    EN = "en", _("English")
    SV = "sv", _("Swedish")
    DA = "da", _("Danish")
    DE = "de", _("German")
    FR = "fr", _("French")
    ES = "es", _("Spanish")
    PL = "pl", _("Polish")
    LT = "lt", _("Lithuanian")
    UK = "uk", _("Ukrainian")
    RU = "ru", _("Russian")
    AR = "ar", _("Arabic")
    SO = "so", _("Somali")
    TI = "ti", _("Tigrinya")
    FA = "fa", _("Persian")
    PRS = "prs", _("Dari")
    UR = "ur", _("Urdu")
    TR = "tr", _("Turkish")
    KU = "ku", _("Kurdish")
    TH = "th", _("Thai")
    VI = "vi", _("Vietnamese")
    TL = "tl", _("Tagalog")


class CheckInAnswer(models.TextChoices):
    AVAILABLE = "available", _("Still available")
    PAUSE = "pause", _("Pause until a date")
    STOP = "stop", _("Stop")


class CheckInStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    REMINDED = "reminded", _("Reminder sent")
    ANSWERED = "answered", _("Answered")
    LAPSED = "lapsed", _("No answer")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses of a followup pairing that take one of the contact's places. Capacity is the
# contact's, so the list lives here (helpers is below followup); followup.choices builds
# OPEN_PAIRING_STATUSES from it, and the apps between them count places with it.
PLACE_TAKING_PAIRING_STATUSES: tuple[str, ...] = ("confirmed", "active", "paused")
