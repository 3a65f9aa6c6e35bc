"""Many processes, exactly once: two real ``kobling worker`` processes and two web processes on
one database, a real local SMTP server, and faults injected from outside.

* A batch of due check-ins and follow-up questionnaires goes out while one worker is killed
  (SIGKILL) at the worst moment: the mail server has just taken a check-in e-mail and the worker
  has not recorded it. The worker is started again; every due e-mail arrives, one per outbox
  entry (the interrupted one, an at-least-once purpose, twice with the *same* Message-ID — no
  sender can know whether the server took it), no job is lost, each periodic job's work is done
  once, and the links in the e-mails are answered through both web processes.
* The database connection of a web process is terminated, once between two requests and once
  while a request waits on the database: the first request after it works, the interrupted one
  is a clean 500, and the next one works. This one needs PostgreSQL (there is no server
  connection to kill on SQLite) and is the only PostgreSQL-only test here.

The test database is shared with the processes: on PostgreSQL they connect to it; on SQLite
(an in-memory test database) it is copied to a file for them and copied back afterwards."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kobling.core.models import JobOutcome, OutboxMessage, ScheduledJob
from kobling.core.outbox import message_idempotency_key
from kobling.helpers.choices import CheckInStatus
from kobling.helpers.models import CheckIn
from kobling.outcomes.models import FollowUp
from tests import factories as f
from tests.outcomes import builders as b
from tests.smtp import CollectingHandler, SmtpServer, free_port

pytestmark = [pytest.mark.worker, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

MANAGE = [sys.executable, "-m", "kobling.manage"]
CHECKINS, FOLLOWUPS = 8, 6
LEASE_SECONDS = 4  # how long until a dead worker's claims are taken over
POSTGRES = connection.vendor == "postgresql"


# --- the database the processes share -----------------------------------------------------


@pytest.fixture
def shared_db(transactional_db, tmp_path) -> Iterator[SimpleNamespace]:
    """The test database as a URL for subprocesses; ``publish()`` before starting them and
    ``collect()`` after stopping them (both no-ops on PostgreSQL)."""
    if POSTGRES:
        s = connection.settings_dict
        auth = urllib.parse.quote(s["USER"]) + (
            ":" + urllib.parse.quote(s["PASSWORD"]) if s["PASSWORD"] else ""
        )
        url = f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
        yield SimpleNamespace(url=url, publish=lambda: None, collect=lambda: None)
        return
    path = tmp_path / "shared.sqlite3"

    def publish() -> None:
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
            target.execute("PRAGMA journal_mode=WAL")

    def collect() -> None:
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)

    yield SimpleNamespace(url=f"sqlite:///{path}", publish=publish, collect=collect)


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "KOBLING_", "TASKS_", "RUN_MAIN", "DB_"))
    }
    env.update(
        DATABASE_URL=database_url,
        KOBLING_ENV="test",
        KOBLING_VAR_DIR=os.environ.get("KOBLING_VAR_DIR", "") or "/tmp",
        DJANGO_SETTINGS_MODULE="kobling.config.settings",
        PYTHONPATH=os.pathsep.join(sys.path),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Processes:
    """Subprocesses with their output in files; all stopped at the end, whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        self.count = 0

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.count += 1
        out = (self.logs / f"{self.count:02d}-{name}.log").open("w")
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.running[name] = process
        return process

    def output(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.logs.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def processes(tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(logs)
    try:
        yield running
    finally:
        running.stop_all()


def wait_until(condition: Callable[[], object], timeout: float, what: str, output=None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}\n{output() if output else ''}")


def get(url: str, opener=None, data: bytes | None = None) -> tuple[int, str]:  # noqa: ANN001
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=20) as page:
            return page.status, page.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def web_ready(base: str) -> bool:
    try:
        return get(f"{base}/healthz")[0] == 200
    except OSError:
        return False


def start_web(running: Processes, name: str, env: dict[str, str], *options: str) -> str:
    port = free_port()
    running.start(name, [*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload", *options], env)
    return f"http://127.0.0.1:{port}"


# --- the mail server that kills the worker talking to it ------------------------------------


def pid_of_client(peer_port: int, server_port: int, candidates: list[int]) -> int | None:
    """Which of ``candidates`` holds the TCP connection from ``peer_port`` to ``server_port``
    (Linux: the socket's inode in /proc/net/tcp, then the processes' open files)."""
    wanted = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == peer_port and int(remote.split(":")[1], 16) == (
            server_port
        ):
            wanted = f"socket:[{inode}]"
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == wanted:
                    return pid
        except OSError:
            continue
    return None


class KillingHandler(CollectingHandler):
    """Collects like the usual test server; on the ``kill_at``-th check-in e-mail it kills the
    sending worker (SIGKILL) after taking the message and before answering "250 OK": the
    server has it, the worker never learns."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.checkins_seen = 0
        self.server_port = 0
        self.workers: list[int] = []
        self.killed = threading.Event()
        self.killed_key = ""
        self.killed_pid = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        answer = await super().handle_DATA(server, session, envelope)
        message = self.messages[-1].message
        if "/innsjekk/" in str(message.get_body(preferencelist=("plain",)).get_content()):
            self.checkins_seen += 1
            if self.checkins_seen == self.kill_at and not self.killed.is_set():
                pid = pid_of_client(session.peer[1], self.server_port, self.workers)
                assert pid is not None, "the sending worker was not found"
                os.kill(pid, signal.SIGKILL)
                self.killed_pid = pid
                self.killed_key = str(message["X-Kobling-Idempotency-Key"])
                self.killed.set()
        return answer


# --- the batch ------------------------------------------------------------------------------


def make_batch(cast) -> SimpleNamespace:  # noqa: ANN001
    """Due check-ins (as tests/helpers does) and due follow-ups (as tests/outcomes does)."""
    helpers = []
    for i in range(CHECKINS):
        helper = f.make_active(
            f.HelperFactory(programme=cast.programme_a, email=f"batch.kontakt{i}@example.test")
        )
        helper.availability_confirmed_at = timezone.now() - dt.timedelta(weeks=9)
        helper.save()
        helpers.append(helper)
    contact = b.roomy(f.make_active(cast.helper_a))
    today = timezone.localdate()
    from kobling.outcomes import selectors

    three_months = (today - selectors.add_months(today, -3)).days + 1
    pairings = [
        b.pairing(
            cast.programme_a,
            contact,
            confirmed_days_ago=three_months + 120,
            started_days_ago=three_months + 110,
            ended_days_ago=three_months,
            email=f"deltaker{i}@example.test",
        )
        for i in range(FOLLOWUPS)
    ]
    return SimpleNamespace(helpers=helpers, pairings=pairings)


def answer_checkin(link: str, base: str) -> int:
    """Answer "still available" on the link's page, through the web process at ``base``."""
    parts = urllib.parse.urlsplit(link)
    page = f"{base}{parts.path}?{parts.query}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    status, html = get(page, opener)
    assert status == 200, html[-2000:]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "answer": "available"})
    request = urllib.request.Request(
        f"{base}{parts.path}", data=body.encode(), headers={"Referer": page}
    )
    try:
        with opener.open(request, timeout=20) as done:
            return done.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_worker_killed_between_send_and_record_loses_no_email_and_sends_none_twice_by_mistake(
    cast, shared_db, tmp_path
):
    started = time.monotonic()
    batch = make_batch(cast)
    shared_db.publish()

    handler = KillingHandler(kill_at=3)
    smtp = SmtpServer(handler=handler)
    handler.server_port = smtp.port
    smtp.start()
    try:
        with processes(tmp_path) as running:
            web_env = environment(shared_db.url, DB_CONN_MAX_AGE="60")
            webs = [start_web(running, f"web{i}", web_env) for i in (1, 2)]
            worker_env = environment(
                shared_db.url,
                EMAIL_HOST=smtp.host,
                EMAIL_PORT=str(smtp.port),
                EMAIL_TIMEOUT="5",
                KOBLING_TICK_SECONDS="1",
                KOBLING_LEASE_SECONDS=str(LEASE_SECONDS),
                KOBLING_BASE_URL=webs[0],
            )
            worker = [*MANAGE, "worker", "--no-startup-delay", "--interval=0.2"]
            a = running.start("worker-a", worker, worker_env)
            b_ = running.start("worker-b", worker, worker_env)
            handler.workers = [a.pid, b_.pid]

            wait_until(handler.killed.is_set, 40, "the kill", running.output)
            killed = a if handler.killed_pid == a.pid else b_
            assert killed.wait(5) == -signal.SIGKILL
            restarted = running.start("worker-restarted", worker, worker_env)
            handler.workers.append(restarted.pid)

            expected = CHECKINS + FOLLOWUPS
            # Every e-mail, and the interrupted one again once its lease ran out.
            wait_until(
                lambda: len(smtp.messages) >= expected + 1, 45, "every e-mail", running.output
            )
            for base in webs:
                wait_until(lambda base=base: web_ready(base), 20, base, running.output)

            by_key = Counter(str(m.message["X-Kobling-Idempotency-Key"]) for m in smtp.messages)
            copies = [
                m
                for m in smtp.messages
                if m.message["X-Kobling-Idempotency-Key"] == (handler.killed_key)
            ]
            # Every check-in link answered, alternating between the two web processes; the
            # interrupted one through the copy the killed worker handed over.
            checkin_mails = {
                str(m.message["X-Kobling-Idempotency-Key"]): m
                for m in reversed(smtp.messages)
                if any("/innsjekk/" in link for link in m.links())
            }
            checkin_mails[handler.killed_key] = copies[0]
            answers = [
                answer_checkin(
                    next(link for link in mail.links() if "svar=available" in link),
                    webs[i % 2],
                )
                for i, mail in enumerate(checkin_mails.values())
            ]
            time.sleep(1.5)  # a few more ticks by both workers: nothing more may go out
            assert len(smtp.messages) == expected + 1, running.output()
            logs = running.output()
    finally:
        smtp.stop()
    shared_db.collect()

    # The interrupted e-mail arrived twice as the same e-mail (same key and Message-ID);
    # every other one exactly once; nothing arrived that is not in the outbox.
    assert len(copies) == 2, logs
    assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]
    assert [c.message["X-Kobling-Attempt"] for c in copies] == ["1", "2"]
    assert {key: n for key, n in by_key.items() if n != 1} == {handler.killed_key: 2}
    # (Building the pairs sent their own e-mails, in this process, before the run.)
    rows = list(OutboxMessage.objects.filter(purpose__in=["checkin", "followup"]))
    assert sorted(message_idempotency_key(m) for m in rows) == sorted(by_key), logs
    assert {(m.purpose, m.status) for m in rows} == {("checkin", "sent"), ("followup", "sent")}
    assert Counter(m.purpose for m in rows) == {"checkin": CHECKINS, "followup": FOLLOWUPS}

    # No job lost, none done twice: one check-in per due contact, answered through the web
    # processes; one questionnaire sent per ended pair; no job or task failed.
    assert answers == [200] * CHECKINS, logs
    for helper in batch.helpers:
        assert list(CheckIn.objects.filter(helper=helper).values_list("status", flat=True)) == [
            CheckInStatus.ANSWERED
        ]
    for pairing in batch.pairings:
        assert FollowUp.objects.filter(pairing=pairing, status="sent").count() == 1
    assert not ScheduledJob.objects.filter(last_outcome=JobOutcome.FAILED).exists(), logs
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists(), logs
    # Only the task the killed worker was running is left behind, never finished.
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1
    assert time.monotonic() - started < 60


