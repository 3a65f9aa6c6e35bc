"""Reading provider visits: a course's dose at its provider for the referrer report (loaded
into plain rows, computed by a pure function), what a provider's staff may see of a placement,
and the lists of the pages and the API with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from kobling.core.choices import ParticipantAnswer
from kobling.followup.report import ActivityPart, MonthRow
from kobling.providers.choices import PlacementStatus
from kobling.providers.models import ActivityProvider, Placement, ProviderVisit


@dataclass(frozen=True)
class PlacedSpan:
    """An accepted placement's period (its end capped at today for what was offered)."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class VisitRow:
    day: dt.date
    minutes: int
    attended: bool
    # The participant's answer by link: "", "confirmed" or "disputed".
    answer: str = ""


def provider_part(
    spans: list[PlacedSpan], visits: list[VisitRow], today: dt.date
) -> ActivityPart | None:
    """The course's visits at its providers as one part of its dose (pure). Held: the standing
    visits attended; no-show: entries recorded as not come; planned: the visits recorded (a
    provider's schedule is its own — only what it confirms counts)."""
    if not spans and not visits:
        return None
    came = sorted((v for v in visits if v.attended), key=lambda v: v.day)
    months: dict[dt.date, MonthRow] = {}
    for visit in came:
        first_day = visit.day.replace(day=1)
        row = months.setdefault(first_day, MonthRow(first_day, 0, 0))
        row.sessions_held += 1
        row.minutes_total += visit.minutes
    starts = [s.start for s in spans] + [v.day for v in came]
    ends = [s.end for s in spans] + [v.day for v in came]
    return ActivityPart(
        start=min(starts),
        end=max(ends) if all(s.end < today for s in spans) else None,
        planned=len(visits),
        held=len(came),
        cancelled=0,
        cancelled_not_participant=0,
        no_show=len(visits) - len(came),
        minutes=sum(v.minutes for v in came),
        # Every visit is confirmed by the provider (provider_visits); these are the ones the
        # participant confirmed, or disputed, by link.
        confirmed=sum(1 for v in came if v.answer == ParticipantAnswer.CONFIRMED),
        disputed=sum(1 for v in came if v.answer == ParticipantAnswer.DISPUTED),
        first=came[0].day if came else None,
        last=came[-1].day if came else None,
        months=tuple(months[m] for m in sorted(months)),
        kind="provider",
    )


def visit_parts(episode: Any, today: dt.date) -> list[ActivityPart]:
    """The course's provider-confirmed attendance as a part of its referrer report (two
    queries)."""
    spans = [
        PlacedSpan(start, end)
        for start, end in Placement.objects.filter(
            episode=episode, status=PlacementStatus.ACCEPTED
        ).values_list("starts_on", "ends_on")
    ]
    if not spans:
        # Declined or withdrawn placements leave no dose; visits are only ever recorded under an
        # accepted one, so without one there are none to count.
        return []
    visits = [
        VisitRow(*row)
        for row in ProviderVisit.objects.current()
        .filter(episode=episode)
        .values_list("visited_on", "minutes", "attended", "confirmation")
    ]
    part = provider_part(spans, visits, today)
    return [part] if part is not None else []


def providers_with_counts(queryset: QuerySet[ActivityProvider]) -> QuerySet[ActivityProvider]:
    """Providers with their sites, trainers and open placements counted (one query)."""
    return queryset.order_by(*ActivityProvider._meta.ordering).annotate(
        site_count=Count("sites", distinct=True),
        trainer_count=Count("trainers", filter=Q(trainers__is_active=True), distinct=True),
        open_placements=Count(
            "placements",
            filter=Q(placements__status__in=[PlacementStatus.PENDING, PlacementStatus.ACCEPTED]),
            distinct=True,
        ),
    )


def placements_for_list(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    """Placements with what a row shows (pages and API alike): a fixed number of queries."""
    return queryset.select_related("episode__participant", "provider", "site", "trainer").order_by(
        "-placed_at", "-pk"
    )
