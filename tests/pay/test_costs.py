"""Cost figures for the evaluation dashboards, against numbers worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kobling.courses.models import Enrolment
from kobling.followup.models import Pairing
from kobling.pay import costs, services
from kobling.pay.costs import Cost, Entry, PaidLine, chain_pay, coordination_share, course_share
from kobling.pay.models import PaySettings, Timesheet
from kobling.pay.months import last_day
from tests import factories as f
from tests.followup import scenario as s
from tests.pay import builders as b

D = Decimal


# --- the pure formulas --------------------------------------------------------------------------


def test_chain_pay_splits_approved_and_estimated_by_hand():
    entries = [
        # Pairing 1: session 1 (60 min) approved at 150/h, later corrected to 90 (entry 2).
        Entry(1, None, pairing_id=1, helper_id=7, programme_id=3, minutes=60, held=True),
        Entry(2, 1, pairing_id=1, helper_id=7, programme_id=3, minutes=90, held=True),
        # Session 3 (45 min) approved, then withdrawn (entry 4).
        Entry(3, None, pairing_id=1, helper_id=7, programme_id=3, minutes=45, held=True),
        Entry(4, 3, pairing_id=1, helper_id=7, programme_id=3, minutes=45, held=False),
        # Session 5 (30 min) not yet approved.
        Entry(5, None, pairing_id=1, helper_id=7, programme_id=3, minutes=30, held=True),
        # Pairing 2: a cancelled session only.
        Entry(6, None, pairing_id=2, helper_id=7, programme_id=3, minutes=60, held=False),
    ]
    paid = [
        PaidLine(origin_id=1, minutes=60, extra_minutes=15, rate=D("150")),
        PaidLine(origin_id=3, minutes=45, extra_minutes=15, rate=D("150")),
    ]
    result = chain_pay(entries, paid, rates={7: D("180")}, extra_minutes={3: 10})
    # Approved: (75 + 60) min × 150 / 60 = 337.50.
    # Estimated at today's 180/h: +30 (60→90, extra kept at 15) − 60 (45 + 15 withdrawn)
    #   + 40 (30 + today's 10 extra) = +10 min → 30.00.
    assert result[1] == (D("337.50"), D("30.00"))
    assert 2 not in result


def test_course_share_and_coordination_share_by_hand():
    assert course_share(D("6000"), 3) == D("2000.00")
    assert course_share(D("1000"), 3) == D("333.33")
    assert course_share(D("6000"), 0) == D("0.00")
    import datetime as dt

    # 36 500 a year is 100 a day; March has 31 days.
    assert coordination_share(D("36500"), dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == D("3100.00")
    assert coordination_share(D("0"), dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == D("0.00")


def test_cost_basis_says_what_is_approved_and_what_is_estimated():
    assert Cost(pay_approved=D("1"), courses=D("5")).basis == "approved"
    assert Cost(pay_estimated=D("1"), courses=D("5")).basis == "estimated"
    assert Cost(pay_approved=D("1"), expenses_estimated=D("2")).basis == "mixed"
    total = Cost(pay_approved=D("1"), courses=D("2")) + Cost(expenses_estimated=D("3"))
    assert total.total == D("6") and total.as_dict()["basis"] == "mixed"


# --- from the database ---------------------------------------------------------------------------


@pytest.fixture
def costed(world):
    """The world of conftest.py, with these numbers:

    * pay settings in A: 15 min preparation/travel per held session; 36 500 NOK/year coordination;
    * helper_a (150 NOK/h) paired with Kari (pairing_a) and with a second participant (no
      sessions); month m2 approved at 150 (60 + 90 min held → 180 paid min → 450.00), then the
      rate goes up to 180 and the 90-minute session is corrected to 120;
    * Kari also had an ended pairing with helper_a2 (150 NOK/h): one held 60-minute session;
    * course run in A costing 12 000 with helper_a and helper_a2 completed and one trainee
      withdrawn → 6 000 each; helper_a has had 2 pairings, helper_a2 2 (→ 3 000 a pairing);
    * expenses on pairing_a: 450 approved, 99 open; 50 approved without a pairing."""
    cast = world.cast
    PaySettings.objects.create(
        municipality=cast.a,
        programme=cast.programme_a,
        extra_minutes_per_session=15,
        coordination_cost_per_year=D("36500"),
    )
    run = cast.run_a
    run.cost_to_municipality = D("12000")
    run.starts_on, run.ends_on = b.day(world.m1, 2), b.day(world.m1, 3)
    run.save()
    Enrolment.objects.filter(pk=cast.enrolment_a.pk).update(status="completed")
    f.EnrolmentFactory(run=run, helper=cast.helper_a2, status="completed")
    f.EnrolmentFactory(
        run=run, helper=f.HelperFactory(programme=cast.programme_a), status="withdrawn"
    )

    second = s.pairing(s.waiting(cast.programme_a, first_name="Per"), cast.helper_a)
    earlier = Pairing.objects.create(
        municipality=cast.a,
        programme=cast.programme_a,
        referral=world.pairing_a.referral,
        participant=world.pairing_a.participant,
        helper=cast.helper_a2,
        slot=1,
        status="ended",
        confirmed_at=timezone.now(),
    )
    b.held(earlier, b.day(world.m2, 15), 60)

    services.timesheet_roll_up(helper_ids=[cast.helper_a.pk], by=None, month=world.m2)
    m2 = Timesheet.objects.get(helper=cast.helper_a, month=world.m2)
    services.timesheets_approve(ids=[m2.pk], by=cast.coordinator_a)
    cast.helper_a.hourly_rate = D("180.00")
    cast.helper_a.save()
    b.correct(world.sessions.a_m2[1], minutes=120)

    def expense(amount, pairing, approve):
        e = services.expense_create(
            helper=cast.helper_a,
            by=cast.contact_user_a,
            date=b.day(world.m1, 11),
            category="gym_fee",
            amount=amount,
            pairing=pairing,
            receipt=b.receipt("png"),
        )
        return services.expense_approve(expense=e, by=cast.coordinator_a) if approve else e

    expense("450", world.pairing_a, True)
    expense("99", world.pairing_a, False)
    expense("50", None, True)
    world.second, world.earlier = second, earlier
    return world


@pytest.mark.django_db
def test_cost_per_pairing_by_hand(costed):
    world = costed
    result = costs.pairing_costs([world.pairing_a.pk, world.second.pk, world.earlier.pk])
    a = result[world.pairing_a.pk]
    # Approved m2: (60+15) + (90+15) = 180 min × 150/60.
    assert a.pay_approved == D("450.00")
    # Estimated at 180/h: m1 (60+15) + (45+15) = 135 min, plus the correction +30 → 165 min.
    assert a.pay_estimated == D("495.00")
    assert (a.expenses_approved, a.expenses_estimated) == (D("450.00"), D("99.00"))
    assert a.courses == D("3000.00")  # 6 000 / 2 pairings
    assert a.total == D("4494.00") and a.basis == "mixed"
    second = result[world.second.pk]
    assert second.total == D("3000.00") and second.basis == "approved"
    earlier = result[world.earlier.pk]
    # helper_a2: (60 + 15) min × 150/60 = 187.50 estimated; 6 000 / 2 pairings.
    assert (earlier.pay_estimated, earlier.courses) == (D("187.50"), D("3000.00"))


@pytest.mark.django_db
def test_cost_per_participant_sums_their_pairings(costed):
    world = costed
    kari = world.pairing_a.participant_id
    result = costs.participant_costs([kari])[kari]
    assert result.total == D("4494.00") + D("3187.50")
    assert result.pay_estimated == D("682.50")


@pytest.mark.django_db
def test_period_totals_split_into_pay_expenses_courses_and_coordination(costed):
    world = costed
    # Roll up, so the correction is written as an adjustment on m1's open sheet.
    services.timesheet_roll_up(
        helper_ids=[world.cast.helper_a.pk, world.cast.helper_a2.pk], by=None, month=world.m1
    )
    [row] = costs.period_costs(
        municipality_ids=[world.cast.a.pk], start=world.m2, end=b.day(world.m1, 1)
    )
    assert (row.municipality_id, row.programme_id) == (world.cast.a.pk, world.cast.programme_a.pk)
    c = row.cost
    assert c.pay_approved == D("450.00")  # helper_a's approved m2
    # helper_a m1 at 180/h: 165 min → 495.00; helper_a2: m1 (120+15) + m2 (60+15) = 210 min
    # at 150/h → 525.00.
    assert c.pay_estimated == D("1020.00")
    assert (c.expenses_approved, c.expenses_estimated) == (D("500.00"), D("99.00"))
    assert c.courses == D("12000.00")
    days = (last_day(world.m1) - world.m2).days + 1
    assert c.coordination == D(100 * days).quantize(D("0.01"))
    assert c.basis == "mixed"
    # Another municipality's figures are not in A's.
    assert costs.period_costs(municipality_ids=[world.cast.b.pk], start=world.m2, end=world.m1)[
        0
    ].cost.courses == D("0.00")
