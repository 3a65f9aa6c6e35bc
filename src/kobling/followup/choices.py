from django.db import models
from django.utils.translation import gettext_lazy as _

from kobling.helpers.choices import PLACE_TAKING_PAIRING_STATUSES


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
