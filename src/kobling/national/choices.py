from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    """Kinds of unit in the national register. Counties are there for names and the map; the
    scheme is mapped for municipalities, districts and sports councils."""

    MUNICIPALITY = "municipality", _("Municipality")
    DISTRICT = "district", _("City district")
    SPORTS_COUNCIL = "sports_council", _("County sports council")
    COUNTY = "county", _("County")
    # The rehabilitation register's units (issue 13): not mapped for schemes; they carry their
    # health region.
    HEALTH_TRUST = "health_trust", _("Health trust")
    HOSPITAL = "hospital", _("Hospital")
    REHAB_INSTITUTION = "rehab_institution", _("Rehabilitation institution")


HEALTH_KINDS = (UnitKind.HEALTH_TRUST, UnitKind.HOSPITAL, UnitKind.REHAB_INSTITUTION)


class HealthRegion(models.TextChoices):
    """The four regional health authorities (regionale helseforetak)."""

    SOUTH_EAST = "HSO", _("Helse Sør-Øst")
    WEST = "HV", _("Helse Vest")
    CENTRAL = "HMN", _("Helse Midt-Norge")
    NORTH = "HN", _("Helse Nord")


MAPPED_KINDS = (UnitKind.MUNICIPALITY, UnitKind.DISTRICT, UnitKind.SPORTS_COUNCIL)


class SchemeState(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    NEVER = "never", _("Never had it")
    UNKNOWN = "unknown", _("Unknown")


class EndReason(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    KEY_PERSON_LEFT = "key_person_left", _("Key person left")
    REDUNDANT = "redundant", _("Redundant with other offers")
    COULD_NOT_RECRUIT = "could_not_recruit", _("Could not recruit or keep contacts")
    OTHER = "other", _("Other")


class StatusSource(models.TextChoices):
    KOBLING = "kobling", _("Kobling (the unit's own data)")
    SURVEY = "survey", _("Survey")
    MANUAL = "manual", _("Manual")


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    CHOICE = "choice", _("Single choice")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")


class QuestionRole(models.TextChoices):
    """What an answer means for the scheme status. The gate question's answer decides which
    of the other questions are asked (the early exit when the scheme has ended or never ran)."""

    NONE = "", _("None")
    GATE = "gate", _("Scheme status (gate)")
    ENDED_YEAR = "ended_year", _("Year the scheme ended")
    ENDED_REASON = "ended_reason", _("Why the scheme ended")


class AskWhen(models.TextChoices):
    ALWAYS = "always", _("Always")
    RUNNING = "running", _("Only when the scheme runs")
    ENDED = "ended", _("Only when the scheme has ended")
    EVER = "ever", _("When it runs or has ended")


# The gate question's fixed answer values.
GATE_RUNNING = "running"
GATE_ENDED = "ended"
GATE_NEVER = "never"
GATE_TO_STATE = {
    GATE_RUNNING: SchemeState.ACTIVE,
    GATE_ENDED: SchemeState.ENDED,
    GATE_NEVER: SchemeState.NEVER,
}


class Audience(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipalities and city districts")
    COURSE_PROVIDER = "course_provider", _("Course providers")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Not sent yet")
    NO_ADDRESS = "no_address", _("No address")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    OPTED_OUT = "opted_out", _("Opted out")
    DECLINED = "declined", _("Declined")
    ANSWERED = "answered", _("Answered")


OPEN_RECIPIENT_STATUSES = (RecipientStatus.SENT, RecipientStatus.OPENED)


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the right person")
    WRONG_PERSON = "wrong_person", _("Reached someone else; got a new contact")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Call back later")
    ANSWERED_BY_PHONE = "answered_by_phone", _("Answered by phone")
    DECLINED = "declined", _("Declined")


# Small-cell suppression: a published count describing fewer than this many persons is "<5".
SMALL_CELL = 5
