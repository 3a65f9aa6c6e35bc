"""Writes for supervision: a programme's settings, groups and their plan of meetings,
attendance (which records each present member's hours), individual sessions, corrections, and
the yearly return of unused hours to the pool with its share-out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.access import require_manager
from kobling.core.versions import lock_versioned
from kobling.helpers.models import Helper
from kobling.support import selectors
from kobling.support.choices import EntryKind, MeetingStatus, PoolEntryKind
from kobling.support.models import (
    PoolEntry,
    PoolRun,
    SupervisionEntry,
    SupervisionGroup,
    SupervisionMeeting,
    SupervisionSettings,
    settings_for,
)
from kobling.support.pool import share_out
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction

SETTINGS_FIELDS = ("allowance_hours", "return_month", "return_day", "alert_weeks")
GROUP_FIELDS = ("name", "leader", "leader_name", "meeting_minutes", "is_active")


def settings_save(
    *, programme: Any, by: Any, data: dict[str, Any], expected_version: int | None
) -> SupervisionSettings:
    """Change a programme's supervision settings (created on first save; later saves need the
    version read)."""
    require_manager(by, programme.municipality_id)
    with transaction.atomic():
        current = settings_for(programme)
        if current.pk:
            current = lock_versioned(SupervisionSettings, current, expected_version)
        before = {f: getattr(current, f) for f in SETTINGS_FIELDS}
        for field in SETTINGS_FIELDS:
            if field in data:
                setattr(current, field, data[field])
        current.full_clean(exclude=["programme"] if current.pk else None)
        if current.pk:
            current.version += 1
        current.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=current,
            changes=diff(before, {f: getattr(current, f) for f in SETTINGS_FIELDS}),
        )
    return current


def _check_members(group: SupervisionGroup, members: Iterable[Helper]) -> list[Helper]:
    members = list(members)
    strangers = [h for h in members if h.programme_id != group.programme_id]
    if strangers:
        raise ValidationError(
            {
                "members": _("Members must be helpers in the group's programme: %(names)s.")
                % {"names": ", ".join(str(h) for h in strangers)}
            }
        )
    return members


def group_create(
    *, by: Any, programme: Any, data: dict[str, Any], members: Iterable[Helper]
) -> SupervisionGroup:
    """A new supervision group of a programme (its municipality's managers)."""
    require_manager(by, programme.municipality_id)
    with transaction.atomic():
        group = SupervisionGroup(
            municipality_id=programme.municipality_id,
            programme=programme,
            **{k: v for k, v in data.items() if k in GROUP_FIELDS},
        )
        group.full_clean()
        group.save()
        group.members.set(_check_members(group, members))
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=group,
            changes={"name": group.name, "members": sorted(h.pk for h in group.members.all())},
        )
    return group


def group_update(
    *,
    group: SupervisionGroup,
    by: Any,
    data: dict[str, Any],
    members: Iterable[Helper] | None,
    expected_version: int | None,
) -> SupervisionGroup:
    """Change a group (its version required): name, leader, members, meeting length."""
    require_manager(by, group.municipality_id)
    with transaction.atomic():
        locked = lock_versioned(SupervisionGroup, group, expected_version)
        before = {f: getattr(locked, f) for f in GROUP_FIELDS}
        before["members"] = sorted(locked.members.values_list("pk", flat=True))
        for field in GROUP_FIELDS:
            if field in data:
                setattr(locked, field, data[field])
        locked.full_clean()
        locked.version += 1
        locked.save()
        if members is not None:
            locked.members.set(_check_members(locked, members))
        after = {f: getattr(locked, f) for f in GROUP_FIELDS}
        after["members"] = sorted(locked.members.values_list("pk", flat=True))
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=diff(before, after))
    return locked


