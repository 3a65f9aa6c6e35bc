"""Choices for partners and agreements (DOMAIN §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# An agreement counts as "ending soon" this many days before it ends; the alert uses it too.
ENDING_SOON_DAYS = 60


class PartnerKind(models.TextChoices):
    SPORTS_CLUB = "sports_club", _("Sports club")
    GYM = "gym", _("Gym or training centre")
    FRISKLIVSSENTRAL = "frisklivssentral", _("Healthy life centre")
    VOLUNTEER = "volunteer", _("Volunteer organisation")
    HEALTH_SERVICE = "health_service", _("Health service")
    NAV = "nav", _("NAV")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class PreventionLevel(models.TextChoices):
    UNIVERSAL = "universal", _("Universal")
    SELECTIVE = "selective", _("Selective")
    INDICATED = "indicated", _("Indicated")


class AgreementKind(models.TextChoices):
    ORAL = "oral", _("Oral agreement")
    COOPERATION = "cooperation", _("Written cooperation agreement")
    GRANT = "grant", _("Grant agreement")
    FRAMEWORK = "framework", _("Framework agreement")
    CONCESSION = "concession", _("Service concession contract")
    TENDER = "tender", _("Tender")


class Clause(models.TextChoices):
    """What the parties want an agreement to cover (DOMAIN §7)."""

    PURPOSE = "purpose", _("Purpose and what a grant covers")
    PREMISES = "premises", _("Assets and premises")
    RESPONSIBILITY = "responsibility", _("Responsibility and preparedness")
    CONTACTS = "contacts", _("Contact persons")
    CONFIDENTIALITY = "confidentiality", _("Confidentiality")
    FOLLOW_UP = "follow_up", _("Follow-up")
    DISAGREEMENTS = "disagreements", _("Disagreements")
    ROLES = "roles", _("Roles and tasks")
    ACCOUNTS = "accounts", _("Accounts and reporting")


class AgreementStatus(models.TextChoices):
    """Derived from the dates, never stored."""

    UPCOMING = "upcoming", _("Not yet in force")
    IN_FORCE = "in_force", _("In force")
    ENDING_SOON = "ending_soon", _("Ending soon")
    REVIEW_DUE = "review_due", _("Review due")
    EXPIRED = "expired", _("Expired")


# Statuses under which an agreement is valid today (the dashboards' "agreement in force").
VALID_STATUSES = (AgreementStatus.IN_FORCE, AgreementStatus.ENDING_SOON, AgreementStatus.REVIEW_DUE)


# The watchdog-role sentence printed on every agreement and grant letter (admins may edit it).
DEFAULT_WATCHDOG_SENTENCE = _(
    "The grant does not limit the organisation's freedom to speak up, criticise the municipality "
    "and act as a watchdog for the people it represents."
)

# A recurring booking covers at most this many weeks (a term and a bit).
MAX_RECURRING_WEEKS = 40


class PremisesKind(models.TextChoices):
    ROOM = "room", _("Room")
    HALL = "hall", _("Hall")
    CABIN = "cabin", _("Cabin")
    OTHER = "other", _("Other")


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class KeyAction(models.TextChoices):
    HANDED_OUT = "handed_out", _("Handed out")
    RETURNED = "returned", _("Returned")


class MeetingKind(models.TextChoices):
    DIALOGUE = "dialogue", _("Dialogue meeting")
    NETWORK = "network", _("Network meeting")
    OTHER = "other", _("Other meeting")
