"""``/healthz`` and ``/readyz``: what a reverse proxy, a load balancer or monitoring asks.

* ``/healthz`` — this web process answers and reaches the database: 200 ``{"status": "ok"}``,
  else 503. Point the proxy's or load balancer's health check here.
* ``/readyz`` — also every migration on disk is applied, and a worker ran the periodic tick
  recently (the ``core.heartbeat`` job, which every tick runs first; its row in ScheduledJob is
  the heartbeat). 503 says which part is not ready. For deploy gates and monitoring: a dead
  worker makes it fail while pages still work.

Neither needs a login, is throttled or audited; both answer ``Cache-Control: no-store`` and say
nothing about any person (only "ok" or the class of the failure)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kobling.core.models import ScheduledJob

HEARTBEAT_JOB = "core.heartbeat"

logger = logging.getLogger(__name__)


def heartbeat() -> None:
    """The job every tick runs first; the scheduler records when it ran, which is the point."""
    return None


def database_status() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is "unhealthy"
        return f"error: {type(exc).__name__}"
    return "ok"


def migrations_status() -> str:
    """ "ok" when no migration on disk is unapplied (a few ms: the graph is built from modules
    already imported), else how many wait."""
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - e.g. a migration history that does not add up
        return f"error: {type(exc).__name__}"
    return "ok" if not plan else f"pending: {len(plan)}"


def worker_status(*, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    beat = (
        ScheduledJob.objects.filter(name=HEARTBEAT_JOB)
        .values_list("last_finished_at", flat=True)
        .first()
    )
    if beat is None:
        return "missing"
    silence = (now - beat).total_seconds()
    return "ok" if silence <= settings.KOBLING_WORKER_MAX_SILENCE else f"stale: {int(silence)} s"


def _answer(checks: dict[str, str], probe: str) -> JsonResponse:
    ok = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if ok else "error", **checks}, status=200 if ok else 503
    )
    if not ok:
        # A 503 here is an answer, not a server error: one WARNING naming what is not ready,
        # instead of django.request's ERROR for every probe (a monitor asks every few seconds
        # while a worker is down). ``_has_been_logged`` is how Django marks a response it must
        # not log again (django.utils.log.log_response).
        logger.warning(
            "%s not ready: %s",
            probe,
            ", ".join(f"{name} {value}" for name, value in checks.items() if value != "ok"),
        )
        response._has_been_logged = True  # noqa: SLF001
    return response


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return _answer({"database": database_status()}, "/healthz")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_status()}
    if checks["database"] == "ok":
        checks["migrations"] = migrations_status()
        checks["worker"] = worker_status()
    return _answer(checks, "/readyz")
