"""How a one-to-one course (forløp) stands, derived from its referral and its pairings.

One rule, used by the pairing services after every change, by the demo after it writes history
directly, and (as a frozen copy) by the migration that put existing pairings under courses — so
the course a service keeps and the course a migration derives are the same. The rule is pure:
plain facts in, a :class:`~kobling.referrals.episodes.CourseState` out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kobling.referrals import episodes
from kobling.referrals.episodes import CourseState
from kobling.referrals.models import Episode, Referral


@dataclass(frozen=True)
class PairFacts:
    status: str
    started_on: dt.date | None
    paused_on: dt.date | None
    ended_on: dt.date | None
    end_reason: str = ""
    end_note: str = ""
    handover_destination: str = ""
    handover_note: str = ""


# A referral that left the course other than by its pairs ending: withdrawn, or a new decision
# (refused, more information needed) that replaced the grant.
_CLOSED_BEFORE_END = {
    "withdrawn": "withdrawn",
    "refused": "revoked",
    "more_info": "revoked",
    "received": "revoked",
}


def derive_course_state(
    *, referral_status: str, closed_on: dt.date | None, pairs: list[PairFacts]
) -> CourseState:
    """The course of a referral whose pairings (in the order they were confirmed) are ``pairs``.
    A re-match keeps the course (waiting again, its first start kept); a closed referral ends it
    with its last pair's reason and hand-over; a referral withdrawn or refused ends it as such."""
    starts = [p.started_on for p in pairs if p.started_on]
    started = min(starts) if starts else None
    last = pairs[-1] if pairs else None
    if referral_status == "paired" and last is not None:
        status = {"active": "active", "paused": "paused"}.get(last.status, "waiting")
        return CourseState(
            status=status,
            started_on=started,
            paused_on=last.paused_on if status == "paused" else None,
        )
    if referral_status == "closed" or referral_status in _CLOSED_BEFORE_END:
        if referral_status == "closed" and last is not None and last.status == "ended":
            ended = last.ended_on or closed_on
            state = CourseState(
                status="ended",
                started_on=started,
                ended_on=ended,
                end_reason=last.end_reason,
                end_note=last.end_note,
                handover_destination=last.handover_destination,
                handover_note=last.handover_note,
            )
        else:
            state = CourseState(
                status="ended",
                started_on=started,
                ended_on=closed_on,
                end_reason=_CLOSED_BEFORE_END.get(referral_status, "other"),
            )
        if state.started_on and state.ended_on and state.ended_on < state.started_on:
            state = CourseState(**{**state.__dict__, "ended_on": state.started_on})
        return state
    return CourseState(status="waiting", started_on=started)


def pair_facts(referral: Referral) -> list[PairFacts]:
    from kobling.followup.models import Pairing

    return [
        PairFacts(*row)
        for row in Pairing.objects.filter(referral_id=referral.pk)
        .order_by("confirmed_at", "pk")
        .values_list(
            "status",
            "started_on",
            "paused_on",
            "ended_on",
            "end_reason",
            "end_note",
            "handover_destination",
            "handover_note",
        )
    ]


def course_sync(referral: Referral, *, by: object = None) -> Episode:
    """Bring the referral's course in line with the referral and its pairings (audited when it
    changes). Call after a pairing or its referral changed."""
    when = referral.closed_at or referral.updated_at
    closed = timezone.localtime(when).date() if when else None
    state = derive_course_state(
        referral_status=referral.status, closed_on=closed, pairs=pair_facts(referral)
    )
    return episodes.episode_set_state(referral=referral, state=state, by=by)
