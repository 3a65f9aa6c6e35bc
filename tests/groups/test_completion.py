"""Completion per programme (docs/groups.md, "Completion"): the rule as a pure function, the
programme's settings and the kind's defaults, the selector for many courses in a fixed number of
queries, and the course's report and timeline saying whether it is completed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.followup.report import build_episode_report
from kobling.groups import services
from kobling.groups.completion import (
    CompletionRule,
    CourseFacts,
    completions,
    is_completed,
    offered_by_course,
)
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.referrals import episodes
from kobling.referrals.models import Conversation
from kobling.referrals.timeline import timeline
from kobling.tenancy.services import programme_create
from tests.conftest import signed_in
from tests.groups.test_groups import course, leader, make_offer

FRISKLIV = CompletionRule(min_attendance_pct=75, needs_end_conversation=True)


# --- the rule (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        (FRISKLIV, CourseFacts(True, True, 12, 9), True),  # exactly 75 %
        (FRISKLIV, CourseFacts(True, True, 12, 8), False),  # 66.7 %
        (FRISKLIV, CourseFacts(True, False, 12, 12), False),  # no end conversation
        (FRISKLIV, CourseFacts(False, True, 12, 12), False),  # still running
        (FRISKLIV, CourseFacts(True, True, 0, 0), False),  # a share of nothing is not met
        (CompletionRule(75, False), CourseFacts(True, False, 4, 3), True),
        (CompletionRule(None, True), CourseFacts(True, True, 0, 0), True),
        (CompletionRule(None, True), CourseFacts(True, False, 10, 10), False),
        (CompletionRule(0, False), CourseFacts(True, False, 0, 0), True),
        (CompletionRule(None, False), CourseFacts(True, True, 10, 10), None),  # no rule
    ],
)
def test_the_rule_is_ended_and_every_condition_the_programme_sets(rule, facts, expected):
    assert is_completed(rule, facts) is expected


def test_the_rule_reads_as_words():
    assert "75 %" in FRISKLIV.describe() and "end conversation" in FRISKLIV.describe()
    assert "no completion rule" in CompletionRule().describe()
    assert not CompletionRule().defined and CompletionRule(None, True).defined


# --- the programme's settings -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_frisklivsresept_starts_with_75_percent_and_the_end_conversation(cast):
    made = programme_create(
        by=cast.admin_a, municipality=cast.a, data={"kind": "frisklivsresept", "name": "FLS"}
    )
    assert (made.completion_min_attendance_pct, made.completion_needs_end_conversation) == (
        75,
        True,
    )
    other = programme_create(
        by=cast.admin_a, municipality=cast.a, data={"kind": "aktiv_pa_dagtid", "name": "APD"}
    )
    assert (other.completion_min_attendance_pct, other.completion_needs_end_conversation) == (
        None,
        False,
    )


@pytest.mark.django_db
def test_the_api_changes_the_rule_and_refuses_more_than_100_percent(cast, api):
    programme = cast.programme_a
    url = f"/api/v1/programmes/{programme.pk}/"
    refused = api(cast.admin_a).patch(
        url, {"completion_min_attendance_pct": 120, "version": programme.version}, format="json"
    )
    assert refused.status_code == 400 and "completion_min_attendance_pct" in refused.json()
    saved = api(cast.admin_a).patch(
        url,
        {
            "completion_min_attendance_pct": 80,
            "completion_needs_end_conversation": True,
            "version": programme.version,
        },
        format="json",
    )
    assert saved.status_code == 200, saved.content
    programme.refresh_from_db()
    assert (
        programme.completion_min_attendance_pct,
        programme.completion_needs_end_conversation,
    ) == (
        80,
        True,
    )


# --- per course ----------------------------------------------------------------------------------


@pytest.fixture
def rule_group(cast):
    """Programme A with the frisklivsresept rule; a group with its past meetings; Anne came to
    all of them, Bjørn to the first only."""
    programme = cast.programme_a
    programme.completion_min_attendance_pct = 75
    programme.completion_needs_end_conversation = True
    programme.uses_conversations = True
    programme.save()
    offer = make_offer(cast, leaders=[leader(cast)])
    anne, bjorn = course(cast, first_name="Anne"), course(cast, first_name="Bjørn")
    for member in (anne, bjorn):
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    past = list(Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date"))
    for n, meeting in enumerate(past):
        came = {anne.pk} | ({bjorn.pk} if n == 0 else set())
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)
    return offer, anne, bjorn, past


def _end(episode, on):  # noqa: ANN001, ANN202
    return episodes.episode_set_state(
        referral=episode.referral,
        state=episodes.CourseState(
            status="ended", started_on=episode.started_on, ended_on=on, end_reason="goal_reached"
        ),
        by=None,
    )


def _end_talk(episode, on):  # noqa: ANN001, ANN202
    Conversation.objects.create(
        episode=episode, municipality_id=episode.municipality_id, kind="start", held_on=on
    )
    Conversation.objects.create(
        episode=episode, municipality_id=episode.municipality_id, kind="end", held_on=on
    )


@pytest.mark.django_db
def test_the_report_says_completed_only_when_ended_with_the_talk_and_enough_meetings(
    cast, api, rule_group
):
    _offer, anne, bjorn, past = rule_group
    today = timezone.localdate()
    assert build_episode_report(anne).completed is False  # still running
    anne = _end(anne, today)
    assert build_episode_report(anne).completed is False  # no end conversation yet
    _end_talk(anne, today)
    bjorn = _end(bjorn, today)
    _end_talk(bjorn, today)
    report = build_episode_report(anne)
    assert report.completed is True and report.meetings_attended == len(past)
    assert "75 %" in report.completion_rule
    assert build_episode_report(bjorn).completed is False  # 1 of len(past) ≥ 4
    body = api(cast.referrer_a).get(f"/api/v1/episodes/{anne.pk}/report").json()
    assert body["completed"] is True and "75 %" in body["completion_rule"]
    page = signed_in(cast.coordinator_a).get(f"/forlop/{anne.pk}/rapport/").content.decode()
    assert "Group meetings attended (of offered)" in page
    assert f"{len(past)} / {len(past)}" in page and "75 %" in page


@pytest.mark.django_db
def test_the_timeline_shows_whether_an_ended_course_completed(cast, rule_group):
    _offer, anne, bjorn, past = rule_group
    today = timezone.localdate()
    assert not [e for e in timeline(anne) if e.kind == "completion"]
    anne, bjorn = _end(anne, today), _end(bjorn, today)
    _end_talk(anne, today)
    [done] = [e for e in timeline(anne) if e.kind == "completion"]
    assert done.title == "Completed under the programme's rule"
    assert f"{len(past)} of {len(past)} group meetings attended" in done.detail
    [not_done] = [e for e in timeline(bjorn) if e.kind == "completion"]
    assert not_done.title == "Not completed under the programme's rule"
    assert "no end conversation" in not_done.detail


@pytest.mark.django_db
def test_the_selector_decides_many_courses_in_a_fixed_number_of_queries(cast, rule_group):
    offer, anne, bjorn, past = rule_group
    today = timezone.localdate()
    for member in (anne, bjorn):
        _end_talk(_end(member, today), today)
    with CaptureQueriesContext(connection) as small:
        few = completions([anne.pk, bjorn.pk], today=today)
    assert few[anne.pk].completed is True and few[bjorn.pk].completed is False
    assert (few[bjorn.pk].offered, few[bjorn.pk].attended) == (len(past), 1)
    more = [course(cast, first_name=f"P{n}") for n in range(6)]
    for member in more:
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    services.attendance_record(
        meeting=past[0], by=cast.coordinator_a, came={m.pk for m in more} | {anne.pk, bjorn.pk}
    )
    with CaptureQueriesContext(connection) as large:
        many = completions([anne.pk, bjorn.pk, *(m.pk for m in more)], today=today)
    assert len(large.captured_queries) == len(small.captured_queries) == 5
    assert many[more[0].pk].completed is False  # still running
    # The same offered meetings as the course's report counts.
    report = build_episode_report(bjorn)
    assert (report.meetings_offered, report.meetings_attended) == (
        many[bjorn.pk].offered,
        many[bjorn.pk].attended,
    )
    by_municipality = offered_by_course(today=today, municipality_id=cast.a.pk)
    assert len(by_municipality[anne.pk]) == len(past)


@pytest.mark.django_db
def test_a_drop_in_meeting_counts_as_offered_and_attended(cast, rule_group):
    offer, anne, _bjorn, past = rule_group
    visitor = course(cast, first_name="Drop")
    offer.is_drop_in = True
    offer.save(update_fields=["is_drop_in"])
    services.attendance_record(
        meeting=past[-1], by=cast.coordinator_a, came={anne.pk}, drop_ins={visitor.pk}
    )
    decided = completions([visitor.pk], today=timezone.localdate() + dt.timedelta(days=1))
    assert (decided[visitor.pk].offered, decided[visitor.pk].attended) == (1, 1)
