"""The referrer's report on a pairing (tilbakemelding til henviser): what was done, computed
from the logged sessions — never typed in — so the numbers always agree with the session log.

Definitions (docs/followup.md repeats them for referrers):

- ``period_start``: the day the pair started (``started_on``), else the day it was confirmed;
  ``period_end``: the day it ended, else today (an open pair: "so far").
- Only the entries that stand count (corrections replace what they correct; withdrawn entries
  count nowhere).
- ``sessions_held`` and ``minutes_total``: number and sum of minutes of held sessions.
- ``attendance_rate``: held sessions / all sessions planned (held + cancelled + no-show),
  ``None`` when nothing was planned yet. ``participant_attendance_rate`` leaves out
  cancellations that were not the participant's (the contact, weather, a closed facility).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from kobling.followup.choices import CancelledBy, SessionStatus
from kobling.followup.models import Pairing, Session


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@dataclass
class MonthRow:
    month: dt.date  # first day of the month
    sessions_held: int
    minutes_total: int


@dataclass
class ReferrerReport:
    pairing_id: int
    status: str
    period_start: dt.date
    period_end: dt.date
    is_open: bool
    sessions_planned: int
    sessions_held: int
    sessions_cancelled: int
    sessions_no_show: int
    minutes_total: int
    attendance_rate: Decimal | None
    participant_attendance_rate: Decimal | None
    weekly_minutes_average: Decimal | None
    first_session: dt.date | None
    last_session: dt.date | None
    sessions_confirmed: int
    by_month: list[MonthRow] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    latest_review: dict[str, Any] | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""
    handover_destination: str = ""
    handover_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def period_of(pairing: Pairing, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    start = pairing.started_on or timezone.localtime(pairing.confirmed_at).date()
    end = pairing.ended_on or today
    return start, max(start, end)


@dataclass(frozen=True)
class StandingEntry:
    """What the report reads of one entry that stands."""

    date: dt.date
    minutes: int
    status: str
    cancelled_by: str
    confirmed: bool


def standing_entries(pairing: Pairing) -> list[StandingEntry]:
    """The pairing's entries that stand (corrections replace what they correct, withdrawn
    entries count nowhere), oldest first — the one query the session numbers come from."""
    rows = (
        Session.objects.current()
        .filter(pairing=pairing)
        .order_by("date", "start_time", "id")
        .values_list("date", "minutes", "status", "cancelled_by", "confirmed_at")
    )
    return [
        StandingEntry(day, minutes, status, cancelled_by or "", confirmed_at is not None)
        for day, minutes, status, cancelled_by, confirmed_at in rows
    ]


def session_figures(entries: list[StandingEntry]) -> dict[str, Any]:
    """Counts and minutes of the standing entries (oldest first), the first and last held
    session's day and the held sessions by month."""
    held = [e for e in entries if e.status == SessionStatus.HELD]
    cancelled = [e for e in entries if e.status == SessionStatus.CANCELLED]
    months: dict[dt.date, MonthRow] = {}
    for entry in held:
        row = months.setdefault(
            entry.date.replace(day=1), MonthRow(entry.date.replace(day=1), 0, 0)
        )
        row.sessions_held += 1
        row.minutes_total += entry.minutes
    return {
        "planned": len(entries),
        "held": len(held),
        "cancelled": len(cancelled),
        "cancelled_not_participant": sum(
            1 for e in cancelled if e.cancelled_by != CancelledBy.PARTICIPANT
        ),
        "no_show": sum(1 for e in entries if e.status == SessionStatus.NO_SHOW),
        "minutes": sum(e.minutes for e in held),
        "confirmed": sum(1 for e in held if e.confirmed),
        "first": min((e.date for e in held), default=None),
        "last": max((e.date for e in held), default=None),
        "by_month": [months[m] for m in sorted(months)],
    }


