"""Background tasks for helpers: the periodic tick.

The check-in e-mails are sent by the outbox (:mod:`kobling.core.outbox_tasks`); the tick re-queues
any send whose task got lost, and :func:`enqueue_once` keeps the queue free of duplicates."""

from __future__ import annotations

from django_tasks import task

from kobling.core.outbox_tasks import enqueue_once, is_queued, messages_requeue
from kobling.helpers import checkins

__all__ = ["checkins_tick_task", "enqueue_once", "enqueue_tick", "is_queued"]


@task()
def checkins_tick_task() -> dict[str, int]:
    """Enqueued every KOBLING_TICK_SECONDS by ``kobling worker``: the check-ins, the
    follow-up questionnaires after ended pairings (kobling.outcomes.followups), the notices
    to referrers (kobling.followup.notices) and the mapping-survey reminders
    (kobling.national.surveys), and the dashboard aggregates (kobling.dashboards.refresh)."""
    from kobling.dashboards.refresh import dashboards_tick
    from kobling.followup.notices import referrer_notices_tick
    from kobling.national.surveys import surveys_tick
    from kobling.outcomes.followups import followups_tick

    report = checkins.checkins_tick()
    report.update({f"followups_{k}": v for k, v in followups_tick().items()})
    report.update(referrer_notices_tick())
    report.update({f"national_{k}": v for k, v in surveys_tick().items()})
    report.update(dashboards_tick())
    # Every other e-mail in the outbox whose send got lost or whose retry is due.
    report["outbox_requeued"] = messages_requeue()
    return report


def enqueue_tick() -> bool:
    """What the worker's scheduler calls every KOBLING_TICK_SECONDS."""
    return enqueue_once(checkins_tick_task)
