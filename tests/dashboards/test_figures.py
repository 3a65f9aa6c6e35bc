"""The dashboard figures against hand-counted values on a small built year."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kobling.dashboards.models import DashboardFact, DashboardRefresh
from kobling.dashboards.refresh import dashboards_tick, refresh_municipality
from kobling.dashboards.selectors import build_report
from kobling.pay.costs import period_costs
from tests.dashboards.builders import build_year
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1


@pytest.fixture
def report(cast):
    build_year(cast.programme_a, YEAR)
    refresh_municipality(cast.a.pk)
    return build_report(cast.programme_a, YEAR)


def rows(report, key):
    return {row[0]: row[1:] for row in report.table(key).rows}


def test_the_funnel_counts_referrals_grants_starts_and_hides_the_small_ones(report):
    assert rows(report, "reach_funnel") == {
        "Referred": [7],
        "Granted": [7],
        # 6 started of 7 granted would tell that one person did not start (rule 5).
        "Started": ["<5"],
        "Completed (goal reached)": ["<5"],
        "Dropped out": ["<5"],
    }


def test_a_lone_small_group_takes_the_next_smallest_with_it(report):
    # One man among seven: "<5", and the women too, else 7 − 6 would give him away.
    by_gender = rows(report, "reach_gender")
    assert by_gender["Male"] == ["<5", "<5", 0, 0, "<5", None]
    assert by_gender["Female"] == ["<5", "<5", 6, "<5", "<5", "<5"]  # shares of hidden cells too


def test_uptake_by_source_hides_a_start_one_short_of_the_grants(report):
    # 7 referred and granted, 6 started: the one who did not start must not be derivable, and
    # uptake (6/7) would tell it too.
    assert rows(report, "reach_source")["General practitioner (fastlege)"] == [
        7,
        7,
        "<5",
        "<5",
        "<5",
        "<5",
    ]


def test_uptake_and_drop_out_are_started_over_referred_and_dropped_over_started(cast):
    """On facts with differences of five or more, where nothing needs hiding."""
    from kobling.dashboards.models import Grain

    period = dt.date(YEAR, 3, 1)
    for metric, gp, nav in (
        ("referred", 20, 30),
        ("granted", 15, 30),
        ("started", 10, 20),
        ("dropped_out", 5, 0),
    ):
        for key, value in (("gp", gp), ("nav", nav), ("", gp + nav)):
            DashboardFact.objects.create(
                municipality=cast.a,
                programme=cast.programme_a,
                grain=Grain.MONTH,
                period=period,
                metric=metric,
                dimension="source" if key else "",
                key=key,
                value=value,
            )
    DashboardRefresh.objects.update_or_create(municipality=cast.a)
    by_source = rows(build_report(cast.programme_a, YEAR), "reach_source")
    assert by_source["General practitioner (fastlege)"] == [
        20,
        15,
        10,
        5,
        Decimal("50.0"),
        Decimal("50.0"),
    ]
    assert by_source["NAV"] == [30, 30, 20, 0, Decimal("66.7"), Decimal("0.0")]


def test_dose_per_month_hides_months_with_fewer_than_five_people_and_one_more(report):
    dose = rows(report, "implementation_dose")
    assert dose[f"03.{YEAR}"] == [6, 6, 6, 0, 0, 360, Decimal("100.0")]
    assert dose[f"04.{YEAR}"] == ["<5"] * 7  # three people
    assert dose[f"05.{YEAR}"] == ["<5"] * 7  # five, hidden so April cannot be subtracted out
    assert dose[f"01.{YEAR}"] == [0, 0, 0, 0, 0, 0, None]
    assert dose["Year"] == [6, 14, 13, 1, 0, 600, Decimal("92.9")]


def test_days_from_referral_are_medians(report):
    assert rows(report, "implementation_waiting") == {
        "Referral to decision": [0, None],
        "Referral to pairing": [6, Decimal("9")],
        "Referral to first session": [6, Decimal("19")],
    }


def test_effectiveness_compares_start_with_the_latest_review(report):
    eff = rows(report, "effectiveness")
    assert eff["Weekly minutes of moderate activity"][:4] == [
        5,
        Decimal("60.0"),
        Decimal("180.0"),
        Decimal("120.0"),
    ]
    assert eff["Self-rated health"][:4] == [5, Decimal("2.0"), Decimal("4.0"), Decimal("2.0")]
    assert rows(report, "effectiveness_recommendation") == {
        "At the start": [5, 0, Decimal("0.0")],
        "At the latest review": [5, 5, Decimal("100.0")],
        "At the end": [0, 0, None],
    }


def test_adoption_counts_the_trained_contacts(report):
    adoption = rows(report, "adoption")
    assert adoption["Trained contacts"] == [6, None]
    assert adoption["… of them active now"] == [6, Decimal("100.0")]
    assert adoption["Contacts who held sessions in the year"] == [6, None]


def test_cost_parts_come_from_the_pay_cost_selector(cast, report):
    (expected,) = period_costs(
        municipality_ids=[cast.a.pk],
        start=dt.date(YEAR, 1, 1),
        end=dt.date(YEAR, 12, 31),
        programme_id=cast.programme_a.pk,
    )
    cost = rows(report, "cost")
    assert cost["Helper pay"] == [expected.cost.pay]
    assert cost["Total"] == [expected.cost.total]
    per = rows(report, "cost_per")
    assert per["Participant with sessions"] == [
        6,
        (expected.cost.total / 6).quantize(Decimal("0.01")),
    ]
    assert per["Completed pairing"] == ["<5", "<5"]


def test_maintenance_shares_need_five_answers(cast):
    from tests.dashboards.builders import answered_followups

    built = build_year(cast.programme_a, YEAR)
    answered_followups(built.pairings, months=6, active=4, due=dt.date(YEAR, 9, 1))
    answered_followups(built.pairings[:2], months=3, active=2, due=dt.date(YEAR, 8, 1))
    refresh_municipality(cast.a.pk)
    report = build_report(cast.programme_a, YEAR)
    maintenance = rows(report, "maintenance")
    assert maintenance["6 months after the end"] == [6, 6, "<5", "<5"]
    assert maintenance["3 months after the end"] == ["<5", "<5", "<5", "<5"]
    assert maintenance["12 months after the end"] == [0, 0, 0, None]


def test_the_page_says_as_of_when(cast, report):
    refreshed = DashboardRefresh.objects.get(municipality=cast.a)
    assert report.as_of == refreshed.refreshed_at


def test_the_tick_refreshes_only_when_the_data_changed_and_not_too_often(cast, moving_clock):
    build_year(cast.programme_a, YEAR)
    assert dashboards_tick()["dashboards_refreshed"] == 2  # both municipalities, first time
    p = cast.programme_a.pairings.filter(status="active").first()
    s.log(p, date=dt.date(YEAR, 7, 1), minutes=20)
    moving_clock.advance(minutes=5)
    assert dashboards_tick()["dashboards_refreshed"] == 0  # changed, but refreshed 5 min ago
    held = DashboardFact.objects.filter(
        programme=cast.programme_a, metric="sessions_held", period=dt.date(YEAR, 7, 1)
    )
    assert not held.exists()
    moving_clock.advance(minutes=11)
    assert dashboards_tick()["dashboards_refreshed"] >= 1
    assert held.get().value == 1
    assert DashboardRefresh.objects.get(municipality=cast.a).refreshed_at == moving_clock.now
    moving_clock.advance(minutes=16)
    if timezone.localtime(moving_clock.now).hour > 0:  # same day: an unchanged mark is skipped
        assert dashboards_tick()["dashboards_refreshed"] == 0


def test_another_municipality_keeps_its_own_figures(cast, report):
    build_year(cast.programme_b, YEAR)
    refresh_municipality(cast.b.pk)
    again = build_report(cast.programme_a, YEAR)
    assert rows(again, "reach_funnel") == rows(report, "reach_funnel")


def test_the_workers_tick_task_refreshes_the_dashboards(cast):
    from kobling.core.tasks import tick_task

    build_year(cast.programme_a, YEAR)
    report = tick_task.call()
    assert report["dashboards_refreshed"] == 2
    assert DashboardRefresh.objects.filter(municipality=cast.a).exists()


def test_within_a_day_the_tick_keeps_the_cost_of_untouched_years(cast, moving_clock):
    built = build_year(cast.programme_a, YEAR)
    s.log(built.pairings[1], date=timezone.localdate(), minutes=30)
    assert refresh_municipality(cast.a.pk)["cost_years_kept"] == 0
    cost = DashboardFact.objects.filter(
        programme=cast.programme_a, metric="cost_pay", period=dt.date(YEAR, 1, 1)
    )
    before = cost.get().value
    assert before > 0
    s.log(built.pairings[2], date=timezone.localdate(), minutes=30)  # this year only
    day = timezone.localdate()
    moving_clock.advance(minutes=16)
    done = refresh_municipality(cast.a.pk, force=False)
    if timezone.localdate() == day:  # (a refresh on a new day recomputes everything)
        assert done["cost_years_kept"] == 1  # last year's cost kept, this year's recomputed
    assert cost.get().value == before
    this_year = DashboardFact.objects.get(
        programme=cast.programme_a,
        metric="sessions_held",
        grain="month",
        period=timezone.localdate().replace(day=1),
    )
    assert this_year.value == 2
    assert refresh_municipality(cast.a.pk)["cost_years_kept"] == 0  # the command: everything
