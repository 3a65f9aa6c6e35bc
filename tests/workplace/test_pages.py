"""The pages end to end: the adviser takes a request through linking and the order, the coach
logs meetings on the phone form, the chart shows the scale against the target, the leader
evaluates; stale forms are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.workplace.choices import AssignmentStatus
from kobling.workplace.models import Assignment
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_a_request_goes_through_the_pages_to_the_leaders_evaluation(hefa):
    leader = signed_in(hefa.leader_a)
    made = leader.post(
        "/arbeidsplass/oppdrag/ny/",
        {
            "workplace": hefa.workplace_a.pk,
            "request": "Mye konflikter",
            "requested_on": "2026-01-05",
        },
    )
    assignment = Assignment.objects.get(request="Mye konflikter")
    assert made.status_code == 302 and made["Location"].endswith(f"/{assignment.pk}/")
    url = f"/arbeidsplass/oppdrag/{assignment.pk}/"
    adviser = signed_in(hefa.adviser_a)
    page = adviser.get(url).content.decode()
    assert 'id="step-link"' in page and "Cecilie Coach" in page
    linked = adviser.post(
        url,
        {
            "step": "link",
            "version": 1,
            "coach": hefa.coach_a.pk,
            "co_coach": "BHT",
            "pre_meeting_on": "2026-01-10",
        },
    )
    assert linked.status_code == 302
    # A stale order form (version 1) is refused and shown.
    coach = signed_in(hefa.coach_user_a)
    order = {
        "step": "order",
        "goals": "Mål",
        "success": "",
        "target_low": 8,
        "target_high": 9,
        "planned_meetings": 7,
    }
    stale = coach.post(url, {**order, "version": 1})
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    assert coach.post(url, {**order, "version": 2}).status_code == 302
    today = timezone.localdate()
    for days, low, high in ((20, 4, 5), (6, 6, 7)):
        logged = coach.post(
            f"{url}mote/",
            {
                "held_on": (today - dt.timedelta(days=days)).isoformat(),
                "participants": "leder, coach",
                "scale_low": low,
                "scale_high": high,
                "homework": "Lekser",
                "notes": "Hemmelig",
            },
        )
        assert logged.status_code == 302
    bad = coach.post(
        f"{url}mote/", {"held_on": today.isoformat(), "participants": "x", "scale_low": 12}
    )
    assert bad.status_code == 200 and "1 to 10" in bad.content.decode()
    page = leader.get(url).content.decode()
    assert "<svg" in page and "4–5" in page and "6–7" in page and "Hemmelig" not in page
    assert 'id="step-' not in page  # nothing for the leader to do while it runs
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert (
        coach.post(
            url, {"step": "decide", "version": assignment.version, "decision": "close"}
        ).status_code
        == 302
    )
    assert coach.post(url, {"step": "evaluate", "reaction": 5, "usefulness": 5}).status_code == 403
    done = leader.post(
        url, {"step": "evaluate", "reaction": 5, "usefulness": 4, "comment": "Nyttig"}
    )
    assert done.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reaction, assignment.usefulness) == ("closed", 5, 4)
    assert "Nyttig" in leader.get(url).content.decode()


def test_the_meeting_log_is_refused_once_the_assignment_is_closed(hefa):
    a = hefa.assignment_a
    coach = signed_in(hefa.coach_user_a)
    url = f"/arbeidsplass/oppdrag/{a.pk}/"
    assert (
        coach.post(url, {"step": "decide", "version": a.version, "decision": "close"}).status_code
        == 302
    )
    response = coach.post(
        f"{url}mote/",
        {"held_on": timezone.localdate().isoformat(), "participants": "x", "scale_low": 5},
    )
    assert response.status_code == 200 and "until closing" in response.content.decode()
    assert a.meetings.count() == 1
