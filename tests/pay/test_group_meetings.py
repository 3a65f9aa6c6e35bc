"""Group leaders are paid for the meetings they led: a held meeting pays its substitute, or else
every leader of the offer, its minutes at the leader's hourly rate, as a line of its own on the
leader's monthly timesheet. Approval freezes it; whatever changes afterwards (minutes recorded
again, a substitute named, a leader taken off the offer, a meeting no longer held, a meeting
held late into an approved month) is paid as an adjustment on the next open timesheet, and the
approved month never changes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.groups import services as groups
from kobling.groups.models import Meeting
from kobling.pay import ledger, services
from kobling.pay.choices import LineKind
from kobling.pay.export import payroll_csv, timesheet_document_html
from kobling.pay.models import Timesheet, TimesheetLine
from kobling.pay.months import current_month
from tests import factories as f
from tests.conftest import signed_in
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups_world(world):
    """Two instructors leading "Styrke 60+" (200 and 180 NOK/h), a third who substitutes, and
    in last month two held meetings (60 and 45 minutes), one planned and one cancelled."""
    cast = world.cast
    lead = f.make_active(
        f.HelperFactory(
            programme=cast.programme_a, kind="instructor", hourly_rate=Decimal("200.00")
        )
    )
    co = f.make_active(
        f.HelperFactory(
            programme=cast.programme_a, kind="healthy_life_guide", hourly_rate=Decimal("180.00")
        )
    )
    sub = f.make_active(f.HelperFactory(programme=cast.programme_a, kind="instructor"))
    offer = b.group_offer(cast.programme_a, [lead, co], title="Styrke 60+")
    m1 = world.m1
    meetings = [
        b.meeting(offer, b.day(m1, 2), 60),
        b.meeting(offer, b.day(m1, 9), 45),
        b.meeting(offer, b.day(m1, 16), 60, status="planned"),
        b.meeting(offer, b.day(m1, 23), 60, status="cancelled"),
    ]
    world.lead, world.co, world.sub, world.offer, world.meetings = lead, co, sub, offer, meetings
    return world


def roll(world, month=None):
    ids = [world.lead.pk, world.co.pk, world.sub.pk]
    return services.timesheet_roll_up(helper_ids=ids, by=world.cast.coordinator_a, month=month)


def sheet(helper, month) -> Timesheet:
    return Timesheet.objects.select_related("helper").get(helper=helper, month=month)


def view(s: Timesheet) -> ledger.SheetView:
    s = Timesheet.objects.select_related("helper").get(pk=s.pk)
    return ledger.sheet_views([s])[s.pk]


def approve(world, *helpers):
    ids = [sheet(h, world.m1).pk for h in helpers]
    return services.timesheets_approve(ids=ids, by=world.cast.coordinator_a)


def record_again(world, meeting, minutes):
    """A coordinator records the meeting's attendance again with other minutes (the real path
    by which a held meeting's minutes change)."""
    groups.attendance_record(
        meeting=Meeting.objects.get(pk=meeting.pk),
        by=world.cast.coordinator_a,
        came=(),
        minutes=minutes,
    )


def adjustments(helper):
    return list(
        TimesheetLine.objects.filter(helper=helper, kind=LineKind.ADJUSTMENT).order_by("pk")
    )


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "substitute", "helper", "minutes"),
    [
        ("held", None, 1, 60),  # a leader of the offer
        ("held", None, 2, 60),  # so is the co-leader
        ("held", None, 3, 0),  # not a leader
        ("held", 3, 3, 60),  # the substitute replaces the leaders …
        ("held", 3, 1, 0),  # … who are then not paid for it
        ("planned", None, 1, 0),
        ("cancelled", None, 1, 0),
        ("cancelled", 3, 3, 0),
    ],
)
def test_who_a_meeting_pays(status, substitute, helper, minutes):
    meeting = {"status": status, "minutes": 60, "substitute_id": substitute}
    assert ledger.meeting_target(meeting, helper, {1, 2}) == minutes


