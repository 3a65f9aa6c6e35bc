"""``kobling serve --production`` for real: gunicorn in a subprocess on a free port, against a
file copy of the test database (SQLite) or the test database itself (PostgreSQL), in the
production profile behind one trusted proxy, with JSON logs. One test, ~10-20 s (collectstatic
compresses the static files the first time), marked ``server``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.smtp import free_port

# transaction=True: no transaction of the test holds the database while it is copied or served.
pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]

TOKEN = "s3cr3t-T0KEN.abcdefghijklmnop"
REQUEST_ID = "0f2a8c3e5b7d49e1a6c4f8b2d0e6a9c1"


def _database_url(tmp_path: Path) -> str:
    """What the server runs on: the migrated test database, copied to a file for SQLite."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "kobling.sqlite3")
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{tmp_path / 'kobling.sqlite3'}"
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _get(url: str, *, proxied: bool = True, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET as the trusted reverse proxy passes it on (over HTTPS), unless not ``proxied``."""
    if proxied:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", **headers}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_for(url: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no answer from {url} in {timeout} s:\n{log.read_text()}")


def test_production_server_serves_pages_static_files_and_probes_then_stops(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "KOBLING_", "TASKS_", "DATABASE_", "GUNICORN_"))
    }
    env.update(
        DATABASE_URL=_database_url(tmp_path),
        DJANGO_SETTINGS_MODULE="kobling.config.settings",
        KOBLING_ENV="production",
        SECRET_KEY="test-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        KOBLING_TRUSTED_PROXY_COUNT="1",
        KOBLING_LOG_FORMAT="json",
        KOBLING_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "kobling.manage",
                "serve",
                "--production",
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(f"{base}/healthz", server, log, timeout=60)
        started = time.perf_counter()
        status, headers, body = _get(f"{base}/healthz")
        healthz_ms = (time.perf_counter() - started) * 1000
        assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
        assert "no-store" in headers["Cache-Control"]

        # No worker runs here: ready it is not, and it says why.
        status, _headers, body = _get(f"{base}/readyz")
        assert status == 503 and json.loads(body)["worker"] == "missing"

        # A page, through the trusted proxy's HTTPS; straight over HTTP it is redirected.
        status, headers, body = _get(f"{base}/konto/logg-inn/")
        assert status == 200, body[:500]
        page = body.decode()
        assert _get(f"{base}/konto/logg-inn/", proxied=False)[0] == 301
        # The page links the hashed static file; WhiteNoise serves it compressed, for ever.
        start = page.index("/static/kobling/kobling.")
        css = page[start : page.index('"', start)]
        status, headers, body = _get(f"{base}{css}", **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]

        # A signed link: the proxy's request id comes back; the token goes nowhere near the log.
        status, headers, _body = _get(
            f"{base}/innsjekk/{TOKEN}/?svar=available", **{"X-Request-ID": REQUEST_ID}
        )
        assert status == 404 and headers["X-Request-ID"] == REQUEST_ID

        if connection.vendor == "sqlite":
            # The database goes away (a directory where the file was): /healthz says so.
            database = tmp_path / "kobling.sqlite3"
            database.rename(tmp_path / "away.sqlite3")
            database.mkdir()
            try:
                status, _headers, body = _get(f"{base}/healthz")
                assert status == 503 and json.loads(body)["status"] == "error"
            finally:
                database.rmdir()
                (tmp_path / "away.sqlite3").rename(database)
            assert _get(f"{base}/healthz")[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise

    output = log.read_text()
    assert code == 0, output
    assert TOKEN not in output and "s3cr3t" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "kobling.access"]
    assert any(
        line["request_id"] == REQUEST_ID and line["route"] == "/innsjekk/<str:token>/"
        for line in access
    ), access
    assert healthz_ms < 1000, healthz_ms  # measured: a few ms on a quiet 2-core machine
