"""The payroll CSV (documented columns, formulas neutralised, national identity numbers only for
managers, audited as an export) and the PDF per contact per month (initials only, no health
details)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kobling.pay import ledger, services
from kobling.pay.export import (
    PAYROLL_COLUMNS,
    payroll_csv,
    timesheet_document_html,
    timesheet_pdf,
)
from kobling.pay.models import Timesheet
from kobling.pay.months import current_month, next_month, parse_month
from kobling.referrals.identity import synthetic_national_id
from kobling.tenancy.models import AuditEntry
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_month(world):
    cast = world.cast
    cast.helper_a.national_id = synthetic_national_id(dt.date(1990, 5, 17))
    cast.helper_a.save()
    cast.helper_a2.first_name = '=HYPERLINK("http://evil")'
    cast.helper_a2.hourly_rate = Decimal("165.00")
    cast.helper_a2.save()
    expense = services.expense_create(
        helper=cast.helper_a,
        by=cast.contact_user_a,
        date=b.day(world.m1, 9),
        category="equipment",
        amount="199.90",
        pairing=world.pairing_a,
        receipt=b.receipt("pdf"),
    )
    services.expense_approve(expense=expense, by=cast.coordinator_a)
    helpers = [cast.helper_a.pk, cast.helper_a2.pk, cast.helper_b.pk]
    services.timesheet_roll_up(helper_ids=helpers, by=cast.coordinator_a, month=world.m1)
    sheets = Timesheet.objects.filter(helper__in=[cast.helper_a, cast.helper_a2], month=world.m1)
    services.timesheets_approve(ids=[s.pk for s in sheets], by=cast.coordinator_a)
    return world


def read(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_payroll_csv_has_the_documented_columns_and_numbers(approved_month):
    world = approved_month
    content, filename = payroll_csv(user=world.cast.coordinator_a, month=world.m1)
    assert filename == f"lonn-{world.m1:%Y-%m}.csv"
    header, *rows = read(content)
    assert tuple(header) == PAYROLL_COLUMNS
    by_id = {int(r[1]): dict(zip(header, r, strict=True)) for r in rows}
    a = by_id[world.cast.helper_a.pk]
    assert a["municipality_code"] == "9001"
    assert a["national_id"] == world.cast.helper_a.national_id
    assert a["name"] == "Astrid Aas"
    assert a["month"] == f"{world.m1:%Y-%m}"
    assert (a["hours"], a["hourly_rate"], a["pay_amount"]) == ("1,75", "150,00", "262,50")
    assert (a["expenses_total"], a["total"]) == ("199,90", "462,40")
    a2 = by_id[world.cast.helper_a2.pk]
    assert (a2["hours"], a2["hourly_rate"], a2["pay_amount"]) == ("2,00", "165,00", "330,00")
    assert a2["national_id"] == ""


def test_spreadsheet_formulas_in_the_csv_are_neutralised(approved_month):
    content, _name = payroll_csv(user=approved_month.cast.coordinator_a, month=approved_month.m1)
    names = [row[3] for row in read(content)[1:]]
    assert '\'=HYPERLINK("http://evil") Aasen' in names
    assert not any(name.startswith("=") for name in names)


def test_only_approved_sheets_of_the_callers_municipalities_are_exported(approved_month):
    world = approved_month
    content, _name = payroll_csv(user=world.cast.coordinator_a, month=world.m1)
    assert len(read(content)) == 3  # header + two approved; helper_b (B) is not there
    content_b, _name = payroll_csv(user=world.cast.coordinator_b, month=world.m1)
    assert read(content_b) == [list(PAYROLL_COLUMNS)]  # B's sheet is open
    content_contact, _name = payroll_csv(user=world.cast.contact_user_a, month=world.m1)
    assert read(content_contact) == [list(PAYROLL_COLUMNS)]


def test_the_export_is_audited_with_the_timesheets_it_held(approved_month):
    world = approved_month
    payroll_csv(user=world.cast.coordinator_a, month=world.m1)
    entry = AuditEntry.objects.get(action="export", object_type="pay.timesheet")
    assert entry.municipality_id == world.cast.a.pk and entry.user == world.cast.coordinator_a
    ids = set(Timesheet.objects.filter(status="approved").values_list("pk", flat=True))
    assert {int(i) for i in entry.changes["ids"]} == ids
    assert entry.changes["national_id"] is True


def test_a_month_in_the_future_cannot_be_exported(world):
    with pytest.raises(ValidationError) as error:
        parse_month(f"{next_month(current_month()):%Y-%m}")
    assert "in the future" in error.value.message_dict["month"][0]
    for bad in ("2025-13", "March", "", None):
        with pytest.raises(ValidationError):
            parse_month(bad)


def _view(sheet_pk):
    sheet = Timesheet.objects.select_related("helper", "municipality").get(pk=sheet_pk)
    return ledger.sheet_views([sheet])[sheet.pk]


def test_the_pdf_lists_sessions_by_initials_adjustments_expenses_and_totals(approved_month):
    world = approved_month
    sheet = Timesheet.objects.get(helper=world.cast.helper_a, month=world.m1)
    html = timesheet_document_html(_view(sheet.pk), lang="en")
    assert "K. N." in html  # Kari Nordmann
    assert "Nordmann" not in html and "Kari" not in html
    assert "262.50" in html and "462.40" in html and "199.90" in html
    assert "Approved on" in html
    pdf = timesheet_pdf(_view(sheet.pk))
    assert pdf.startswith(b"%PDF")


def test_the_pdf_of_an_open_sheet_says_it_is_an_estimate(world):
    services.timesheet_roll_up(helper_ids=[world.cast.helper_a.pk], by=None, month=world.m1)
    sheet = Timesheet.objects.get(helper=world.cast.helper_a, month=world.m1)
    html = timesheet_document_html(_view(sheet.pk), lang="en")
    assert "Not approved" in html and "K. N." in html
