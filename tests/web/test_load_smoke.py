"""`kobling bench load`'s CI smoke run: the production server (gunicorn, one process) on this
test's database (a file copy on SQLite, the worker's own test database on PostgreSQL) with a
small generated data set, ten simulated users for about 20 s, and not one failed request.
Speed is measured by the bench (docs/performance.md), not asserted here. ~35 s, marked
``server``; xdist-safe (free ports, temporary directories, the worker's database)."""

from __future__ import annotations

import pytest
from django.db import connection

from kobling.web.load.data import generate
from kobling.web.load.runner import serve_and_load
from tests.web.test_serve_production import _database_url

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]


def test_ten_users_for_twenty_seconds_get_every_page_without_one_error(tmp_path):
    plan = generate(participants=80, contacts=30, sessions=320, small=1, people=10)
    assert plan.coordinators and plan.contacts and plan.referrers and plan.api_clients

    result = serve_and_load(
        plan=plan,
        database_url=_database_url(tmp_path),
        users=10,
        seconds=17,
        warmup=3,
        processes=(1,),
        vendor=connection.vendor,
    )

    report = "\n".join(result.lines())
    assert result.errors == 0, report
    kinds = result.runs[0].stats["kinds"]
    for kind in ("referral list", "my participants", "log session", "api referrals", "healthz"):
        assert kinds.get(kind, {}).get("count", 0) > 0, report


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.5,1.5", (0.5, 1.5)), ("5,15", (5.0, 15.0)), ("0,0", (0.0, 0.0))],
)
def test_the_think_time_is_min_comma_max_seconds(value, expected):
    from kobling.web.load.command import parse_think

    assert parse_think(value) == expected


@pytest.mark.parametrize("value", ["1", "2,1", "-1,2", "a,b", "1,2,3"])
def test_a_think_time_that_is_not_min_comma_max_is_refused(value):
    from django.core.management.base import CommandError

    from kobling.web.load.command import parse_think

    with pytest.raises(CommandError, match="--think"):
        parse_think(value)