# --- the database connection killed under a web request (PostgreSQL) --------------------------


def web_backends(cursor, name: str) -> list[tuple[int, str]]:  # noqa: ANN001
    cursor.execute(
        "SELECT pid, coalesce(wait_event_type, '') FROM pg_stat_activity"
        " WHERE application_name = %s",
        [name],
    )
    return cursor.fetchall()


@pytest.mark.skipif(
    not POSTGRES,
    reason="kills a PostgreSQL server connection; SQLite has none (the one PostgreSQL-only test)",
)
def test_a_request_whose_database_connection_dies_fails_cleanly_and_the_next_one_works(
    cast, shared_db, tmp_path
):
    from kobling.core.models import SignedLink
    from kobling.core.outbox import link_token
    from kobling.helpers import checkins

    started = time.monotonic()
    helper = f.make_active(f.HelperFactory(programme=cast.programme_a))
    helper.availability_confirmed_at = timezone.now() - dt.timedelta(weeks=9)
    helper.save()
    checkins.checkins_tick()  # the check-in and its link (this process sends it, to locmem)
    token = link_token(SignedLink.objects.get(purpose="checkin"))
    name = f"kobling-web-{os.getpid()}"
    env = environment(f"{shared_db.url}?application_name={name}", DB_CONN_MAX_AGE="600")

    with processes(tmp_path) as running:
        # One thread, so one persistent connection serves every request (as in a WSGI worker).
        base = start_web(running, "web", env, "--nothreading")
        page = f"{base}/innsjekk/{token}/?svar=available"
        wait_until(lambda: web_ready(base), 30, "the web process", running.output)
        assert get(page)[0] == 200

        with connection.cursor() as cursor:
            # Between two requests: the server drops the idle persistent connection.
            [(before, _wait)] = web_backends(cursor, name)
            cursor.execute("SELECT pg_terminate_backend(%s)", [before])
            wait_until(lambda: not web_backends(cursor, name), 10, "the backend to go")
            assert get(page)[0] == 200, running.output()  # checked and replaced, unnoticed
            [(after, _wait)] = web_backends(cursor, name)
            assert after != before

        # During a request: it waits for a lock on the links table, and its connection dies.
        answers: list[tuple[int, str]] = []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE core_signedlink IN ACCESS EXCLUSIVE MODE")
            request = threading.Thread(target=lambda: answers.append(get(page)))
            request.start()
            wait_until(
                lambda: web_backends(cursor, name) == [(after, "Lock")], 15, "the waiting request"
            )
            cursor.execute("SELECT pg_terminate_backend(%s)", [after])
            request.join(20)
        [(status, body)] = answers
        assert status == 500, body
        # Kobling's own 500 page, with the request's id to give support.
        assert "data-request-id" in body
        for leak in ("Traceback", "psycopg", "terminat", "core_signedlink", token):
            assert leak not in body, leak

        status, body = get(page)
        assert status == 200, running.output()
        assert 'value="available"' in body
    assert time.monotonic() - started < 60


