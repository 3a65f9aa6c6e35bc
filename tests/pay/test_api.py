"""The pay API: timesheets (list with roll-up, one with its lines, bulk approval with a report
per id, refused edits once approved, PDF), the payroll CSV, and expenses (multipart upload with
a receipt, clear 400s, approval, corrections, the audited receipt download). Lists keep a fixed
number of queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kobling.pay import services
from kobling.pay.models import Expense, Timesheet, TimesheetLine
from kobling.pay.months import current_month, next_month
from kobling.tenancy.models import AuditEntry
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def month(m) -> str:
    return f"{m:%Y-%m}"


def rolled(world, m) -> None:
    services.timesheet_roll_up(
        helper_ids=[world.cast.helper_a.pk, world.cast.helper_a2.pk, world.cast.helper_b.pk],
        by=None,
        month=m,
    )


def sheet_of(helper, m) -> Timesheet:
    return Timesheet.objects.get(helper=helper, month=m)


# --- timesheets ---------------------------------------------------------------------------------


def test_listing_a_month_rolls_it_up_and_shows_estimated_totals(world, api):
    response = api(world.cast.coordinator_a).get(f"/api/v1/timesheets/?month={month(world.m1)}")
    assert response.status_code == 200, response.data
    rows = {r["helper"]: r for r in response.data["results"]}
    assert set(rows) == {world.cast.helper_a.pk, world.cast.helper_a2.pk}  # not B's
    a = rows[world.cast.helper_a.pk]
    assert (a["status"], a["is_estimate"], a["month"]) == ("open", True, month(world.m1))
    assert (a["paid_minutes"], a["hours"], a["pay_amount"]) == (105, "1.75", "262.50")
    assert a["hourly_rate"] == "150.00" and a["sessions_held"] == 2


def test_a_contact_lists_only_their_own_timesheets(world, api):
    response = api(world.cast.contact_user_a).get(f"/api/v1/timesheets/?month={month(world.m1)}")
    assert [r["helper"] for r in response.data["results"]] == [world.cast.helper_a.pk]


def test_the_list_filters_by_status_and_helper_and_refuses_a_bad_month(world, api):
    rolled(world, world.m1)
    services.timesheets_approve(
        ids=[sheet_of(world.cast.helper_a, world.m1).pk], by=world.cast.coordinator_a
    )
    client = api(world.cast.coordinator_a)
    approved = client.get("/api/v1/timesheets/?status=approved").data["results"]
    assert [r["helper"] for r in approved] == [world.cast.helper_a.pk]
    assert (
        approved[0]["is_estimate"] is False and approved[0]["approved_by"] == "koordinator@a.test"
    )
    assert (approved[0]["sessions_held"], approved[0]["paid_minutes"]) == (2, 105)
    by_helper = client.get(f"/api/v1/timesheets/?helper={world.cast.helper_a2.pk}").data
    assert [r["helper"] for r in by_helper["results"]] == [world.cast.helper_a2.pk]
    bad = client.get("/api/v1/timesheets/?month=2025-3")
    assert bad.status_code == 400 and "month" in bad.data


def test_one_timesheet_has_its_lines_with_initials_only(world, api):
    rolled(world, world.m1)
    s = sheet_of(world.cast.helper_a, world.m1)
    response = api(world.cast.contact_user_a).get(f"/api/v1/timesheets/{s.pk}/")
    assert response.status_code == 200
    lines = response.data["lines"]
    assert [(line["kind"], line["minutes"], line["participant"]) for line in lines] == [
        ("session", 60, "K. N."),
        ("session", 45, "K. N."),
    ]
    assert "Nordmann" not in response.content.decode()
    assert AuditEntry.objects.filter(
        action="view", object_type="pay.timesheet", object_id=str(s.pk)
    ).exists()


def test_bulk_approval_by_api_with_and_without_the_slash(world, api):
    rolled(world, world.m1)
    rolled(world, world.m2)
    client = api(world.cast.coordinator_a)
    first = sheet_of(world.cast.helper_a, world.m1)
    second = sheet_of(world.cast.helper_a2, world.m1)
    response = client.post(
        "/api/v1/timesheets/approve", {"ids": [first.pk, second.pk]}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["approved"] == 2
    assert all(r["ok"] for r in response.data["results"])
    third = sheet_of(world.cast.helper_a, world.m2)
    response = client.post("/api/v1/timesheets/approve/", {"ids": [third.pk]}, format="json")
    assert response.status_code == 200 and response.data["approved"] == 1


def test_bulk_approval_reports_per_id_and_changes_nothing_when_one_cannot_be_approved(world, api):
    rolled(world, world.m1)
    client = api(world.cast.coordinator_a)
    first = sheet_of(world.cast.helper_a, world.m1)
    second = sheet_of(world.cast.helper_a2, world.m1)
    client.post("/api/v1/timesheets/approve", {"ids": [first.pk]}, format="json")
    response = client.post(
        "/api/v1/timesheets/approve", {"ids": [second.pk, first.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.data["approved"] == 0 and response.data["detail"] == "Nothing was approved."
    results = {r["id"]: r for r in response.data["results"]}
    assert results[second.pk]["ok"] is True
    assert results[first.pk]["ok"] is False and "Already approved" in results[first.pk]["reason"]
    assert sheet_of(world.cast.helper_a2, world.m1).status == "open"
    empty = client.post("/api/v1/timesheets/approve", {"ids": []}, format="json")
    assert empty.status_code == 400 and "ids" in empty.data


def test_editing_an_approved_timesheet_by_api_fails_with_a_clear_error(world, api):
    rolled(world, world.m1)
    s = sheet_of(world.cast.helper_a, world.m1)
    client = api(world.cast.coordinator_a)
    ok = client.patch(
        f"/api/v1/timesheets/{s.pk}/", {"note": "Sjekket", "version": s.version}, format="json"
    )
    assert ok.status_code == 200 and ok.data["note"] == "Sjekket"
    client.post("/api/v1/timesheets/approve", {"ids": [s.pk]}, format="json")
    s.refresh_from_db()
    response = client.patch(
        f"/api/v1/timesheets/{s.pk}/", {"note": "Endret", "version": s.version}, format="json"
    )
    assert response.status_code == 400
    assert "approved and can no longer be changed" in response.data["non_field_errors"][0]
    response = client.post(
        f"/api/v1/timesheets/{s.pk}/adjustments", {"minutes": 30, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    s.refresh_from_db()
    assert s.note == "Sjekket" and s.lines.count() == 2 and s.paid_minutes == 105


def test_a_stale_version_is_a_conflict(world, api):
    rolled(world, world.m1)
    s = sheet_of(world.cast.helper_a, world.m1)
    response = api(world.cast.coordinator_a).patch(
        f"/api/v1/timesheets/{s.pk}/", {"note": "x", "version": 99}, format="json"
    )
    assert response.status_code == 409


def test_adjustments_by_api(world, api):
    rolled(world, world.m1)
    s = sheet_of(world.cast.helper_a, world.m1)
    client = api(world.cast.coordinator_a)
    response = client.post(
        f"/api/v1/timesheets/{s.pk}/adjustments/",
        {"minutes": -15, "reason": "Dobbelt"},
        format="json",
    )
    assert response.status_code == 201 and response.data["minutes"] == -15
    bad = client.post(f"/api/v1/timesheets/{s.pk}/adjustments", {"reason": "x"}, format="json")
    assert bad.status_code == 400 and "minutes" in bad.data
    refused = api(world.cast.contact_user_a).post(
        f"/api/v1/timesheets/{s.pk}/adjustments", {"minutes": 600, "reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    assert TimesheetLine.objects.filter(timesheet=s).count() == 1


def test_the_timesheet_pdf(world, api):
    rolled(world, world.m1)
    s = sheet_of(world.cast.helper_a, world.m1)
    response = api(world.cast.contact_user_a).get(f"/api/v1/timesheets/{s.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# --- payroll export ------------------------------------------------------------------------------


def test_the_payroll_export_by_api(world, api):
    rolled(world, world.m1)
    services.timesheets_approve(
        ids=[sheet_of(world.cast.helper_a, world.m1).pk], by=world.cast.coordinator_a
    )
    response = api(world.cast.coordinator_a).get(
        f"/api/v1/timesheets/export.csv?month={month(world.m1)}"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["municipality_code", "helper_id", "national_id"]
    assert [r[1] for r in rows[1:]] == [str(world.cast.helper_a.pk)]
    assert AuditEntry.objects.filter(action="export", object_type="pay.timesheet").count() == 1


@pytest.mark.parametrize("value", ["future", "", "2025-00", "mars"])
def test_the_payroll_export_refuses_a_bad_or_future_month(world, api, value):
    if value == "future":
        value = month(next_month(current_month()))
    response = api(world.cast.coordinator_a).get(f"/api/v1/timesheets/export.csv?month={value}")
    assert response.status_code == 400 and "month" in response.data
    assert not AuditEntry.objects.filter(action="export").exists()


# --- expenses ------------------------------------------------------------------------------------


def upload(client, **fields):
    data = {"category": "gym_fee", "amount": "450.00", "date": "", "receipt": b.receipt("jpeg")}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/api/v1/expenses/", data, format="multipart")


def test_a_contact_uploads_an_expense_with_a_receipt(world, api):
    client = api(world.cast.contact_user_a)
    response = upload(
        client, date=str(b.day(world.m1, 3)), pairing=world.pairing_a.pk, description="Kort"
    )
    assert response.status_code == 201, response.data
    data = response.data
    assert (data["helper"], data["status"], data["amount"]) == (
        world.cast.helper_a.pk,
        "open",
        "450.00",
    )
    assert data["receipt_content_type"] == "image/jpeg" and data["has_receipt"] is True
    assert data["receipt_url"] == f"/api/v1/expenses/{data['id']}/receipt/"
    assert "/media/" not in str(data)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": None}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-20"}, "amount"),
        ({"receipt": None}, "receipt"),
        (
            {"receipt": SimpleUploadedFile("x.png", b"GIF89a....", content_type="image/png")},
            "receipt",
        ),
        ({"category": "cinema"}, "category"),
    ],
)
def test_bad_expense_input_is_a_400_and_nothing_is_saved(world, api, fields, field):
    fields.setdefault("date", str(b.day(world.m1, 3)))
    response = upload(api(world.cast.contact_user_a), **fields)
    assert response.status_code == 400 and field in response.data, response.data
    assert Expense.objects.count() == 0


def test_a_receipt_over_10_mb_is_refused(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = upload(api(world.cast.contact_user_a), date=str(b.day(world.m1, 3)), receipt=big)
    assert response.status_code == 400 and "too big" in response.data["receipt"][0]


def test_managers_name_the_contact_and_cannot_reach_other_municipalities(world, api):
    client = api(world.cast.coordinator_a)
    ok = upload(client, date=str(b.day(world.m1, 3)), helper=world.cast.helper_a2.pk)
    assert ok.status_code == 201 and ok.data["helper"] == world.cast.helper_a2.pk
    missing = upload(client, date=str(b.day(world.m1, 3)))
    assert missing.status_code == 400 and "helper" in missing.data
    other = upload(client, date=str(b.day(world.m1, 3)), helper=world.cast.helper_b.pk)
    assert other.status_code == 400 and "helper" in other.data


def _expense(world, approve=False):
    e = services.expense_create(
        helper=world.cast.helper_a,
        by=world.cast.contact_user_a,
        date=b.day(world.m1, 3),
        category="transport",
        amount="120",
        receipt=b.receipt("pdf"),
    )
    return services.expense_approve(expense=e, by=world.cast.coordinator_a) if approve else e


def test_approving_and_correcting_an_expense_by_api(world, api):
    e = _expense(world)
    contact, coordinator = api(world.cast.contact_user_a), api(world.cast.coordinator_a)
    unchecked = contact.patch(f"/api/v1/expenses/{e.pk}/", {"amount": "110"}, format="json")
    assert unchecked.status_code == 400 and "version" in unchecked.data
    changed = contact.patch(
        f"/api/v1/expenses/{e.pk}/", {"amount": "110", "version": e.version}, format="json"
    )
    assert changed.status_code == 200 and changed.data["amount"] == "110.00"
    e.refresh_from_db()
    assert (
        contact.post(f"/api/v1/expenses/{e.pk}/approve", {"version": e.version}).status_code == 403
    )
    approved = coordinator.post(f"/api/v1/expenses/{e.pk}/approve", {"version": e.version})
    assert approved.status_code == 200 and approved.data["status"] == "approved"
    again = coordinator.post(f"/api/v1/expenses/{e.pk}/approve/", {"version": e.version})
    assert again.status_code == 400
    e.refresh_from_db()
    refused = coordinator.patch(
        f"/api/v1/expenses/{e.pk}/", {"amount": "1", "version": e.version}, format="json"
    )
    assert refused.status_code == 400
    assert "approved and can no longer be changed" in str(refused.data)
    assert Expense.objects.get(pk=e.pk).amount == Decimal("110.00")
    correction = coordinator.post(
        f"/api/v1/expenses/{e.pk}/correct", {"amount": "-10", "description": "Feil"}, format="json"
    )
    assert correction.status_code == 201 and correction.data["corrects"] == e.pk
    assert correction.data["amount"] == "-10.00"


def test_the_receipt_is_served_only_through_the_scoped_audited_endpoint(world, api):
    e = _expense(world)
    response = api(world.cast.contact_user_a).get(f"/api/v1/expenses/{e.pk}/receipt")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(
        action="view", object_type="pay.expense", object_id=str(e.pk), changes__receipt=True
    ).exists()
    assert api(world.cast.coordinator_b).get(f"/api/v1/expenses/{e.pk}/receipt").status_code == 404
    assert api(world.cast.referrer_a).get(f"/api/v1/expenses/{e.pk}/receipt").status_code == 403
    # No public media address serves it.
    from django.test import Client

    assert Client().get(f"/media/{e.receipt.name}").status_code == 404


# --- fixed query counts -----------------------------------------------------------------------


def _count(client, url):
    client.get(url)  # first call rolls up (writes); measure the steady state
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_timesheet_and_expense_lists_take_the_same_queries_for_2_and_20_rows(cast, api):
    m1 = b.last_month()
    client = api(cast.coordinator_a)
    [first, _second] = b.contacts_with_sessions(cast.programme_a, m1, 2)
    # One approved sheet among the open ones, so both kinds are in both measurements.
    services.timesheet_roll_up(helper_ids=[first.helper_id], by=None, month=m1)
    services.timesheets_approve(
        ids=[Timesheet.objects.get(helper_id=first.helper_id).pk], by=cast.coordinator_a
    )
    small = (
        _count(client, f"/api/v1/timesheets/?month={month(m1)}"),
        _count(client, "/api/v1/expenses/"),
    )
    b.contacts_with_sessions(cast.programme_a, m1, 18)
    large = (
        _count(client, f"/api/v1/timesheets/?month={month(m1)}"),
        _count(client, "/api/v1/expenses/"),
    )
    assert small == large
    assert client.get(f"/api/v1/timesheets/?month={month(m1)}").data["count"] == 20


def test_a_coordinator_who_is_also_the_contact_cannot_approve_their_own_expense(world, api):
    e = _expense(world)
    e.helper.user = world.cast.coordinator_a
    e.helper.save(update_fields=["user"])
    refused = api(world.cast.coordinator_a).post(
        f"/api/v1/expenses/{e.pk}/approve", {"version": e.version}
    )
    assert refused.status_code == 403 and "Your own expense" in refused.data["detail"]
    assert (
        api(world.cast.admin_a)
        .post(f"/api/v1/expenses/{e.pk}/approve", {"version": e.version})
        .status_code
        == 200
    )