# --- open sheets ----------------------------------------------------------------------------------


def test_a_held_meeting_pays_every_leader_its_minutes_at_their_rate(groups_world):
    w = groups_world
    done = roll(w, w.m1)
    assert {(s.helper_id, s.month) for s in done.sheets} == {(w.lead.pk, w.m1), (w.co.pk, w.m1)}
    lead = view(sheet(w.lead, w.m1))
    assert [(r.kind, r.date, r.minutes, r.group) for r in lead.rows] == [
        (LineKind.MEETING, b.day(w.m1, 2), 60, "Styrke 60+"),
        (LineKind.MEETING, b.day(w.m1, 9), 45, "Styrke 60+"),
    ]
    assert all(r.participant == "" and r.extra_minutes == 0 for r in lead.rows)
    f1 = lead.figures
    assert (f1.meeting_minutes, f1.meetings_held, f1.session_minutes) == (105, 2, 0)
    assert (f1.paid_minutes, f1.rate, f1.pay_amount) == (105, Decimal("200.00"), Decimal("350.00"))
    f2 = view(sheet(w.co, w.m1)).figures
    assert (f2.meeting_minutes, f2.pay_amount) == (105, Decimal("315.00"))  # 180 NOK/h
    assert not Timesheet.objects.filter(helper=w.sub).exists()


def test_a_substitute_is_paid_in_place_of_the_leaders(groups_world):
    w = groups_world
    Meeting.objects.filter(pk=w.meetings[1].pk).update(substitute=w.sub)
    roll(w, w.m1)
    assert view(sheet(w.lead, w.m1)).figures.meeting_minutes == 60
    assert view(sheet(w.co, w.m1)).figures.meeting_minutes == 60
    sub = view(sheet(w.sub, w.m1))
    assert [(r.kind, r.minutes) for r in sub.rows] == [(LineKind.MEETING, 45)]


def test_a_leader_with_sessions_too_gets_both_on_one_sheet(groups_world):
    w = groups_world
    w.offer.leaders.add(w.cast.helper_a)
    services.timesheet_roll_up(helper_ids=[w.cast.helper_a.pk], by=None, month=w.m1)
    f1 = view(sheet(w.cast.helper_a, w.m1)).figures
    # The sessions as before (60 + 45), the meetings on top, one rate.
    assert (f1.session_minutes, f1.meeting_minutes, f1.paid_minutes) == (105, 105, 210)
    assert f1.pay_amount == Decimal("525.00")


# --- approval -----------------------------------------------------------------------------------


def test_approval_freezes_the_meeting_lines_and_minutes(groups_world):
    w = groups_world
    roll(w, w.m1)
    [approved] = approve(w, w.lead)
    approved.refresh_from_db()
    assert (approved.meeting_minutes, approved.paid_minutes) == (105, 105)
    assert (approved.hourly_rate, approved.pay_amount) == (Decimal("200.00"), Decimal("350.00"))
    lines = list(approved.lines.order_by("date"))
    assert [(x.kind, x.meeting_id, x.minutes) for x in lines] == [
        (LineKind.MEETING, w.meetings[0].pk, 60),
        (LineKind.MEETING, w.meetings[1].pk, 45),
    ]
    # The rate changes afterwards: the approved sheet keeps what it was approved with.
    w.lead.hourly_rate = Decimal("500.00")
    w.lead.save(update_fields=["hourly_rate"])
    frozen = view(approved)
    assert not frozen.is_estimate and frozen.figures.pay_amount == Decimal("350.00")
    assert frozen.figures.meetings_held == 2 and frozen.meeting_rows[0].group == "Styrke 60+"
    with pytest.raises(ValidationError):
        lines[0].minutes = 1
        lines[0].save()
    for sql in (
        "UPDATE pay_timesheetline SET meeting_id = NULL WHERE id = %s",
        "UPDATE pay_timesheetline SET minutes = 999 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [lines[0].pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE pay_timesheet SET meeting_minutes = 1 WHERE id = %s", [approved.pk])
    # Nothing pending: rolling up again adds nothing.
    assert roll(w).lines == []


