"""How many web processes and threads a machine gets (``kobling serve --production``)."""

from __future__ import annotations

import os

from kobling.lib.env import env_int


def available_cpus() -> int:
    """The CPUs this process may run on (a container's or a cgroup's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def web_workers(cpus: int | None = None) -> int:
    """``KOBLING_WEB_WORKERS``, else gunicorn's rule of thumb: two per CPU plus one (a request
    spends much of its time waiting for the database)."""
    return env_int("KOBLING_WEB_WORKERS", 0) or 2 * (cpus or available_cpus()) + 1


def web_threads() -> int:
    """``KOBLING_WEB_THREADS``, else 2: a slow request (a PDF letter, an export) then leaves the
    process able to answer another one. Each thread holds its own database connection."""
    return env_int("KOBLING_WEB_THREADS", 0) or 2
