"""Reads for the FHIR door: referrals with what their Task is derived from (the latest
decision, whether anyone in the municipality has opened it, the course, and when any of it last
changed), in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Greatest

from kobling.fhir.task_status import TaskState, task_state
from kobling.followup.models import Session
from kobling.groups.models import Attendance
from kobling.outcomes.models import Review
from kobling.referrals.models import Decision, Referral
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import AuditEntry


def _latest(model: Any, time_field: str) -> Subquery:
    """The newest ``time_field`` of ``model``'s rows on the referral's course."""
    return Subquery(
        model.objects.filter(episode_id=OuterRef("episode__pk"))
        .order_by(f"-{time_field}")
        .values(time_field)[:1]
    )


def _seen_at() -> Subquery:
    """When someone other than the referrer (a coordinator, an admin) first opened or changed
    the referral — read from the audit log, which records every such read."""
    return Subquery(
        AuditEntry.objects.filter(
            object_type="referrals.referral",
            object_id=Cast(OuterRef("pk"), CharField()),
            action__in=[AuditAction.VIEW, AuditAction.UPDATE],
            user__isnull=False,
        )
        .exclude(user_id=Coalesce(OuterRef("referrer_id"), Value(0)))
        .order_by("at")
        .values("at")[:1]
    )


def task_rows(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Referrals annotated with what their Task needs: ``fhir_decision`` (the latest outcome),
    ``fhir_seen_at`` and ``fhir_changed`` (the latest change to the referral, its course, the
    sessions and group attendance on it, its reviews, or its first opening)."""
    changed = "updated_at"
    return (
        queryset.select_related("participant", "programme", "municipality", "episode")
        .annotate(
            fhir_decision=Subquery(
                Decision.objects.filter(referral_id=OuterRef("pk"))
                .order_by("-decided_on", "-id")
                .values("outcome")[:1]
            ),
            fhir_seen_at=_seen_at(),
        )
        .annotate(
            fhir_changed=Greatest(
                changed,
                Coalesce("episode__updated_at", changed),
                Coalesce(_latest(Session, "logged_at"), changed),
                Coalesce(_latest(Attendance, "recorded_at"), changed),
                Coalesce(_latest(Review, "recorded_at"), changed),
                Coalesce("fhir_seen_at", changed),
            )
        )
    )


def episode_of(referral: Referral) -> Any:
    try:
        return referral.episode
    except Referral.episode.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None


def state_of(referral: Referral) -> TaskState:
    """The Task's state of a row from :func:`task_rows`."""
    episode = episode_of(referral)
    return task_state(
        referral_status=referral.status,
        decision_outcome=referral.fhir_decision,  # type: ignore[attr-defined]
        seen_by_staff=referral.fhir_seen_at is not None,  # type: ignore[attr-defined]
        episode_status=episode.status if episode is not None else None,
        episode_end_reason=episode.end_reason if episode is not None else "",
    )