def meeting_plan(
    *,
    group: SupervisionGroup,
    by: Any,
    date: dt.date,
    start_time: dt.time | None = None,
    minutes: int | None = None,
    topic: str = "",
) -> SupervisionMeeting:
    """Add a meeting to the group's plan (managers and the group's leader)."""
    if not group.permits(by, "record"):
        require_manager(by, group.municipality_id)
    meeting = SupervisionMeeting(
        group=group,
        municipality_id=group.municipality_id,
        date=date,
        start_time=start_time,
        minutes=minutes or group.meeting_minutes,
        topic=topic,
    )
    with transaction.atomic():
        meeting.full_clean()
        meeting.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=meeting)
    return meeting


def meeting_cancel(*, meeting: SupervisionMeeting, by: Any) -> SupervisionMeeting:
    """Cancel a planned meeting (a held one keeps its attendance: correct that instead)."""
    if not meeting.permits(by, "record"):
        require_manager(by, meeting.municipality_id)
    with transaction.atomic():
        locked = SupervisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != MeetingStatus.PLANNED:
            raise ValidationError(_("Only a planned meeting can be cancelled."))
        locked.status = MeetingStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes={"status": "cancelled"})
    return locked


def _reverse(entry: SupervisionEntry, by: Any) -> SupervisionEntry:
    correction = SupervisionEntry(
        municipality_id=entry.municipality_id,
        programme_id=entry.programme_id,
        helper_id=entry.helper_id,
        kind=EntryKind.CORRECTION,
        date=entry.date,
        hours=-entry.hours,
        meeting_id=entry.meeting_id,
        supervisor=entry.supervisor,
        topic=entry.topic,
        corrects=entry,
        by=by,
    )
    correction.full_clean(exclude=["helper", "programme", "municipality", "meeting", "corrects"])
    correction.save()
    return correction


def attendance_record(
    *, meeting: SupervisionMeeting, by: Any, present: Iterable[int], today: dt.date | None = None
) -> SupervisionMeeting:
    """Record who came to a group meeting: each present member gets the meeting's hours; the
    meeting is held. Recording again corrects: a member no longer present gets a correction
    line, a newly present one a new line — nothing is changed or deleted."""
    if not meeting.permits(by, "record"):
        require_manager(by, meeting.municipality_id)
    today = today or timezone.localdate()
    present = set(present)
    with transaction.atomic():
        locked = SupervisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        group = locked.group
        if locked.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("The meeting was cancelled."))
        if locked.date > today:
            raise ValidationError(_("Attendance can be recorded on the day of the meeting."))
        members = {h.pk: h for h in group.members.all()}
        strangers = present - set(members)
        if strangers:
            raise ValidationError({"present": _("Only the group's members can be recorded.")})
        live = {
            e.helper_id: e
            for e in SupervisionEntry.objects.filter(
                meeting=locked, kind=EntryKind.GROUP, correction__isnull=True
            )
        }
        for helper_id in sorted(set(live) - present):
            _reverse(live[helper_id], by)
        for helper_id in sorted(present - set(live)):
            entry = SupervisionEntry(
                municipality_id=locked.municipality_id,
                programme_id=group.programme_id,
                helper=members[helper_id],
                kind=EntryKind.GROUP,
                date=locked.date,
                hours=locked.hours,
                meeting=locked,
                supervisor=group.leader_label,
                topic=locked.topic,
                by=by,
            )
            entry.full_clean(exclude=["meeting", "municipality", "programme"])
            entry.save()
        was = locked.status
        locked.status = MeetingStatus.HELD
        locked.save(update_fields=["status"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [was, locked.status], "present": sorted(present)},
        )
    return locked


