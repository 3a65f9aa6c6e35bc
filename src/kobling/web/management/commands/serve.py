"""``kobling serve --port N``: what `make run` starts — the web server on 127.0.0.1:N and the
background worker (``kobling worker``) as a child process, stopped together on Ctrl-C.

It prints the demo logins when demo users exist (never in production). In development it starts
a small local mail server (aiosmtpd, a dev dependency) that prints each e-mail's subject and
writes the e-mails to ``var/mail.log``, so the check-in links can be followed. When EMAIL_PORT is
not set and the default port is taken (another checkout's ``make run``, say), the local server
takes a free port instead — e-mails with live links must not land in someone else's log; without
aiosmtpd it then refuses to start. A mail server on a port set in EMAIL_PORT is used as it is.

``kobling serve --production`` is the production web server instead: it gathers the static files
(``collectstatic``, served by WhiteNoise) and then becomes gunicorn (kobling.config.gunicorn)
on ``--host``/``--port`` with ``--workers``/``--threads`` (default: from the machine's CPUs, or
KOBLING_WEB_WORKERS/KOBLING_WEB_THREADS). It starts no worker and no mail server: in production
the worker is a service of its own (docs/deploy.md)."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from kobling.demo.loader import DEMO_PASSWORD, demo_users_summary
from kobling.lib.serving import web_threads, web_workers

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_WORKER_STOP_SECONDS = 15


def _interrupt(signum: int, frame: Any) -> None:  # noqa: ANN401
    raise KeyboardInterrupt


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _use_served_base_url(host: str, port: int) -> None:
    """Links in e-mails point at the server we start, unless ``KOBLING_BASE_URL`` says otherwise
    (e.g. behind a proxy). Set in the environment too: the worker (a child process) sends them."""
    if os.environ.get("KOBLING_BASE_URL", "").strip():
        return
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    os.environ["KOBLING_BASE_URL"] = base
    settings.KOBLING_BASE_URL = base


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _can_bind(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class _MailLog:
    """aiosmtpd handler for development: one line on the console, the whole e-mail in a file."""

    def __init__(self, path: Path, out: Any) -> None:  # noqa: ANN401
        self.path = path
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ANN401, N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self.path.open("a", encoding="utf-8") as log:
            log.write(f"=== {timezone.now():%Y-%m-%d %H:%M:%S} ===\n")
            for header in ("From", "To", "Reply-To", "Subject"):
                if message[header]:
                    log.write(f"{header}: {message[header]}\n")
            log.write(f"\n{text}\n\n")
        self.out.write(f"[mail] to {', '.join(envelope.rcpt_tos)}: {message['Subject']}")
        self.out.flush()
        return "250 OK"


class Command(BaseCommand):
    help = "Run the web server and the background worker together (what `make run` does)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:  # noqa: ANN401
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (127.0.0.1).")
        parser.add_argument(
            "--reload", action="store_true", help="Restart the web server when code changes."
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")
        parser.add_argument(
            "--no-mail-server",
            action="store_true",
            help="Do not start the local development mail server.",
        )
        production = parser.add_argument_group("production (gunicorn)")
        production.add_argument(
            "--production",
            action="store_true",
            help="Run the production server (gunicorn) after collectstatic; no worker, no mail.",
        )
        production.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Web processes (default: KOBLING_WEB_WORKERS, else 2 x CPUs + 1).",
        )
        production.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Threads per process (default: KOBLING_WEB_THREADS, else 2).",
        )
        production.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Serve the static files already collected in STATIC_ROOT.",
        )

    def handle(
        self,
        *,
        port: int,
        host: str,
        reload: bool,
        no_worker: bool,
        no_mail_server: bool,
        production: bool,
        workers: int | None,
        threads: int | None,
        no_collectstatic: bool,
        **options: Any,  # noqa: ANN401
    ) -> None:
        if production:
            self._serve_production(
                host, port, workers=workers, threads=threads, collect=not no_collectstatic
            )
            return
        # Ctrl-C must stop us even when started from a script that ignores SIGINT.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            # The reloaded child only serves; worker, mail server and banner live in the parent.
            self._runserver(host, port, reload=True)
            return
        if not _can_bind(host, port):
            raise CommandError(f"Cannot listen on {host}:{port}; is something else using it?")
        _use_served_base_url(host, port)
        if settings.PRODUCTION:
            self.stderr.write(
                "`kobling serve` uses Django's development server; in production run "
                "`kobling serve --production`."
            )
        self._print_demo_logins()
        mail_server = None if no_mail_server else self._start_mail_server()
        worker = None if no_worker else self._start_worker(options["verbosity"])
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.stdout.write(
                f"Kobling: http://{host}:{port}/  (Ctrl-C stops the server and worker)"
            )
            self._runserver(host, port, reload=reload)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                self._stop_worker(worker)
            if mail_server is not None:
                mail_server.stop()

    # --- parts ----------------------------------------------------------------------------

    def _serve_production(
        self, host: str, port: int, *, workers: int | None, threads: int | None, collect: bool
    ) -> None:
        for name, value in (("--workers", workers), ("--threads", threads), ("--port", port)):
            if value is not None and value < 1:
                raise CommandError(f"{name} must be at least 1.")
        if not settings.PRODUCTION:
            self.stderr.write(
                f"KOBLING_ENV is {settings.KOBLING_ENV!r}, not 'production': "
                "the production server runs with development settings."
            )
        if collect:
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = workers or web_workers()
        threads = threads or web_threads()
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Kobling (gunicorn): http://{shown}:{port}/  {workers} processes x {threads} threads"
        )
        self.stdout.flush()
        self.stderr.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:kobling.config.gunicorn",
            "--bind",
            f"{shown}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]
        # gunicorn takes this process's place: systemd, a container or a test stopping us with
        # SIGTERM reaches its master directly, which stops the workers gracefully.
        os.execv(sys.executable, argv)  # noqa: S606

    def _runserver(self, host: str, port: int, *, reload: bool) -> None:
        call_command("runserver", f"{host}:{port}", use_reloader=reload)

    def _print_demo_logins(self) -> None:
        if not settings.DEMO_ALLOWED:
            return
        try:
            users = demo_users_summary()
        except DatabaseError:  # not migrated yet; nothing to show
            return
        if not users:
            return
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _name, roles in users:
            self.stdout.write(f"  {username:<32} {DEMO_PASSWORD}   {roles}")

    def _start_worker(self, verbosity: int) -> subprocess.Popen | None:
        from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
        from django_tasks_db.backend import DatabaseBackend

        if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            self.stderr.write(
                "TASKS does not use the database backend, so no worker is started; "
                "check-ins are not sent on a schedule."
            )
            return None
        env = {k: v for k, v in os.environ.items() if k != DJANGO_AUTORELOAD_ENV}
        command = [
            sys.executable,
            "-m",
            "kobling.manage",
            "worker",
            "--exit-with-parent",
            f"--verbosity={verbosity}",
        ]
        # Own session: Ctrl-C in the terminal reaches us only, and we stop the worker once,
        # gracefully, letting a running task finish.
        worker = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        self.stdout.write(f"Background worker started (pid {worker.pid})")
        return worker

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is not None:
            return
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(_WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    def _start_mail_server(self) -> Any:  # noqa: ANN401
        backend_is_smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        if (
            settings.KOBLING_ENV != "development"
            or not backend_is_smtp
            or settings.EMAIL_HOST not in _LOCAL_HOSTS
        ):
            return None
        port = settings.EMAIL_PORT
        chosen = bool(os.environ.get("EMAIL_PORT", "").strip())
        taken = _listening(settings.EMAIL_HOST, port)
        if taken and chosen:
            return None  # the mail server the developer pointed us at
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            if taken:
                raise CommandError(
                    f"Another process's mail server listens on {settings.EMAIL_HOST}:{port}; "
                    "e-mails with live links would land there. Set EMAIL_PORT to use it on "
                    "purpose, or install aiosmtpd for a local one on a free port."
                ) from None
            self.stderr.write(
                f"No mail server on {settings.EMAIL_HOST}:{port}; e-mails will "
                "be retried until one is there (pip install aiosmtpd for a local one)."
            )
            return None
        if taken:
            port = _free_port(settings.EMAIL_HOST)
            self.stdout.write(
                f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT} is another process's mail server "
                f"(set EMAIL_PORT to use it); this one takes port {port}."
            )
            # The worker (a child process started after us) reads EMAIL_PORT from the environment.
            settings.EMAIL_PORT = port
            os.environ["EMAIL_PORT"] = str(port)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
        log_path = Path(settings.VAR_DIR) / "mail.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        controller = Controller(
            _MailLog(log_path, self.stdout),
            hostname=settings.EMAIL_HOST,
            port=port,
            server_hostname="localhost",
        )
        try:
            controller.start()
        except Exception as exc:  # noqa: BLE001 - the mail server is a convenience only
            self.stderr.write(f"Could not start the local mail server: {exc}")
            return None
        self.stdout.write(
            f"Local mail server on {settings.EMAIL_HOST}:{settings.EMAIL_PORT}; "
            f"e-mails are written to {log_path}"
        )
        return controller
