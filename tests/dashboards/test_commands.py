"""``kobling dashboards refresh`` and ``kobling bench dashboard`` at tiny sizes, so neither can
rot."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kobling.dashboards.models import DashboardFact, DashboardRefresh
from kobling.tenancy.models import Municipality
from tests.dashboards.builders import build_year

pytestmark = pytest.mark.django_db(transaction=True)


def test_refresh_recomputes_one_municipality_on_demand(cast):
    build_year(cast.programme_a, timezone.localdate().year - 1)
    out = StringIO()
    call_command("dashboards", "refresh", "--municipality", "9001", stdout=out)
    assert out.getvalue().startswith("9001 Aby: ")
    assert DashboardRefresh.objects.filter(municipality=cast.a).exists()
    assert not DashboardRefresh.objects.filter(municipality=cast.b).exists()
    assert DashboardFact.objects.filter(municipality=cast.a, metric="sessions_held").exists()


def test_refresh_refuses_an_unknown_municipality(cast):
    with pytest.raises(CommandError):
        call_command("dashboards", "refresh", "--municipality", "0000", stdout=StringIO())


def test_bench_dashboard_reports_both_times_and_leaves_nothing_behind(cast):
    before = Municipality.objects.count()
    out = StringIO()
    call_command(
        "bench",
        "dashboard",
        "--participants",
        "30",
        "--contacts",
        "10",
        "--sessions",
        "600",
        "--repeat",
        "1",
        stdout=out,
    )
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(last) == {
        "participants",
        "contacts",
        "sessions",
        "dashboard_ms",
        "direct_sql_ms",
        "ratio",
    }
    assert (last["participants"], last["contacts"], last["sessions"]) == (30, 10, 600)
    assert last["dashboard_ms"] > 0 and last["direct_sql_ms"] > 0
    assert last["ratio"] == pytest.approx(last["dashboard_ms"] / last["direct_sql_ms"], rel=0.1)
    assert "direct SQL" in out.getvalue()
    assert Municipality.objects.count() == before  # rolled back


def test_bench_matching_is_unchanged():
    out = StringIO()
    call_command(
        "bench", "matching", "--participants", "5", "--contacts", "4", "--json", stdout=out
    )
    assert json.loads(out.getvalue().strip().splitlines()[-1])["n"] == 5
