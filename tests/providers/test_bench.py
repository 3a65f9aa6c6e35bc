"""`kobling bench provider` runs, measures what it says against a bare insert of the same rows,
and leaves nothing behind (visits are append-only: every timed run is rolled back)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from kobling.providers import bench
from kobling.providers.models import ActivityProvider, ProviderVisit
from kobling.tenancy.models import Municipality

pytestmark = pytest.mark.django_db


def test_the_provider_bench_measures_both_ways_and_leaves_nothing():
    before = Municipality.objects.count()
    result = bench.run(csv_rows=60, checkins=5, placements=4, repeat=1).as_json()
    assert (result["csv_rows"], result["checkins"]) == (60, 5)
    assert all(result[k] > 0 for k in ("csv_ms", "csv_bare_ms", "api_ms", "api_bare_ms"))
    assert result["csv_ratio"] > 0 and result["api_ratio"] > 0
    assert Municipality.objects.count() == before
    assert not ActivityProvider.objects.exists() and not ProviderVisit.objects.exists()


def test_the_command_ends_with_one_json_line(capsys):
    call_command("bench", "provider", "--rows", "20", "--checkins", "3", "--repeat", "1")
    out = capsys.readouterr().out.strip().splitlines()
    assert "CSV / bare" in "\n".join(out)
    assert json.loads(out[-1])["csv_rows"] == 20
