"""``kobling profiles compare`` and ``kobling profiles import``, through call_command and as a
real subprocess of the installed ``kobling`` script, on files with CRLF line ends and a
byte-order mark. Exit status: 0 done, 1 data problems (every one on stderr, nothing computed),
2 usage; warnings go to stderr and leave the status at 0."""

import json
import math
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kobling.profiles.models import ProfileCategory, ProfileIndicator

KOBLING = str(Path(sys.executable).with_name("kobling"))

# inactive_youth: with 10 / 20 / 10, without 30 / 20 / 10 → chi2 6.25, df 2, p exp(−3.125)
# (worked out in test_stats). smoking: only "with" units → no test.
WITH = [f"1{i:03d}" for i in range(40)]
WITHOUT = [f"2{i:03d}" for i in range(60)]


def _status_text() -> str:
    lines = ["unit_code,has_scheme"]
    lines += [f"{c},true" for c in WITH] + [f"{c},FALSE" for c in WITHOUT]
    return "\r\n".join(lines) + "\r\n"


def _profiles_text() -> str:
    lines = ["unit_code,indicator,category"]
    cats_with = ["better"] * 10 + ["same"] * 20 + ["worse"] * 10
    cats_without = ["better"] * 30 + ["same"] * 20 + ["worse"] * 10
    lines += [f"{c},inactive_youth,{k}" for c, k in zip(WITH, cats_with, strict=True)]
    lines += [f"{c},inactive_youth,{k}" for c, k in zip(WITHOUT, cats_without, strict=True)]
    lines += [f"{c},smoking,same" for c in WITH[:3]]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def files(tmp_path):
    status = tmp_path / "STATUS.csv"
    profiles = tmp_path / "PROFILES.csv"
    status.write_bytes(("\ufeff" + _status_text()).encode())
    profiles.write_bytes(("\ufeff" + _profiles_text()).encode())
    return status, profiles


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("profiles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_compare_prints_json_with_exactly_the_issues_keys(files):
    status, profiles = files
    out, err = run(
        "compare", "--status", str(status), "--profiles", str(profiles), "--format", "json"
    )
    data = json.loads(out)
    assert [d["indicator"] for d in data] == ["inactive_youth", "smoking"]
    first = data[0]
    assert list(first) == ["indicator", "with", "without", "chi2", "df", "p"]
    assert first["with"] == {"better": 10, "same": 20, "worse": 10}
    assert first["without"] == {"better": 30, "same": 20, "worse": 10}
    assert first["chi2"] == pytest.approx(6.25)
    assert first["df"] == 2
    assert first["p"] == pytest.approx(math.exp(-3.125))
    assert data[1]["chi2"] is None
    # smoking has no test; its small table is reported on stderr only.
    assert "smoking: no test" in err


def test_compare_as_a_table_aligns_columns_and_shows_percentages_and_stars(files):
    status, profiles = files
    out, _err = run(
        "compare", "--status", str(status), "--profiles", str(profiles), "--format", "table"
    )
    lines = out.splitlines()
    assert lines[0].split() == [
        "indicator",
        "group",
        "better",
        "same",
        "worse",
        "n",
        "chi2",
        "df",
        "p",
    ]
    youth = next(line for line in lines if line.startswith("inactive_youth"))
    assert "10 (25.0%)" in youth and "6.250" in youth and youth.rstrip().endswith("*")
    without = lines[lines.index(youth) + 1]
    assert "30 (50.0%)" in without
    # Aligned: the totals of the "with" and "without" rows end in the same column (the
    # "without" row ends there; its test columns are blank).
    assert without.endswith(" 60")
    assert youth.index(" 40 ") + 3 == len(without)
    assert "* p < 0.05" in out


def test_compare_as_csv_has_one_row_per_group(files):
    status, profiles = files
    out, _err = run(
        "compare", "--status", str(status), "--profiles", str(profiles), "--format", "csv"
    )
    lines = out.splitlines()
    assert lines[0].startswith("indicator,group,better,same,worse,total,better_pct")
    assert lines[1].startswith("inactive_youth,with,10,20,10,40,25.0,50.0,25.0,6.250,2,0.0439")
    assert lines[2].startswith("inactive_youth,without,30,20,10,60,50.0,33.3,16.7")
    assert len(lines) == 5


def test_small_expected_counts_warn_on_stderr_without_failing(tmp_path):
    status = tmp_path / "s.csv"
    profiles = tmp_path / "p.csv"
    status.write_text("unit_code,has_scheme\na,true\nb,true\nc,false\n")
    profiles.write_text("unit_code,indicator,category\na,x,better\nb,x,worse\nc,x,same\n")
    out, err = run(
        "compare", "--status", str(status), "--profiles", str(profiles), "--format", "json"
    )
    assert json.loads(out)[0]["chi2"] == pytest.approx(3.0)  # the tiny table of test_stats
    assert err.count("warning: x: expected count") == 6


def test_data_problems_name_every_row_and_value_and_compute_nothing(tmp_path):
    status = tmp_path / "STATUS.csv"
    profiles = tmp_path / "PROFILES.csv"
    status.write_text("unit_code,has_scheme\n0301,true\n4650,ja\n")
    profiles.write_text(
        "unit_code,indicator,category\n0301,x,better\n9999,x,same\n0301,x,worse\n0301,y,bad\n"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "profiles",
            "compare",
            "--status",
            str(status),
            "--profiles",
            str(profiles),
            "--format",
            "json",
            stdout=out,
            stderr=err,
        )
    assert caught.value.returncode == 1
    assert out.getvalue() == ""
    text = err.getvalue()
    assert "STATUS.csv:3: has_scheme='ja'" in text
    assert "PROFILES.csv:3: unit_code='9999'" in text
    assert "PROFILES.csv:4: unit_code,indicator='0301,x'" in text
    assert "PROFILES.csv:5: category='bad'" in text
    assert text.count("error:") == 4


def test_a_missing_column_is_a_data_error(tmp_path):
    status = tmp_path / "STATUS.csv"
    profiles = tmp_path / "PROFILES.csv"
    status.write_text("unit_code\n0301\n")
    profiles.write_text("unit_code,indicator\n0301,x\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "profiles", "compare", "--status", str(status), "--profiles", str(profiles), stderr=err
        )
    assert "Missing column has_scheme" in err.getvalue()
    assert "Missing column category" in err.getvalue()


def test_usage_errors_are_refused(tmp_path):
    with pytest.raises(CommandError, match="--profiles"):
        call_command("profiles", "compare", "--status", "x.csv")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("profiles", "compare", "--status", "x", "--profiles", "y", "--format", "xml")
    with pytest.raises(CommandError) as caught:
        call_command(
            "profiles", "compare", "--status", str(tmp_path / "nope.csv"), "--profiles", "y"
        )
    assert caught.value.returncode == 2


# --- as a real subprocess -------------------------------------------------------------------


def kobling(*args, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    return subprocess.run(
        [KOBLING, "profiles", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_kobling_script_compares_crlf_bom_files_and_exits_0(files, tmp_path):
    status, profiles = files
    result = kobling(
        "compare",
        "--status",
        str(status),
        "--profiles",
        str(profiles),
        "--format",
        "json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data[0]["chi2"] == pytest.approx(6.25) and data[0]["df"] == 2
    assert "smoking: no test" in result.stderr


def test_the_kobling_script_exits_1_on_bad_data_and_2_on_bad_usage(tmp_path):
    status = tmp_path / "STATUS.csv"
    profiles = tmp_path / "PROFILES.csv"
    status.write_bytes(b"\xef\xbb\xbfunit_code,has_scheme\r\n0301,true\r\n0301,false\r\n")
    profiles.write_bytes(b"unit_code,indicator,category\r\n0301,x,better\r\n5001,x,worse\r\n")
    bad = kobling(
        "compare", "--status", str(status), "--profiles", str(profiles), tmp_path=tmp_path
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert "STATUS.csv:3: unit_code='0301' Duplicate unit" in bad.stderr
    assert "PROFILES.csv:3: unit_code='5001' Unknown unit" in bad.stderr
    usage = kobling("compare", "--status", str(status), tmp_path=tmp_path)
    assert usage.returncode == 2 and "--profiles" in usage.stderr
    missing = kobling(
        "compare",
        "--status",
        str(tmp_path / "nope.csv"),
        "--profiles",
        str(profiles),
        tmp_path=tmp_path,
    )
    assert missing.returncode == 2 and "nope.csv" in missing.stderr


# --- import ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_stores_categories_all_or_nothing(files, tmp_path):
    _status, profiles = files
    out, _err = run("import", str(profiles), "--period", "2016", "--source", "test")
    assert "Imported 103 rows on 2 indicators: 103 created" in out
    assert ProfileCategory.objects.count() == 103
    assert set(ProfileIndicator.objects.values_list("code", "period")) == {
        ("inactive_youth", "2016"),
        ("smoking", "2016"),
    }
    broken = tmp_path / "broken.csv"
    broken.write_text("unit_code,indicator,category\n7777,new_one,better\n7777,new_one,wrong\n")
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("profiles", "import", str(broken), "--period", "2016", stderr=err)
    assert caught.value.returncode == 1
    assert "broken.csv:3: category='wrong'" in err.getvalue()
    assert not ProfileIndicator.objects.filter(code="new_one").exists()
    assert ProfileCategory.objects.count() == 103


@pytest.mark.django_db
def test_import_json_report_and_dry_run(files):
    _status, profiles = files
    out, _err = run("import", str(profiles), "--period", "2016", "--dry-run", "--json")
    report = json.loads(out)
    assert report["ok"] and report["dry_run"] and report["created"] == 103
    assert not ProfileCategory.objects.exists()


@pytest.mark.django_db
def test_load_demo_loads_the_synthetic_sample_once():
    out, _err = run("load-demo")
    assert "1054 created" in out
    out, _err = run("load-demo")
    assert "0 created, 0 updated, 1054 unchanged" in out
