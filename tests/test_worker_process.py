"""``kobling worker`` and ``kobling serve`` as real processes against a file SQLite database, the
way `make run` starts them. Slower than the rest (a few seconds each), so kept to two tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.smtp import free_port

pytestmark = pytest.mark.worker

MANAGE = [sys.executable, "-m", "kobling.manage"]

CREATE_DUE_HELPER = """
from kobling.helpers.models import Helper
from kobling.tenancy.models import Municipality, Programme
m = Municipality.objects.create(code="9999", name="Prosessby")
p = Programme.objects.create(municipality=m, kind="treningskontakt", name="Treningskontakt")
Helper.objects.create(
    municipality=m, programme=p, first_name="Pia", last_name="Prosess",
    email="pia@example.test", postcode="6800", status="active",
)
"""

CREATE_DEMO_USER = """
from kobling.tenancy.models import Membership, Municipality, User
user = User.objects.create_user("koordinator.demo", password="kobling-demo")
Membership.objects.create(
    user=user, municipality=Municipality.objects.get(code="9999"), role="coordinator"
)
"""


def _environment(var: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "KOBLING_", "TASKS_", "RUN_MAIN"))
    }
    # Never the database the suite may be pointed at (CI runs it on PostgreSQL too).
    env.update(
        DATABASE_URL="",
        KOBLING_VAR_DIR=str(var),
        KOBLING_ENV="test",
        DJANGO_SETTINGS_MODULE="kobling.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory) -> Path:
    var = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [*MANAGE, "migrate", "--verbosity=0"], env=_environment(var), check=True, timeout=180
    )
    return var / "kobling.sqlite3"


@pytest.fixture
def site(migrated_db, tmp_path) -> SimpleNamespace:
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(migrated_db, var / "kobling.sqlite3")
    env = _environment(var)

    def shell(code: str) -> None:
        subprocess.run([*MANAGE, "shell", "-c", code], env=env, check=True, timeout=60)

    return SimpleNamespace(var=var, env=env, shell=shell, log=tmp_path / "output.log")


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen, sig: int) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def test_kobling_worker_ticks_on_its_own_sends_once_and_stops_cleanly(site, smtp_server):
    site.shell(CREATE_DUE_HELPER)
    env = site.env | {
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "KOBLING_TICK_SECONDS": "1",
    }
    with site.log.open("w") as out:
        worker = subprocess.Popen(
            [*MANAGE, "worker", "--no-startup-delay", "--interval=0.2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert smtp_server.wait_for(1, timeout=30), site.log.read_text()
            # A few more ticks must not send again.
            assert _wait(lambda: site.log.read_text().count("tick_task state=SUCC") >= 3, 20)
        finally:
            code = _stop(worker, signal.SIGTERM)

    assert code == 0, site.log.read_text()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["pia@example.test"]]


def test_kobling_serve_runs_web_worker_and_local_mail_and_stops_them_together(site):
    site.shell(CREATE_DUE_HELPER + CREATE_DEMO_USER)
    port, mail_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = site.env | {
        "KOBLING_ENV": "development",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_port),
        "KOBLING_TICK_SECONDS": "1",
        # No KOBLING_BASE_URL: the links must follow the port served.
    }
    mail_log = site.var / "mail.log"
    with site.log.open("w") as out:
        serve = subprocess.Popen(
            [*MANAGE, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert _wait(lambda: mail_log.exists() and "svar=" in mail_log.read_text(), 40), (
                site.log.read_text()
            )
            link = re.search(
                rf"{re.escape(base)}/innsjekk/\S+\?svar=available", mail_log.read_text()
            )
            assert link, mail_log.read_text()
            with urllib.request.urlopen(link.group(0), timeout=10) as page:
                assert page.status == 200
                assert 'value="available"' in page.read().decode()
        finally:
            code = _stop(serve, signal.SIGINT)

    output = site.log.read_text()
    assert code == 0, output
    assert "koordinator.demo" in output and "kobling-demo" in output
    worker_pid = int(re.search(r"worker started \(pid (\d+)\)", output).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)
    assert mail_log.read_text().count("Subject:") == 1
