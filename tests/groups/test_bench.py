"""`kobling bench attendance` runs and leaves nothing behind, and what it measures takes the same
number of queries for a bigger group with a longer history: the leader's page, saving the ticks
(one insert for all the entries that change), the API's attendance list and a course's report."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from kobling.groups import bench
from kobling.groups.models import GroupOffer
from kobling.tenancy.models import Municipality

pytestmark = pytest.mark.django_db

COUNTS = ("page_queries", "save_queries", "api_attendance_queries", "api_report_queries")


def test_the_attendance_bench_takes_a_fixed_number_of_queries_and_leaves_nothing():
    before = Municipality.objects.count()
    small = bench.run(participants=4, weeks=1, repeat=1).as_json()
    big = bench.run(participants=12, weeks=3, repeat=1).as_json()
    assert big["meetings_held"] > small["meetings_held"] > 0
    assert {k: big[k] for k in COUNTS} == {k: small[k] for k in COUNTS}
    assert all(small[k] > 0 for k in (*COUNTS, "page_ms", "floor_ms"))
    assert Municipality.objects.count() == before and not GroupOffer.objects.exists()


def test_the_command_ends_with_one_json_line(capsys):
    call_command("bench", "attendance", "--participants", "3", "--weeks", "1", "--repeat", "1")
    out = capsys.readouterr().out.strip().splitlines()
    assert "attendance page (GET)" in "\n".join(out)
    assert json.loads(out[-1])["participants"] == 3