def referrer_report(
    pairing: Pairing,
    *,
    today: dt.date | None = None,
    goals: list[dict[str, Any]] | None = None,
    latest_review: dict[str, Any] | None = None,
) -> ReferrerReport:
    """The report's numbers. Goals and the latest review come from the outcomes app (passed
    in by the caller so that this module stays about sessions)."""
    start, end = period_of(pairing, today)
    f = session_figures(standing_entries(pairing))
    weeks = Decimal((end - start).days + 1) / 7
    weekly = (
        (Decimal(f["minutes"]) / weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if f["held"] and weeks > 0
        else None
    )
    return ReferrerReport(
        pairing_id=pairing.pk,
        status=pairing.status,
        period_start=start,
        period_end=end,
        is_open=pairing.ended_on is None,
        sessions_planned=f["planned"],
        sessions_held=f["held"],
        sessions_cancelled=f["cancelled"],
        sessions_no_show=f["no_show"],
        minutes_total=f["minutes"],
        attendance_rate=_rate(f["held"], f["planned"]),
        participant_attendance_rate=_rate(f["held"], f["planned"] - f["cancelled_not_participant"]),
        weekly_minutes_average=weekly,
        first_session=f["first"],
        last_session=f["last"],
        sessions_confirmed=f["confirmed"],
        by_month=f["by_month"],
        goals=goals or [],
        latest_review=latest_review,
        ended_on=pairing.ended_on,
        end_reason=pairing.end_reason,
        handover_destination=pairing.handover_destination,
        handover_note=pairing.handover_note,
    )


# Parts of the report that apps above followup add: a function (a pairing, or a course for the
# course's report) -> dict of referrer_report keyword arguments (outcomes: ``goals`` and
# ``latest_review``), registered in the app's AppConfig.ready with register_report_part.
REPORT_PARTS: list[Callable[[Any], dict[str, Any]]] = []


def register_report_part(part: Callable[[Any], dict[str, Any]]) -> None:
    if part not in REPORT_PARTS:
        REPORT_PARTS.append(part)


def build_referrer_report(pairing: Pairing, *, today: dt.date | None = None) -> ReferrerReport:
    """The full report: the session numbers and what the registered parts add (the goals and
    the latest review that stands, from outcomes)."""
    parts: dict[str, Any] = {}
    for part in REPORT_PARTS:
        parts.update(part(pairing))
    return referrer_report(pairing, today=today, **parts)


# --- the course (forløp) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityPart:
    """One delivery's share of a course's dose (a pairing's standing sessions today; a group
    enrolment's attendance or a provider's visits later): plain numbers, no ORM."""

    start: dt.date
    end: dt.date | None
    planned: int
    held: int
    cancelled: int
    cancelled_not_participant: int
    no_show: int
    minutes: int
    confirmed: int
    first: dt.date | None
    last: dt.date | None
    months: tuple[MonthRow, ...] = ()
    # "sessions" (a pairing's), "provider" (visits a provider confirmed: held = attended
    # visits, no_show = visits recorded as not come) or "meetings" (a group's: planned = meetings offered while
    # enrolled, held = meetings attended, no_show = absences recorded).
    kind: str = "sessions"
    # Of those held, the ones the participant said by link did not happen (a provider's visits:
    # the entry stands until the coordinator looks; ``confirmed`` are those they confirmed).
    disputed: int = 0


# Deliveries other than the pairings add their parts of a course's dose: a function (course,
# today) -> list[ActivityPart], registered in the delivering app's AppConfig.ready (groups: the
# course's group attendance).
ACTIVITY_PARTS: list[Callable[[Any, dt.date], list[ActivityPart]]] = []


def register_activity_parts(parts: Callable[[Any, dt.date], list[ActivityPart]]) -> None:
    if parts not in ACTIVITY_PARTS:
        ACTIVITY_PARTS.append(parts)


@dataclass
class EpisodeReport(ReferrerReport):
    """The referrer report of a whole course: the same fields as a pairing's report, summed over
    every pairing (or group, or provider) of the course."""

    episode_id: int = 0
    pairing_ids: list[int] = field(default_factory=list)
    # Group meetings offered while enrolled, and attended (drop-ins count in both).
    meetings_offered: int = 0
    meetings_attended: int = 0
    # Of those attended, the ones the participant confirmed by link (also in sessions_confirmed).
    meetings_confirmed: int = 0
    # Visits at an outside provider (gym) that the provider confirmed; of those, the ones the
    # participant confirmed by link (also in sessions_confirmed) and the ones they disputed.
    provider_visits: int = 0
    provider_visits_confirmed: int = 0
    provider_visits_disputed: int = 0
    # Whether the course is completed under its programme's rule (None: the programme has no
    # rule), and the rule in words — added by the groups app (groups.completion).
    completed: bool | None = None
    completion_rule: str = ""


# Fields of a course's report that apps above followup decide from the course and the summed
# figures: a function (course, figures) -> dict of EpisodeReport fields, registered in the app's
# AppConfig.ready (groups: ``completed`` and ``completion_rule``).
COURSE_FIELDS: list[Callable[[Any, dict[str, Any]], dict[str, Any]]] = []


def register_course_fields(fields: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> None:
    if fields not in COURSE_FIELDS:
        COURSE_FIELDS.append(fields)


def combine_parts(parts: list[ActivityPart], *, today: dt.date) -> dict[str, Any]:
    """Sum the parts into the report's numbers (pure: the same definitions as a pairing's
    report, so a course with one pairing reports exactly that pairing's figures)."""
    if not parts:
        return {
            "period_start": today,
            "period_end": today,
            "sessions_planned": 0,
            "sessions_held": 0,
            "sessions_cancelled": 0,
            "sessions_no_show": 0,
            "minutes_total": 0,
            "attendance_rate": None,
            "participant_attendance_rate": None,
            "weekly_minutes_average": None,
            "first_session": None,
            "last_session": None,
            "sessions_confirmed": 0,
            "by_month": [],
            "meetings_offered": 0,
            "meetings_attended": 0,
            "meetings_confirmed": 0,
            "provider_visits": 0,
            "provider_visits_confirmed": 0,
            "provider_visits_disputed": 0,
        }
    start = min(p.start for p in parts)
    end = max(p.end or today for p in parts)
    end = max(start, end)
    planned = sum(p.planned for p in parts)
    held = sum(p.held for p in parts)
    minutes = sum(p.minutes for p in parts)
    not_participant = sum(p.cancelled_not_participant for p in parts)
    weeks = Decimal((end - start).days + 1) / 7
    months: dict[dt.date, MonthRow] = {}
    for part in parts:
        for row in part.months:
            into = months.setdefault(row.month, MonthRow(row.month, 0, 0))
            into.sessions_held += row.sessions_held
            into.minutes_total += row.minutes_total
    firsts = [p.first for p in parts if p.first]
    lasts = [p.last for p in parts if p.last]
    return {
        "period_start": start,
        "period_end": end,
        "sessions_planned": planned,
        "sessions_held": held,
        "sessions_cancelled": sum(p.cancelled for p in parts),
        "sessions_no_show": sum(p.no_show for p in parts),
        "minutes_total": minutes,
        "attendance_rate": _rate(held, planned),
        "participant_attendance_rate": _rate(held, planned - not_participant),
        "weekly_minutes_average": (
            (Decimal(minutes) / weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if held and weeks > 0
            else None
        ),
        "first_session": min(firsts) if firsts else None,
        "last_session": max(lasts) if lasts else None,
        "sessions_confirmed": sum(p.confirmed for p in parts),
        "by_month": [months[m] for m in sorted(months)],
        "meetings_offered": sum(p.planned for p in parts if p.kind == "meetings"),
        "meetings_attended": sum(p.held for p in parts if p.kind == "meetings"),
        "meetings_confirmed": sum(p.confirmed for p in parts if p.kind == "meetings"),
        "provider_visits": sum(p.held for p in parts if p.kind == "provider"),
        "provider_visits_confirmed": sum(p.confirmed for p in parts if p.kind == "provider"),
        "provider_visits_disputed": sum(p.disputed for p in parts if p.kind == "provider"),
    }


def pairing_part(pairing: Pairing, *, today: dt.date) -> ActivityPart:
    start, end = period_of(pairing, today)
    f = session_figures(standing_entries(pairing))
    return ActivityPart(
        start=start,
        end=pairing.ended_on and end,
        planned=f["planned"],
        held=f["held"],
        cancelled=f["cancelled"],
        cancelled_not_participant=f["cancelled_not_participant"],
        no_show=f["no_show"],
        minutes=f["minutes"],
        confirmed=f["confirmed"],
        first=f["first"],
        last=f["last"],
        months=tuple(f["by_month"]),
    )


def build_episode_report(episode: Any, *, today: dt.date | None = None) -> EpisodeReport:
    """The referrer report of a course: every pairing's sessions summed, the course's goals and
    the latest review that stands (whoever recorded them), and its ending and hand-over."""
    today = today or timezone.localdate()
    pairings = list(
        Pairing.objects.filter(episode=episode)
        .select_related("participant")
        .order_by("confirmed_at", "pk")
    )
    parts = [pairing_part(p, today=today) for p in pairings]
    for more in ACTIVITY_PARTS:
        parts.extend(more(episode, today))
    figures = combine_parts(parts, today=today)
    # What the apps above add to a report, read for the whole course (outcomes: the goals, the
    # latest review without its note).
    parts: dict[str, Any] = {"goals": [], "latest_review": None}
    for part in REPORT_PARTS:
        parts.update(part(episode))
    decided: dict[str, Any] = {}
    for fields in COURSE_FIELDS:
        decided.update(fields(episode, figures))
    return EpisodeReport(
        pairing_id=pairings[-1].pk if pairings else 0,
        status=episode.status,
        is_open=episode.ended_on is None,
        goals=parts["goals"],
        latest_review=parts["latest_review"],
        ended_on=episode.ended_on,
        end_reason=episode.end_reason,
        handover_destination=episode.handover_destination,
        handover_note=episode.handover_note,
        episode_id=episode.pk,
        pairing_ids=[p.pk for p in pairings],
        **figures,
        **decided,
    )
