"""`kobling bench matching`: the report's shape (timings are measured, never asserted)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def bench(*args: str) -> str:
    out = StringIO()
    call_command("bench", "matching", *args, stdout=out)
    return out.getvalue()


def test_bench_matching_ends_with_one_json_line_with_the_issues_keys():
    output = bench("--participants", "50", "--contacts", "50", "--json", "--repeat", "1")
    report = json.loads(output.strip().splitlines()[-1])
    assert list(report) == ["n", "m", "total_s", "solver_only_s", "ratio", "optimal"]
    assert (report["n"], report["m"]) == (50, 50)
    assert report["optimal"] is True
    assert report["total_s"] > 0 and report["solver_only_s"] > 0


def test_bench_matching_without_json_prints_a_summary():
    output = bench("--participants", "30", "--contacts", "20", "--seed", "4", "--repeat", "1")
    assert "30 participants x 20 contacts" in output
    assert "optimal" in output and "NOT OPTIMAL" not in output


def test_bench_matching_refuses_an_empty_problem():
    with pytest.raises(CommandError):
        bench("--participants", "0")
