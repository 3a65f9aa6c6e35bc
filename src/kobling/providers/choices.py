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
