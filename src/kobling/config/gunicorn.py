"""Gunicorn's settings for Kobling: ``kobling serve --production`` runs
``gunicorn --config python:kobling.config.gunicorn kobling.config.wsgi`` with the address and
any ``--workers``/``--threads`` given on its command line (which win over these).

Environment: ``KOBLING_WEB_WORKERS`` (default 2 × CPUs + 1), ``KOBLING_WEB_THREADS`` (2),
``KOBLING_WEB_TIMEOUT`` (seconds a request may take, 60), ``KOBLING_LOG_FORMAT``;
gunicorn's own ``GUNICORN_CMD_ARGS`` works too. See docs/deploy.md."""

from kobling.lib.env import env, env_int
from kobling.lib.serving import web_threads, web_workers

wsgi_app = "kobling.config.wsgi:application"
bind = ["127.0.0.1:8000"]
workers = web_workers()
threads = web_threads()
# With threads > 1 gunicorn uses its threaded worker (gthread) by itself.
timeout = env_int("KOBLING_WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# Django and the app are imported once in the master: a broken release fails at start, and the
# workers share the loaded code's memory.
preload_app = True
# A worker is replaced after this many requests (spread out), so a slow leak cannot grow.
max_requests = 2000
max_requests_jitter = 200
# The collector's thresholds in the web processes (Python's default: 700, 10, 10).
GC_THRESHOLDS = (10_000, 20, 100)


def when_ready(server: object) -> None:
    """In the master, before the workers fork: import every URL pattern's views (Django does it
    at the first request), so no worker's first request pays for it and the code is shared."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point
    # What is loaded now lives as long as the process: out of the collector's sight, so its
    # full collections do not walk Django's and Kobling's code and URL patterns again and
    # again (and the workers' pages stay shared with the master). A request allocates many
    # containers (querysets, model instances, template nodes) and leaves few cycles: collect
    # the young generation less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# No access log from gunicorn: its lines carry the full path and query (signed-link tokens).
# Kobling logs each request itself (kobling.web.middleware.RequestLogMiddleware).
accesslog = None
errorlog = "-"
loglevel = env("LOG_LEVEL", "info").lower()
# The scheme is Kobling's to decide from KOBLING_TRUSTED_PROXY_COUNT
# (kobling.web.middleware.TrustedProxyMiddleware), not gunicorn's from the proxy's address.
secure_scheme_headers: dict[str, str] = {}

if env("KOBLING_LOG_FORMAT", "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "kobling.core.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # A log configuration switches gunicorn's access log on; it stays off (see above).
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": "INFO"},
    }
