"""What the page benchmarks share (``kobling bench dashboard``, ``bench attendance``): the best
of a few timed runs after a warm-up, and a test client signed in as a user on this deployment's
host."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.test import Client


def best_ms(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``fn`` in milliseconds, after one warm-up run (caches,
    query plans, templates)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def signed_in_client(user: Any) -> Client:
    """A test client signed in as ``user``, on a host this deployment allows."""
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h]
    host = "testserver" if "testserver" in settings.ALLOWED_HOSTS or not hosts else hosts[0]
    client = Client(HTTP_HOST=host, secure=not settings.DEBUG)
    client.force_login(user)
    return client