def test_a_meeting_line_needs_the_meeting_and_minutes(groups_world):
    w = groups_world
    roll(w, w.m1)
    open_sheet = sheet(w.lead, w.m1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimesheetLine.objects.create(
            municipality=w.cast.a,
            helper=w.lead,
            timesheet=open_sheet,
            kind="meeting",
            date=w.m1,
            minutes=30,
        )


# --- corrections after approval ---------------------------------------------------------------------


def test_minutes_recorded_again_after_approval_are_adjusted_on_the_next_open_sheet(groups_world):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead, w.co)
    record_again(w, w.meetings[0], 90)
    roll(w)
    this = current_month()
    for helper in (w.lead, w.co):
        [line] = adjustments(helper)
        assert (line.minutes, line.extra_minutes, line.meeting_id) == (30, 0, w.meetings[0].pk)
        assert line.timesheet.month == this and line.corrected_date == b.day(w.m1, 2)
        assert line.description.startswith("Correction of group meeting on")
    # The approved month is what it was.
    assert sheet(w.lead, w.m1).paid_minutes == 105
    shown = view(sheet(w.lead, this))
    assert shown.figures.adjustment_minutes == 30 and shown.adjustment_rows[0].group == "Styrke 60+"
    # Recorded back: the difference to what was paid (60 + 30) is taken back on the same sheet.
    record_again(w, w.meetings[0], 60)
    roll(w)
    assert [x.minutes for x in adjustments(w.lead)] == [30, -30]
    assert view(sheet(w.lead, this)).figures.adjustment_minutes == 0
    # Recording again without changing the minutes pays nothing more.
    record_again(w, w.meetings[0], None)
    assert roll(w).lines == []


def test_a_meeting_held_late_into_an_approved_month_is_paid_as_an_adjustment(groups_world):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead)
    before = view(sheet(w.lead, w.m1))
    # The coordinator records the planned meeting after the month was approved.
    groups.attendance_record(meeting=w.meetings[2], by=w.cast.coordinator_a, came=(), minutes=50)
    roll(w)
    [line] = adjustments(w.lead)
    assert (line.minutes, line.meeting_id, line.corrected_date) == (50, w.meetings[2].pk, None)
    assert line.description == "Group meeting held after its month was approved"
    assert line.timesheet.month == current_month()
    after = view(sheet(w.lead, w.m1))
    assert after.rows == before.rows and after.figures == before.figures
    # The co-leader's month was still open: there it is an ordinary meeting line.
    co = view(sheet(w.co, w.m1))
    assert [r.minutes for r in co.meeting_rows] == [60, 45, 50] and not adjustments(w.co)


def test_a_substitute_named_after_payment_moves_the_pay(groups_world):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead, w.co)
    Meeting.objects.filter(pk=w.meetings[1].pk).update(substitute=w.sub)
    roll(w)
    assert [(x.minutes, x.meeting_id) for x in adjustments(w.lead)] == [(-45, w.meetings[1].pk)]
    assert [x.minutes for x in adjustments(w.co)] == [-45]
    # The substitute's month has no sheet (never approved): a meeting line there, not an
    # adjustment.
    assert not adjustments(w.sub)
    assert [r.minutes for r in view(sheet(w.sub, w.m1)).meeting_rows] == [45]


def test_a_leader_taken_off_the_offer_or_a_meeting_no_longer_held_gives_the_minutes_back(
    groups_world,
):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead, w.co)
    w.offer.leaders.remove(w.co)
    # No service turns a held meeting back; the ledger does not rely on that.
    Meeting.objects.filter(pk=w.meetings[0].pk).update(status="cancelled")
    roll(w)
    assert sorted(x.minutes for x in adjustments(w.co)) == [-60, -45]
    assert [x.minutes for x in adjustments(w.lead)] == [-60]
    assert roll(w).lines == []


