"""Writes for sessions (økter): logging one, correcting one (a new entry that supersedes — never
a silent edit), and the participant's confirmation.

Rules, checked before anything is saved (a refusal is a ``ValidationError`` with field keys and
leaves the database as it was):

- ``date``: not in the future; not before the pairing was confirmed; not after the pairing
  ended (``ended_on``); not after it paused (``paused_on``) while it is paused. Sessions may be
  logged late, so a date before the end or the pause is fine.
- ``minutes``: 1–600. For a cancelled session or a no-show they are the planned minutes.
- ``status`` ``held``: the activity is optional, but the effort is not — give an ``intensity``
  (light/moderate/vigorous) or a Borg rating (6–20). Borg alone sets the intensity
  (``intensity_from_borg``). Intensity and Borg are dropped for sessions that were not held.
- ``status`` ``cancelled``: who cancelled (``cancelled_by``) and whether with notice
  (``with_notice``) are required; they are dropped for any other status.
- The same contact cannot be in two places at once: a held session or a no-show with a start
  time may not overlap another current one (held or no-show, with a start time, on the same
  date) of the same contact — across all their pairings. The contact's row is locked
  (``SELECT … FOR UPDATE``) first, so two logs at the same moment cannot both pass.
- Logging a held session on a pairing still only *confirmed* starts it (confirmed → active,
  started on the session's date): the pair has evidently met. Nothing else changes a pairing.

Who may log is decided by the caller (:mod:`kobling.followup.access`): the pair's contact or a
coordinator. Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kobling.followup.choices import (
    SESSION_MAX_MINUTES,
    TIME_TAKING_STATUSES,
    CancelledBy,
    ConfirmedVia,
    Intensity,
    PairingStatus,
    SessionStatus,
    intensity_from_borg,
)
from kobling.followup.models import Pairing, Session
from kobling.helpers.models import Activity, Helper
from kobling.lib.errors import ConflictError
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import User

# What a session entry is made of (and what a correction may change).
FIELDS = (
    "date",
    "start_time",
    "minutes",
    "status",
    "activity",
    "intensity",
    "borg",
    "cancelled_by",
    "with_notice",
    "note",
)
NOTE_MAX = 500
REASON_MAX = 300


def _user(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _clean(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check one entry's own values (no database); return them normalised, and the problems."""
    problems: dict[str, str] = {}
    v = dict(values)
    today = timezone.localdate()

    status = v.get("status")
    if status not in SessionStatus.values:
        problems["status"] = _("Choose held, cancelled or no-show.")

    day = v.get("date")
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        problems["date"] = _("Give the date of the session.")
    elif day > today:
        problems["date"] = _("A session cannot be logged in the future.")

    minutes = v.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        problems["minutes"] = _("Give the length of the session in minutes.")
    elif minutes <= 0 or minutes > SESSION_MAX_MINUTES:
        problems["minutes"] = _("Minutes must be between 1 and %(max)s.") % {
            "max": SESSION_MAX_MINUTES
        }

    start = v.get("start_time")
    if start is not None and not isinstance(start, dt.time):
        problems["start_time"] = _("Give the start time as hours and minutes.")

    activity = v.get("activity")
    if activity is not None and not isinstance(activity, Activity):
        problems["activity"] = _("Choose an activity from the list.")

    borg = v.get("borg")
    intensity = v.get("intensity") or ""
    if status == SessionStatus.HELD:
        if borg is not None and (
            isinstance(borg, bool) or not isinstance(borg, int) or not 6 <= borg <= 20
        ):
            problems["borg"] = _("Borg must be a whole number between 6 and 20.")
        if intensity and intensity not in Intensity.values:
            problems["intensity"] = _("Choose light, moderate or vigorous.")
        if not intensity and borg is None:
            problems["intensity"] = _(
                "Give the intensity (light, moderate or vigorous) or a Borg rating (6–20)."
            )
        if not intensity and "borg" not in problems and borg is not None:
            intensity = intensity_from_borg(borg)
    else:
        intensity, borg = "", None
    v["intensity"], v["borg"] = intensity, borg

    if status == SessionStatus.CANCELLED:
        if v.get("cancelled_by") not in CancelledBy.values:
            problems["cancelled_by"] = _("Say who cancelled.")
        if v.get("with_notice") is None:
            problems["with_notice"] = _("Say whether it was cancelled with notice.")
    else:
        v["cancelled_by"], v["with_notice"] = "", None

    note = (v.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        problems["note"] = _("Keep the note to %(max)s characters.") % {"max": NOTE_MAX}
    v["note"] = note
    return v, problems


def _pairing_problems(pairing: Pairing, day: dt.date) -> dict[str, str]:
    """Whether a session on ``day`` fits the (locked, fresh) pairing."""
    confirmed_on = timezone.localtime(pairing.confirmed_at).date()
    if day < confirmed_on:
        return {
            "date": _("The pairing was confirmed on %(day)s; a session cannot be before that.")
            % {"day": _day(confirmed_on)}
        }
    if pairing.status == PairingStatus.ENDED and (
        pairing.ended_on is None or day > pairing.ended_on
    ):
        return {
            "date": _("The pairing ended on %(day)s; no sessions can be logged after that.")
            % {"day": _day(pairing.ended_on) if pairing.ended_on else "—"}
        }
    if pairing.status == PairingStatus.PAUSED and pairing.paused_on and day > pairing.paused_on:
        return {
            "date": _(
                "The pairing has been paused since %(day)s; resume it before logging later sessions."
            )
            % {"day": _day(pairing.paused_on)}
        }
    return {}


def _end(day: dt.date, start: dt.time, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, start) + dt.timedelta(minutes=minutes)


def _overlap_problems(
    *, helper_id: int, values: dict[str, Any], ignore: Session | None
) -> dict[str, str]:
    """A time-taking session with a start time may not overlap another one of the contact's."""
    start = values["start_time"]
    if start is None or values["status"] not in TIME_TAKING_STATUSES:
        return {}
    day, minutes = values["date"], values["minutes"]
    begins, ends = dt.datetime.combine(day, start), _end(day, start, minutes)
    others = (
        Session.objects.current()
        .filter(
            helper_id=helper_id,
            date=day,
            start_time__isnull=False,
            status__in=[s.value for s in TIME_TAKING_STATUSES],
        )
        .select_related("pairing__participant")
    )
    if ignore is not None:
        others = others.exclude(pk=ignore.pk)
    for other in others:
        other_begins = dt.datetime.combine(other.date, other.start_time)
        if other_begins < ends and begins < _end(other.date, other.start_time, other.minutes):
            return {
                "start_time": _(
                    "The contact already has a session from %(start)s to %(end)s that day "
                    "(with %(name)s)."
                )
                % {
                    "start": other.start_time.strftime("%H:%M"),
                    "end": _end(other.date, other.start_time, other.minutes).strftime("%H:%M"),
                    "name": other.pairing.participant.first_name,
                }
            }
    return {}


# What an entry takes from the locked pairing — its pair, contact, municipality and course
# (``OnTheCourse``) — is not checked again by ``full_clean``: each foreign key's check is a
# query. Nor are the table's check constraints (minutes, Borg): ``_clean`` holds the values to
# the same ranges with its own messages, and the database enforces them on insert; each
# constraint's check is a query in a savepoint of its own (six queries of a logged session).
_FROM_THE_PAIRING = ["pairing", "helper", "municipality", "episode"]


def _lock_pairing_and_helper(pairing_id: int) -> Pairing:
    """Lock the pairing, then its contact (always in this order): the contact's lock makes the
    overlap check and the insert one step for all of the contact's pairings."""
    # The contact comes along (not locked by this read) for the audit entry's wording.
    locked = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("participant", "helper")
        .get(pk=pairing_id)
    )
    Helper.objects.select_for_update().filter(pk=locked.helper_id).values_list("pk").get()
    return locked


