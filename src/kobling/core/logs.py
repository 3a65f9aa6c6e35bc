"""Log lines that carry the request id and no personal data.

Used by ``LOGGING`` in the settings for every process (web and worker):

* :class:`RequestIdFilter` stamps ``request_id`` on every record: the id django-guid gave the
  request being served (``-`` outside a request, e.g. in the worker).
* :class:`RedactFilter` keeps the request itself out of Django's own records (``django.request``
  attaches it; a JSON line would print its full path and query) and puts the URL pattern in
  place of the path in their messages ("Not Found: /innsjekk/<str:token>/"): signed-link
  tokens and uidb64s live in paths.
* :class:`TextFormatter` and :class:`JsonFormatter` (``KOBLING_LOG_FORMAT=json``: one object a
  line, for a log collector) mask anything shaped like a national id number (11 digits) in the
  finished line, including exception text (a database error may quote a row's values), but not
  inside the line's own request id.

Kobling's own code logs ids, never names, addresses or national ids; the masking is a net under
that rule, not the rule."""

from __future__ import annotations

import logging
import re
from typing import Any

from django_guid.context import guid
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from kobling.lib.identifiers import NATIONAL_ID

NATIONAL_ID_MASK = "[11 digits]"


def mask(text: str, keep: str = "") -> str:
    """``text`` with every national-id-shaped run of digits masked, except a run wholly inside
    an occurrence of ``keep``: the line's own request id, 32 random hex digits, which holds 11
    digits in a row in about one request in ten and must still match the response's header."""
    # Shorter than 11 characters ("-" outside a request), ``keep`` cannot hold a match.
    if len(keep) < 11 or keep not in text:
        return NATIONAL_ID.sub(NATIONAL_ID_MASK, text)
    kept = [(m.start(), m.end()) for m in re.finditer(re.escape(keep), text)]

    def replace(match: re.Match[str]) -> str:
        inside = any(start <= match.start() and match.end() <= end for start, end in kept)
        return match.group() if inside else NATIONAL_ID_MASK

    return NATIONAL_ID.sub(replace, text)


def safe_path(path: str) -> str:
    """A path that matched no URL pattern, cut to its first segment ("/wp-admin/…"): enough to
    see what was probed, never a token further down."""
    head, _sep, rest = path.lstrip("/").partition("/")
    return f"/{head}/…" if rest else f"/{head}"


def route_of(request: Any) -> str:  # noqa: ANN401 - an HttpRequest, duck-typed for speed
    """The URL pattern the request matched ("/innsjekk/<str:token>/"), else :func:`safe_path`."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route is not None:
        return "/" + match.route
    return safe_path(getattr(request, "path", "") or "")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = guid.get() or "-"
        return True


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = record.__dict__.pop("request", None)
        if request is not None and isinstance(record.args, tuple):
            paths = {getattr(request, "path", None), getattr(request, "path_info", None)}
            paths.discard(None)
            route = route_of(request)
            record.args = tuple(
                route if isinstance(arg, str) and arg in paths else arg for arg in record.args
            )
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record), keep=getattr(record, "request_id", ""))


class JsonFormatter(_JsonFormatter):
    """``{"time", "level", "logger", "message", "request_id", …extra fields}``, one a line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        kwargs.setdefault("fmt", ["asctime", "levelname", "name", "message", "request_id"])
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record), keep=getattr(record, "request_id", ""))
