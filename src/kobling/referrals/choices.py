from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReferralSource(models.TextChoices):
    GP = "gp", _("General practitioner (fastlege)")
    NAV = "nav", _("NAV")
    FRISKLIVSSENTRAL = "frisklivssentral", _("Healthy-life centre (frisklivssentral)")
    SPECIALIST = "specialist", _("Specialist health service")
    EMPLOYER = "employer", _("Employer")
    OCCUPATIONAL_HEALTH = "occupational_health", _("Occupational health service")
    MUNICIPAL_STAFF = "municipal_staff", _("Municipal staff")
    SELF = "self", _("The person themself")
    GUARDIAN = "guardian", _("Parent or guardian")
    OTHER = "other", _("Other")


class Benefit(models.TextChoices):
    """The six benefits that make a person of working age eligible for Aktiv på dagtid. Kobling
    records only which one a coordinator verified, never the benefit decision itself."""

    SICKNESS = "sykepenger", _("Sickness benefit (sykepenger)")
    AAP = "aap", _("Work assessment allowance (AAP)")
    DISABILITY = "uforetrygd", _("Disability benefit (uføretrygd)")
    TRANSITIONAL = "overgangsstonad", _("Transitional benefit (overgangsstønad)")
    UNEMPLOYMENT = "dagpenger", _("Unemployment benefit (dagpenger)")
    SOCIAL = "sosialhjelp", _("Financial social assistance (økonomisk sosialhjelp)")


class AlternativeId(models.TextChoices):
    """Why a person has no national identity number, and what identifies them instead."""

    NONE = "", _("Has a national identity number")
    NOT_YET = "not_yet", _("Not yet assigned (e.g. newly arrived)")
    FOREIGN = "foreign", _("Foreign identity document")
    OTHER = "other", _("Other, described")


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    MORE_INFO = "more_info", _("More information needed")
    WAITING = "waiting", _("Granted, waiting for a contact")
    PAIRED = "paired", _("Paired")
    # A course that no pair delivers (a group, a provider) has started: no longer waiting.
    STARTED = "started", _("Granted, course under way")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("referral status", "Withdrawn")
    CLOSED = "closed", _("Closed")


# A referral in one of these is "open": a second referral for the same person and programme is
# a duplicate.
OPEN_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.MORE_INFO,
    ReferralStatus.WAITING,
    ReferralStatus.PAIRED,
    ReferralStatus.STARTED,
)


class DecisionOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    MORE_INFO = "more_info", _("More information needed")


class ConsentScope(models.TextChoices):
    SHARE_WITH_REFERRER = "share_with_referrer", _("Share progress with the referrer")
    SHARE_WITH_PARTNER = "share_with_partner", _("Share with a partner organisation")
    CONTACT_FOR_FOLLOW_UP = "follow_up", _("Contact me for follow-up after the end")
    RESEARCH = "research", _("Use in research, pseudonymised")
    QUALITY_REGISTER = "quality_register", _("Report to a national quality register")


class Priority(models.IntegerChoices):
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class EndReason(models.TextChoices):
    GOAL_REACHED = "goal_reached", _("Goal reached")
    PARTICIPANT_STOPPED = "participant_stopped", _("Participant stopped")
    MOVED = "moved", _("Moved")
    CONTACT_LEFT = "contact_left", _("Contact left")
    NO_CHEMISTRY = "no_chemistry", _("Did not work out between them")
    HEALTH = "health", _("Health reasons")
    OTHER = "other", _("Other")


class HandoverDestination(models.TextChoices):
    """Where the participant goes on to after the pair ends (DOMAIN §2: most went to a gym)."""

    GYM = "gym", _("Gym / fitness centre")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    FRISKLIVSSENTRAL = "frisklivssentral", _("Healthy life centre")
    SPORTS_CLUB = "sports_club", _("Sports club or team")
    OTHER = "other", _("Other")
    NONE = "none", _("None")


class EpisodeStatus(models.TextChoices):
    """Where a participant's course (forløp) stands, whatever delivers it."""

    WAITING = "waiting", _("Waiting to start")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# A course also ends before it began: the person withdrew, or a new decision replaced the grant.
EPISODE_END_REASONS = [
    *EndReason.choices,
    ("withdrawn", pgettext_lazy("course end", "Withdrawn")),
    ("revoked", _("The grant was replaced by a new decision")),
]


class ConversationKind(models.TextChoices):
    """The health conversations that open and close a course where the programme uses them
    (e.g. the frisklivsresept's start and end conversation)."""

    START = "start", _("Start conversation")
    END = "end", _("End conversation")


class ConversationArea(models.TextChoices):
    """What the person wants to work on, as agreed in a start or end conversation (the
    frisklivsresept's areas of living habits; no health details beyond the area)."""

    ACTIVITY = "activity", _("Physical activity")
    DIET = "diet", _("Diet")
    TOBACCO = "tobacco", _("Tobacco")
    SLEEP = "sleep", _("Sleep")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    ALCOHOL = "alcohol", _("Alcohol")