def test_a_paid_meeting_whose_date_changes_into_an_open_month_is_not_paid_twice(groups_world):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead)
    # No service moves a held meeting; should one ever, the open month must not pay it again.
    Meeting.objects.filter(pk=w.meetings[0].pk).update(date=b.day(current_month(), 1))
    roll(w)
    assert not adjustments(w.lead)
    this = Timesheet.objects.filter(helper=w.lead, month=current_month()).first()
    assert this is None or not view(this).meeting_rows


# --- pages, API, exports -----------------------------------------------------------------------------


def test_the_timesheet_page_and_pdf_show_the_group_and_date(groups_world):
    w = groups_world
    roll(w, w.m1)
    s = sheet(w.lead, w.m1)
    page = signed_in(w.cast.coordinator_a).get(reverse("web:timesheet_detail", args=[s.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Group meetings led" in text and "Styrke 60+" in text and "Group meeting minutes" in text
    html = timesheet_document_html(view(s), lang="en")
    assert "Group meetings led" in html and "Styrke 60+" in html
    assert html.count("Styrke 60+") == 2
    # A training contact's sheet without meetings looks as before.
    services.timesheet_roll_up(helper_ids=[w.cast.helper_a.pk], by=None, month=w.m1)
    plain = timesheet_document_html(view(sheet(w.cast.helper_a, w.m1)), lang="en")
    assert "Group meeting" not in plain


def test_the_api_shows_the_meeting_lines(groups_world, api):
    w = groups_world
    roll(w, w.m1)
    s = sheet(w.lead, w.m1)
    data = api(w.cast.coordinator_a).get(f"/api/v1/timesheets/{s.pk}/").data
    assert (data["meetings_held"], data["meeting_minutes"], data["paid_minutes"]) == (2, 105, 105)
    first = data["lines"][0]
    assert first["kind"] == "meeting" and first["group"] == "Styrke 60+"
    assert first["meeting"] == w.meetings[0].pk and first["participant"] == ""
    approve(w, w.lead)
    data = api(w.cast.coordinator_a).get(f"/api/v1/timesheets/{s.pk}/").data
    assert [x["kind"] for x in data["lines"]] == ["meeting", "meeting"]
    assert data["meeting_minutes"] == 105 and data["is_estimate"] is False


def test_the_payroll_csv_pays_the_meeting_hours(groups_world):
    w = groups_world
    roll(w, w.m1)
    approve(w, w.lead)
    content, _name = payroll_csv(user=w.cast.coordinator_a, month=w.m1)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")[1:]), delimiter=";"))
    by_id = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    lead = by_id[str(w.lead.pk)]
    assert (lead["hours"], lead["hourly_rate"], lead["pay_amount"]) == ("1,75", "200,00", "350,00")


# --- fixed query counts --------------------------------------------------------------------------


def _count(client, url):
    client.get(url)  # the first call rolls up (writes); measure the steady state
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _approve_first(cast, helpers, month):
    services.timesheet_roll_up(helper_ids=[h.pk for h in helpers], by=None, month=month)
    sheets = Timesheet.objects.filter(helper__in=helpers, month=month)
    services.timesheets_approve(ids=[s.pk for s in sheets], by=cast.coordinator_a)


def test_pay_lists_and_pages_take_the_same_queries_for_few_and_many_meetings(cast, api):
    m1, m2 = b.last_month(), b.month_before_last()
    client = api(cast.coordinator_a)
    page = signed_in(cast.coordinator_a)
    urls = (f"/api/v1/timesheets/?month={m1:%Y-%m}",)
    pages = (f"{reverse('web:pay_month')}?month={m1:%Y-%m}",)

    def measure():
        return [_count(client, u) for u in urls] + [_count(page, u) for u in pages]

    # Leaders paid in an approved earlier month, one of whose meetings then changed (so the
    # correction path runs), plus open sheets with meetings and a training contact's sessions.
    paid = b.leaders_with_meetings(cast.programme_a, m2, 2)
    _approve_first(cast, paid, m2)
    Meeting.objects.filter(offer__leaders=paid[0]).update(minutes=50)
    b.leaders_with_meetings(cast.programme_a, m1, 2)
    b.contacts_with_sessions(cast.programme_a, m1, 1)
    small = measure()
    more_paid = b.leaders_with_meetings(cast.programme_a, m2, 10, meetings=4)
    _approve_first(cast, more_paid, m2)
    Meeting.objects.filter(offer__leaders__in=more_paid[:5]).update(minutes=30)
    b.leaders_with_meetings(cast.programme_a, m1, 18, meetings=5)
    b.contacts_with_sessions(cast.programme_a, m1, 5)
    large = measure()
    assert small == large
    assert client.get(urls[0]).data["count"] == 2 + 18 + 1 + 5
    # The corrections were written (on this month's sheets), not left pending.
    assert TimesheetLine.objects.filter(kind=LineKind.ADJUSTMENT).count() == 1 + 5 * 4


def test_the_ledger_reads_many_sheets_and_corrections_in_a_fixed_number_of_queries(cast):
    m1, m2 = b.last_month(), b.month_before_last()

    def world(n, meetings):
        """``n`` leaders paid for ``meetings`` meetings in an approved m2, each meeting since
        recorded with other minutes and one more held late into m2; and as many in an open
        m1."""
        paid = b.leaders_with_meetings(cast.programme_a, m2, n, meetings=meetings)
        _approve_first(cast, paid, m2)
        for helper in paid:
            Meeting.objects.filter(offer__leaders=helper).update(minutes=20)
            b.meeting(helper.group_offers.get(), b.day(m2, 28), 30)
        fresh = b.leaders_with_meetings(cast.programme_a, m1, n, meetings=meetings)
        services.timesheet_roll_up(helper_ids=[h.pk for h in fresh], by=None, month=m1)
        return paid + fresh

    def queries(helpers):
        sheets = list(
            Timesheet.objects.filter(helper__in=helpers, month=m1).select_related("helper")
        )
        with CaptureQueriesContext(connection) as ctx:
            views = ledger.sheet_views(sheets)
            pending = ledger.pending_adjustments([h.pk for h in helpers])
        held = sum(v.figures.meetings_held for v in views.values())
        return len(ctx.captured_queries), held, len(pending)

    small, *found_small = queries(world(2, 1))
    large, *found_large = queries(world(15, 6))
    assert found_small == [2, 2 * 2]
    assert found_large == [15 * 6, 15 * 6 + 15]
    assert small == large


def test_the_period_costs_count_the_meetings_led_before_any_sheet_exists(groups_world):
    from kobling.pay import costs

    w = groups_world

    def estimated():
        [row] = costs.period_costs(municipality_ids=[w.cast.a.pk], start=w.m1, end=w.m1)
        return row.cost.pay_estimated

    with_meetings = estimated()
    Meeting.objects.filter(offer=w.offer).update(status="planned")
    # 105 minutes at 200 and at 180 NOK/h.
    assert with_meetings - estimated() == Decimal("350.00") + Decimal("315.00")
    assert not Timesheet.objects.filter(helper__in=[w.lead, w.co]).exists()


def test_a_leader_sees_their_meeting_pay_under_my_hours(groups_world):
    w = groups_world
    w.offer.leaders.add(w.cast.helper_a)  # the contact user's own helper profile
    client = signed_in(w.cast.contact_user_a)
    page = client.get(reverse("web:my_hours"))
    assert page.status_code == 200
    own = sheet(w.cast.helper_a, w.m1)
    text = client.get(reverse("web:timesheet_detail", args=[own.pk])).content.decode()
    assert "Styrke 60+" in text and "Group meetings led" in text
    # Another leader's sheet is not theirs to read.
    services.timesheet_roll_up(helper_ids=[w.lead.pk], by=None, month=w.m1)
    other = sheet(w.lead, w.m1)
    assert client.get(reverse("web:timesheet_detail", args=[other.pk])).status_code in (403, 404)
