"""Check-ins replace chasing: every N weeks each active helper is asked whether they are still
available; the answer updates the register, silence makes them unconfirmed."""

from __future__ import annotations

from django.db import transaction

from kobling.helpers.choices import CheckInStatus
from kobling.helpers.models import CheckIn, Helper


def checkins_cancel_open(*, helper: Helper) -> int:
    """A helper who paused or left by another route no longer needs an open check-in."""
    with transaction.atomic():
        return CheckIn.objects.filter(
            helper=helper,
            status__in=[CheckInStatus.PENDING, CheckInStatus.SENT, CheckInStatus.REMINDED],
        ).update(status=CheckInStatus.CANCELLED)
