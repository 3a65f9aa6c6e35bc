"""A write that checks the version it was read at requires that version: without it the API
answers 400 on the field ``version`` and the page refuses with a message — nothing is saved
over someone else's change unchecked (the mechanism: kobling.core.versions)."""

import pytest
from django.urls import reverse

from kobling.pay import services
from kobling.pay.models import Expense, Timesheet
from tests.conftest import signed_in
from tests.pay import builders as b

pytestmark = pytest.mark.django_db

REQUIRED = "Send the version you read, so that concurrent edits are detected."


def test_api_writes_without_the_version_are_400_on_the_field_version_and_change_nothing(world, api):
    cast = world.cast
    expense = services.expense_create(
        helper=cast.helper_a,
        by=cast.contact_user_a,
        date=b.day(world.m1, 3),
        category="transport",
        amount="120",
        receipt=b.receipt("pdf"),
    )
    services.timesheet_roll_up(helper_ids=[cast.helper_a.pk], by=None)
    sheet = Timesheet.objects.get(helper=cast.helper_a, month=world.m1)
    client = api(cast.coordinator_a)
    for method, url, body in (
        ("patch", f"/api/v1/expenses/{expense.pk}/", {"amount": "1"}),
        ("patch", f"/api/v1/expenses/{expense.pk}/", {"amount": "1", "version": None}),
        ("post", f"/api/v1/expenses/{expense.pk}/approve", {}),
        ("patch", f"/api/v1/timesheets/{sheet.pk}/", {"note": "x"}),
    ):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (url, response.data)
        assert [str(m) for m in response.data["version"]] == [REQUIRED]
    expense.refresh_from_db()
    assert (expense.amount, expense.status, expense.version) == (120, "open", 1)
    assert Timesheet.objects.get(pk=sheet.pk).note == ""


def test_a_page_post_without_the_version_is_refused_with_a_message(world):
    cast = world.cast
    expense = services.expense_create(
        helper=cast.helper_a,
        by=cast.contact_user_a,
        date=b.day(world.m1, 3),
        category="transport",
        amount="120",
        receipt=b.receipt("pdf"),
    )
    client = signed_in(cast.coordinator_a)
    page = client.post(reverse("web:expense_approve", args=[expense.pk]), follow=True)
    assert REQUIRED in page.content.decode()
    assert Expense.objects.get(pk=expense.pk).status == "open"
    client.post(reverse("web:expense_approve", args=[expense.pk]), {"version": expense.version})
    assert Expense.objects.get(pk=expense.pk).status == "approved"
