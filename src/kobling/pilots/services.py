"""Writes for pilots: only the national analyst sets a pilot up or changes it (the pilot names
its owners)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kobling.core.versions import lock_versioned
from kobling.pilots.models import Pilot
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction


def _analyst(by: Any) -> None:
    if by is not None and not getattr(by, "is_analyst", False):
        raise PermissionDenied(_("Only the national analyst can set up a pilot."))


def _check(municipalities: list[Any], programmes: list[Any]) -> None:
    if not municipalities:
        raise ValidationError({"municipalities": _("Choose at least one municipality.")})
    outside = [p for p in programmes if p.municipality_id not in {m.pk for m in municipalities}]
    if outside:
        raise ValidationError(
            {"programmes": _("A programme must belong to one of the pilot's municipalities.")}
        )


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
    _analyst(by)
    municipalities = list(municipalities)
    programmes = list(programmes)
    _check(municipalities, programmes)
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


def pilot_update(
    *,
    by: Any,
    pilot: Pilot,
    expected_version: int | None,
    name: str,
    municipalities: Iterable[Any],
    period_start: dt.date,
    period_end: dt.date,
    programmes: Iterable[Any] = (),
    owners: Iterable[Any] = (),
    description: str = "",
) -> Pilot:
    """Change a pilot: everything it names. Refused (ConflictError) unless ``expected_version``
    is the version the editor read."""
    _analyst(by)
    municipalities = list(municipalities)
    programmes = list(programmes)
    owners = list(owners)
    _check(municipalities, programmes)
    with transaction.atomic():
        locked = lock_versioned(Pilot, pilot, expected_version)
        before = {
            "name": locked.name,
            "period": f"{locked.period_start}–{locked.period_end}",
            "municipalities": sorted(locked.municipalities.values_list("pk", flat=True)),
            "programmes": sorted(locked.programmes.values_list("pk", flat=True)),
            "owners": sorted(locked.owners.values_list("pk", flat=True)),
        }
        locked.name = name
        locked.description = description
        locked.period_start = period_start
        locked.period_end = period_end
        locked.full_clean()
        locked.version += 1
        locked.save()
        locked.municipalities.set(municipalities)
        locked.programmes.set(programmes)
        locked.owners.set(owners)
        after = {
            "name": name,
            "period": f"{period_start}–{period_end}",
            "municipalities": sorted(m.pk for m in municipalities),
            "programmes": sorted(p.pk for p in programmes),
            "owners": sorted(u.pk for u in owners),
        }
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, after),
        )
    return locked