def session_record(
    *,
    helper: Helper,
    by: Any,
    date: dt.date,
    hours: Decimal,
    supervisor: str = "",
    topic: str = "",
    today: dt.date | None = None,
) -> SupervisionEntry:
    """Record an individual supervision session a helper received (managers)."""
    require_manager(by, helper.municipality_id)
    today = today or timezone.localdate()
    if date > today:
        raise ValidationError({"date": _("A session is recorded once it has taken place.")})
    entry = SupervisionEntry(
        municipality_id=helper.municipality_id,
        programme_id=helper.programme_id,
        helper=helper,
        kind=EntryKind.INDIVIDUAL,
        date=date,
        hours=hours,
        supervisor=supervisor,
        topic=topic,
        by=by,
    )
    if hours is None or hours <= 0:
        raise ValidationError({"hours": _("Give the hours, more than zero.")})
    with transaction.atomic():
        entry.full_clean()
        entry.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=entry, changes={"hours": str(hours)})
    return entry


def entry_correct(*, entry: SupervisionEntry, by: Any) -> SupervisionEntry:
    """Reverse an individual session recorded in error (group lines are corrected through the
    meeting's attendance)."""
    require_manager(by, entry.municipality_id)
    if entry.kind != EntryKind.INDIVIDUAL:
        raise ValidationError(_("Correct group supervision through the meeting's attendance."))
    with transaction.atomic():
        SupervisionEntry.objects.select_for_update().filter(pk=entry.pk).get()
        if SupervisionEntry.objects.filter(corrects=entry).exists():
            raise ValidationError(_("This line is already corrected."))
        correction = _reverse(entry, by)
        audit_log(
            user=by, action=AuditAction.CREATE, obj=correction, changes={"corrects": entry.pk}
        )
    return correction


def pool_share_out(*, programme: Any, year: int, by: Any | None, on: dt.date) -> PoolRun:
    """Return the year's unused hours to the programme's pool and share it out by use (see
    :mod:`kobling.support.pool`). Once per programme and year; ``by`` is ``None`` when the
    scheduler runs it at the set date."""
    if by is not None:
        require_manager(by, programme.municipality_id)
    with transaction.atomic():
        if PoolRun.objects.filter(programme=programme, year=year).exists():
            raise ValidationError(_("The pool has already been shared out this year."))
        result = share_out(selectors.pool_rows(programme, year, on))
        try:
            with transaction.atomic():
                run = PoolRun.objects.create(
                    municipality_id=programme.municipality_id,
                    programme=programme,
                    year=year,
                    on=on,
                    returned_hours=result.pool,
                    shared_hours=sum(result.shared.values(), Decimal(0)),
                    by=by,
                )
        except IntegrityError:
            raise ValidationError(_("The pool has already been shared out this year.")) from None
        lines = [
            PoolEntry(
                run=run,
                municipality_id=programme.municipality_id,
                programme=programme,
                year=year,
                helper_id=helper_id,
                kind=PoolEntryKind.RETURNED,
                hours=-hours,
            )
            for helper_id, hours in result.returned.items()
        ] + [
            PoolEntry(
                run=run,
                municipality_id=programme.municipality_id,
                programme=programme,
                year=year,
                helper_id=helper_id,
                kind=PoolEntryKind.SHARED,
                hours=hours,
            )
            for helper_id, hours in result.shared.items()
        ]
        PoolEntry.objects.bulk_create(lines)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=run,
            changes={"returned": str(run.returned_hours), "shared": str(run.shared_hours)},
        )
    return run


def pools_due(today: dt.date | None = None) -> dict[str, int]:
    """The scheduler's job: share out the pool of every programme with supervision this year
    whose set date has come and that has not been shared out yet."""
    today = today or timezone.localdate()
    from kobling.tenancy.models import Programme

    start, _end = selectors.year_bounds(today.year)
    candidates = Programme.objects.filter(
        pk__in=SupervisionEntry.objects.filter(date__gte=start, date__lte=today).values(
            "programme_id"
        )
    ).exclude(supervision_pool_runs__year=today.year)
    done = 0
    for programme in candidates:
        when = settings_for(programme).return_date(today.year)
        if when <= today:
            try:
                pool_share_out(programme=programme, year=today.year, by=None, on=when)
            except ValidationError:
                continue
            done += 1
        # before the date: nothing yet
    return {"pools_shared": done}
