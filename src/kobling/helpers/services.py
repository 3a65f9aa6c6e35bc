"""Writes to the helper register. Views, the API, imports, commands and tasks all come here."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.helpers.choices import (
    PLACE_TAKING_PAIRING_STATUSES,
    TRANSITIONS,
    HelperStatus,
    LeftReason,
)
from kobling.helpers.models import (
    Activity,
    AvailabilityWindow,
    Helper,
    HelperStatusChange,
    TargetGroup,
)
from kobling.helpers.selectors import helper_has_valid_qualification
from kobling.lib.errors import ConflictError
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme, User

# Fields a coordinator edits directly. Status, check-in state and version change only through
# their own services.
EDITABLE_FIELDS: tuple[str, ...] = (
    "kind",
    "first_name",
    "last_name",
    "email",
    "phone",
    "national_id",
    "birth_year",
    "gender",
    "languages",
    "postcode",
    "home_area",
    "latitude",
    "longitude",
    "capacity",
    "hourly_rate",
    "covers_equipment",
    "contract_start",
    "contract_end",
    "interview_date",
    "police_certificate_date",
    "police_certificate_expires",
    "references_checked",
    "screening_notes",
)


@dataclass(frozen=True)
class Window:
    weekday: int
    start_time: dt.time
    end_time: dt.time


def _snapshot(helper: Helper) -> dict[str, Any]:
    data = {field: getattr(helper, field) for field in EDITABLE_FIELDS}
    if helper.pk:
        data["activities"] = sorted(a.code for a in helper.activities.all())
        data["target_groups"] = sorted(t.code for t in helper.target_groups.all())
        data["availability"] = [str(w) for w in helper.availability.all()]
    return data


def _set_relations(
    helper: Helper,
    activities: Iterable[Activity] | None,
    target_groups: Iterable[TargetGroup] | None,
    availability: Sequence[Window] | None,
) -> None:
    if activities is not None:
        helper.activities.set(list(activities))
    if target_groups is not None:
        helper.target_groups.set(list(target_groups))
    if availability is not None:
        windows = [
            AvailabilityWindow(
                helper=helper, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time
            )
            for w in availability
        ]
        for window in windows:
            window.full_clean(exclude=["helper"])
        helper.availability.all().delete()
        AvailabilityWindow.objects.bulk_create(windows)


def helper_create(
    *,
    by: User | None,
    municipality: Municipality,
    programme: Programme,
    data: dict[str, Any],
    activities: Iterable[Activity] | None = None,
    target_groups: Iterable[TargetGroup] | None = None,
    availability: Sequence[Window] | None = None,
    source: str = "manual",
    audit: bool = True,
) -> Helper:
    """Register a helper as an applicant. Validates every field; nothing is saved on error."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    helper = Helper(municipality=municipality, programme=programme, source=source, **data)
    helper.full_clean()
    with transaction.atomic():
        helper.save()
        _set_relations(helper, activities, target_groups, availability)
        HelperStatusChange.objects.create(
            helper=helper,
            municipality=municipality,
            from_status="",
            to_status=helper.status,
            by=by if by and by.is_authenticated else None,
            reason=source,
        )
        if audit:
            audit_log(user=by, action=AuditAction.CREATE, obj=helper, changes={"source": source})
    return helper


def _lock(helper: Helper, expected_version: int | None) -> Helper:
    locked = Helper.objects.select_for_update().get(pk=helper.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "%(name)s was changed by someone else while you were editing. Reload to see the latest version; nothing was saved."
            )
            % {"name": locked.full_name}
        )
    return locked


