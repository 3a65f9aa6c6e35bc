"""Writing group offers: create an offer with its weekly times, generate its meetings, enrol a
course (with the offer's waiting list when it is full), leave, move or cancel a meeting, and
record who came.

Capacity holds under concurrent enrolment: the offer's row is locked while its places are
counted. Attendance entries are never changed; a correction is a new entry that supersedes the
old one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.access import require_manager
from kobling.groups import confirmations
from kobling.groups.choices import (
    ACTIVE_ENROLMENT,
    AttendanceAnswer,
    EnrolmentStatus,
    MeetingStatus,
)
from kobling.groups.models import Attendance, GroupEnrolment, GroupOffer, Meeting, OfferTime
from kobling.groups.notices import cancellation_queue
from kobling.groups.selectors import enrolled_on
from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.helpers.models import Helper
from kobling.lib.errors import ConflictError
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.episodes import episode_start
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

if TYPE_CHECKING:
    from kobling.tenancy.models import Municipality, User

# Who may lead a group: the frisklivssentral's guides and instructors, and certified health
# guides.
LEADER_KINDS = (HelperKind.HEALTHY_LIFE_GUIDE, HelperKind.INSTRUCTOR, HelperKind.HEALTH_GUIDE)
LEADER_STATUSES = (HelperStatus.QUALIFIED, HelperStatus.ACTIVE)


def _stale() -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this while you were looking at it. Reload to see the latest "
            "version; nothing was saved."
        )
    )


@dataclass(frozen=True)
class WeeklyTime:
    weekday: int
    start_time: dt.time
    minutes: int


def _check_leaders(municipality_id: int, leaders: Iterable[Helper], field: str) -> list[Helper]:
    leaders = list(leaders)
    for helper in leaders:
        if helper.municipality_id != municipality_id:
            raise ValidationError({field: _("A leader must be a helper in the municipality.")})
        if helper.kind not in LEADER_KINDS or helper.status not in LEADER_STATUSES:
            raise ValidationError(
                {
                    field: _(
                        "%(name)s cannot lead a group: a leader is a qualified or active "
                        "healthy-life guide, instructor or health guide."
                    )
                    % {"name": helper.full_name}
                }
            )
    return leaders


def offer_create(
    *,
    by: User,
    municipality: Municipality,
    data: dict[str, Any],
    leaders: Iterable[Helper],
    times: Iterable[WeeklyTime],
) -> GroupOffer:
    """A new group offer with its leaders and weekly times (coordinators and admins)."""
    require_manager(by, municipality.pk)
    programme = data.get("programme")
    if programme is not None and programme.municipality_id != municipality.pk:
        raise ValidationError({"programme": _("The programme belongs to another municipality.")})
    venue = data.get("venue")
    if venue is not None and venue.municipality_id != municipality.pk:
        raise ValidationError({"venue": _("The partner belongs to another municipality.")})
    leaders = _check_leaders(municipality.pk, leaders, "leaders")
    if not leaders:
        raise ValidationError({"leaders": _("A group needs at least one leader.")})
    times = list(times)
    if not times:
        raise ValidationError({"times": _("Give at least one weekly time.")})
    with transaction.atomic():
        offer = GroupOffer(municipality=municipality, **data)
        offer.full_clean()
        offer.save()
        offer.leaders.set(leaders)
        for time in times:
            row = OfferTime(
                offer=offer, weekday=time.weekday, start_time=time.start_time, minutes=time.minutes
            )
            row.full_clean()
            row.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=offer,
            changes={"title": offer.title, "leaders": [h.pk for h in leaders]},
        )
    return offer


# What editing an offer may change; its programme and municipality stay (its enrolments and
# meetings belong to them), and its weekly times are set when it is made.
OFFER_EDITABLE = (
    "title",
    "topic",
    "venue",
    "place",
    "term_start",
    "term_end",
    "capacity",
    "minimum_size",
    "is_drop_in",
    "is_active",
)


def offer_update(
    *,
    offer: GroupOffer,
    by: User,
    data: dict[str, Any],
    leaders: Iterable[Helper] | None = None,
    expected_version: int | None,
) -> GroupOffer:
    """Change a group offer (coordinators and admins), given the version read.

    - Leaders are checked as when the offer is made, and at least one stays.
    - Places cannot go below the courses enrolled; more places go to the waiting list first.
    - A shorter term: a meeting outside it that was held (or has attendance) refuses the change;
      planned meetings outside it are removed (they never took place and nobody was told of
      them one by one); cancelled ones stay, with their reason. A longer term gets its meetings
      from the weekly times."""
    require_manager(by, offer.municipality_id)
    unknown = set(data) - set(OFFER_EDITABLE)
    if unknown:
        raise ValidationError(
            {name: _("This cannot be changed on an existing group.") for name in sorted(unknown)}
        )
    venue = data.get("venue")
    if venue is not None and venue.municipality_id != offer.municipality_id:
        raise ValidationError({"venue": _("The partner belongs to another municipality.")})
    if leaders is not None:
        leaders = _check_leaders(offer.municipality_id, leaders, "leaders")
        if not leaders:
            raise ValidationError({"leaders": _("A group needs at least one leader.")})
    with transaction.atomic():
        locked = GroupOffer.objects.select_for_update().get(pk=offer.pk)
        if expected_version is not None and locked.version != expected_version:
            raise _stale()
        before = {name: getattr(locked, name) for name in data}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.full_clean()
        enrolled = GroupEnrolment.objects.filter(
            offer=locked, status=EnrolmentStatus.ENROLLED
        ).count()
        if locked.capacity < enrolled:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(n)s courses are enrolled: the group cannot have fewer places. Let "
                        "someone leave first."
                    )
                    % {"n": enrolled}
                }
            )
        outside = Meeting.objects.filter(offer=locked).exclude(
            date__range=(locked.term_start, locked.term_end)
        )
        kept = outside.filter(status=MeetingStatus.HELD) | outside.filter(attendance__isnull=False)
        kept_dates = sorted({m.date for m in kept})
        if kept_dates:
            raise ValidationError(
                {
                    "term_end": _(
                        "Meetings outside the new term have attendance recorded (%(dates)s); "
                        "the term must include them."
                    )
                    % {"dates": ", ".join(d.strftime("%d.%m.%Y") for d in kept_dates)}
                }
            )
        removed, _detail = outside.filter(status=MeetingStatus.PLANNED).delete()
        locked.version += 1
        locked.save()
        if leaders is not None:
            locked.leaders.set(leaders)
        changes: dict[str, Any] = {
            name: [str(before[name]), str(getattr(locked, name))]
            for name in data
            if before[name] != getattr(locked, name)
        }
        if leaders is not None:
            changes["leaders"] = [h.pk for h in leaders]
        if removed:
            changes["meetings_removed"] = removed
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
        if locked.capacity > enrolled:
            _promote_waiting(locked, by)
        meetings_generate(offer=locked, by=by)
    return locked


def meeting_set_substitute(
    *, meeting: Meeting, by: User, substitute: Helper | None, expected_version: int | None
) -> Meeting:
    """Name (or clear) the substitute who leads this one meeting in place of the offer's
    leaders; a substitute is checked as a leader is. Only before the meeting is held."""
    require_manager(by, meeting.municipality_id)
    if substitute is not None:
        _check_leaders(meeting.municipality_id, [substitute], "substitute")
    with transaction.atomic():
        locked = _lock_meeting(meeting, expected_version)
        if locked.status != MeetingStatus.PLANNED:
            raise ValidationError(_("Only a planned meeting can get a substitute."))
        before = locked.substitute_id
        locked.substitute = substitute
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"substitute": [before, substitute.pk if substitute else None]},
        )
    return locked


def meetings_generate(*, offer: GroupOffer, by: User | None) -> list[Meeting]:
    """The meetings of the offer's term from its weekly times; those already there (also moved
    or cancelled ones) are kept, so it can run again after the times change."""
    times = list(offer.times.all())
    existing = set(Meeting.objects.filter(offer=offer).values_list("slot_date", "slot_time"))
    new: list[Meeting] = []
    day = offer.term_start
    while day <= offer.term_end:
        for time in times:
            if time.weekday == day.weekday() and (day, time.start_time) not in existing:
                new.append(
                    Meeting(
                        offer=offer,
                        municipality_id=offer.municipality_id,
                        date=day,
                        start_time=time.start_time,
                        slot_date=day,
                        slot_time=time.start_time,
                        minutes=time.minutes,
                    )
                )
        day += dt.timedelta(days=1)
    with transaction.atomic():
        created = Meeting.objects.bulk_create(new)
        if created:
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=offer,
                changes={"meetings": len(created)},
            )
    return created


def _lock_meeting(meeting: Meeting, expected_version: int | None) -> Meeting:
    locked = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("offer__programme")
        .get(pk=meeting.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise _stale()
    return locked


def meeting_move(
    *,
    meeting: Meeting,
    by: User,
    date: dt.date,
    start_time: dt.time,
    expected_version: int | None,
) -> Meeting:
    """Move a planned meeting to another day or time (the time it was planned for is kept)."""
    require_manager(by, meeting.municipality_id)
    with transaction.atomic():
        locked = _lock_meeting(meeting, expected_version)
        if locked.status != MeetingStatus.PLANNED:
            raise ValidationError(_("Only a planned meeting can be moved."))
        before = [str(locked.date), str(locked.start_time)]
        locked.date, locked.start_time = date, start_time
        locked.version += 1
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"when": [before, [str(date), str(start_time)]]},
        )
    return locked


def meeting_cancel(
    *, meeting: Meeting, by: User, reason: str, expected_version: int | None
) -> Meeting:
    """Cancel a planned meeting, saying why: it no longer counts as offered, and those enrolled
    are told by e-mail (through the outbox) when it was still to come."""
    require_manager(by, meeting.municipality_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")})
    with transaction.atomic():
        locked = _lock_meeting(meeting, expected_version)
        if locked.status != MeetingStatus.PLANNED:
            raise ValidationError(_("Only a planned meeting can be cancelled."))
        locked.status = MeetingStatus.CANCELLED
        locked.cancel_reason = reason
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [MeetingStatus.PLANNED, MeetingStatus.CANCELLED]},
        )
        # Those enrolled hear of it (if it was still to come).
        if locked.date >= timezone.localdate():
            cancellation_queue(meeting=locked)
    return locked


# --- enrolment -------------------------------------------------------------------------------


def enrolment_create(*, offer: GroupOffer, episode: Episode, by: User) -> GroupEnrolment:
    """Enrol a course in a group: a place when there is one, else the offer's waiting list (in
    order of arrival). The offer's row is locked while its places are counted, so two
    coordinators filling the last place at once cannot both get it."""
    require_manager(by, offer.municipality_id)
    if episode.municipality_id != offer.municipality_id:
        raise ValidationError({"episode": _("The course belongs to another municipality.")})
    if episode.programme_id != offer.programme_id:
        raise ValidationError({"episode": _("The course is in another programme than the group.")})
    if episode.status == EpisodeStatus.ENDED:
        raise ValidationError({"episode": _("The course has ended.")})
    today = timezone.localdate()
    with transaction.atomic():
        locked = GroupOffer.objects.select_for_update().get(pk=offer.pk)
        if not locked.is_active or locked.term_end < today:
            raise ValidationError(_("The group is closed for enrolment."))
        if GroupEnrolment.objects.active().filter(offer=locked, episode=episode).exists():
            raise ValidationError({"episode": _("The course is already in this group.")})
        taken = GroupEnrolment.objects.filter(offer=locked, status=EnrolmentStatus.ENROLLED).count()
        has_place = taken < locked.capacity
        enrolment = GroupEnrolment.objects.create(
            offer=locked,
            episode=episode,
            municipality_id=locked.municipality_id,
            status=EnrolmentStatus.ENROLLED if has_place else EnrolmentStatus.WAITING,
            enrolled_on=today if has_place else None,
            waiting_since=None if has_place else timezone.now(),
            created_by=by,
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=enrolment,
            changes={"offer": locked.pk, "episode": episode.pk, "status": enrolment.status},
        )
    return enrolment


def enrolment_leave(
    *, enrolment: GroupEnrolment, by: User, reason: str, expected_version: int | None = None
) -> GroupEnrolment:
    """The course leaves the group (or its waiting list). A place that frees up goes to the
    first on the waiting list."""
    require_manager(by, enrolment.municipality_id)
    with transaction.atomic():
        offer = GroupOffer.objects.select_for_update().get(pk=enrolment.offer_id)
        locked = GroupEnrolment.objects.select_for_update().get(pk=enrolment.pk)
        if expected_version is not None and locked.version != expected_version:
            raise _stale()
        if locked.status not in ACTIVE_ENROLMENT:
            raise ValidationError(_("The course has already left the group."))
        had_place = locked.status == EnrolmentStatus.ENROLLED
        before = locked.status
        locked.status = EnrolmentStatus.LEFT
        locked.left_on = timezone.localdate()
        locked.left_reason = (reason or "").strip()
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, EnrolmentStatus.LEFT]},
        )
        if had_place:
            _promote_waiting(offer, by)
    return locked


def leave_on_course_end(episode: Episode, by: User | None) -> None:
    """The course has ended (:func:`kobling.referrals.episodes.episode_end`): it leaves every
    group and waiting list it is on, that day, so later meetings are not offered to it; the
    places it frees go to those waiting."""
    open_rows = GroupEnrolment.objects.filter(episode=episode, status__in=ACTIVE_ENROLMENT)
    for offer_id in sorted(set(open_rows.values_list("offer_id", flat=True))):
        offer = GroupOffer.objects.select_for_update().get(pk=offer_id)
        had_place = False
        for row in GroupEnrolment.objects.select_for_update().filter(
            offer=offer, episode=episode, status__in=ACTIVE_ENROLMENT
        ):
            had_place = had_place or row.status == EnrolmentStatus.ENROLLED
            before = row.status
            row.status = EnrolmentStatus.LEFT
            # Not before it joined: a course ended on a date before its place was given.
            row.left_on = max(episode.ended_on, row.enrolled_on or episode.ended_on)
            row.left_reason = _("The course ended.")
            row.version += 1
            row.save()
            audit_log(
                user=by,
                action=AuditAction.UPDATE,
                obj=row,
                changes={"status": [before, EnrolmentStatus.LEFT], "reason": "course ended"},
            )
        if had_place:
            _promote_waiting(offer, by)


def _promote_waiting(offer: GroupOffer, by: User | None) -> None:
    taken = GroupEnrolment.objects.filter(offer=offer, status=EnrolmentStatus.ENROLLED).count()
    free = offer.capacity - taken
    if free <= 0:
        return
    waiting = GroupEnrolment.objects.filter(offer=offer, status=EnrolmentStatus.WAITING).order_by(
        "waiting_since", "pk"
    )[:free]
    for row in waiting:
        row.status = EnrolmentStatus.ENROLLED
        row.enrolled_on = timezone.localdate()
        row.version += 1
        row.save(update_fields=["status", "enrolled_on", "version"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=row,
            changes={"status": [EnrolmentStatus.WAITING, EnrolmentStatus.ENROLLED]},
        )


# --- attendance ------------------------------------------------------------------------------


def leads(user: User, meeting: Meeting) -> bool:
    """The user leads this meeting: one of the offer's leaders, or its substitute."""
    if meeting.substitute_id and meeting.substitute.user_id == user.pk:
        return True
    return meeting.offer.leaders.filter(user_id=user.pk).exists()


