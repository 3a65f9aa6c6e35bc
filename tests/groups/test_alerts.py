"""The groups' alerts: a course absent from a group's last three meetings, and a group below
its minimum size — for the municipality's coordinators only, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.core.alerts import alerts_for
from kobling.groups import services
from kobling.groups.alerts import GROUP_ABSENT, GROUP_SMALL, absent_in_a_row
from kobling.groups.models import GroupEnrolment, Meeting
from tests.groups.test_groups import course, make_offer

pytestmark = pytest.mark.django_db


def _kinds(user, kind):
    return [a for a in alerts_for(user) if a.kind == kind]


@pytest.fixture
def group(cast):
    offer = make_offer(cast, minimum_size=3)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    members = [course(cast, first_name=n) for n in ("Anne", "Bjørn")]
    for member in members:
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    return offer, members


def _record(cast, offer, came_for):
    meetings = list(
        Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date")
    )
    for meeting, came in zip(meetings[-len(came_for) :], came_for, strict=True):
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)


def test_absent_from_the_last_three_meetings_is_flagged_and_a_visit_clears_it(cast, group):
    offer, (anne, bjorn) = group
    _record(cast, offer, [{anne.pk, bjorn.pk}, {anne.pk}, {anne.pk}, {anne.pk}])
    [alert] = _kinds(cast.coordinator_a, GROUP_ABSENT)
    assert alert.episode == bjorn and alert.pairing is None
    assert alert.url == f"/forlop/{bjorn.pk}/" and "Trening i gruppe" in alert.text
    assert _kinds(cast.coordinator_b, GROUP_ABSENT) == []
    last = Meeting.objects.filter(offer=offer, status="held").order_by("-date").first()
    services.attendance_record(meeting=last, by=cast.coordinator_a, came={anne.pk, bjorn.pk})
    assert _kinds(cast.coordinator_a, GROUP_ABSENT) == []


def test_a_course_that_left_the_group_is_not_flagged(cast, group):
    offer, (anne, bjorn) = group
    _record(cast, offer, [{anne.pk}, {anne.pk}, {anne.pk}])
    assert len(_kinds(cast.coordinator_a, GROUP_ABSENT)) == 1
    enrolment = GroupEnrolment.objects.get(episode=bjorn)
    services.enrolment_leave(enrolment=enrolment, by=cast.coordinator_a, reason="Sluttet")
    assert _kinds(cast.coordinator_a, GROUP_ABSENT) == []


def test_a_group_below_its_minimum_size_is_flagged(cast, group):
    offer, _members = group
    [alert] = _kinds(cast.coordinator_a, GROUP_SMALL)
    assert alert.subject == offer.title and "2 enrolled" in alert.text
    services.enrolment_create(
        offer=offer, episode=course(cast, first_name="C"), by=cast.coordinator_a
    )
    assert _kinds(cast.coordinator_a, GROUP_SMALL) == []


def test_the_absence_alert_reads_a_fixed_number_of_queries(cast, group):
    offer, (anne, bjorn) = group

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            absent_in_a_row([cast.a.pk], timezone.localdate())
        return len(captured)

    _record(cast, offer, [{anne.pk}, {anne.pk}, {anne.pk}])
    few = count()
    for n in range(4):
        extra = course(cast, first_name=f"X{n}")
        services.enrolment_create(offer=offer, episode=extra, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    _record(cast, offer, [{anne.pk}, {anne.pk}, {anne.pk}])
    assert len(_kinds(cast.coordinator_a, GROUP_ABSENT)) == 5
    assert count() == few


# --- a cancelled meeting is told to those enrolled ------------------------------------------


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_meeting_e_mails_those_enrolled_once(cast, database_tasks, smtp_server):
    from django.core.management import call_command

    from kobling.referrals.models import Participant

    offer = make_offer(cast)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    with_mail, without = course(cast, first_name="Eva"), course(cast, first_name="Ola")
    Participant.objects.filter(pk=with_mail.participant_id).update(email="eva@example.test")
    Participant.objects.filter(pk=without.participant_id).update(email="")
    for member in (with_mail, without):
        services.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    upcoming = Meeting.objects.filter(offer=offer, date__gt=timezone.localdate()).first()
    services.meeting_cancel(
        meeting=upcoming, by=cast.coordinator_a, reason="Lederen er syk", expected_version=None
    )
    for _ in range(2):
        call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    # (The courses' start notices go to their referrer; nothing else goes to the participants.)
    to_people = [m for m in smtp_server.messages if m.rcpt_tos != [cast.referrer_a.email]]
    [mail] = to_people
    assert mail.rcpt_tos == ["eva@example.test"]
    assert "Trening i gruppe" in mail.text and upcoming.start_time.strftime("%H:%M") in mail.text
    assert "syk" not in mail.prose and "Eva" not in mail.prose
