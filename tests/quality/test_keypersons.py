"""Key-person risk from the data: for each responsibility 0 people is a gap, 1 a risk, 2 fine;
old activity and other programmes do not count; a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.courses.models import CourseRun
from kobling.matching.models import MatchingRun
from kobling.pay.models import Expense, Timesheet
from kobling.quality.keypersons import key_person_risk
from kobling.referrals.models import Decision
from kobling.tenancy.choices import Role
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _risk(programme):
    return {r.code: r for r in key_person_risk([programme], today=TODAY)[programme.pk]}


def _decide(programme, user, days_ago=10):
    referral = f.ReferralFactory(programme=programme)
    return Decision.objects.create(
        referral=referral,
        municipality=programme.municipality,
        outcome="granted",
        reasons="Oppfyller vilkårene",
        decided_by=user,
        decided_on=TODAY - dt.timedelta(days=days_ago),
    )


def _run(programme, leader, *, days_ago=30, status="completed"):
    return f.CourseRunFactory(
        programme=programme,
        leader_name=leader,
        status=status,
        starts_on=TODAY - dt.timedelta(days=days_ago),
        ends_on=TODAY - dt.timedelta(days=days_ago - 1),
    )


def _approved_sheet(helper, user, month):
    return Timesheet.objects.create(
        municipality=helper.municipality,
        helper=helper,
        month=month,
        status="approved",
        approved_by=user,
        approved_at=timezone.now(),
        hourly_rate=Decimal("150.00"),
        paid_minutes=60,
        total_amount=Decimal("150.00"),
    )


def _approved_expense(helper, user, days_ago=5):
    return Expense.objects.create(
        municipality=helper.municipality,
        helper=helper,
        date=TODAY - dt.timedelta(days=days_ago),
        category="equipment",
        amount=Decimal("250.00"),
        status="approved",
        approved_by=user,
        approved_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_a_programme_with_no_activity_and_no_coordinator_has_a_gap_everywhere():
    programme = f.ProgrammeFactory()
    risk = _risk(programme)
    assert list(risk) == ["coordination", "course_leadership", "matching", "pay_approval"]
    assert {r.status for r in risk.values()} == {"gap"}
    assert all(r.people == () for r in risk.values())


def test_coordination_counts_deciders_of_the_last_12_months_and_the_coordinators(cast):
    assert _risk(cast.programme_a)["coordination"].status == "risk"  # coordinator_a only
    _decide(cast.programme_a, cast.coordinator_a)  # the same person
    _decide(cast.programme_a, cast.admin_a, days_ago=400)  # too long ago
    _decide(cast.programme_b, cast.admin_a)  # another programme
    coordination = _risk(cast.programme_a)["coordination"]
    assert coordination.status == "risk" and len(coordination.people) == 1
    _decide(cast.programme_a, cast.admin_a)
    coordination = _risk(cast.programme_a)["coordination"]
    assert coordination.status == "ok" and len(coordination.people) == 2
    assert cast.admin_a.get_full_name() in coordination.people


def test_a_second_coordinator_membership_removes_the_risk(cast):
    f.member(f.UserFactory(first_name="Kari", last_name="Nestleder"), cast.a, Role.COORDINATOR)
    assert _risk(cast.programme_a)["coordination"].people == tuple(
        sorted([cast.coordinator_a.get_full_name(), "Kari Nestleder"], key=str.casefold)
    )


def test_course_leadership_counts_distinct_leaders_of_runs_in_the_last_3_years(cast):
    assert _risk(cast.programme_a)["course_leadership"].status == "gap"  # the run has no leader
    _run(cast.programme_a, "Tor Treningslære")
    _run(cast.programme_a, " tor  treningslære ", days_ago=400)  # the same person
    _run(cast.programme_a, "Gammel Leder", days_ago=4 * 365)
    _run(cast.programme_a, "Avlyst Leder", status="cancelled")
    _run(cast.programme_b, "Annen Leder")
    leadership = _risk(cast.programme_a)["course_leadership"]
    assert leadership.status == "risk" and leadership.people == ("Tor Treningslære",)
    _run(cast.programme_a, "Kari Kursleder", days_ago=800)
    assert _risk(cast.programme_a)["course_leadership"].status == "ok"
    assert CourseRun.objects.filter(programme=cast.programme_a).count() == 6


def test_matching_counts_who_started_runs_and_confirmed_pairings(cast):
    assert _risk(cast.programme_a)["matching"].status == "gap"
    MatchingRun.objects.create(
        municipality=cast.a, programme=cast.programme_a, created_by=cast.coordinator_a
    )
    old = MatchingRun.objects.create(
        municipality=cast.a, programme=cast.programme_a, created_by=cast.admin_a
    )
    MatchingRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=500))
    assert _risk(cast.programme_a)["matching"].people == (cast.coordinator_a.get_full_name(),)
    helper = f.make_active(cast.helper_a)
    s.pairing(s.waiting(cast.programme_a), helper, by=cast.admin_a)
    matching = _risk(cast.programme_a)["matching"]
    assert matching.status == "ok" and len(matching.people) == 2


def test_pay_approval_counts_approvers_of_the_programmes_timesheets_and_expenses(cast):
    assert _risk(cast.programme_a)["pay_approval"].status == "gap"
    month = TODAY.replace(day=1) - dt.timedelta(days=1)
    _approved_sheet(cast.helper_a, cast.coordinator_a, month.replace(day=1))
    _approved_expense(cast.helper_a2, cast.coordinator_a)
    _approved_expense(cast.helper_b, cast.admin_a)  # another programme
    _approved_expense(cast.helper_a, cast.admin_a, days_ago=500)  # too long ago
    pay = _risk(cast.programme_a)["pay_approval"]
    assert pay.status == "risk" and pay.people == (cast.coordinator_a.get_full_name(),)
    _approved_expense(cast.helper_a, cast.admin_a)
    assert _risk(cast.programme_a)["pay_approval"].status == "ok"


def test_participants_are_never_named(cast):
    referral = f.ReferralFactory(programme=cast.programme_a)
    _decide(cast.programme_a, cast.admin_a)
    names = " ".join(n for r in _risk(cast.programme_a).values() for n in r.people)
    assert referral.participant.last_name not in names


def test_the_query_count_does_not_grow_with_programmes_or_people(cast):
    def count(programmes):
        with CaptureQueriesContext(connection) as ctx:
            key_person_risk(programmes, today=TODAY)
        return len(ctx)

    one = count([cast.programme_a])
    for n in range(3):
        _decide(cast.programme_a, f.member(f.UserFactory(), cast.a, Role.COORDINATOR))
        _run(cast.programme_a, f"Leder {n}")
    many = [
        cast.programme_a,
        cast.programme_b,
        *(f.ProgrammeFactory(name=f"Program {i}") for i in range(3)),
    ]
    assert count(many) == one == 7
