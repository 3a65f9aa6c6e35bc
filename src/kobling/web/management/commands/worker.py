"""``kobling worker``: the background worker (django-tasks database backend) plus the beat that
enqueues the periodic tick (kobling.core.tasks.tick_task, which runs the due jobs of
kobling.core.scheduler: check-ins, notices, surveys, dashboards, pruning old task rows …).

All of django_tasks_db's ``db_worker`` options work (``--batch``, ``--max-tasks``, ``--interval``,
``--queue-name`` …); this adds ``--tick-seconds`` and ``--no-tick``. With ``--batch`` the tick is
enqueued once and the worker runs until the queue is empty, which also suits a cron job."""

from __future__ import annotations

import argparse
import logging
import os
import signal
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from kobling.lib.env import env_int
from kobling.lib.scheduler import Every

logger = logging.getLogger("kobling.worker")

_SIGNALS = tuple(
    sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if sig
)


def default_tick_seconds() -> int:
    return int(getattr(settings, "KOBLING_TICK_SECONDS", 0) or env_int("KOBLING_TICK_SECONDS", 60))


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("must be greater than zero")
    return number


def enqueue_tick() -> None:
    """One scheduler beat, run in the scheduler's own thread with its own connection."""
    from kobling.core.tasks import enqueue_tick as enqueue

    close_old_connections()
    try:
        if enqueue():
            logger.debug("Tick enqueued")
        else:
            logger.debug("Tick still queued; not adding another")
    finally:
        connection.close()


def _watch_parent() -> None:
    """Stop gracefully (as on Ctrl-C) once the process that started us is gone, so a worker is
    never left behind by a ``kobling serve`` that was killed."""
    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            watch.stop()  # one signal: a second one would cut a running task short
            os.kill(os.getpid(), signal.SIGTERM)

    watch = Every(1.0, check, name="kobling-parent-watch").start()


class Command(DBWorkerCommand):
    help = "Run the background worker and enqueue the periodic tick every KOBLING_TICK_SECONDS."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        # Off by default: a reloading worker would be two processes, and the scheduler must run
        # in exactly one. --reload still works; the scheduler then lives in the reloaded child.
        parser.set_defaults(reload=False)
        parser.add_argument(
            "--tick-seconds",
            type=_positive,
            default=None,
            help="Seconds between ticks (default: KOBLING_TICK_SECONDS or 60).",
        )
        parser.add_argument(
            "--no-tick",
            action="store_true",
            help="Only run queued tasks; do not enqueue the tick.",
        )
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Shut down when the parent process goes away (used by `kobling serve`).",
        )

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        # Our own messages (ticks, failed sends) at the same level as the worker's.
        ours = logging.getLogger("kobling")
        ours.setLevel({0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG))
        if not ours.hasHandlers():
            ours.addHandler(logging.StreamHandler(self.stdout))

    def handle(
        self,
        *args: Any,
        tick_seconds: float | None,
        no_tick: bool,
        exit_with_parent: bool,
        **options: Any,
    ) -> None:
        self.configure_logging(options["verbosity"])
        if exit_with_parent:
            _watch_parent()
        seconds = tick_seconds or default_tick_seconds()
        scheduler: Every | None = None
        if not no_tick:
            if options["batch"]:
                # Synchronously, in this thread: the batch then runs the tick and what it queues.
                from kobling.core.tasks import enqueue_tick as enqueue

                enqueue()
            elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                scheduler = Every(seconds, enqueue_tick, name="kobling-tick").start()
                logger.info("Tick every %s seconds", f"{seconds:g}")
        previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        try:
            super().handle(*args, **options)
        finally:
            if scheduler is not None:
                scheduler.stop()
            # db_worker installs its own handlers; leave the process as we found it (matters
            # when the command is called in-process, e.g. from tests).
            for sig, handler in previous.items():
                signal.signal(sig, handler)