def _may_record(user: User, meeting: Meeting) -> None:
    if user.is_manager_of(meeting.municipality_id) or leads(user, meeting):
        return
    raise PermissionDenied(_("Only the group's leaders and the coordinators record attendance."))


def _check_late(locked: Meeting, by: User, today: dt.date) -> None:
    late = locked.offer.programme.attendance_late_days
    if (today - locked.date).days > late and not by.is_manager_of(locked.municipality_id):
        raise ValidationError(
            _(
                "Attendance can be recorded up to %(days)s days after the meeting; ask a "
                "coordinator to record it."
            )
            % {"days": late}
        )


def attendance_dispute_keep(
    *, meeting: Meeting, by: User, episode_id: int, reason: str
) -> Attendance:
    """The leader (or a coordinator) looked at a participant's "I was not there" and keeps the
    entry as present, saying why: a new entry supersedes the disputed one (nothing is edited),
    and the alert goes. No new link is sent. To record the person as absent instead, record the
    meeting again without them."""
    _may_record(by, meeting)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the attendance stands.")})
    with transaction.atomic():
        locked = _lock_meeting(meeting, None)
        _check_late(locked, by, timezone.localdate())
        entry = (
            Attendance.objects.current()
            .select_for_update(of=("self",))
            .filter(
                meeting=locked,
                episode_id=episode_id,
                attended=True,
                confirmation=AttendanceAnswer.DISPUTED,
            )
            .first()
        )
        if entry is None:
            raise ValidationError(_("There is no disputed attendance to keep for this person."))
        kept = Attendance.objects.create(
            meeting=locked,
            episode_id=entry.episode_id,
            municipality_id=locked.municipality_id,
            attended=True,
            is_drop_in=entry.is_drop_in,
            supersedes=entry,
            correction_reason=(
                _("Kept after the participant's answer: %(reason)s") % {"reason": reason}
            )[:300],
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=kept,
            changes={"supersedes": entry.pk, "kept_after_dispute": True},
        )
    return kept


