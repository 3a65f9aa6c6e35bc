"""Choices for activity providers (DOMAIN §2 "Aktivitet på resept")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Days a provider has to accept or decline a placement when the programme sets nothing.
DEFAULT_ANSWER_DAYS = 5
# A trainer's certificate is reminded about this many days before it expires.
CERTIFICATE_REMINDER_DAYS = 30


class ActivityProviderKind(models.TextChoices):
    GYM = "gym", _("Gym or training centre")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy institute")
    REHABILITATION = "rehabilitation", _("Rehabilitation institution")
    VOLUNTARY = "voluntary", _("Voluntary or ideal organisation")
    OTHER = "other", _("Other private provider")


class CertificateKind(models.TextChoices):
    HEALTH_GUIDE = "health_guide", _("Health guide")
    PERSONAL_TRAINER = "personal_trainer", _("Personal trainer")
    AKTIV_INSTRUCTOR = "aktiv_instructor", _("Aktiv instructor")


class PlacementStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the provider's answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A course has at most one placement in these statuses at a time; a decline or withdrawal
# returns the course to the coordinator and keeps the row as history.
OPEN_PLACEMENT_STATUSES = (PlacementStatus.PENDING, PlacementStatus.ACCEPTED)


class VisitSource(models.TextChoices):
    API = "api", _("Provider's system (API)")
    CSV = "csv", _("File upload")
    PHONE = "phone", _("Trainer's phone")


# --- concession contracts and reimbursement claims (see providers.contract_calc) -------------


class PriceModel(models.TextChoices):
    PER_PARTICIPANT = "per_participant", _("Per participant per period")
    PER_SESSION = "per_session", _("Per attended session")
    FIXED_FEE = "fixed_fee", _("Fixed fee per period")


class RequirementKind(models.TextChoices):
    QUALITY = "quality", _("Quality")
    ACCESS = "access", _("Access")
    CONTENT = "content", _("Content")
    RESULTS = "results", _("Results")


class RequirementMeasure(models.TextChoices):
    """The fixed list of measures Kobling computes (kobling.providers.contract_calc)."""

    CERTIFIED_TRAINER = (
        "certified_trainer",
        _("Attended visits led by a trainer with a valid required certificate"),
    )
    SITES_ACCESSIBLE = "sites_accessible", _("Active sites with universal design described")
    ANSWERED_IN_TIME = "answered_in_time", _("Placements answered within the answer time")
    PLAN_WITHIN_14_DAYS = (
        "plan_within_14_days",
        _("Participants with an individual plan (a goal) within 2 weeks of the start"),
    )
    ATTENDANCE_75 = (
        "attendance_75",
        _("Participants who attended at least 75 per cent of the planned sessions"),
    )
    ACTIVE_6_MONTHS = "active_6_months", _("Participants still active at 6 months")


class RequirementResult(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    NO_DATA = "no_data", _("Nothing to measure yet")
    TOO_FEW = "too_few", _("Too few to measure")


# Measurement periods and price periods, in months.
PERIOD_MONTHS_CHOICES = [
    (1, _("Month")),
    (3, _("Quarter")),
    (6, _("Half year")),
    (12, _("Year")),
]


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Being prepared")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class ClaimLineKind(models.TextChoices):
    SESSION = "session", _("Attended session")
    PARTICIPANT = "participant", _("Participant in the period")
    FIXED = "fixed", _("Fixed fee")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LineDecision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
