"""Exporting the helper register as CSV and XLSX: scoped, without national identity numbers,
safe to open in a spreadsheet, and in a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kobling.helpers.io import EXPORT_COLUMNS, helpers_export
from kobling.helpers.models import Activity, AvailabilityWindow, Helper, TargetGroup
from kobling.helpers.selectors import helper_list_queryset
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db

NATIONAL_ID = "01019010046"


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def detailed(cast):
    """helper_a2 with every kind of value filled in, and a national id that must never leave."""
    h = cast.helper_a2
    h.national_id = NATIONAL_ID
    h.phone = "+47 912 34 567"
    h.languages = ["nb", "ar"]
    h.latitude = "62.73750"
    h.longitude = "7.16000"
    h.covers_equipment = True
    h.contract_start = dt.date(2024, 1, 15)
    h.home_area = "Bjørnsund"
    h.save()
    h.activities.set(Activity.objects.filter(code__in=["walking", "swimming"]))
    h.target_groups.set(TargetGroup.objects.filter(code="youth"))
    return h


def test_csv_export_has_the_documented_header_and_only_the_callers_municipality(
    cast, api, detailed
):
    response = api(cast.coordinator_a).get("/api/v1/helpers/export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="kontakter-')
    rows = read_csv(response.content)
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert "national_id" not in rows[0]
    by_email = {r[3]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_email) == {cast.helper_a.email, cast.helper_a2.email}
    row = by_email[detailed.email]
    assert row["activities"] == "walking|swimming"
    assert row["target_groups"] == "youth"
    assert row["languages"] == "nb|ar"
    assert row["latitude"] == "62,73750" and row["hourly_rate"] == "150,00"
    assert row["covers_equipment"] == "true" and row["is_unconfirmed"] == "false"
    assert row["contract_start"] == "2024-01-15"
    assert row["home_area"] == "Bjørnsund"
    assert row["phone"] == "'+47 912 34 567"  # formula guard
    assert row["programme"] == cast.programme_a.name and row["municipality"] == cast.a.name
    assert NATIONAL_ID.encode() not in response.content
    assert AuditEntry.objects.filter(action="export", user=cast.coordinator_a).count() == 1


def test_coordinator_of_b_exports_only_b(cast, api, detailed):
    response = api(cast.coordinator_b).get("/api/v1/helpers/export/?format=csv")
    rows = read_csv(response.content)
    assert [r[3] for r in rows[1:]] == [cast.helper_b.email]


def test_xlsx_export_has_the_header_native_values_and_no_national_id(cast, api, detailed):
    response = api(cast.coordinator_a).get("/api/v1/helpers/export/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(response.content)
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 3
    row = dict(zip(rows[0], next(r for r in rows if r[3] == detailed.email), strict=True))
    assert row["contract_start"] == dt.datetime(2024, 1, 15)
    assert row["capacity"] == 2 and row["covers_equipment"] is True
    assert row["activities"] == "walking|swimming"
    assert all(NATIONAL_ID not in str(v) for r in rows for v in r)


def test_formulas_are_neutralised_in_csv_and_xlsx(cast):
    h = cast.helper_a2
    h.first_name = '=HYPERLINK("http://evil.example","klikk")'
    h.last_name = "@SUM(1+1)"
    h.home_area = "-2+3"
    h.screening_notes = "=not exported"
    h.save()
    queryset = helper_list_queryset(Helper.objects.filter(pk=h.pk))

    content, _type, _name = helpers_export(queryset, "csv")
    header, row = read_csv(content)
    values = dict(zip(header, row, strict=True))
    assert values["first_name"] == '\'=HYPERLINK("http://evil.example","klikk")'
    assert values["last_name"] == "'@SUM(1+1)"
    assert values["home_area"] == "'-2+3"

    content, _type, _name = helpers_export(queryset, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
    assert cells["first_name"].data_type == "s"
    assert cells["first_name"].value.startswith("'=")
    assert cells["last_name"].value == "'@SUM(1+1)"
    assert not any(cell.data_type == "f" for cell in cells.values())


def _helpers_with_relations(programme, n: int) -> None:
    activities = list(Activity.objects.all()[:3])
    groups = list(TargetGroup.objects.all()[:2])
    for _ in range(n):
        h = f.HelperFactory(programme=programme)
        h.activities.set(activities)
        h.target_groups.set(groups)
        AvailabilityWindow.objects.create(
            helper=h, weekday=1, start_time=dt.time(17), end_time=dt.time(19)
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_takes_the_same_number_of_queries_for_2_and_30_helpers(fmt):
    counts = []
    for n in (2, 30):
        programme = f.ProgrammeFactory()
        _helpers_with_relations(programme, n)
        queryset = helper_list_queryset(Helper.objects.filter(programme=programme))
        with CaptureQueriesContext(connection) as ctx:
            content, _type, _name = helpers_export(queryset, fmt)
        counts.append(len(ctx.captured_queries))
        rows = read_csv(content) if fmt == "csv" else read_xlsx(content)
        assert len(rows) == n + 1
    assert counts[0] == counts[1], counts


def test_api_export_takes_the_same_number_of_queries_for_2_and_30_helpers(api):
    counts = []
    for n in (2, 30):
        programme = f.ProgrammeFactory()
        coordinator = f.member(f.UserFactory(), programme.municipality, f.Role.COORDINATOR)
        _helpers_with_relations(programme, n)
        client = api(coordinator)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/helpers/export/?format=csv")
        assert response.status_code == 200
        assert len(read_csv(response.content)) == n + 1
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_people_who_do_not_manage_the_register_cannot_export(cast, api):
    for role in ("referrer_a", "contact_a", "analyst", "provider"):
        assert api(cast.roles[role]).get("/api/v1/helpers/export/?format=csv").status_code == 403


def test_coordinator_exports_the_filtered_list_from_the_page(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    response = client.get("/kontakter/eksport/?format=xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert {r[3] for r in rows[1:]} == {cast.helper_a.email, cast.helper_a2.email}
