"""Approved timesheets, their lines and approved expenses are frozen in the database too: raw SQL
cannot change or delete them. What is still open stays editable, and approving still works."""

import pytest
from django.db import IntegrityError, connection, transaction

from kobling.pay import services
from kobling.pay.models import Expense, Timesheet, TimesheetLine
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def refused(sql, params):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def test_raw_sql_cannot_change_or_delete_an_approved_timesheet_its_lines_or_expense(world):
    cast = world.cast
    expense = services.expense_create(
        helper=cast.helper_a2,
        by=cast.coordinator_a,
        date=b.day(world.m1, 8),
        category="equipment",
        amount="250.00",
        receipt=b.receipt(),
    )
    expense = services.expense_approve(expense=expense, by=cast.coordinator_a)
    services.timesheet_roll_up(helper_ids=[cast.helper_a.pk, cast.helper_a2.pk], by=None)
    approved = Timesheet.objects.get(helper=cast.helper_a2, month=world.m1)
    services.timesheets_approve(ids=[approved.pk], by=cast.coordinator_a)
    still_open = Timesheet.objects.get(helper=cast.helper_a, month=world.m1)
    line = TimesheetLine.objects.filter(timesheet=approved).first()
    assert line is not None

    for sql, pk in (
        ("UPDATE pay_timesheet SET total_amount = 1 WHERE id = %s", approved.pk),
        ("UPDATE pay_timesheet SET status = 'open' WHERE id = %s", approved.pk),
        ("DELETE FROM pay_timesheet WHERE id = %s", approved.pk),
        ("UPDATE pay_timesheetline SET minutes = 999 WHERE id = %s", line.pk),
        ("DELETE FROM pay_timesheetline WHERE id = %s", line.pk),
        ("UPDATE pay_expense SET amount = 1 WHERE id = %s", expense.pk),
        ("DELETE FROM pay_expense WHERE id = %s", expense.pk),
    ):
        assert refused(sql, [pk]), sql

    approved.refresh_from_db()
    expense.refresh_from_db()
    assert approved.status == "approved" and approved.total_amount > 1
    assert expense.amount == 250 and TimesheetLine.objects.filter(pk=line.pk).exists()
    # Open rows change as before, by the services and by SQL alike.
    assert not refused("UPDATE pay_timesheet SET note = 'x' WHERE id = %s", [still_open.pk])
    services.timesheets_approve(ids=[still_open.pk], by=cast.coordinator_a)
    assert Timesheet.objects.get(pk=still_open.pk).status == "approved"


def test_an_open_expense_can_still_be_changed_and_deleted(world):
    cast = world.cast
    expense = services.expense_create(
        helper=cast.helper_a2,
        by=cast.coordinator_a,
        date=b.day(world.m1, 8),
        category="equipment",
        amount="80.00",
        receipt=b.receipt(),
    )
    assert not refused("UPDATE pay_expense SET amount = 90 WHERE id = %s", [expense.pk])
    assert not refused("DELETE FROM pay_expense WHERE id = %s", [expense.pk])
    assert not Expense.objects.filter(pk=expense.pk).exists()
