"""Expenses with receipts: what may be recorded (and the clear errors for what may not), approval,
immutability once approved, corrections as new entries, and how approved expenses are paid with
the next approved timesheet."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kobling.pay import ledger, services
from kobling.pay.choices import RECEIPT_MAX_BYTES, LineKind
from kobling.pay.models import Expense, Timesheet
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def record(world, *, by=None, helper=None, **overrides):
    values = {
        "date": b.day(world.m1, 8),
        "category": "gym_fee",
        "amount": Decimal("450.00"),
        "description": "Månedskort",
        "pairing": world.pairing_a,
        "receipt": b.receipt("jpeg"),
    }
    values.update(overrides)
    return services.expense_create(
        helper=helper or world.cast.helper_a, by=by or world.cast.contact_user_a, **values
    )


def test_a_contact_records_their_own_expense_with_a_photo_of_the_receipt(world):
    expense = record(world)
    assert expense.status == "open" and expense.amount == Decimal("450.00")
    assert (
        expense.receipt_content_type == "image/jpeg" and expense.receipt_name == "kvittering.jpeg"
    )
    assert expense.receipt.name.startswith(f"receipts/{world.cast.a.pk}/")
    assert expense.receipt.name.endswith(".jpg")
    with expense.receipt.open("rb") as handle:
        assert handle.read(3) == b"\xff\xd8\xff"
    entry = AuditEntry.objects.get(object_type="pay.expense", action="create")
    assert entry.changes["amount"] == "450.00"


@pytest.mark.parametrize("kind", ["pdf", "png", "jpeg"])
def test_pdf_png_and_jpeg_receipts_are_accepted(world, kind):
    assert record(world, receipt=b.receipt(kind)).receipt_content_type.endswith(
        {"pdf": "pdf", "png": "png", "jpeg": "jpeg"}[kind]
    )


def test_receipts_never_get_a_public_url(world):
    expense = record(world)
    with pytest.raises(ValueError, match="no public URL"):
        expense.receipt.url  # noqa: B018


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (None, "Give the amount."),
        ("", "Give the amount."),
        (Decimal("0"), "The amount must be more than 0."),
        (Decimal("-10"), "The amount must be more than 0."),
        ("abc", "Give the amount as a number"),
        ("10.555", "At most two decimals"),
        (Decimal("100000.01"), "At most 100000.00 NOK"),
    ],
)
def test_an_expense_without_a_proper_amount_is_refused_and_nothing_is_saved(world, amount, message):
    with pytest.raises(ValidationError) as error:
        record(world, amount=amount)
    assert message in error.value.message_dict["amount"][0]
    assert Expense.objects.count() == 0


def test_a_receipt_of_the_wrong_type_is_refused(world):
    fake = SimpleUploadedFile("kvittering.pdf", b"<html>not a pdf</html>", "application/pdf")
    with pytest.raises(ValidationError) as error:
        record(world, receipt=fake)
    assert "PDF, JPEG or PNG" in error.value.message_dict["receipt"][0]
    assert Expense.objects.count() == 0


def test_a_receipt_that_is_too_big_is_refused(world):
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * RECEIPT_MAX_BYTES, "application/pdf")
    with pytest.raises(ValidationError) as error:
        record(world, receipt=big)
    assert "too big" in error.value.message_dict["receipt"][0]
    assert Expense.objects.count() == 0


def test_a_missing_receipt_date_or_category_is_refused(world):
    with pytest.raises(ValidationError) as error:
        record(world, receipt=None, date=None, category="")
    assert set(error.value.message_dict) == {"receipt", "date", "category"}


def test_a_future_date_or_someone_elses_pairing_is_refused(world):
    import datetime as dt

    from django.utils import timezone

    with pytest.raises(ValidationError) as error:
        record(
            world,
            date=timezone.localdate() + dt.timedelta(days=1),
            pairing=world.pairing_a2,
        )
    assert set(error.value.message_dict) == {"date", "pairing"}


def test_only_the_contact_and_managers_record_for_a_contact(world):
    record(world, by=world.cast.coordinator_a)  # a coordinator for a contact of A
    for user in (world.cast.referrer_a, world.cast.coordinator_b):
        with pytest.raises(PermissionDenied):
            record(world, by=user)
    with pytest.raises(PermissionDenied):  # a contact for another contact
        record(world, by=world.cast.contact_user_a, helper=world.cast.helper_a2, pairing=None)


def test_approved_expenses_never_change_and_corrections_are_new_entries(world):
    expense = record(world)
    updated = services.expense_update(
        expense=expense, by=world.cast.contact_user_a, amount="400", expected_version=1
    )
    assert updated.amount == Decimal("400.00") and updated.version == 2
    approved = services.expense_approve(expense=updated, by=world.cast.coordinator_a)
    assert approved.status == "approved" and approved.approved_by == world.cast.coordinator_a
    with pytest.raises(ValidationError, match="approved and can no longer be changed"):
        services.expense_update(expense=approved, by=world.cast.coordinator_a, amount="1")
    approved.amount = Decimal("1")
    with pytest.raises(ValidationError):
        approved.save()
    with pytest.raises(ValidationError):
        approved.delete()
    with pytest.raises(ValidationError, match="already approved"):
        services.expense_approve(expense=approved, by=world.cast.coordinator_a)
    assert Expense.objects.get(pk=expense.pk).amount == Decimal("400.00")

    correction = services.expense_correct(
        original=approved,
        amount="-150",
        description="Delvis refundert",
        by=world.cast.coordinator_a,
    )
    assert correction.corrects_id == expense.pk and correction.amount == Decimal("-150.00")
    assert correction.status == "open" and correction.pairing_id == expense.pairing_id
    with pytest.raises(ValidationError) as error:
        services.expense_correct(
            original=approved, amount="-300", description="For mye", by=world.cast.coordinator_a
        )
    assert "below 0" in error.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as error:
        services.expense_correct(
            original=approved, amount="0", description="", by=world.cast.coordinator_a
        )
    assert set(error.value.message_dict) == {"amount", "description"}


def test_an_open_expense_is_changed_not_corrected_and_only_managers_approve(world):
    expense = record(world)
    with pytest.raises(ValidationError, match="still open"):
        services.expense_correct(
            original=expense, amount="-1", description="x", by=world.cast.coordinator_a
        )
    with pytest.raises(PermissionDenied):
        services.expense_approve(expense=expense, by=world.cast.contact_user_a)


def test_a_correction_is_the_managers_the_contact_cannot_change_it_before_approval(world, api):
    approved = services.expense_approve(expense=record(world), by=world.cast.coordinator_a)
    correction = services.expense_correct(
        original=approved,
        amount="-150",
        description="Delvis refundert",
        by=world.cast.coordinator_a,
    )
    contact = world.cast.contact_user_a
    with pytest.raises(PermissionDenied):
        services.expense_update(expense=correction, by=contact, amount="5000")
    response = api(contact).patch(
        f"/api/v1/expenses/{correction.pk}/", {"amount": "5000.00"}, format="json"
    )
    assert response.status_code == 403
    page = signed_in(contact)
    assert page.get(reverse("web:expense_edit", args=[correction.pk])).status_code == 403
    assert b'href="' + reverse("web:expense_edit", args=[correction.pk]).encode() not in (
        page.get(reverse("web:expense_detail", args=[correction.pk])).content
    )
    # Their own open expense they still change.
    assert services.expense_update(expense=record(world), by=contact, amount="10").amount == 10
    # A manager changes the correction, but never below 0 in all.
    with pytest.raises(ValidationError, match="below 0"):
        services.expense_update(expense=correction, by=world.cast.coordinator_a, amount="-451")
    changed = services.expense_update(
        expense=correction, by=world.cast.coordinator_a, amount="-450"
    )
    assert Expense.objects.get(pk=correction.pk).amount == changed.amount == Decimal("-450.00")


def test_an_expense_changed_after_the_manager_looked_is_not_approved(world, api):
    from kobling.lib.errors import ConflictError

    expense = record(world)  # version 1: what the coordinator sees
    services.expense_update(expense=expense, by=world.cast.contact_user_a, amount="4500")
    coordinator = world.cast.coordinator_a
    with pytest.raises(ConflictError):
        services.expense_approve(expense=expense, by=coordinator, expected_version=1)
    response = api(coordinator).post(
        f"/api/v1/expenses/{expense.pk}/approve", {"version": 1}, format="json"
    )
    assert response.status_code == 409
    signed_in(coordinator).post(reverse("web:expense_approve", args=[expense.pk]), {"version": "1"})
    assert Expense.objects.get(pk=expense.pk).status == "open"
    page = signed_in(coordinator).get(reverse("web:expense_detail", args=[expense.pk]))
    assert b'name="version" value="2"' in page.content
    approved = api(coordinator).post(
        f"/api/v1/expenses/{expense.pk}/approve", {"version": 2}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["amount"] == "4500.00"


def test_approved_expenses_are_paid_with_the_next_approved_timesheet(world):
    paid = services.expense_approve(expense=record(world), by=world.cast.coordinator_a)
    waiting = record(world, amount=Decimal("99.00"), category="equipment")
    services.timesheet_roll_up(helper_ids=[world.cast.helper_a.pk], by=None, month=world.m1)
    sheet = Timesheet.objects.select_related("helper").get(
        helper=world.cast.helper_a, month=world.m1
    )
    view = ledger.sheet_views([sheet])[sheet.pk]
    assert [r.expense_id for r in view.expense_rows] == [paid.pk]
    assert [r.expense_id for r in view.awaiting] == [waiting.pk]
    assert view.figures.total_amount == Decimal("262.50") + Decimal("450.00")
    services.timesheets_approve(ids=[sheet.pk], by=world.cast.coordinator_a)
    sheet.refresh_from_db()
    assert (sheet.expenses_total, sheet.total_amount) == (Decimal("450.00"), Decimal("712.50"))
    assert sheet.lines.get(kind=LineKind.EXPENSE).expense_id == paid.pk
    # Approved after its month's sheet: paid on the next open sheet (this month's).
    services.expense_approve(expense=waiting, by=world.cast.coordinator_a)
    done = services.timesheet_roll_up(helper_ids=[world.cast.helper_a.pk], by=None)
    [current] = [s for s in done.sheets if s.month > world.m1]
    current = Timesheet.objects.select_related("helper").get(pk=current.pk)
    assert [r.expense_id for r in ledger.sheet_views([current])[current.pk].expense_rows] == [
        waiting.pk
    ]


def _photo_with_location() -> bytes:
    """A JPEG as a phone takes it: EXIF with the camera, the time and the GPS position, and an
    orientation that says 'turn me a quarter'."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Telefonprodusent"  # Make
    exif[0x0132] = "2026:11:30 12:00:00"  # DateTime
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[0x8825] = {1: "N", 2: (63.0, 25.0, 0.0), 3: "E", 4: (10.0, 23.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_receipt_is_kept_without_its_exif_and_turned_upright(world):
    from PIL import Image

    photo = _photo_with_location()
    assert b"Telefonprodusent" in photo
    expense = record(world, receipt=SimpleUploadedFile("bilde.jpg", photo, "image/jpeg"))
    with expense.receipt.open("rb") as handle:
        kept = handle.read()
    assert b"Telefonprodusent" not in kept and b"Exif" not in kept
    assert expense.receipt_size == len(kept)
    with Image.open(expense.receipt.path) as image:
        assert image.size == (20, 40)  # upright: the orientation was applied, then dropped
        assert not image.getexif()


@pytest.mark.parametrize(
    "active",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/AA << /O 2 0 R >>",
        b"/#4Aava#53cript",
    ],
    ids=["open-action-script", "additional-actions", "escaped-name"],
)
def test_a_pdf_with_active_content_is_refused_and_nothing_is_saved(world, active):
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog " + active + b" >> endobj\n%%EOF\n"
    with pytest.raises(ValidationError) as error:
        record(world, receipt=SimpleUploadedFile("skjema.pdf", pdf, "application/pdf"))
    assert "scripts, actions or attached files" in error.value.message_dict["receipt"][0]
    assert not Expense.objects.exists()


def test_an_image_that_cannot_be_read_is_refused(world):
    broken = SimpleUploadedFile("bilde.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, "image/jpeg")
    with pytest.raises(ValidationError) as error:
        record(world, receipt=broken)
    assert "cannot be read" in error.value.message_dict["receipt"][0]
