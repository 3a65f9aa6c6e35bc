"""The unit register: the shipped 2024 snapshot, importing KLASS CSV files all or nothing with a
row report, versions by validity date (a reform closes one version and starts another), the
command and the page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from kobling.national import io
from kobling.national.models import Unit, valid_on_q
from kobling.tenancy.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = '"code";"parentCode";"level";"name";"shortName";"presentationName";"validFrom";"validTo";"notes"\n'


def klass(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


def row(code: str, name: str, valid_from: str = "2024-01-01", valid_to: str = "") -> str:
    return f'"{code}";"";"1";"{name}";"";"";"{valid_from}";"{valid_to}";""'


def test_the_snapshot_has_every_county_and_all_357_municipalities():
    io.load_snapshot()
    on = dt.date(2024, 6, 1)
    valid = Unit.objects.filter(valid_on_q(on))
    assert valid.filter(kind="municipality").count() == 357
    assert valid.filter(kind="county").count() == 15
    assert valid.filter(kind="district").count() == 15
    assert valid.filter(kind="sports_council").count() == 15
    counties = set(valid.filter(kind="county").values_list("code", flat=True))
    assert set(valid.filter(kind="municipality").values_list("county_code", flat=True)) == counties
    assert valid.get(kind="municipality", code="0301").name == "Oslo"
    assert valid.get(kind="municipality", code="5001").name == "Trondheim"
    assert valid.get(kind="municipality", code="1580").name == "Haram"  # split off in 2024
    assert valid.get(kind="district", code="030101").name == "Gamle Oslo"
    assert valid.get(kind="sports_council", code="IK50").county_code == "50"
    assert "snapshot" in valid.get(kind="municipality", code="0301").source
    # Loading again changes nothing.
    assert io.load_snapshot()["municipality"] == {"unchanged": 357}


def test_the_snapshot_files_state_their_source_and_validity():
    for filename in io.SNAPSHOT_FILES.values():
        head = (io.DATA_DIR / filename).read_text(encoding="utf-8").split('"code"')[0]
        assert "2024-01-01" in head, filename
        assert "KLASS" in head or "idrettskrets" in head or "without network access" in head
        assert "#" in head


def test_a_file_with_any_bad_row_imports_nothing_and_names_every_bad_row():
    data = klass(
        row("3101", "Halden"),
        row("31O3", "Moss"),
        row("3105", ""),
        row("3107", "Fredrikstad", valid_from="2024-13-01"),
        row("3101", "Halden igjen"),
        row("3110", "Hvaler", valid_to="2023-01-01"),
    )
    report = io.units_import(data=data, kind="municipality", by=None)
    assert not report.ok and not report.saved
    assert Unit.objects.count() == 0
    bad = {r.line: r.errors for r in report.rows if r.errors}
    assert sorted(bad) == [3, 4, 5, 6, 7]
    assert "31O3" in bad[3][0]
    assert "missing" in bad[4][0]
    assert "2024-13-01" in bad[5][0]
    assert "line 2" in bad[6][0]
    assert "after" in bad[7][0]


def test_a_missing_column_is_reported():
    report = io.units_import(data=b"kode;navn\n0301;Oslo\n", kind="municipality", by=None)
    assert not report.ok and "code, name" in report.errors[0]


def test_a_rename_closes_the_old_version_and_a_vanished_unit_is_closed():
    io.units_import(
        data=klass(row("1507", "Ålesund", "2020-01-01"), row("1506", "Molde", "2020-01-01")),
        kind="municipality",
        by=None,
    )
    report = io.units_import(
        data=klass(row("1506", "Molde"), row("1508", "Ålesund"), row("1580", "Haram")),
        kind="municipality",
        by=None,
    )
    assert report.ok and report.counts() == {"unchanged": 1, "created": 2, "closed": 1}
    old = Unit.objects.get(code="1507")
    assert old.valid_to == dt.date(2024, 1, 1)
    assert old.is_valid_on(dt.date(2023, 12, 31)) and not old.is_valid_on(dt.date(2024, 1, 1))
    assert Unit.objects.filter(code="1506").count() == 1  # same name: one version kept

    renamed = io.units_import(
        data=klass(row("1506", "Molde", "2020-01-01"), row("1506", "Nye Molde", "2025-01-01")),
        kind="municipality",
        by=None,
    )
    assert renamed.ok, renamed.as_json()
    versions = list(Unit.objects.filter(code="1506").order_by("valid_from"))
    assert [(v.name, v.valid_to) for v in versions] == [
        ("Molde", dt.date(2025, 1, 1)),
        ("Nye Molde", None),
    ]


def test_comma_separated_windows_1252_and_a_bom_are_read():
    text = "code,name,validFrom\n4601,Bergen,2024-01-01\n4650,Gloppen,2024-01-01\n"
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode()):
        Unit.objects.all().delete()
        report = io.units_import(data=data, kind="municipality", by=None)
        assert report.ok and report.counts() == {"created": 2}, report.as_json()


def test_without_valid_from_in_the_file_the_given_date_is_used():
    report = io.units_import(
        data=b"code;name\n0301;Oslo\n",
        kind="municipality",
        by=None,
        valid_from=dt.date(2024, 1, 1),
    )
    assert report.ok and Unit.objects.get().valid_from == dt.date(2024, 1, 1)
    report = io.units_import(data=b"code;name\n0301;Oslo\n", kind="district", by=None)
    assert not report.ok  # no date, and 0301 is not a district code


def test_the_command_imports_and_fails_loudly(tmp_path, capsys):
    good = tmp_path / "kommuner.csv"
    good.write_bytes(klass(row("0301", "Oslo"), row("1103", "Stavanger")))
    call_command("national", "import-units", str(good), "--kind", "municipality", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["saved"] and out["counts"] == {"created": 2}
    assert AuditEntry.objects.filter(object_type="national.unit", action="create").exists()

    bad = tmp_path / "feil.csv"
    bad.write_bytes(klass(row("0301", "Oslo"), row("x", "Feil")))
    with pytest.raises(CommandError):
        call_command("national", "import-units", str(bad), "--kind", "municipality")
    assert "line 3" in capsys.readouterr().err
    assert Unit.objects.count() == 2

    counties = tmp_path / "fylker.csv"
    counties.write_bytes(klass(row("03", "Oslo")))
    call_command("national", "import-units", str(counties), "--kind", "county", "--dry-run")
    assert "dry run" in capsys.readouterr().out
    assert Unit.objects.filter(kind="county").count() == 0  # checked, not saved


def test_the_import_page_reports_rows_and_saves_all_or_nothing(cast, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web(cast.analyst)
    bad = SimpleUploadedFile("k.csv", klass(row("0301", "Oslo"), row("03x1", "Feil")))
    response = client.post("/nasjonalt/enheter/import/", {"kind": "municipality", "file": bad})
    assert response.status_code == 400
    assert "03x1" in response.content.decode() and Unit.objects.count() == 0
    good = SimpleUploadedFile("k.csv", klass(row("0301", "Oslo")))
    response = client.post("/nasjonalt/enheter/import/", {"kind": "municipality", "file": good})
    assert response.status_code == 200 and Unit.objects.get().name == "Oslo"
