"""Builders for premises, bookings and meetings tests, through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kobling.partners import services


def premises(municipality, by, *, name: str = "Aby grendehus", **data: Any):  # noqa: ANN001, ANN201
    return services.premises_create(
        by=by,
        municipality=municipality,
        data={
            "name": name,
            "kind": "hall",
            "keys": "Two keys: the caretaker holds one, the other is lent out",
            "contact_name": "Vaktmester Ola",
            "contact_phone": "99887766",
            **data,
        },
    )


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time ``days`` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def book(place, by, *, days: int = 3, start: int = 18, end: int = 20, **kw: Any):  # noqa: ANN001, ANN201
    return services.booking_create(
        premises=place,
        by=by,
        title=kw.pop("title", "Likepersonsgruppe"),
        starts_at=at(days, start),
        ends_at=at(days, end),
        **kw,
    )


def local_form(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