def attendance_record(
    *,
    meeting: Meeting,
    by: User,
    came: Iterable[int],
    drop_ins: Iterable[int] = (),
    minutes: int | None = None,
    intensity: str = "",
    account: str = "",
    expected_version: int | None = None,
) -> Meeting:
    """Mark the meeting held and record who came: every course enrolled that day gets an entry
    (came or not), and each drop-in (a course in the programme, not enrolled) one that came.
    Recording again corrects: only the entries that change get a new, superseding entry.
    Where the programme asks for it, each new entry recorded as present gets a confirmation
    link (:mod:`kobling.groups.confirmations`); the meeting returned carries ``links_queued``
    (links sent, and whom none could go to).

    Refused for a cancelled or future meeting, after the programme's days for late entry, for
    someone who neither leads the group nor manages the municipality, and for a course that is
    neither enrolled nor (in an open group) in the programme."""
    _may_record(by, meeting)
    today = timezone.localdate()
    came, drop_ins = set(came), set(drop_ins)
    with transaction.atomic():
        locked = _lock_meeting(meeting, expected_version)
        if locked.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("The meeting was cancelled; there is no attendance to record."))
        if locked.date > today:
            raise ValidationError(_("The meeting has not taken place yet."))
        _check_late(locked, by, today)
        enrolled = set(enrolled_on(locked))
        errors: dict[str, str] = {}
        if came - enrolled:
            errors["came"] = _("Only courses enrolled in the group that day can be ticked.")
        drop_ins -= enrolled
        if drop_ins:
            if not locked.offer.is_drop_in:
                errors["drop_ins"] = _("The group is not open for drop-in.")
            elif Episode.objects.filter(
                pk__in=drop_ins, programme_id=locked.offer.programme_id
            ).exclude(status=EpisodeStatus.ENDED).count() != len(drop_ins):
                errors["drop_ins"] = _("A drop-in must have an open course in the programme.")
        if minutes is not None and not 1 <= minutes <= 600:
            errors["minutes"] = _("A meeting lasts from 1 to 600 minutes.")
        if errors:
            raise ValidationError(errors)
        wanted = {pk: pk in came for pk in enrolled} | dict.fromkeys(drop_ins, True)
        standing = {
            a.episode_id: a
            for a in Attendance.objects.current()
            .filter(meeting=locked)
            .select_for_update(of=("self",))
        }
        # A drop-in recorded before and not ticked now is corrected to "did not come".
        for pk, entry in standing.items():
            wanted.setdefault(pk, False if entry.is_drop_in else entry.attended)
        now = timezone.now()
        entries = [
            Attendance(
                meeting=locked,
                episode_id=pk,
                municipality_id=locked.municipality_id,
                attended=attended,
                is_drop_in=pk in drop_ins or bool(before and before.is_drop_in),
                supersedes=before,
                correction_reason=_("Recorded again") if before else "",
                recorded_by=by,
                recorded_at=now,
            )
            for pk, attended in sorted(wanted.items())
            if (before := standing.get(pk)) is None or before.attended != attended
        ]
        # One statement whatever the size of the group (entries are only ever added).
        Attendance.objects.bulk_create(entries)
        # Where the programme asks, those recorded as present confirm it by link.
        queued = confirmations.links_queue(meeting=locked, entries=entries, by=by, now=now)
        changed = len(entries)
        # The first meeting a course comes to starts it (its referral leaves the waiting list).
        came_now = [pk for pk, attended in wanted.items() if attended]
        for course in Episode.objects.filter(pk__in=came_now, status=EpisodeStatus.WAITING):
            episode_start(episode=course, by=by, started_on=locked.date)
        held_before = locked.status == MeetingStatus.HELD
        locked.status = MeetingStatus.HELD
        if minutes is not None:
            locked.minutes = minutes
        locked.intensity = intensity or locked.intensity
        locked.account = account or locked.account
        locked.held_by = locked.held_by or by
        locked.held_at = locked.held_at or now
        locked.version += 1
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "held": held_before or [False, True],
                "attendance_entries": changed,
                "came": len([1 for v in wanted.values() if v]),
                "confirmation_links": queued.sent,
            },
        )
    # For the leader's page: whom no link could go to.
    locked.links_queued = queued
    return locked
