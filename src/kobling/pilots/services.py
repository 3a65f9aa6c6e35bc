"""Writes for pilots: only the national analyst sets a pilot up (the pilot names its owners)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kobling.pilots.models import Pilot
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def pilot_create(
    *,
    by: Any,
    name: str,
    municipalities: Iterable[Any],
    period_start: dt.date,
    period_end: dt.date,
    programmes: Iterable[Any] = (),
    owners: Iterable[Any] = (),
    description: str = "",
) -> Pilot:
    """A pilot across ``municipalities``: it counts the courses of ``programmes`` (none: every
    provider-delivered course of those municipalities) that started within the period."""
    if by is not None and not getattr(by, "is_analyst", False):
        raise PermissionDenied(_("Only the national analyst can set up a pilot."))
    municipalities = list(municipalities)
    programmes = list(programmes)

    if not municipalities:
        raise ValidationError({"municipalities": _("Choose at least one municipality.")})
    outside = [p for p in programmes if p.municipality_id not in {m.pk for m in municipalities}]
    if outside:
        raise ValidationError(
            {"programmes": _("A programme must belong to one of the pilot's municipalities.")}
        )
    with transaction.atomic():
        pilot = Pilot(
            name=name, description=description, period_start=period_start, period_end=period_end
        )
        pilot.full_clean()
        pilot.save()
        pilot.municipalities.set(municipalities)
        pilot.programmes.set(programmes)
        pilot.owners.set(list(owners))
        audit_log(user=by, action=AuditAction.CREATE, obj=pilot)
    return pilot