def test_the_token_throttle_counts_once_across_web_processes(shared_db, tmp_path):
    """Three tries a minute at the token endpoint, spread over two web processes: the fourth is
    refused whichever process gets it (the count is in the shared cache, kobling.core.
    shared_cache; with each process's own memory it would take six)."""
    env = environment(shared_db.url, API_AUTH_THROTTLE="3/min")
    shared_db.publish()
    tries = urllib.parse.urlencode({"username": "nobody", "password": "wrong"}).encode()
    with processes(tmp_path) as running:
        one = start_web(running, "web-1", env)
        two = start_web(running, "web-2", env)
        for base in (one, two):
            wait_until(lambda base=base: web_ready(base), 30, base, running.output)
        answers = [
            get(f"{base}/api/v1/auth/token", data=tries)[0] for base in (one, two, one, two, one)
        ]
    assert answers == [400, 400, 400, 429, 429], running.output()


def test_a_published_offer_shows_at_once_in_every_web_process(cast, shared_db, tmp_path):
    """The public catalogue caches its rows in each process's memory under a generation kept in
    the shared cache: a write in one process (here a third one) shows in both web processes
    at once, not when their cached rows expire (five minutes)."""
    from tests.catalogue.builders import offer

    offer(cast.a, cast.coordinator_a, title="Turgruppe i Aby")
    env = environment(shared_db.url)
    shared_db.publish()
    with processes(tmp_path) as running:
        one = start_web(running, "web-1", env)
        two = start_web(running, "web-2", env)
        for base in (one, two):
            wait_until(lambda base=base: web_ready(base), 30, base, running.output)
        for base in (one, two):
            status, body = get(f"{base}/api/v1/catalogue/")
            assert status == 200 and "Turgruppe i Aby" in body, running.output()
            assert "Bassenggruppe" not in body
        publish = (
            "from kobling.tenancy.models import Municipality, User;"
            "from tests.catalogue.builders import offer;"
            f"offer(Municipality.objects.get(pk={cast.a.pk}),"
            f" User.objects.get(pk={cast.coordinator_a.pk}), title='Bassenggruppe')"
        )
        done = subprocess.run(
            [*MANAGE, "shell", "-c", publish], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        for base in (one, two):
            status, body = get(f"{base}/api/v1/catalogue/")
            assert status == 200 and "Bassenggruppe" in body, running.output()
