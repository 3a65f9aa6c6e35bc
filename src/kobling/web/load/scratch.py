"""A database of its own for `kobling bench load`, so a run leaves the configured one as it was:
on PostgreSQL ``<name>_load`` on the same server (dropped and created anew), on SQLite a file in
a temporary directory. The append-only tables (audit, sessions) could not be cleaned up
afterwards anyway."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def _pg_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


def configured_url() -> str:
    """The configured database as a DATABASE_URL (for the server processes)."""
    if connection.vendor == "postgresql":
        return _pg_url(connection.settings_dict, connection.settings_dict["NAME"])
    return f"sqlite:///{connection.settings_dict['NAME']}"


def create() -> tuple[str, Callable[[], None]]:
    """A new empty database beside the configured one: its URL and how to remove it."""
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_load"
        quoted = connection.ops.quote_name(name)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
            cursor.execute(f"CREATE DATABASE {quoted}")

        def drop() -> None:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")

        return _pg_url(connection.settings_dict, name), drop
    directory = tempfile.TemporaryDirectory(prefix="kobling-load-db-")
    return f"sqlite:///{Path(directory.name) / 'load.sqlite3'}", directory.cleanup