def _start_if_confirmed(pairing: Pairing, *, by: User | None, day: dt.date) -> None:
    if pairing.status != PairingStatus.CONFIRMED:
        return
    from kobling.followup.services import pairing_activate

    pairing_activate(pairing=pairing, by=by, started_on=day)


def _changes(session: Session) -> dict[str, Any]:
    return {
        "pairing": session.pairing_id,
        "date": session.date,
        "start_time": session.start_time,
        "minutes": session.minutes,
        "status": session.status,
        "activity": session.activity_id,
        "intensity": session.intensity,
        "borg": session.borg,
        "cancelled_by": session.cancelled_by,
        "with_notice": session.with_notice,
        "note": session.note,
    }


def _raise(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError(problems)


def session_log(
    *,
    pairing: Pairing,
    by: User | None,
    date: dt.date,
    minutes: int,
    status: str,
    start_time: dt.time | None = None,
    activity: Activity | None = None,
    intensity: str = "",
    borg: int | None = None,
    cancelled_by: str = "",
    with_notice: bool | None = None,
    note: str = "",
) -> Session:
    """Log one session of the pair (held, cancelled or no-show). See the module's rules; on a
    refusal nothing is saved. A held session on a pairing that is still only confirmed starts
    the pairing on that date. Audited."""
    values, problems = _clean(
        {
            "date": date,
            "start_time": start_time,
            "minutes": minutes,
            "status": status,
            "activity": activity,
            "intensity": intensity,
            "borg": borg,
            "cancelled_by": cancelled_by,
            "with_notice": with_notice,
            "note": note,
        }
    )
    _raise(problems)
    with transaction.atomic():
        locked = _lock_pairing_and_helper(pairing.pk)
        _raise(_pairing_problems(locked, values["date"]))
        _raise(_overlap_problems(helper_id=locked.helper_id, values=values, ignore=None))
        session = Session(
            municipality_id=locked.municipality_id,
            pairing=locked,
            helper_id=locked.helper_id,
            logged_by=_user(by),
            logged_at=timezone.now(),
            **values,
        )
        session.full_clean(exclude=[*_FROM_THE_PAIRING, "logged_by"], validate_constraints=False)
        session.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=session, changes=_changes(session))
        if values["status"] == SessionStatus.HELD:
            _start_if_confirmed(locked, by=by, day=values["date"])
    return session


