"""The group pages: a coordinator creates a group (its meetings are made), enrols courses (the
full group's waiting list), and the leader ticks who came on the meeting's page — a stale form
is refused, drop-ins by their course number where the group is open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import Attendance, GroupEnrolment, GroupOffer, Meeting
from tests.conftest import signed_in
from tests.groups.test_groups import course, leader, make_offer

pytestmark = pytest.mark.django_db


def test_a_coordinator_creates_a_group_on_the_page_and_its_meetings_are_made(cast):
    guide = leader(cast)
    today = timezone.localdate()
    form = {
        "municipality": cast.a.pk,
        "programme": cast.programme_a.pk,
        "title": "Styrke og balanse",
        "topic": "training",
        "leaders": [guide.pk],
        "place": "Frisklivssentralen",
        "term_start": today.isoformat(),
        "term_end": (today + dt.timedelta(weeks=12)).isoformat(),
        "capacity": "12",
        "minimum_size": "4",
        "weekday_0": "1",
        "start_0": "10:00",
        "minutes_0": "60",
        "weekday_1": "3",
        "start_1": "",
        "minutes_1": "",
    }
    client = signed_in(cast.coordinator_a)
    half = client.post("/grupper/ny/", form)
    assert (
        half.status_code == 200
        and "Give the weekday, the start and the minutes." in half.content.decode()
    )
    assert not GroupOffer.objects.exists()
    form.update(start_1="10:00", minutes_1="45")
    done = client.post("/grupper/ny/", form)
    offer = GroupOffer.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/grupper/{offer.pk}/"
    assert Meeting.objects.filter(offer=offer).count() >= 24
    page = client.get(f"/grupper/{offer.pk}/").content.decode()
    assert "Styrke og balanse" in page and guide.full_name in page


def test_enrolling_on_the_page_fills_the_places_then_the_waiting_list(cast):
    offer = make_offer(cast, capacity=1)
    client = signed_in(cast.coordinator_a)
    first, second = course(cast, first_name="Alf"), course(cast, first_name="Berit")
    client.post(f"/grupper/{offer.pk}/meld-pa/", {"episode": first.pk})
    response = client.post(f"/grupper/{offer.pk}/meld-pa/", {"episode": second.pk}, follow=True)
    assert "waiting list" in response.content.decode()
    assert dict(GroupEnrolment.objects.values_list("episode_id", "status")) == {
        first.pk: "enrolled",
        second.pk: "waiting",
    }


@pytest.fixture
def meeting(cast):
    offer = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)], is_drop_in=True)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    for n in range(15):
        services.enrolment_create(
            offer=offer, episode=course(cast, first_name=f"Deltaker{n:02d}"), by=cast.coordinator_a
        )
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    return Meeting.objects.filter(offer=offer, date__lte=timezone.localdate()).last()


def test_the_leader_ticks_who_came_and_a_stale_form_is_refused(cast, meeting):
    client = signed_in(cast.contact_user_a)
    page = client.get(f"/samlinger/{meeting.pk}/").content.decode()
    assert page.count('type="checkbox"') == 15 and "Deltaker00" in page
    enrolled = list(GroupEnrolment.objects.values_list("episode_id", flat=True).order_by("pk"))
    visitor = course(cast, first_name="Drop")
    form = {
        "came": [str(pk) for pk in enrolled[:10]],
        "drop_ins": f"{visitor.pk}",
        "minutes": "55",
        "intensity": "moderate",
        "account": "Sirkeltrening",
        "version": str(meeting.version),
    }
    saved = client.post(f"/samlinger/{meeting.pk}/", form)
    assert saved.status_code == 302
    standing = Attendance.objects.current()
    assert standing.filter(attended=True).count() == 11 and standing.count() == 16
    assert standing.get(episode=visitor).is_drop_in
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes) == ("held", 55)
    stale = client.post(f"/samlinger/{meeting.pk}/", {**form, "came": []})
    assert stale.status_code == 200 and "Someone else changed this" in stale.content.decode()
    bad = client.post(
        f"/samlinger/{meeting.pk}/", {**form, "drop_ins": "12a", "version": str(meeting.version)}
    )
    assert "as digits" in bad.content.decode()
    assert Attendance.objects.current().filter(attended=True).count() == 11


def test_the_attendance_page_reads_a_fixed_number_of_queries(cast, meeting):
    client = signed_in(cast.contact_user_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/samlinger/{meeting.pk}/").status_code == 200
        return len(captured)

    few = count()
    for n in range(10):
        services.enrolment_create(
            offer=meeting.offer, episode=course(cast, first_name=f"Ny{n}"), by=cast.coordinator_a
        )
    GroupEnrolment.objects.update(enrolled_on=meeting.offer.term_start)
    assert count() == few
