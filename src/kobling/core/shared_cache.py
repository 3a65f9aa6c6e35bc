"""The cache every web process shares: counters that must hold across processes and machines —
the public forms' per-address rate limit, the API's token-endpoint throttle and the public
catalogue's cache generation.

Django's own database cache backend, in the one PostgreSQL every process already reaches (no
Redis to run). Its table is not a model: :func:`create_table` makes it after every ``migrate``
(and Django's test runner makes it for the test database). The default cache stays in each
process's memory: what it holds (serializers built once, pages cached for a short time) may
differ between processes without harm.

Counting is get-then-set (Django's ``incr``), so two requests in the same instant can count
once: the limits are a brake on abuse, not an exact quota (docs/deploy.md)."""

from __future__ import annotations

from typing import Any

from django.core.cache import BaseCache, caches
from django.core.management import call_command
from rest_framework.throttling import ScopedRateThrottle

SHARED = "shared"
TABLE = "kobling_shared_cache"


def shared_cache() -> BaseCache:
    return caches[SHARED]


def create_table(*, using: str = "default", **_kwargs: Any) -> None:
    """post_migrate: make the shared cache's table if it is missing (idempotent). Without
    table names ``createcachetable`` makes the table of every database cache in ``CACHES``
    (a name given to it is taken as a table's name, not a cache's)."""
    call_command("createcachetable", database=using, verbosity=0)


class SharedScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting in the shared cache: with P web processes a client gets
    the limit once, not P times."""

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return shared_cache()
