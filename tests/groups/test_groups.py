"""Group offers: an offer with leaders of the right kind and its weekly times makes its meetings;
courses enrol up to capacity and then wait (the place goes to the first waiting when someone
leaves, also when two race for it); the leader records who came — corrections supersede, a
cancelled, future or too-late meeting is refused, drop-ins only where the group is open — and the
course's referrer report counts the meetings offered and attended."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from kobling.followup.report import build_episode_report
from kobling.groups import services
from kobling.groups.models import Attendance, GroupEnrolment, Meeting
from kobling.groups.selectors import HeldMeeting, Span, group_part
from kobling.referrals import episodes
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TUESDAY, THURSDAY = 1, 3


def leader(cast, *, kind="healthy_life_guide", municipality=None, user=None):
    programme = cast.programme_a if municipality is None else cast.programme_b
    helper = f.make_active(f.HelperFactory(programme=programme, kind=kind))
    if user is not None:
        helper.user = user
        helper.save(update_fields=["user"])
    return helper


def course(cast, *, first_name="Solveig", started=True):
    referral = s.waiting(cast.programme_a, first_name=first_name, referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    episodes.episode_for_referral(referral)
    if not started:
        return referral.episode
    return episodes.episode_set_state(
        referral=referral,
        state=episodes.CourseState(
            status="active", started_on=timezone.localdate() - dt.timedelta(days=60)
        ),
        by=None,
    )


def make_offer(cast, *, capacity=15, leaders=None, weeks_back=4, weeks_ahead=8, **data):
    today = timezone.localdate()
    return services.offer_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        data={
            "programme": cast.programme_a,
            "title": "Trening i gruppe",
            "topic": "training",
            "place": "Frisklivssentralen",
            "term_start": today - dt.timedelta(weeks=weeks_back),
            "term_end": today + dt.timedelta(weeks=weeks_ahead),
            "capacity": capacity,
            **data,
        },
        leaders=leaders or [leader(cast)],
        times=[
            services.WeeklyTime(TUESDAY, dt.time(10, 0), 60),
            services.WeeklyTime(THURSDAY, dt.time(10, 0), 45),
        ],
    )


@pytest.fixture
def offer(cast):
    return make_offer(cast)


# --- offers and meetings ---------------------------------------------------------------------


def test_the_term_and_weekly_times_make_the_meetings_once(cast, offer):
    made = services.meetings_generate(offer=offer, by=cast.coordinator_a)
    expected = sum(
        1
        for n in range((offer.term_end - offer.term_start).days + 1)
        if (offer.term_start + dt.timedelta(days=n)).weekday() in (TUESDAY, THURSDAY)
    )
    assert len(made) == expected and expected >= 24
    assert {m.minutes for m in made} == {60, 45}
    assert services.meetings_generate(offer=offer, by=cast.coordinator_a) == []
    # A moved meeting is not made again at its old time.
    planned = Meeting.objects.filter(offer=offer, date__gt=timezone.localdate()).first()
    services.meeting_move(
        meeting=planned,
        by=cast.coordinator_a,
        date=planned.date + dt.timedelta(days=1),
        start_time=dt.time(12, 0),
        expected_version=planned.version,
    )
    assert services.meetings_generate(offer=offer, by=cast.coordinator_a) == []


def test_a_leader_must_be_a_guide_or_instructor_of_the_municipality(cast):
    with pytest.raises(ValidationError) as refused:
        make_offer(cast, leaders=[leader(cast, kind="training_contact")])
    assert "cannot lead a group" in str(refused.value)
    with pytest.raises(ValidationError):
        make_offer(cast, leaders=[leader(cast, municipality="b")])
    with pytest.raises(PermissionDenied):
        services.offer_create(
            by=cast.referrer_a,
            municipality=cast.a,
            data={},
            leaders=[leader(cast)],
            times=[services.WeeklyTime(TUESDAY, dt.time(10, 0), 60)],
        )


def test_a_bad_term_or_capacity_is_refused_and_nothing_is_saved(cast):
    from kobling.groups.models import GroupOffer

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        make_offer(cast, term_start=today, term_end=today - dt.timedelta(days=1))
    assert "cannot end before it starts" in str(refused.value)
    with pytest.raises(ValidationError):
        make_offer(cast, capacity=0)
    assert not GroupOffer.objects.exists()


# --- enrolment -------------------------------------------------------------------------------


def test_beyond_capacity_a_course_waits_and_gets_the_place_that_frees_up(cast):
    small = make_offer(cast, capacity=2)
    first, second, third, fourth = (course(cast, first_name=n) for n in ("A", "B", "C", "D"))
    rows = [
        services.enrolment_create(offer=small, episode=c, by=cast.coordinator_a)
        for c in (first, second, third, fourth)
    ]
    assert [r.status for r in rows] == ["enrolled", "enrolled", "waiting", "waiting"]
    services.enrolment_leave(enrolment=rows[0], by=cast.coordinator_a, reason="Flyttet")
    statuses = dict(GroupEnrolment.objects.values_list("episode_id", "status"))
    assert statuses[third.pk] == "enrolled" and statuses[fourth.pk] == "waiting"
    # Leaving and joining again keeps the history.
    again = services.enrolment_create(offer=small, episode=first, by=cast.coordinator_a)
    assert again.status == "waiting"
    assert GroupEnrolment.objects.filter(episode=first).count() == 2
    with pytest.raises(ValidationError):
        services.enrolment_create(offer=small, episode=first, by=cast.coordinator_a)


def test_a_course_of_another_programme_or_an_ended_one_cannot_enrol(cast, offer):
    other = course(cast)
    other.programme = f.ProgrammeFactory(municipality=cast.a, name="Aktiv på dagtid")
    other.save(update_fields=["programme"])
    with pytest.raises(ValidationError) as refused:
        services.enrolment_create(offer=offer, episode=other, by=cast.coordinator_a)
    assert "another programme" in str(refused.value)
    ended = course(cast, first_name="Ferdig")
    ended.status, ended.ended_on = "ended", timezone.localdate()
    ended.save()
    with pytest.raises(ValidationError):
        services.enrolment_create(offer=offer, episode=ended, by=cast.coordinator_a)
    with pytest.raises(PermissionDenied):
        services.enrolment_create(offer=offer, episode=course(cast), by=cast.coordinator_b)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_racing_for_the_last_place_never_overbook_the_group(cast):
    small = make_offer(cast, capacity=1)
    racers = [course(cast, first_name=n) for n in ("Ola", "Kari")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol(episode):
        from django.db import connection as conn

        try:
            barrier.wait(timeout=10)
            row = services.enrolment_create(offer=small, episode=episode, by=cast.coordinator_a)
            outcomes.append(row.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=enrol, args=(c,)) for c in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["enrolled", "waiting"]
    assert GroupEnrolment.objects.filter(offer=small, status="enrolled").count() == 1


# --- attendance ------------------------------------------------------------------------------


@pytest.fixture
def group(cast):
    """An offer led by the contact user, three courses enrolled four weeks ago, its meetings."""
    led = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)])
    members = [course(cast, first_name=n) for n in ("Anne", "Bjørn", "Cecilie")]
    for member in members:
        services.enrolment_create(offer=led, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=led.term_start)
    services.meetings_generate(offer=led, by=cast.coordinator_a)
    return led, members


def _past(offer, n=0):
    return Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("-date")[n]


def test_the_leader_ticks_who_came_and_a_second_round_corrects(cast, group):
    offer, (anne, bjorn, cecilie) = group
    meeting = _past(offer)
    services.attendance_record(
        meeting=meeting,
        by=cast.contact_user_a,
        came={anne.pk, bjorn.pk},
        intensity="moderate",
        account="Styrke og balanse",
    )
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.held_by == cast.contact_user_a
    standing = dict(Attendance.objects.current().values_list("episode_id", "attended"))
    assert standing == {anne.pk: True, bjorn.pk: True, cecilie.pk: False}
    services.attendance_record(meeting=meeting, by=cast.contact_user_a, came={anne.pk, cecilie.pk})
    standing = dict(Attendance.objects.current().values_list("episode_id", "attended"))
    assert standing == {anne.pk: True, bjorn.pk: False, cecilie.pk: True}
    # Two corrections, each a new entry; the entries they correct stay as they were.
    assert Attendance.objects.count() == 5
    corrected = Attendance.objects.get(episode=bjorn, superseded_by__isnull=False)
    assert corrected.attended is True
    assert AuditEntry.objects.filter(object_type="groups.meeting", object_id=str(meeting.pk))


def test_attendance_is_refused_for_a_cancelled_or_future_meeting_or_a_stranger(cast, group):
    offer, (anne, *_rest) = group
    future = Meeting.objects.filter(offer=offer, date__gt=timezone.localdate()).first()
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(meeting=future, by=cast.contact_user_a, came={anne.pk})
    assert "not taken place" in str(refused.value)
    past = _past(offer)
    services.meeting_cancel(
        meeting=_past(offer, 1), by=cast.coordinator_a, reason="Sykdom", expected_version=None
    )
    with pytest.raises(ValidationError):
        services.attendance_record(meeting=_past(offer, 1), by=cast.coordinator_a, came=set())
    with pytest.raises(PermissionDenied):
        services.attendance_record(meeting=past, by=cast.referrer_a, came={anne.pk})
    stranger = course(cast, first_name="Fremmed")
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(meeting=past, by=cast.contact_user_a, came={stranger.pk})
    assert "enrolled" in str(refused.value)
    assert not Attendance.objects.exists()


def test_late_entry_is_the_programmes_number_of_days_for_leaders_not_coordinators(cast, group):
    offer, (anne, *_rest) = group
    cast.programme_a.attendance_late_days = 3
    cast.programme_a.save(update_fields=["attendance_late_days"])
    old = Meeting.objects.filter(
        offer=offer, date__lt=timezone.localdate() - dt.timedelta(days=3)
    ).last()
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(meeting=old, by=cast.contact_user_a, came={anne.pk})
    assert "up to 3 days" in str(refused.value)
    services.attendance_record(meeting=old, by=cast.coordinator_a, came={anne.pk})


def test_drop_ins_only_where_the_group_is_open(cast, group):
    offer, (anne, *_rest) = group
    visitor = course(cast, first_name="Drop")
    meeting = _past(offer)
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(
            meeting=meeting, by=cast.contact_user_a, came={anne.pk}, drop_ins={visitor.pk}
        )
    assert "not open for drop-in" in str(refused.value)
    offer.is_drop_in = True
    offer.save(update_fields=["is_drop_in"])
    services.attendance_record(
        meeting=meeting, by=cast.contact_user_a, came={anne.pk}, drop_ins={visitor.pk}
    )
    entry = Attendance.objects.current().get(episode=visitor)
    assert entry.attended and entry.is_drop_in


# --- the course's report ---------------------------------------------------------------------


def test_the_course_report_counts_meetings_offered_and_attended(cast, api, group):
    offer, (anne, bjorn, _cecilie) = group
    held = list(Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date"))
    for n, meeting in enumerate(held):
        came = {bjorn.pk} | ({anne.pk} if n % 2 == 0 else set())
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)
    # A cancelled meeting is not offered.
    upcoming = Meeting.objects.filter(offer=offer, date__gt=timezone.localdate()).first()
    services.meeting_cancel(
        meeting=upcoming, by=cast.coordinator_a, reason="Ferie", expected_version=None
    )
    report = build_episode_report(anne)
    attended = len(held[::2])
    assert (report.meetings_offered, report.meetings_attended) == (len(held), attended)
    assert report.sessions_held == attended and report.sessions_no_show == len(held) - attended
    assert report.minutes_total == sum(m.minutes for m in held[::2])
    body = api(cast.referrer_a).get(f"/api/v1/episodes/{anne.pk}/report").json()
    assert body["meetings_offered"] == len(held) and body["meetings_attended"] == attended
    assert body["attendance_rate"] == f"{attended / len(held):.3f}"
    assert body["minutes_total"] == report.minutes_total


def test_the_group_part_is_a_pure_sum():
    day = dt.date(2026, 3, 3)
    spans = [Span(1, day, day + dt.timedelta(days=14))]
    meetings = [
        HeldMeeting(10, 1, day, 60),
        HeldMeeting(11, 1, day + dt.timedelta(days=7), 60),
        HeldMeeting(12, 1, day + dt.timedelta(days=21), 60),  # after leaving
        HeldMeeting(20, 2, day + dt.timedelta(days=2), 30),  # another group, as a drop-in
    ]
    part = group_part(spans, meetings, {10: True, 11: False, 20: True}, day + dt.timedelta(days=30))
    assert (part.planned, part.held, part.no_show, part.minutes) == (3, 2, 1, 90)
    assert part.end == day + dt.timedelta(days=14) and part.kind == "meetings"
    assert group_part([], meetings, {}, day) is None


def test_raw_sql_cannot_change_or_delete_an_attendance_entry(cast, group):
    from django.db import IntegrityError, connection, transaction

    offer, (anne, *_rest) = group
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came={anne.pk})
    entry = Attendance.objects.get(episode=anne)
    for sql in (
        "UPDATE groups_attendance SET attended = false WHERE id = %s",
        "DELETE FROM groups_attendance WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    # A correction is still a new entry.
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came=set())
    assert Attendance.objects.current().get(episode=anne).attended is False
