"""Small builders for partner tests, through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kobling.partners.services import agreement_create, partner_create

TODAY = timezone.localdate


def partner(municipality, *, name: str = "Aby IL", kind: str = "sports_club", **data: Any):  # noqa: ANN001, ANN201
    programmes = data.pop("programmes", None)
    return partner_create(
        by=None,
        municipality=municipality,
        data={"name": name, "kind": kind, **data},
        programmes=programmes,
    )


def agreement(  # noqa: ANN201
    partner,  # noqa: ANN001
    *,
    kind: str = "cooperation",
    starts: int = -100,
    ends: int | None = None,
    review: int | None = None,
    **data: Any,
):
    """An agreement whose dates are given in days from today."""
    today = timezone.localdate()
    return agreement_create(
        partner=partner,
        by=None,
        data={
            "kind": kind,
            "starts_on": today + dt.timedelta(days=starts),
            "ends_on": None if ends is None else today + dt.timedelta(days=ends),
            "review_on": None if review is None else today + dt.timedelta(days=review),
            **data,
        },
    )
