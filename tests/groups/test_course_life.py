"""A course that no pair delivers lives without one: the first group meeting it comes to starts
it (its referral leaves the waiting list: granted, course under way), the coordinator ends it on
its page or through the API (its referral closes, it leaves its groups that day and its place
goes to the first waiting), and the course list says which ended courses are completed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.referrals import episodes
from kobling.referrals.models import Conversation, Episode, Referral
from kobling.referrals.selectors import waiting_list_queryset
from tests.conftest import signed_in
from tests.followup import scenario as s
from tests.groups.test_groups import course, leader, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_programme(cast):
    cast.programme_a.delivery = "group"
    cast.programme_a.save(update_fields=["delivery"])
    return cast.programme_a


def _past_meetings(offer):  # noqa: ANN001, ANN202
    services.meetings_generate(offer=offer, by=None)
    return list(Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date"))


def test_the_first_meeting_a_course_comes_to_starts_it(cast, group_programme):
    offer = make_offer(cast, leaders=[leader(cast)])
    anne = course(cast, first_name="Anne", started=False)
    bjorn = course(cast, first_name="Bjørn", started=False)
    for member in (anne, bjorn):
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    # A place is not a start: both still wait, and stay on the waiting list.
    assert {anne.referral.status, bjorn.referral.status} == {"waiting"}
    first, second = _past_meetings(offer)[:2]
    services.attendance_record(meeting=first, by=cast.coordinator_a, came={anne.pk})
    anne.refresh_from_db()
    bjorn.refresh_from_db()
    assert (anne.status, anne.started_on) == ("active", first.date)
    assert Referral.objects.get(pk=anne.referral_id).status == "started"
    # Absent from the meeting: not started.
    assert (bjorn.status, bjorn.started_on) == ("waiting", None)
    waiting = waiting_list_queryset(Referral.objects.all())
    assert list(waiting.values_list("pk", flat=True)) == [bjorn.referral_id]
    # A later meeting does not move the start.
    services.attendance_record(meeting=second, by=cast.coordinator_a, came={anne.pk, bjorn.pk})
    anne.refresh_from_db()
    bjorn.refresh_from_db()
    assert anne.started_on == first.date and bjorn.started_on == second.date


def test_ending_a_group_course_closes_its_referral_and_frees_its_place(cast, group_programme):
    offer = make_offer(cast, capacity=1, leaders=[leader(cast)])
    anne = course(cast, first_name="Anne")
    next_in_line = course(cast, first_name="Cecilie")
    services.enrolment_create(offer=offer, episode=anne, by=cast.coordinator_a)
    queued = services.enrolment_create(offer=offer, episode=next_in_line, by=cast.coordinator_a)
    assert queued.status == "waiting"
    today = timezone.localdate()
    response = signed_in(cast.coordinator_a).post(
        f"/forlop/{anne.pk}/avslutt/",
        {
            "ended_on": today.isoformat(),
            "end_reason": "goal_reached",
            "handover_destination": "gym",
            "handover_note": "Trener videre på senteret.",
            "version": anne.version,
        },
    )
    assert response.status_code == 302, response.content.decode()
    anne.refresh_from_db()
    assert (anne.status, anne.ended_on, anne.end_reason, anne.handover_destination) == (
        "ended",
        today,
        "goal_reached",
        "gym",
    )
    assert Referral.objects.get(pk=anne.referral_id).status == "closed"
    left = GroupEnrolment.objects.get(episode=anne)
    assert (left.status, left.left_on) == ("left", today)
    queued.refresh_from_db()
    assert queued.status == "enrolled"  # the freed place went to the first waiting
    # Ended once: a second end is refused with the reason, nothing changes.
    again = signed_in(cast.coordinator_a).post(
        f"/forlop/{anne.pk}/avslutt/",
        {"ended_on": today.isoformat(), "end_reason": "moved", "version": anne.version},
    )
    assert again.status_code == 200 and "The course has ended." in again.content.decode()
    assert Episode.objects.get(pk=anne.pk).end_reason == "goal_reached"


def test_bad_ends_are_refused_and_save_nothing(cast, group_programme):
    anne = course(cast, first_name="Anne")
    client = signed_in(cast.coordinator_a)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        ({"ended_on": tomorrow.isoformat(), "end_reason": "moved"}, "in the future"),
        ({"ended_on": "2000-01-01", "end_reason": "moved"}, "before it started"),
        ({"ended_on": timezone.localdate().isoformat(), "end_reason": ""}, "required"),
    ]
    for data, message in cases:
        page = client.post(f"/forlop/{anne.pk}/avslutt/", {**data, "version": anne.version})
        assert page.status_code == 200
        assert message in page.content.decode(), message
    stale = client.post(
        f"/forlop/{anne.pk}/avslutt/",
        {
            "ended_on": timezone.localdate().isoformat(),
            "end_reason": "moved",
            "version": anne.version - 1,
        },
    )
    assert "changed by someone else" in stale.content.decode()
    anne.refresh_from_db()
    assert anne.status == "active" and anne.ended_on is None


def test_a_course_with_an_open_pair_or_delivered_one_to_one_ends_through_its_pair(cast):
    # Programme A delivers one to one here: its courses end when their pair ends.
    anne = course(cast, first_name="Anne")
    with pytest.raises(ValidationError, match="end the pair instead"):
        episodes.episode_end(
            episode=anne,
            by=cast.coordinator_a,
            ended_on=timezone.localdate(),
            end_reason="moved",
        )
    page = signed_in(cast.coordinator_a).get(f"/forlop/{anne.pk}/avslutt/").content.decode()
    assert "end the pair instead" in page and 'name="end_reason"' not in page
    # A group course with an individual pair beside it: the pair ends first.
    cast.programme_a.delivery = "group"
    cast.programme_a.save(update_fields=["delivery"])
    bodil = course(cast, first_name="Bodil")
    s.pairing(bodil.referral, s.contact(cast.programme_a))
    bodil.refresh_from_db()
    assert bodil.delivery == "group" and not episodes.may_end_directly(bodil)
    with pytest.raises(ValidationError, match="open pair"):
        episodes.episode_end(
            episode=bodil,
            by=cast.coordinator_a,
            ended_on=timezone.localdate(),
            end_reason="moved",
        )


def test_the_api_ends_a_course_with_its_version_and_only_for_coordinators(
    cast, api, group_programme
):
    anne = course(cast, first_name="Anne")
    today = timezone.localdate().isoformat()
    url = f"/api/v1/episodes/{anne.pk}/end/"
    body = {"ended_on": today, "end_reason": "participant_stopped"}
    assert api(cast.coordinator_a).post(url, body, format="json").status_code == 400  # no version
    assert api(cast.coordinator_b).post(url, {**body, "version": anne.version}).status_code == 404
    assert api(cast.referrer_a).post(url, {**body, "version": anne.version}).status_code in {
        403,
        404,
    }
    stale = api(cast.coordinator_a).post(url, {**body, "version": anne.version + 5}, format="json")
    assert stale.status_code == 409
    done = api(cast.coordinator_a).post(url, {**body, "version": anne.version}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "ended" and done.json()["ended_on"] == today
    assert Referral.objects.get(pk=anne.referral_id).status == "closed"


def test_the_course_list_shows_and_filters_completed_courses(cast, group_programme):
    programme = group_programme
    programme.completion_min_attendance_pct = 50
    programme.save(update_fields=["completion_min_attendance_pct"])
    offer = make_offer(cast, leaders=[leader(cast)])
    anne, bjorn = course(cast, first_name="Anne"), course(cast, first_name="Bjørn")
    running = course(cast, first_name="Cecilie")
    for member in (anne, bjorn, running):
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    for meeting in _past_meetings(offer):
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came={anne.pk})
    for member in (anne, bjorn):
        episodes.episode_end(
            episode=member,
            by=cast.coordinator_a,
            ended_on=timezone.localdate(),
            end_reason="goal_reached",
        )
    assert not Conversation.objects.exists()  # the rule here is attendance only
    client = signed_in(cast.coordinator_a)

    def names(query: str) -> dict[str, str]:
        page = client.get(f"/forlop/{query}").content.decode()
        rows = {}
        for member in ("Anne", "Bjørn", "Cecilie"):
            if f">{member} " in page:
                after = page.split(f">{member} ", 1)[1].split('data-completed="', 1)[1]
                rows[member] = after.split('"', 1)[0]
        return rows

    assert names("") == {"Anne": "yes", "Bjørn": "no", "Cecilie": "none"}
    assert names("?completed=yes") == {"Anne": "yes"}
    assert names("?completed=no") == {"Bjørn": "no"}


def test_the_referrer_follows_a_started_group_course_from_the_referral(cast, group_programme):
    anne = course(cast, first_name="Anne", started=False)
    referrer = signed_in(cast.referrer_a)
    page = referrer.get(f"/henvisninger/{anne.referral_id}/").content.decode()
    assert f"/forlop/{anne.pk}/rapport/" not in page  # waiting: nothing to report yet
    episodes.episode_start(episode=anne, by=None, started_on=timezone.localdate())
    page = referrer.get(f"/henvisninger/{anne.referral_id}/").content.decode()
    assert f"/forlop/{anne.pk}/rapport/" in page and "Granted, course under way" in page
    assert referrer.get(f"/forlop/{anne.pk}/rapport/").status_code == 200
