"""`kobling bench facts|costs|research`: each pure calculator benchmarked alone, at tiny sizes so
none can rot (timings are measured, never asserted). No database."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.parametrize("what", ["facts", "costs", "research"])
def test_bench_of_a_calculator_reports_the_ratio_to_one_pass_over_its_rows(what):
    out = StringIO()
    call_command("bench", what, "--participants", "40", "--repeat", "1", stdout=out)
    *summary, last = out.getvalue().strip().splitlines()
    report = json.loads(last)
    assert list(report)[:6] == [
        "calculator",
        "participants",
        "rows",
        "calc_ms",
        "baseline_ms",
        "ratio",
    ]
    assert (report["calculator"], report["participants"]) == (what, 40)
    assert report["rows"] > 40 and report["calc_ms"] > 0 and report["ratio"] > 0
    assert summary[0].startswith(f"{what} benchmark: 40 participants")


def test_the_same_seed_gives_the_same_rows_and_figures():
    def once() -> dict:
        out = StringIO()
        call_command(
            "bench", "costs", "--participants", "30", "--repeat", "1", "--json", stdout=out
        )
        report = json.loads(out.getvalue())
        return {k: v for k, v in report.items() if not k.endswith("_ms") and k != "ratio"}

    assert once() == once()


def test_a_calculator_bench_needs_at_least_one_participant():
    with pytest.raises(CommandError):
        call_command("bench", "facts", "--participants", "0")
