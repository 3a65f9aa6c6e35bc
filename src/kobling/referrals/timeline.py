"""The course's timeline: one list of dated events from every app that takes part in a course
(the referral and decisions here; proposals in matching; pairs, sessions and notices in
followup; goals, reviews and follow-ups in outcomes; groups and providers later).

Apps register a *source* in their ``AppConfig.ready``; a source takes the course and returns
its events with a fixed number of queries, so the page costs the same for a course of three
weeks or three years. The registry lives with the course so that no app has to know the apps
above it — a new delivery mode adds its events without a change here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kobling.referrals.models import Episode


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened in a course. ``detail`` is a short, plain line (no health notes);
    ``url`` a page with more, for those who may open it."""

    day: dt.date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    order: int = 0  # ties on the same day: lower first


TimelineSource = Callable[[Episode], Iterable[TimelineEvent]]
_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    """Add (or replace, by ``name``) a source of events; called from ``AppConfig.ready``."""
    _SOURCES[name] = source


def timeline(episode: Episode) -> list[TimelineEvent]:
    """Every registered source's events, oldest first."""
    events: list[TimelineEvent] = []
    for name in sorted(_SOURCES):
        events.extend(_SOURCES[name](episode))
    return sorted(events, key=lambda e: (e.day, e.order, e.kind))


def _local(moment: dt.datetime) -> dt.date:
    from django.utils import timezone

    return timezone.localtime(moment).date()


def course_events(episode: Episode) -> list[TimelineEvent]:
    """The referral, its decisions, the course's own steps, renewals and conversations."""
    referral = episode.referral
    events = [
        TimelineEvent(
            _local(referral.received_at),
            "referral",
            _("Referral received"),
            referral.get_source_display(),
            order=0,
        )
    ]
    for decision in referral.decisions.all():
        events.append(
            TimelineEvent(
                decision.decided_on,
                "decision",
                _("Decision: %(outcome)s") % {"outcome": decision.get_outcome_display()},
                order=1,
            )
        )
    events.append(
        TimelineEvent(
            episode.opened_on,
            "opened",
            _("Course opened"),
            _("%(weeks)s weeks planned") % {"weeks": episode.planned_weeks}
            if episode.planned_weeks
            else _("Open-ended"),
            order=2,
        )
    )
    if episode.started_on:
        events.append(
            TimelineEvent(
                episode.started_on,
                "started",
                _("Course started"),
                _("after %(days)s days of waiting") % {"days": episode.waiting_days()},
                order=3,
            )
        )
    for renewal in episode.renewals.all():
        events.append(
            TimelineEvent(
                renewal.renewed_on,
                "renewal",
                _("Renewed by %(weeks)s weeks") % {"weeks": renewal.weeks},
                order=4,
            )
        )
    for conversation in episode.conversations.all():
        parts = []
        if conversation.areas:
            parts.append(_("Areas: %(areas)s") % {"areas": ", ".join(conversation.area_labels())})
        goals = conversation.own_goals or conversation.goals_agreed
        if goals:
            parts.append(goals[:120])
        events.append(
            TimelineEvent(
                conversation.held_on,
                "conversation",
                conversation.get_kind_display(),
                " · ".join(parts),
                order=4,
            )
        )
    if episode.paused_on:
        events.append(TimelineEvent(episode.paused_on, "paused", _("Course paused"), order=8))
    if episode.ended_on:
        detail = episode.get_end_reason_display()
        if episode.handover_destination:
            detail += " · " + _("handed over to %(place)s") % {
                "place": episode.get_handover_destination_display().lower()
            }
        events.append(TimelineEvent(episode.ended_on, "ended", _("Course ended"), detail, order=9))
    return events