def session_correct(
    *,
    session: Session,
    by: User | None,
    reason: str,
    void: bool = False,
    **new_values: Any,
) -> Session:
    """Correct a logged session: a new entry with the corrected values (those not given are
    kept) supersedes the old one, which stays in the history. ``void=True`` withdraws an entry
    logged by mistake (the new entry is a withdrawal and nothing of it counts). A correction of
    a correction works the same way; only the newest entry of a chain can be corrected (409
    otherwise — someone corrected it meanwhile). The participant's confirmation is not carried
    over: the corrected facts were not the ones confirmed. Audited."""
    unknown = set(new_values) - set(FIELDS)
    if unknown:
        raise TypeError(f"session_correct() got unexpected fields: {sorted(unknown)}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the session is corrected.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason to %(max)s characters.") % {"max": REASON_MAX}}
        )
    with transaction.atomic():
        # The same lock order as logging (pairing, contact, then the entry): no deadlocks.
        locked = _lock_pairing_and_helper(session.pairing_id)
        old = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
        if old.is_void:
            raise ValidationError(
                {"session": _("This entry withdraws a session; log a new session instead.")}
            )
        if Session.objects.filter(supersedes=old).exists():
            raise ConflictError(
                _(
                    "This session was already corrected (perhaps by someone else just now). "
                    "Reload and correct the newest entry; nothing was saved."
                )
            )
        before = {name: getattr(old, name) for name in FIELDS}
        if void:
            values = before
        else:
            values, problems = _clean({**before, **new_values})
            _raise(problems)
        if not void:
            _raise(_pairing_problems(locked, values["date"]))
            _raise(_overlap_problems(helper_id=locked.helper_id, values=values, ignore=old))
        entry = Session(
            municipality_id=old.municipality_id,
            pairing_id=old.pairing_id,
            helper_id=old.helper_id,
            supersedes=old,
            is_void=void,
            correction_reason=reason,
            logged_by=_user(by),
            logged_at=timezone.now(),
            **values,
        )
        entry.full_clean(
            exclude=[*_FROM_THE_PAIRING, "logged_by", "supersedes"], validate_constraints=False
        )
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            # The one-to-one on ``supersedes``: a concurrent correction won.
            raise ConflictError(
                _("This session was already corrected. Reload; nothing was saved.")
            ) from None
        changes: dict[str, Any] = {
            "supersedes": old.pk,
            "reason": reason,
            "void": void,
        }
        changes.update(
            {name: [before[name], values[name]] for name in FIELDS if before[name] != values[name]}
        )
        audit_log(user=by, action=AuditAction.CREATE, obj=entry, changes=changes)
        if not void and values["status"] == SessionStatus.HELD:
            _start_if_confirmed(locked, by=by, day=values["date"])
    return entry


def session_confirm(*, session: Session, via: str, by: User | None = None) -> Session:
    """The participant confirms that a held session took place — in person on the contact's
    phone, or through the link e-mailed to them. Confirming again changes nothing. Only a held
    session that stands (not corrected or withdrawn) can be confirmed. Audited."""
    if via not in ConfirmedVia.values:
        raise ValidationError({"via": _("Unknown way of confirming.")})
    with transaction.atomic():
        locked = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
        if locked.is_void or Session.objects.filter(supersedes=locked).exists():
            raise ValidationError(
                {"session": _("This entry was corrected or withdrawn; confirm the newest one.")}
            )
        if locked.status != SessionStatus.HELD:
            raise ValidationError({"session": _("Only held sessions are confirmed.")})
        if locked.confirmed_at is not None:
            return locked
        locked.confirmed_at = timezone.now()
        locked.confirmed_via = via
        locked.save(update_fields=["confirmed_at", "confirmed_via"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"confirmed_at": [None, locked.confirmed_at], "confirmed_via": via},
        )
    return locked
