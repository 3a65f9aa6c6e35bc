"""Concurrent writers on the SQLite file wait their turn instead of failing.

The outside probe saw "database is locked" 500s when two requests wrote at once (course-run
edit, consent create/withdraw, referral merge, session correction, …). A busy timeout alone
does not help there: a transaction that starts by reading holds a read snapshot, and when it then
wants to write after another writer committed, SQLite refuses at once (the busy handler is not
called, it would deadlock). Transactions that start IMMEDIATE take the write lock up front and
wait for it. The test runs processes on the project's real settings against one database file,
each doing read-then-write transactions as the services do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WRITERS = 4
ROUNDS = 40

WRITER = textwrap.dedent(
    """
    import os, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "kobling.config.settings"
    django.setup()
    from django.db import connection, transaction

    failures = 0
    for _ in range(int(sys.argv[1])):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                time.sleep(0.002)  # the service's work between its read and its write
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except Exception as error:  # noqa: BLE001
            failures += 1
            print(type(error).__name__, error, file=sys.stderr)
    print(failures)
    """
)


def test_concurrent_read_then_write_transactions_on_sqlite_all_commit(tmp_path: Path):
    import sqlite3

    database = tmp_path / "kobling.sqlite3"
    with sqlite3.connect(database) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        setup.execute("INSERT INTO counter VALUES (0)")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "KOBLING_ENV": "development",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ROUNDS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    failures = sum(int(out.strip().splitlines()[-1]) for out, _err in outputs)
    assert failures == 0, [err for _out, err in outputs if err]
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT n FROM counter").fetchone() == (WRITERS * ROUNDS,)


def test_sqlite_connections_start_immediate_transactions_in_wal_mode_with_a_busy_timeout():
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
