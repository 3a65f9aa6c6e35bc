"""A tiny in-process scheduler: call a function now and then every N seconds in a daemon thread.

Framework-free on purpose; whoever schedules a Django function closes its own database
connection (see ``kobling worker``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Every:
    """Run ``func`` immediately and then every ``seconds`` until :meth:`stop`. A failing call is
    logged and the schedule goes on; calls never overlap."""

    def __init__(self, seconds: float, func: Callable[[], object], *, name: str) -> None:
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self.seconds = seconds
        self.func = func
        self.name = name
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Every:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.func()
            except Exception:  # noqa: BLE001 - a scheduler must survive a bad run
                logger.exception("Scheduled job %s failed", self.name)
            self._stopped.wait(self.seconds)
