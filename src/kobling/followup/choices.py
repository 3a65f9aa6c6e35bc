from django.db import models
from django.utils.translation import gettext_lazy as _


class PairingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# A pairing in one of these takes one of the contact's places.
OPEN_PAIRING_STATUSES = (PairingStatus.CONFIRMED, PairingStatus.ACTIVE, PairingStatus.PAUSED)

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
    OTHER = "other", _("Other")
