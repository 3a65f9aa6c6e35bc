"""/healthz and /readyz: the database, the migrations and the worker's heartbeat, answered to
anyone without a login, never cached, with nothing about any person."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from kobling.core.health import HEARTBEAT_JOB
from kobling.core.models import ScheduledJob
from kobling.core.tasks import tick_task
from kobling.tenancy.models import AuditEntry

pytestmark = pytest.mark.django_db


def beat(seconds_ago: float) -> None:
    ScheduledJob.objects.update_or_create(
        name=HEARTBEAT_JOB,
        defaults={"last_finished_at": timezone.now() - dt.timedelta(seconds=seconds_ago)},
    )


def test_healthz_is_ok_without_a_login_and_never_cached():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_ok_once_a_worker_tick_ran():
    tick_task.call()  # the real tick: its first job is the heartbeat
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "worker": "ok",
    }
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_503_before_any_worker_ran(caplog):
    with caplog.at_level(logging.INFO):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"] == "missing"
    assert response.json()["status"] == "error"
    # An answer, not a server error: one warning that says what is not ready, and no ERROR
    # from django.request for every probe.
    assert [r.levelname for r in caplog.records if r.name == "django.request"] == []
    [warning] = [r for r in caplog.records if r.name == "kobling.core.health"]
    assert warning.levelname == "WARNING" and "worker missing" in warning.getMessage()


def test_readyz_is_503_when_the_heartbeat_is_stale(settings):
    settings.KOBLING_WORKER_MAX_SILENCE = 300
    beat(seconds_ago=299)
    assert Client().get("/readyz").status_code == 200
    beat(seconds_ago=301)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"].startswith("stale")


def test_readyz_is_503_while_a_migration_is_not_applied():
    beat(seconds_ago=0)
    latest = MigrationRecorder(connection).migration_qs.filter(app="core").latest("id")
    latest.delete()  # as if the release's migration had not been run yet
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending: 1"
    # The database answers, so the web process itself is healthy.
    assert Client().get("/healthz").status_code == 200


def test_probes_are_not_audited_and_pass_the_two_factor_gate(cast):
    beat(seconds_ago=0)
    before = AuditEntry.objects.count()
    admin = Client()
    admin.force_login(cast.admin_a)  # a municipal admin who has not passed two-factor
    assert admin.get("/konto/logg-inn/").status_code == 302  # the gate is on for pages
    for path in ("/healthz", "/readyz"):
        assert admin.get(path).status_code == 200, path
    assert AuditEntry.objects.count() == before


def test_probes_answer_over_plain_http_when_https_is_enforced(settings):
    settings.SECURE_SSL_REDIRECT = True
    beat(seconds_ago=0)
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code == 200
    assert Client().get("/konto/logg-inn/").status_code == 301
