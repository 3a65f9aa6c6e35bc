"""Putting existing pairings under courses loses nothing and changes no figure.

The demo is loaded, its referrer reports, dashboard aggregates and payroll files are read; the
migration that made the courses is undone (no course left, pairings without one) and done again
(the courses derived from the referrals and their pairings, as on a database that had none);
then everything is read again and must be equal, number for number — and the courses the
migration derives must equal the courses the services kept while the demo was made."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kobling.dashboards.models import DashboardFact
from kobling.dashboards.refresh import refresh_municipality
from kobling.demo.loader import load_demo
from kobling.followup.models import Pairing
from kobling.followup.report import build_episode_report, build_referrer_report
from kobling.pay.export import payroll_csv
from kobling.pay.models import Timesheet
from kobling.referrals.models import Episode
from kobling.tenancy.models import Municipality, User

COURSE_FIELDS = (
    "referral_id",
    "municipality_id",
    "programme_id",
    "participant_id",
    "decision_id",
    "delivery",
    "status",
    "opened_on",
    "planned_weeks",
    "started_on",
    "paused_on",
    "ended_on",
    "end_reason",
    "end_note",
    "handover_destination",
    "handover_note",
)


def _figures() -> dict:
    reports = {
        p.pk: build_referrer_report(p).as_dict()
        for p in Pairing.objects.select_related("participant").order_by("pk")
    }
    facts = []
    for municipality in Municipality.objects.order_by("pk"):
        refresh_municipality(municipality.pk)
    facts = sorted(
        DashboardFact.objects.values_list(
            "municipality_id",
            "programme_id",
            "grain",
            "period",
            "metric",
            "dimension",
            "key",
            "value",
        )
    )
    payroll = {}
    for username in ("koordinator@fjordvik.demo", "koordinator@nordby.demo"):
        user = User.objects.get(username=username)
        for month in sorted(set(Timesheet.objects.values_list("month", flat=True))):
            payroll[(username, month)] = payroll_csv(user=user, month=month)[0]
    return {"reports": reports, "facts": facts, "payroll": payroll}


def _courses() -> dict:
    courses = {}
    for episode in Episode.objects.order_by("referral_id"):
        row = {name: getattr(episode, name) for name in COURSE_FIELDS}
        row["pairings"] = sorted(episode.pairings.values_list("pk", flat=True))
        report = build_episode_report(episode).as_dict()
        report.pop("episode_id")  # a new id when the course is made again
        row["report"] = report
        courses[episode.referral_id] = row
    return courses


def _migrate(target: tuple[str, str]) -> None:
    call_command("migrate", target[0], target[1], verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_demo_migrated_under_courses_keeps_every_figure(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Without the group programmes: they came after the courses, so no database that had no
    # courses held group attendance (undoing the courses would orphan it).
    load_demo(groups=False)
    before = _figures()
    kept = _courses()
    assert before["reports"] and before["facts"] and before["payroll"]
    assert {c["status"] for c in kept.values()} >= {"waiting", "active", "ended"}

    _migrate(("followup", "0007_pairing_episode"))
    executor = MigrationExecutor(connection)
    assert (
        "followup",
        "0008_every_pairing_under_a_course",
    ) not in executor.loader.applied_migrations
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM referrals_episode")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT COUNT(*) FROM followup_pairing WHERE episode_id IS NOT NULL")
        assert cursor.fetchone()[0] == 0

    call_command("migrate", verbosity=0)
    assert Pairing.objects.filter(episode__isnull=True).count() == 0
    derived = _courses()
    after = _figures()

    assert after["reports"] == before["reports"]
    assert after["facts"] == before["facts"]
    assert after["payroll"] == before["payroll"]
    assert derived.keys() == kept.keys()
    for referral_id, course in kept.items():
        assert derived[referral_id] == course, referral_id
