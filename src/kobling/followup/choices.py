from django.db import models
from django.utils.translation import gettext_lazy as _

from kobling.helpers.choices import PLACE_TAKING_PAIRING_STATUSES

# How a course ends and where the person goes next belong to the course (referrals.Episode);
# pairings end with the same reasons.
from kobling.referrals.choices import EndReason, HandoverDestination  # noqa: F401


class PairingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# A pairing in one of these takes one of the contact's places (the list is the contact's).
OPEN_PAIRING_STATUSES = tuple(PairingStatus(s) for s in PLACE_TAKING_PAIRING_STATUSES)

PAIRING_TRANSITIONS: dict[str, frozenset[str]] = {
    PairingStatus.CONFIRMED: frozenset({PairingStatus.ACTIVE, PairingStatus.ENDED}),
    PairingStatus.ACTIVE: frozenset({PairingStatus.PAUSED, PairingStatus.ENDED}),
    PairingStatus.PAUSED: frozenset({PairingStatus.ACTIVE, PairingStatus.ENDED}),
    PairingStatus.ENDED: frozenset(),
}


class SessionStatus(models.TextChoices):
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class CancelledBy(models.TextChoices):
    PARTICIPANT = "participant", _("The participant")
    CONTACT = "contact", _("The contact")
    OTHER = "other", _("Other (weather, illness, facility …)")


class Intensity(models.TextChoices):
    """Light / moderate / vigorous; the Borg 6–20 scale maps onto these (Borg ≤ 11 light,
    12–14 moderate, ≥ 15 vigorous) when only Borg is given."""

    LIGHT = "light", _("Light")
    MODERATE = "moderate", _("Moderate")
    VIGOROUS = "vigorous", _("Vigorous")


class ConfirmedVia(models.TextChoices):
    LINK = "link", _("Link sent to the participant")
    IN_PERSON = "in_person", _("In person, on the contact's phone")


def intensity_from_borg(borg: int) -> str:
    if borg <= 11:
        return Intensity.LIGHT
    if borg <= 14:
        return Intensity.MODERATE
    return Intensity.VIGOROUS


# Sessions in these statuses took the contact's time: they may not overlap each other.
TIME_TAKING_STATUSES = (SessionStatus.HELD, SessionStatus.NO_SHOW)
SESSION_MAX_MINUTES = 600