def helper_update(
    *,
    helper: Helper,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    activities: Iterable[Activity] | None = None,
    target_groups: Iterable[TargetGroup] | None = None,
    availability: Sequence[Window] | None = None,
) -> Helper:
    """Change a helper's details. ``expected_version`` is the version the editor started from;
    a mismatch raises :class:`ConflictError` so concurrent edits never silently overwrite."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    with transaction.atomic():
        locked = _lock(helper, expected_version)
        before = _snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        locked.full_clean()
        if "capacity" in data:
            # followup's pairings, through their reverse relation: helpers is below followup.
            open_pairs = locked.pairings.filter(status__in=PLACE_TAKING_PAIRING_STATUSES).count()
            if locked.capacity < open_pairs:
                raise ValidationError(
                    {
                        "capacity": _(
                            "The contact has %(n)s open pairings; the capacity cannot be lower."
                        )
                        % {"n": open_pairs}
                    }
                )
        if locked.status == HelperStatus.ACTIVE:
            # An edit may not take an active helper out of the rules that made them active
            # (what was already wrong, e.g. a certificate that expired, does not block other edits).
            today = timezone.localdate()
            as_before = copy.copy(locked)
            for field in (
                "police_certificate_date",
                "police_certificate_expires",
                "contract_end",
                "capacity",
            ):
                setattr(as_before, field, before[field])
            was = active_rule_problems(as_before, today=today)
            now_wrong = {
                k: v for k, v in active_rule_problems(locked, today=today).items() if k not in was
            }
            if now_wrong:
                raise ValidationError(now_wrong)
        locked.version += 1
        locked.save()
        _set_relations(locked, activities, target_groups, availability)
        changes = diff(before, _snapshot(locked))
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def active_rule_problems(helper: Helper, *, today: dt.date) -> dict[str, str]:
    """What an active helper must keep meeting, besides the qualification: a valid police
    certificate where the programme requires one, a contract that has not ended, capacity."""
    problems: dict[str, str] = {}
    if helper.programme.requires_police_certificate and not helper.police_certificate_valid_on(
        today
    ):
        problems["police_certificate_expires"] = _(
            "The programme requires a valid police certificate."
        )
    if helper.contract_end and helper.contract_end < today:
        problems["contract_end"] = _("The contract period has ended.")
    if helper.capacity < 1:
        problems["capacity"] = _("An active helper needs capacity for at least one participant.")
    return problems


def status_change_problems(
    helper: Helper,
    to_status: str,
    *,
    paused_until: dt.date | None,
    left_reason: str,
    today: dt.date,
    has_qualification: bool | None = None,
) -> dict[str, str]:
    """Why ``helper`` cannot move to ``to_status`` now (field → message); empty when it can.

    ``has_qualification`` answers the qualification rule without a database lookup (an import
    checks its rows before anything is saved)."""
    problems: dict[str, str] = {}
    if to_status not in HelperStatus.values:
        return {"to_status": _("Unknown status.")}
    if to_status == helper.status:
        return {"to_status": _("The helper already has this status.")}
    if to_status not in TRANSITIONS[helper.status]:
        return {
            "to_status": _("A helper cannot go from %(from)s to %(to)s.")
            % {"from": HelperStatus(helper.status).label, "to": HelperStatus(to_status).label}
        }
    programme = helper.programme
    if (
        to_status in {HelperStatus.QUALIFIED, HelperStatus.ACTIVE}
        and programme.requires_qualification
    ):
        if has_qualification is None:
            has_qualification = helper_has_valid_qualification(
                helper=helper, programme=programme, day=today
            )
        if not has_qualification:
            problems["qualification"] = _("The programme requires a completed qualifying course.")
    if to_status == HelperStatus.ACTIVE:
        problems.update(active_rule_problems(helper, today=today))
    if to_status == HelperStatus.PAUSED and (paused_until is None or paused_until <= today):
        problems["paused_until"] = _("Give a date in the future to pause until.")
    if to_status == HelperStatus.LEFT and left_reason not in LeftReason.values:
        problems["left_reason"] = _("Give a reason for leaving.")
    return problems


def helper_change_status(
    *,
    helper: Helper,
    by: User | None,
    to_status: str,
    reason: str = "",
    paused_until: dt.date | None = None,
    left_reason: str = "",
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> Helper:
    """Move a helper through the lifecycle, enforcing the programme's rules; every change is kept
    in the history and the audit log."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(helper, expected_version)
        problems = status_change_problems(
            locked, to_status, paused_until=paused_until, left_reason=left_reason, today=today
        )
        if problems:
            raise ValidationError(problems)
        from_status = locked.status
        locked.status = to_status
        locked.status_since = timezone.now()
        locked.paused_until = paused_until if to_status == HelperStatus.PAUSED else None
        locked.left_reason = left_reason if to_status == HelperStatus.LEFT else ""
        if to_status == HelperStatus.ACTIVE:
            # Becoming (or returning to) active is itself a confirmation of availability.
            locked.availability_confirmed_at = timezone.now()
            locked.is_unconfirmed = False
        locked.version += 1
        locked.save()
        HelperStatusChange.objects.create(
            helper=locked,
            municipality_id=locked.municipality_id,
            from_status=from_status,
            to_status=to_status,
            by=by if by is not None and by.is_authenticated else None,
            reason=(reason or left_reason)[:200],
            paused_until=locked.paused_until,
        )
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "status": [from_status, to_status],
                "reason": reason or left_reason,
                "paused_until": locked.paused_until,
            },
        )
    if from_status != to_status and to_status in {HelperStatus.PAUSED, HelperStatus.LEFT}:
        from kobling.helpers.checkins import checkins_cancel_open

        checkins_cancel_open(helper=locked)
    return locked


def helpers_resume_paused(*, today: dt.date | None = None) -> list[Helper]:
    """Paused helpers whose pause has run out go back to active — if the rules still allow it.
    Statuses change by themselves; nobody has to remember."""
    today = today or timezone.localdate()
    resumed: list[Helper] = []
    due = Helper.objects.filter(status=HelperStatus.PAUSED, paused_until__lte=today).select_related(
        "programme"
    )
    for helper in due:
        if status_change_problems(
            helper, HelperStatus.ACTIVE, paused_until=None, left_reason="", today=today
        ):
            continue
        resumed.append(
            helper_change_status(
                helper=helper,
                by=None,
                to_status=HelperStatus.ACTIVE,
                reason=_("Pause ended"),
                today=today,
            )
        )
    return resumed
