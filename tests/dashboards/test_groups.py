"""Group programmes in the dashboards and the yearly report (Aktiv på dagtid for the
municipality and its NAV office): attendance, completion, persons by benefit group and venue,
all under the small-cell rule — the pure counting, a built year, the page, CSV and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.dashboards import facts as f
from kobling.dashboards.refresh import refresh_municipality
from kobling.dashboards.selectors import build_group_year_report, build_report
from kobling.groups import services
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.referrals import episodes
from kobling.referrals.models import Conversation
from kobling.referrals.services import benefit_verify
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.groups.test_groups import course, leader
from tests.partners.builders import partner

YEAR = timezone.localdate().year - 1
TUESDAY = 1


# --- the counting (pure) ------------------------------------------------------------------------


def test_benefit_in_a_year_is_the_latest_check_up_to_its_end():
    checks = [
        f.BenefitCheckRow(1, dt.date(2025, 2, 1), "aap", 1),
        f.BenefitCheckRow(1, dt.date(2025, 9, 1), "uforetrygd", 2),
        f.BenefitCheckRow(1, dt.date(2026, 2, 1), "dagpenger", 3),
    ]
    assert f.benefit_in_year(checks, 2025) == "uforetrygd"
    assert f.benefit_in_year(checks, 2026) == "dagpenger"
    assert f.benefit_in_year(checks, 2024) == f.NOT_CHECKED


def test_group_rows_count_offered_attended_and_distinct_persons():
    day = dt.date(2025, 3, 4)
    visits = [
        f.GroupVisitRow(7, 1, 100, 1, day, True, "partner:3", "female", dt.date(1980, 1, 1)),
        f.GroupVisitRow(7, 1, 100, 2, day.replace(day=11), True, "place:Hallen", "female"),
        f.GroupVisitRow(7, 2, 200, 1, day, False, "partner:3", "male", dt.date(2000, 6, 1)),
    ]
    meetings = [
        f.GroupMeetingRow(7, 1, day, "partner:3"),
        f.GroupMeetingRow(7, 2, day.replace(day=11), "place:Hallen"),
    ]
    checks = [f.BenefitCheckRow(1, dt.date(2025, 1, 2), "aap", 1)]
    ends = [f.CourseEndRow(7, 1, dt.date(2025, 4, 1), True), f.CourseEndRow(7, 2, day, False)]
    got = f.compute(
        f.FactsInput(
            today=day,
            group_meetings=meetings,
            group_visits=visits,
            benefit_checks=checks,
            course_ends=ends,
        )
    ).values
    month, year = dt.date(2025, 3, 1), dt.date(2025, 1, 1)
    assert got[(7, "month", month, "group_meetings", "", "")] == 2
    assert got[(7, "month", month, "group_offered", "", "")] == 3
    assert got[(7, "month", month, "group_attended", "", "")] == 2
    assert got[(7, "month", month, "group_attended", "benefit", "aap")] == 2
    assert got[(7, "month", month, "group_offered", "benefit", f.NOT_CHECKED)] == 1
    assert got[(7, "month", month, "group_persons_month", "", "")] == 1
    # Person 100 came at two venues: once in the total, once at each venue.
    assert got[(7, "year", year, "group_persons", "", "")] == 1
    assert got[(7, "year", year, "group_persons", "venue", "partner:3")] == 1
    assert got[(7, "year", year, "group_persons", "venue", "place:Hallen")] == 1
    assert got[(7, "year", year, "group_persons", "age_band", "30-49")] == 1
    assert (7, "year", year, "group_persons", "gender", "male") not in got  # never came
    assert got[(7, "month", dt.date(2025, 4, 1), "group_courses_completed", "", "")] == 1
    assert got[(7, "month", month, "group_courses_ended", "", "")] == 1


# --- a built year -------------------------------------------------------------------------------


@pytest.fixture
def group_year(cast):
    """Programme A delivered in groups with the frisklivsresept rule. A group at a partner's gym
    on Tuesdays in March of YEAR: seven courses enrolled; six came to every meeting, one to the
    first only. Six have AAP verified, one sickness benefit. A pool group on Thursdays in
    March: one of the six came once. All seven ended 15 April with an end conversation."""
    programme = cast.programme_a
    programme.delivery = "group"
    programme.completion_min_attendance_pct = 75
    programme.completion_needs_end_conversation = True
    programme.save()
    gym = partner(cast.a, name="Fjordvik Treningssenter", kind="gym")
    start, end = dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31)
    offers = []
    for title, venue, place, weekday in (
        ("Sal", gym, "", TUESDAY),
        ("Basseng", None, "Fjordvik bad", 3),
    ):
        offers.append(
            services.offer_create(
                by=cast.coordinator_a,
                municipality=cast.a,
                data={
                    "programme": programme,
                    "title": title,
                    "topic": "training",
                    "venue": venue,
                    "place": place,
                    "term_start": start,
                    "term_end": end,
                    "capacity": 15,
                },
                leaders=[leader(cast)],
                times=[services.WeeklyTime(weekday, dt.time(10, 0), 60)],
            )
        )
        services.meetings_generate(offer=offers[-1], by=cast.coordinator_a)
    members = [course(cast, first_name=f"Deltaker{n}") for n in range(7)]
    for n, member in enumerate(members):
        _enrol(offers[0], member, start)
        benefit_verify(
            referral=member.referral,
            by=cast.coordinator_a,
            benefit="sykepenger" if n == 6 else "aap",
            verified_on=dt.date(YEAR, 2, 20),
        )
    _enrol(offers[1], members[0], start)
    gym_meetings = list(Meeting.objects.filter(offer=offers[0]).order_by("date"))
    for n, meeting in enumerate(gym_meetings):
        came = {m.pk for m in members[:6]} | ({members[6].pk} if n == 0 else set())
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)
    pool = Meeting.objects.filter(offer=offers[1]).order_by("date").first()
    services.attendance_record(meeting=pool, by=cast.coordinator_a, came={members[0].pk})
    ended = dt.date(YEAR, 4, 15)
    for member in members:
        episodes.episode_set_state(
            referral=member.referral,
            state=episodes.CourseState(
                status="ended", started_on=dt.date(YEAR, 2, 1), ended_on=ended, end_reason="other"
            ),
            by=None,
        )
        for kind in ("start", "end"):
            Conversation.objects.create(
                episode=member, municipality_id=cast.a.pk, kind=kind, held_on=ended
            )
    refresh_municipality(cast.a.pk)
    return members, gym, gym_meetings


def _enrol(offer, member, on):  # noqa: ANN001, ANN202
    # The term is over (closed for enrolment now): enrolled back then, as the service would have.
    GroupEnrolment.objects.create(
        offer=offer,
        episode=member,
        municipality_id=offer.municipality_id,
        status="enrolled",
        enrolled_on=on,
    )


def rows(report, key):
    return {row[0]: row[1:] for row in report.table(key).rows}


@pytest.mark.django_db
def test_the_dashboard_has_the_group_rows_under_the_small_cell_rule(cast, group_year):
    members, _gym, gym_meetings = group_year
    n = len(gym_meetings)
    report = build_report(cast.programme_a, YEAR)
    summary = rows(report, "groups_summary")
    assert summary["Participants who came at least once (persons)"] == [7]
    assert summary["Meetings held"] == [n + 1]
    # Offered: the gym's meetings to seven, the pool's to the one enrolled there.
    assert summary["Meetings offered to participants"] == [7 * n + 1]
    assert summary["Attendances (a person at a meeting)"] == [6 * n + 1 + 1]
    months = rows(report, "groups_months")
    assert months[f"03.{YEAR}"][:4] == [7, n + 1, 7 * n + 1, 6 * n + 2]
    assert months[f"04.{YEAR}"] == [0, 0, 0, 0, None]
    # One with sickness benefit among seven: hidden, and the six with AAP with it (rule 2).
    benefit = rows(report, "groups_benefit")
    assert benefit["Work assessment allowance (AAP)"] == ["<5", "<5", "<5"]
    assert benefit["Sickness benefit (sykepenger)"] == ["<5", "<5", "<5"]
    assert benefit["All"][0] == 7
    venue = rows(report, "groups_venue")
    assert venue["Fjordvik Treningssenter"][0] == "<5"  # the pool's one would follow from it
    assert venue["Fjordvik bad"] == ["<5", "<5", "<5"]
    # Six completed of seven ended: the one who did not would follow (rule 2).
    completion = rows(report, "groups_completion")
    assert completion["Courses that ended in the year"] == [7]
    assert completion["… completed under the programme's rule"] == ["<5"]
    assert completion["Completion %"] == ["<5"]
    assert "75 %" in report.table("groups_completion").note


@pytest.mark.django_db
def test_a_benefit_group_of_five_or_more_is_shown_and_a_later_check_moves_the_person(
    cast, group_year
):
    members, _gym, _meetings = group_year
    # The six on AAP are checked again in March: sickness benefit. All seven now in one group.
    for member in members[:6]:
        benefit_verify(
            referral=member.referral,
            by=cast.coordinator_a,
            benefit="sykepenger",
            verified_on=dt.date(YEAR, 3, 1),
        )
    # Two more do not complete (no end conversation): 4 of 7 completed, under the rule.
    Conversation.objects.filter(episode__in=members[:2], kind="end").delete()
    refresh_municipality(cast.a.pk)
    report = build_report(cast.programme_a, YEAR)
    benefit = rows(report, "groups_benefit")
    assert benefit["Sickness benefit (sykepenger)"][0] == 7
    assert "Work assessment allowance (AAP)" not in benefit
    assert rows(report, "groups_completion")["… completed under the programme's rule"] == ["<5"]


@pytest.mark.django_db
def test_the_yearly_report_page_csv_and_pdf_show_the_same_suppressed_cells(cast, group_year):
    client = signed_in(cast.coordinator_a)
    pk = cast.programme_a.pk
    url = reverse("web:group_year_report", args=[pk]) + f"?year={YEAR}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "By benefit group" in html and "By venue" in html and "By age band" in html
    assert "Deltaker" not in html  # no names leave the case view
    report = build_group_year_report(cast.programme_a, YEAR)
    by_gender = rows(report, "groups_gender")
    assert by_gender["All"] == [7]
    response = client.get(reverse("web:group_year_report_csv", args=[pk]) + f"?year={YEAR}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Work assessment allowance (AAP)", "<5", "<5", "<5"] in lines
    assert ["Participants who came at least once (persons)", "7"] in lines
    one = client.get(
        reverse("web:group_year_report_csv", args=[pk]) + f"?year={YEAR}&table=groups_venue"
    )
    assert list(csv.reader(io.StringIO(one.content.decode())))[0][0] == "By venue"
    assert (
        client.get(reverse("web:group_year_report_csv", args=[pk]) + "?table=nope").status_code
        == 404
    )
    pdf = client.get(reverse("web:group_year_report_pdf", args=[pk]) + f"?year={YEAR}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    exports = AuditEntry.objects.filter(
        action="export", object_type="tenancy.programme", object_id=str(pk)
    )
    assert {e.changes["format"] for e in exports} == {"csv", "pdf"}


@pytest.mark.django_db
def test_the_yearly_report_is_only_for_group_programmes(cast):
    client = signed_in(cast.coordinator_a)
    url = reverse("web:group_year_report", args=[cast.programme_a.pk])
    assert cast.programme_a.delivery != "group"
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_yearly_report_reads_a_fixed_number_of_queries(cast, group_year):
    client = signed_in(cast.coordinator_a)
    url = reverse("web:group_year_report", args=[cast.programme_a.pk]) + f"?year={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = [course(cast, first_name=f"Ekstra{n}") for n in range(5)]
    offer = Meeting.objects.filter(date__year=YEAR).first().offer
    for member in more:
        _enrol(offer, member, dt.date(YEAR, 3, 1))
    refresh_municipality(cast.a.pk)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    sql = " ".join(q["sql"] for q in large.captured_queries)
    assert "groups_attendance" not in sql and "referrals_episode" not in sql
