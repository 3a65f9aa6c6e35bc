"""Rolling held sessions up into monthly timesheets, approving them in bulk (all or nothing),
and what happens when sessions are corrected after approval: the approved sheet stays as it was
and the difference is paid as an adjustment on the next open sheet."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kobling.pay import ledger, services
from kobling.pay.choices import LineKind, TimesheetStatus
from kobling.pay.models import PaySettings, Timesheet, TimesheetLine
from kobling.pay.months import current_month
from kobling.tenancy.models import AuditEntry
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def roll(world, month=None):
    helpers = [world.cast.helper_a.pk, world.cast.helper_a2.pk, world.cast.helper_b.pk]
    return services.timesheet_roll_up(helper_ids=helpers, by=world.cast.coordinator_a, month=month)


def sheet(helper, month) -> Timesheet:
    return Timesheet.objects.select_related("helper").get(helper=helper, month=month)


def figures(s: Timesheet):
    s = Timesheet.objects.select_related("helper").get(pk=s.pk)
    return ledger.sheet_views([s])[s.pk].figures


def approve(world, *sheets):
    return services.timesheets_approve(ids=[s.pk for s in sheets], by=world.cast.coordinator_a)


# --- rolling up ---------------------------------------------------------------------------------


def test_roll_up_creates_one_open_sheet_per_contact_with_held_sessions_and_is_idempotent(world):
    done = roll(world, world.m1)
    assert {(s.helper_id, s.month) for s in done.sheets} == {
        (world.cast.helper_a.pk, world.m1),
        (world.cast.helper_a2.pk, world.m1),
        (world.cast.helper_b.pk, world.m1),
    }
    assert all(s.status == TimesheetStatus.OPEN and s.municipality_id for s in done.sheets)
    audits = AuditEntry.objects.filter(object_type="pay.timesheet", action="create").count()
    assert audits == 3
    again = roll(world, world.m1)
    assert again.sheets == [] and again.lines == []
    assert Timesheet.objects.count() == 3
    assert AuditEntry.objects.filter(object_type="pay.timesheet", action="create").count() == 3


def test_an_open_sheet_pays_the_held_minutes_at_the_contacts_rate(world):
    roll(world, world.m1)
    f = figures(sheet(world.cast.helper_a, world.m1))
    # 60 + 45 held; the cancelled and the no-show are not paid.
    assert (f.session_minutes, f.extra_minutes, f.adjustment_minutes) == (105, 0, 0)
    assert f.sessions_held == 2
    assert f.rate == Decimal("150.00")
    assert f.hours == Decimal("1.75")
    assert f.pay_amount == Decimal("262.50")
    assert f.total_amount == Decimal("262.50")


def test_preparation_and_travel_minutes_are_paid_per_held_session(world):
    PaySettings.objects.create(
        municipality=world.cast.a, programme=world.cast.programme_a, extra_minutes_per_session=15
    )
    roll(world, world.m1)
    f = figures(sheet(world.cast.helper_a, world.m1))
    assert (f.session_minutes, f.extra_minutes) == (105, 30)
    assert f.pay_amount == Decimal("337.50")  # 135 min × 150 / 60


def test_the_open_sheet_follows_corrections_made_before_approval(world):
    roll(world, world.m1)
    b.correct(world.sessions.a_m1[0], minutes=75)  # 60 → 75
    b.correct(world.sessions.a_m1[1], void=True)  # withdrawn
    f = figures(sheet(world.cast.helper_a, world.m1))
    assert (f.session_minutes, f.sessions_held) == (75, 1)
    assert TimesheetLine.objects.count() == 0  # nothing was paid, so nothing to adjust


# --- approval ---------------------------------------------------------------------------------


def test_approval_freezes_lines_rate_and_totals(world):
    roll(world, world.m1)
    s = sheet(world.cast.helper_a, world.m1)
    approve(world, s)
    s.refresh_from_db()
    assert s.status == TimesheetStatus.APPROVED
    assert s.approved_by == world.cast.coordinator_a and s.approved_at is not None
    assert (s.hourly_rate, s.session_minutes, s.paid_minutes) == (Decimal("150.00"), 105, 105)
    assert (s.pay_amount, s.expenses_total, s.total_amount) == (
        Decimal("262.50"),
        Decimal("0.00"),
        Decimal("262.50"),
    )
    lines = list(s.lines.order_by("date"))
    assert [(line.kind, line.minutes, line.session_id) for line in lines] == [
        (LineKind.SESSION, 60, world.sessions.a_m1[0].pk),
        (LineKind.SESSION, 45, world.sessions.a_m1[1].pk),
    ]
    assert all(line.origin_id == line.session_id for line in lines)
    # A new rate later does not touch the approved sheet.
    world.cast.helper_a.hourly_rate = Decimal("200.00")
    world.cast.helper_a.save()
    f = figures(s)
    assert (f.rate, f.pay_amount) == (Decimal("150.00"), Decimal("262.50"))
    entry = AuditEntry.objects.get(
        object_type="pay.timesheet", object_id=str(s.pk), action="update"
    )
    assert (
        entry.changes["status"] == ["open", "approved"] and entry.changes["pay_amount"] == "262.50"
    )


def test_bulk_approval_approves_many_in_one_action(world):
    roll(world, world.m1)
    roll(world, world.m2)
    sheets = [sheet(world.cast.helper_a, world.m2), sheet(world.cast.helper_a, world.m1)]
    sheets.append(sheet(world.cast.helper_a2, world.m1))
    approved = approve(world, *sheets)
    assert {s.pk for s in approved} == {s.pk for s in sheets}
    assert Timesheet.objects.filter(status="approved").count() == 3
    assert sheet(world.cast.helper_a, world.m2).paid_minutes == 150


def test_approval_is_all_or_nothing_with_a_reason_per_id(world):
    roll(world, world.m1)
    first = sheet(world.cast.helper_a, world.m1)
    second = sheet(world.cast.helper_a2, world.m1)
    other_municipality = sheet(world.cast.helper_b, world.m1)
    approve(world, first)
    with pytest.raises(services.ApprovalRefused) as refused:
        services.timesheets_approve(
            ids=[first.pk, second.pk, other_municipality.pk, 999999], by=world.cast.coordinator_a
        )
    reasons = {r.id: (r.ok, r.reason) for r in refused.value.results}
    assert reasons[first.pk][0] is False and "Already approved" in reasons[first.pk][1]
    assert reasons[second.pk] == (True, "")
    assert reasons[other_municipality.pk] == (False, "No such timesheet.")
    assert reasons[999999] == (False, "No such timesheet.")
    assert Timesheet.objects.get(pk=second.pk).status == TimesheetStatus.OPEN
    assert not TimesheetLine.objects.filter(timesheet=second).exists()


def test_a_month_that_is_not_over_cannot_be_approved(world):
    b.held(world.pairing_a, current_month(), 30)
    roll(world, current_month())
    s = sheet(world.cast.helper_a, current_month())
    with pytest.raises(services.ApprovalRefused) as refused:
        approve(world, s)
    assert refused.value.results[0].reason == "The month is not over yet."


def test_a_contact_without_an_hourly_rate_cannot_be_approved(world):
    world.cast.helper_a.hourly_rate = Decimal("0")
    world.cast.helper_a.save()
    roll(world, world.m1)
    with pytest.raises(services.ApprovalRefused) as refused:
        approve(world, sheet(world.cast.helper_a, world.m1))
    assert "has no hourly rate" in refused.value.results[0].reason


def test_only_managers_approve(world):
    roll(world, world.m1)
    s = sheet(world.cast.helper_a, world.m1)
    for user in (world.cast.contact_user_a, world.cast.referrer_a, world.cast.coordinator_b):
        with pytest.raises(services.ApprovalRefused):
            services.timesheets_approve(ids=[s.pk], by=user)
    assert sheet(world.cast.helper_a, world.m1).status == TimesheetStatus.OPEN


def test_no_ids_is_a_clear_error(world):
    with pytest.raises(ValidationError) as error:
        services.timesheets_approve(ids=[], by=world.cast.coordinator_a)
    assert "ids" in error.value.message_dict


# --- an approved sheet never changes ------------------------------------------------------------


@pytest.fixture
def approved(world):
    roll(world, world.m1)
    s = sheet(world.cast.helper_a, world.m1)
    approve(world, s)
    return Timesheet.objects.select_related("helper").get(pk=s.pk)


def test_an_approved_sheet_refuses_edits_through_the_services(world, approved):
    with pytest.raises(ValidationError, match="approved and can no longer be changed"):
        services.timesheet_update(timesheet=approved, note="x", by=world.cast.coordinator_a)
    with pytest.raises(ValidationError, match="approved and can no longer be changed"):
        services.timesheet_add_adjustment(
            timesheet=approved, minutes=30, reason="x", by=world.cast.coordinator_a
        )
    approved.refresh_from_db()
    assert approved.note == "" and approved.lines.count() == 2


def test_an_approved_sheet_refuses_edits_through_the_model(world, approved):
    approved.pay_amount = Decimal("1.00")
    with pytest.raises(ValidationError):
        approved.save()
    with pytest.raises(ValidationError):
        approved.delete()
    line = approved.lines.first()
    line.minutes = 600
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    with pytest.raises(ValidationError):
        TimesheetLine.objects.create(
            municipality=approved.municipality,
            helper=approved.helper,
            timesheet=approved,
            kind=LineKind.MANUAL,
            date=approved.month,
            minutes=10,
        )
    fresh = Timesheet.objects.get(pk=approved.pk)
    assert fresh.pay_amount == Decimal("262.50") and fresh.lines.count() == 2


def test_manual_adjustments_on_an_open_sheet(world):
    roll(world, world.m1)
    s = sheet(world.cast.helper_a, world.m1)
    line = services.timesheet_add_adjustment(
        timesheet=s, minutes=-15, reason="Dobbeltført", by=world.cast.coordinator_a
    )
    assert line.kind == LineKind.MANUAL and line.minutes == -15
    assert figures(s).paid_minutes == 90
    for minutes, reason, field in ((0, "x", "minutes"), (None, "x", "minutes"), (10, "", "reason")):
        with pytest.raises(ValidationError) as error:
            services.timesheet_add_adjustment(
                timesheet=s, minutes=minutes, reason=reason, by=world.cast.coordinator_a
            )
        assert field in error.value.message_dict


# --- corrections after approval become adjustments ---------------------------------------------


def _adjustments(helper):
    return list(
        TimesheetLine.objects.filter(helper=helper, kind=LineKind.ADJUSTMENT)
        .select_related("timesheet")
        .order_by("pk")
    )


def test_a_correction_after_approval_is_paid_on_the_next_open_sheet(world):
    roll(world, world.m2)
    roll(world, world.m1)
    m2 = sheet(world.cast.helper_a, world.m2)
    approve(world, m2)
    original = world.sessions.a_m2[0]  # 60 minutes
    b.correct(original, minutes=90)
    roll(world, world.m1)
    m2.refresh_from_db()
    assert m2.paid_minutes == 150 and m2.lines.count() == 2  # unchanged
    [adjustment] = _adjustments(world.cast.helper_a)
    assert adjustment.timesheet.month == world.m1  # the next open sheet
    assert (adjustment.minutes, adjustment.extra_minutes) == (30, 0)
    assert adjustment.corrected_date == original.date and adjustment.origin_id == original.pk
    assert adjustment.description.startswith("Correction of session on ")
    f = figures(sheet(world.cast.helper_a, world.m1))
    assert (f.session_minutes, f.adjustment_minutes, f.paid_minutes) == (105, 30, 135)
    # Rolling up again adds nothing; approving m1 freezes the adjustment with it.
    roll(world, world.m1)
    assert len(_adjustments(world.cast.helper_a)) == 1
    approve(world, sheet(world.cast.helper_a, world.m1))
    assert sheet(world.cast.helper_a, world.m1).paid_minutes == 135


def test_a_withdrawn_session_takes_back_its_minutes_and_extra(world):
    PaySettings.objects.create(
        municipality=world.cast.a, programme=world.cast.programme_a, extra_minutes_per_session=10
    )
    roll(world, world.m2)
    roll(world, world.m1)
    approve(world, sheet(world.cast.helper_a, world.m2))
    b.correct(world.sessions.a_m2[1], void=True)  # 90 + 10 paid
    roll(world, world.m1)
    [adjustment] = _adjustments(world.cast.helper_a)
    assert (adjustment.minutes, adjustment.extra_minutes) == (-90, -10)


def test_a_correction_of_a_correction_is_adjusted_from_what_was_paid(world):
    roll(world, world.m2)
    roll(world, world.m1)
    approve(world, sheet(world.cast.helper_a, world.m2))
    first = b.correct(world.sessions.a_m2[0], minutes=90)
    roll(world, world.m1)
    b.correct(first, minutes=80)
    roll(world, world.m1)
    minutes = [a.minutes for a in _adjustments(world.cast.helper_a)]
    assert minutes == [30, -10]  # paid 60, then 90, now 80
    # Cancelled in the end: everything paid comes back.
    last = world.sessions.a_m2[0].superseded_by.superseded_by
    b.correct(last, status="cancelled")
    roll(world, world.m1)
    assert sum(a.minutes for a in _adjustments(world.cast.helper_a)) == -60


def test_a_session_logged_after_its_month_was_approved_is_paid_on_the_next_open_sheet(world):
    roll(world, world.m2)
    roll(world, world.m1)
    approve(world, sheet(world.cast.helper_a, world.m2))
    late = b.held(world.pairing_a, b.day(world.m2, 20), 50)
    roll(world, world.m1)
    [adjustment] = _adjustments(world.cast.helper_a)
    assert adjustment.session_id == late.pk and adjustment.minutes == 50
    assert adjustment.corrected_date is None
    assert adjustment.description == "Session logged after its month was approved"
    assert adjustment.timesheet.month == world.m1
    # It is not also counted as a session line of the approved month.
    assert sheet(world.cast.helper_a, world.m2).paid_minutes == 150


def test_without_a_later_open_sheet_the_adjustment_opens_this_months_sheet(world):
    roll(world, world.m1)
    approve(world, sheet(world.cast.helper_a, world.m1))
    b.correct(world.sessions.a_m1[1], minutes=30)  # 45 → 30
    done = roll(world, world.m1)
    [created] = [s for s in done.sheets if s.helper_id == world.cast.helper_a.pk]
    assert created.month == current_month()
    [adjustment] = _adjustments(world.cast.helper_a)
    assert adjustment.timesheet_id == created.pk and adjustment.minutes == -15


def test_a_correction_moving_a_paid_session_into_an_open_month_is_not_paid_twice(world):
    roll(world, world.m2)
    roll(world, world.m1)
    approve(world, sheet(world.cast.helper_a, world.m2))
    b.correct(world.sessions.a_m2[0], date=b.day(world.m1, 20))  # same minutes, other month
    roll(world, world.m1)
    assert _adjustments(world.cast.helper_a) == []
    f = figures(sheet(world.cast.helper_a, world.m1))
    assert f.session_minutes == 105  # the moved session was paid in m2 already


def test_approving_the_same_sheet_twice_reports_instead_of_crashing(world, approved):
    with pytest.raises(services.ApprovalRefused) as refused:
        approve(world, approved)
    [result] = refused.value.results
    assert result.ok is False and result.reason.startswith("Already approved")


def test_a_coordinator_who_is_also_a_contact_cannot_approve_their_own_timesheet(world):
    helper = world.cast.helper_a2
    helper.user = world.cast.coordinator_a
    helper.save(update_fields=["user"])
    roll(world, world.m1)
    own = sheet(helper, world.m1)
    with pytest.raises(services.ApprovalRefused) as refused:
        approve(world, own)
    assert "Your own timesheet" in refused.value.results[0].reason
    assert sheet(helper, world.m1).status == TimesheetStatus.OPEN
    services.timesheets_approve(ids=[own.pk], by=world.cast.admin_a)
    assert sheet(helper, world.m1).status == TimesheetStatus.APPROVED
