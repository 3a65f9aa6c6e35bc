"""The pay pages: the coordinator's month (totals, approve the selected, CSV, PDF), one timesheet,
expenses with receipts, the pay settings, and the contact's "My hours" with an expense recorded
from the phone. Bad input gives a clear message and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.pay import services
from kobling.pay.models import Expense, PaySettings, Timesheet
from kobling.pay.months import current_month, next_month
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def month(m) -> str:
    return f"{m:%Y-%m}"


def test_the_month_page_lists_timesheets_with_totals_and_checkboxes(world):
    page = signed_in(world.cast.coordinator_a).get(reverse("web:pay_month"))
    assert page.status_code == 200
    assert page.context["month"] == world.m1  # last month by default
    text = page.content.decode()
    assert "Astrid Aas" in text and "Anders Aasen" in text and "Berit" not in text
    assert "262.50" in text and "Approve selected" in text
    sheet = Timesheet.objects.get(helper=world.cast.helper_a, month=world.m1)
    assert f'name="ids" value="{sheet.pk}"' in text
    assert reverse("web:timesheet_pdf", args=[sheet.pk]) in text
    assert f"{reverse('web:pay_export')}?month={month(world.m1)}" in text


def test_the_current_month_shows_estimates_without_approval(world):
    b.held(world.pairing_a, current_month(), 30)
    page = signed_in(world.cast.coordinator_a).get(
        reverse("web:pay_month"), {"month": month(current_month())}
    )
    assert page.status_code == 200 and 'name="ids"' not in page.content.decode()
    assert "The month is not over yet" in page.content.decode()


def test_a_future_or_bad_month_falls_back_with_a_message(world):
    client = signed_in(world.cast.coordinator_a)
    for value in (month(next_month(current_month())), "2025-13"):
        page = client.get(reverse("web:pay_month"), {"month": value})
        assert page.status_code == 200 and page.context["month"] == world.m1
        assert any("month" in str(m).lower() for m in page.context["messages"])


def test_approve_selected_from_the_month_page(world):
    client = signed_in(world.cast.coordinator_a)
    client.get(reverse("web:pay_month"))
    ids = list(Timesheet.objects.filter(municipality=world.cast.a).values_list("pk", flat=True))
    response = client.post(
        reverse("web:pay_approve"), {"ids": ids, "month": month(world.m1)}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith(f"?month={month(world.m1)}")
    assert "2 timesheet(s) approved" in response.content.decode()
    assert Timesheet.objects.filter(pk__in=ids, status="approved").count() == 2
    # Approving again: reported, nothing changes, no crash.
    again = client.post(
        reverse("web:pay_approve"), {"ids": ids, "month": month(world.m1)}, follow=True
    )
    text = again.content.decode()
    assert (
        again.status_code == 200 and "Nothing was approved" in text and "Already approved" in text
    )


def test_approval_from_the_page_is_all_or_nothing(world):
    client = signed_in(world.cast.coordinator_a)
    client.get(reverse("web:pay_month"))
    first, second = Timesheet.objects.filter(municipality=world.cast.a).order_by("pk")
    services.timesheets_approve(ids=[first.pk], by=world.cast.coordinator_a)
    response = client.post(
        reverse("web:pay_approve"),
        {"ids": [first.pk, second.pk], "month": month(world.m1)},
        follow=True,
    )
    assert "Nothing was approved" in response.content.decode()
    assert Timesheet.objects.get(pk=second.pk).status == "open"


def test_the_payroll_csv_from_the_page_and_a_future_month_refused(world):
    client = signed_in(world.cast.coordinator_a)
    response = client.get(reverse("web:pay_export"), {"month": month(world.m1)})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    refused = client.get(
        reverse("web:pay_export"), {"month": month(next_month(current_month()))}, follow=True
    )
    assert "is in the future" in refused.content.decode()


def test_one_timesheet_page_and_its_pdf(world):
    services.timesheet_roll_up(helper_ids=[world.cast.helper_a.pk], by=None, month=world.m1)
    sheet = Timesheet.objects.get(helper=world.cast.helper_a, month=world.m1)
    contact = signed_in(world.cast.contact_user_a)
    page = contact.get(reverse("web:timesheet_detail", args=[sheet.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "K. N." in text and "Nordmann" not in text
    assert "Add an adjustment" not in text  # not for the contact
    manager_page = signed_in(world.cast.coordinator_a).get(
        reverse("web:timesheet_detail", args=[sheet.pk])
    )
    assert "Add an adjustment" in manager_page.content.decode()
    pdf = contact.get(reverse("web:timesheet_pdf", args=[sheet.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_editing_an_approved_timesheet_from_the_page_is_refused(world):
    services.timesheet_roll_up(helper_ids=[world.cast.helper_a.pk], by=None, month=world.m1)
    sheet = Timesheet.objects.get(helper=world.cast.helper_a, month=world.m1)
    services.timesheets_approve(ids=[sheet.pk], by=world.cast.coordinator_a)
    client = signed_in(world.cast.coordinator_a)
    page = client.get(reverse("web:timesheet_detail", args=[sheet.pk]))
    assert "Add an adjustment" not in page.content.decode()
    response = client.post(
        reverse("web:timesheet_adjust", args=[sheet.pk]),
        {"minutes": "30", "reason": "x"},
        follow=True,
    )
    assert "approved and can no longer be changed" in response.content.decode()
    response = client.post(
        reverse("web:timesheet_note", args=[sheet.pk]),
        {"note": "x", "version": Timesheet.objects.get(pk=sheet.pk).version},
        follow=True,
    )
    assert "approved and can no longer be changed" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.note == "" and sheet.lines.count() == 2


def test_my_hours_shows_the_contacts_own_timesheets_and_expenses(world):
    page = signed_in(world.cast.contact_user_a).get(reverse("web:my_hours"))
    assert page.status_code == 200
    months = {s.month for s, _v in page.context["rows"]}
    assert months == {world.m1, world.m2}
    assert all(s.helper_id == world.cast.helper_a.pk for s, _v in page.context["rows"])
    assert reverse("web:expense_create") in page.content.decode()


def test_a_contact_records_an_expense_with_a_photo_from_the_phone(world):
    client = signed_in(world.cast.contact_user_a)
    form = client.get(reverse("web:expense_create"))
    text = form.content.decode()
    assert 'enctype="multipart/form-data"' in text
    assert 'accept="application/pdf,image/jpeg,image/png"' in text
    assert 'inputmode="decimal"' in text
    assert 'name="helper"' not in text  # their own, no choice
    assert "Kari" in text and "Nordmann" not in text  # the pairing by first name
    response = client.post(
        reverse("web:expense_create"),
        {
            "date": str(b.day(world.m1, 2)),
            "category": "transport",
            "amount": "89,50",
            "description": "Buss",
            "pairing": world.pairing_a.pk,
            "receipt": b.receipt("jpeg", name="IMG_0001.jpg"),
        },
    )
    expense = Expense.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:expense_detail", args=[expense.pk])
    assert (expense.amount, expense.helper_id, expense.receipt_name) == (
        Decimal("89.50"),
        world.cast.helper_a.pk,
        "IMG_0001.jpg",
    )
    detail = client.get(response["Location"])
    assert reverse("web:expense_receipt", args=[expense.pk]) in detail.content.decode()
    receipt = client.get(reverse("web:expense_receipt", args=[expense.pk]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "image/jpeg"


def test_a_coordinator_must_choose_whose_expense_it_is(world):
    client = signed_in(world.cast.coordinator_a)
    assert 'name="helper"' in client.get(reverse("web:expense_create")).content.decode()
    data = {
        "date": str(b.day(world.m1, 2)),
        "category": "transport",
        "amount": "89,50",
        "receipt": b.receipt("pdf"),
    }
    response = client.post(reverse("web:expense_create"), data)
    assert response.status_code == 200 and "Choose the contact." in response.content.decode()
    assert Expense.objects.count() == 0
    data["receipt"] = b.receipt("pdf")
    response = client.post(
        reverse("web:expense_create"), {**data, "helper": world.cast.helper_a2.pk}
    )
    assert response.status_code == 302
    assert Expense.objects.get().helper_id == world.cast.helper_a2.pk


def test_the_expense_forms_audit_the_participants_they_offer(world):
    signed_in(world.cast.coordinator_a).get(reverse("web:expense_create"))
    entry = AuditEntry.objects.get(action="view", object_type="followup.pairing")
    assert sorted(entry.changes["ids"]) == sorted(
        [str(world.pairing_a.pk), str(world.pairing_a2.pk)]
    )
    assert entry.municipality_id == world.cast.a.pk
    expense = services.expense_create(
        helper=world.cast.helper_a,
        by=world.cast.contact_user_a,
        date=b.day(world.m1, 2),
        category="equipment",
        amount="300",
        receipt=b.receipt("pdf"),
    )
    signed_in(world.cast.contact_user_a).get(reverse("web:expense_edit", args=[expense.pk]))
    assert AuditEntry.objects.filter(
        action="view", object_type="pay.expense", object_id=str(expense.pk)
    ).exists()
    assert AuditEntry.objects.filter(
        action="view", object_type="followup.pairing", user=world.cast.contact_user_a
    ).get().changes == {"ids": [str(world.pairing_a.pk)]}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": ""}, "Give the amount."),
        ({"amount": "0"}, "The amount must be more than 0."),
        ({"amount": "-5"}, "The amount must be more than 0."),
        ({"receipt": None}, "Attach the receipt"),
        ({"receipt": "gif"}, "must be a PDF, JPEG or PNG"),
    ],
)
def test_bad_expense_input_on_the_page_is_explained_and_nothing_saved(world, fields, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "date": str(b.day(world.m1, 2)),
        "category": "equipment",
        "amount": "100",
        "receipt": b.receipt("png"),
    }
    data.update(fields)
    if data["receipt"] == "gif":
        data["receipt"] = SimpleUploadedFile("x.png", b"GIF89a.....", content_type="image/png")
    data = {k: v for k, v in data.items() if v is not None}
    response = signed_in(world.cast.contact_user_a).post(reverse("web:expense_create"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert Expense.objects.count() == 0


def test_approving_and_correcting_an_expense_on_the_page(world):
    expense = services.expense_create(
        helper=world.cast.helper_a,
        by=world.cast.contact_user_a,
        date=b.day(world.m1, 2),
        category="equipment",
        amount="300",
        receipt=b.receipt("pdf"),
    )
    client = signed_in(world.cast.coordinator_a)
    client.post(reverse("web:expense_approve", args=[expense.pk]), {"version": expense.version})
    expense.refresh_from_db()
    assert expense.status == "approved"
    edit = signed_in(world.cast.contact_user_a).get(
        reverse("web:expense_edit", args=[expense.pk]), follow=True
    )
    assert "approved and can no longer be changed" in edit.content.decode()
    response = client.post(
        reverse("web:expense_correct", args=[expense.pk]),
        {"amount": "-100", "description": "Retur"},
    )
    correction = Expense.objects.get(corrects=expense)
    assert response["Location"] == reverse("web:expense_detail", args=[correction.pk])
    assert correction.amount == Decimal("-100.00")
    expense.refresh_from_db()
    assert expense.amount == Decimal("300.00")


def test_the_pay_settings_page_sets_preparation_minutes(world):
    client = signed_in(world.cast.coordinator_a)
    page = client.get(reverse("web:pay_settings"))
    assert page.status_code == 200
    prefix = f"p{world.cast.programme_a.pk}"
    response = client.post(
        reverse("web:pay_settings"),
        {
            "programme": world.cast.programme_a.pk,
            f"{prefix}-extra_minutes_per_session": "20",
            f"{prefix}-coordination_cost_per_year": "50000",
        },
    )
    assert response.status_code == 302
    settings = PaySettings.objects.get(programme=world.cast.programme_a)
    assert (settings.extra_minutes_per_session, settings.coordination_cost_per_year) == (
        20,
        Decimal("50000.00"),
    )
    bad = client.post(
        reverse("web:pay_settings"),
        {"programme": world.cast.programme_a.pk, f"{prefix}-extra_minutes_per_session": "500"},
    )
    assert bad.status_code == 200
    assert PaySettings.objects.get(programme=world.cast.programme_a).extra_minutes_per_session == 20
    other = client.post(
        reverse("web:pay_settings"),
        {
            "programme": world.cast.programme_b.pk,
            f"p{world.cast.programme_b.pk}-extra_minutes_per_session": "5",
        },
    )
    assert other.status_code == 404
    assert not PaySettings.objects.filter(programme=world.cast.programme_b).exists()


def _count(client, url):
    client.get(url)  # the first view rolls the month up (writes); measure the steady state
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_month_and_expense_pages_take_the_same_queries_for_2_and_20_rows(cast):
    m1 = b.last_month()
    client = signed_in(cast.coordinator_a)
    pages = (f"{reverse('web:pay_month')}?month={month(m1)}", reverse("web:expense_list"))
    b.contacts_with_sessions(cast.programme_a, m1, 2)
    small = [_count(client, url) for url in pages]
    b.contacts_with_sessions(cast.programme_a, m1, 18)
    large = [_count(client, url) for url in pages]
    assert small == large
