"""The demo's group programmes: Fjordvik's frisklivssentral (three group offers, 40
frisklivsresept courses in every state, renewals, about six in ten ended courses complete,
drop-outs) and Nordby's Aktiv på dagtid (three venues, drop-ins, all six benefit groups)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.demo.groups import FJORDVIK_LEADER, NORDBY_INSTRUCTOR
from kobling.demo.loader import DEMO_PASSWORD, demo_users_summary, load_demo
from kobling.groups.completion import completions
from kobling.groups.models import Attendance, GroupEnrolment, GroupOffer, Meeting
from kobling.groups.selectors import attendance_parts
from kobling.groups.services import leads
from kobling.referrals.choices import Benefit
from kobling.referrals.models import BenefitCheck, Conversation, Episode, EpisodeRenewal, Referral
from kobling.referrals.selectors import referral_eligibility
from kobling.tenancy.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo()


def _completed(episode: Episode, today) -> bool:
    """Completed under the programme's rule (the frisklivsresept default: the end conversation
    held and at least 75 % of the offered meetings attended)."""
    return bool(completions([episode.pk], today=today)[episode.pk].completed)


def test_fjordvik_runs_a_frisklivssentral_with_courses_in_every_state_and_completions(demo):
    """One demo load for the whole picture (a load takes seconds)."""
    today = timezone.localdate()
    courses = Episode.objects.filter(
        municipality__name="Fjordvik", programme__kind="frisklivsresept"
    )
    assert courses.count() == 40
    assert set(courses.values_list("status", flat=True)) == {"waiting", "active", "paused", "ended"}
    assert set(courses.values_list("delivery", flat=True)) == {"group"}

    offers = GroupOffer.objects.filter(municipality__name="Fjordvik")
    assert set(offers.values_list("topic", flat=True)) == {"training", "diet", "tobacco"}
    training = offers.get(topic="training")
    assert training.times.count() == 2  # twice a week
    assert training.term_start < today - timezone.timedelta(weeks=20) < today < training.term_end
    for offer in offers:
        kinds = set(offer.leaders.values_list("kind", flat=True))
        assert kinds <= {"healthy_life_guide", "instructor"} and kinds, offer
        assert Meeting.objects.filter(offer=offer, status="held").count() >= 10, offer
    meetings = Meeting.objects.filter(offer__in=offers)
    assert meetings.filter(status="cancelled").count() >= 2
    assert any(m.is_moved for m in meetings)
    # Each group's latest meeting is left for its leader to record.
    assert meetings.filter(status="planned", date__lte=today).exists()

    enrolments = GroupEnrolment.objects.filter(offer__in=offers)
    assert set(enrolments.values_list("status", flat=True)) == {"enrolled", "waiting", "left"}
    for offer in offers:
        assert enrolments.filter(offer=offer, status="enrolled").count() <= offer.capacity
    # Left and came back: two enrolments of one course in one group.
    assert any(
        enrolments.filter(offer=training, episode=e).count() == 2 for e in courses.distinct()
    )

    started = courses.exclude(status="waiting")
    assert Conversation.objects.filter(episode__in=started, kind="start").count() == (
        started.count()
    )
    renewals = EpisodeRenewal.objects.filter(episode__in=courses)
    assert renewals.count() >= 4
    assert courses.filter(renewals_used=1, status="active").exists()
    assert courses.filter(renewals_used=1, status="ended").exists()

    sources = set(
        Referral.objects.filter(episode__in=courses).values_list("source", "referrer_organisation")
    )
    kinds = {s for s, _org in sources}
    assert {"gp", "nav", "employer", "occupational_health", "specialist", "self"} <= kinds

    # About six in ten ended courses complete.
    ended = list(
        Episode.objects.filter(
            municipality__name="Fjordvik", programme__kind="frisklivsresept", status="ended"
        )
    )
    assert len(ended) >= 10
    done = [e for e in ended if _completed(e, today)]
    assert 0.45 <= len(done) / len(ended) <= 0.75, (len(done), len(ended))
    # Those who did not complete: drop-outs ended early with a reason, and full periods that
    # came too seldom or missed the end conversation.
    dropouts = [e for e in ended if e.end_reason in {"participant_stopped", "health", "moved"}]
    assert len(dropouts) >= 2
    for course in dropouts:
        assert course.end_note
        assert (course.ended_on - course.started_on).days < 12 * 7
        assert not _completed(course, today)
        assert course.group_enrolments.filter(status="left").exclude(left_reason="").exists()
    seldom = [
        e
        for e in ended
        if e not in done and Conversation.objects.filter(episode=e, kind="end").exists()
    ]
    assert seldom, "a course with an end conversation that came to too few meetings"

    # The report's part agrees with the attendance rows.
    course = (
        Episode.objects.filter(municipality__name="Fjordvik", programme__kind="frisklivsresept")
        .filter(status="active", group_attendance__attended=True)
        .distinct()
        .first()
    )
    part = attendance_parts(course, today)[0]
    rows = Attendance.objects.current().filter(episode=course)
    assert part.held == rows.filter(attended=True).count()
    assert part.no_show == rows.filter(attended=False).count()


def test_the_frisklivs_courses_have_their_reviews_and_only_a_few_are_due(demo):
    """The reviews are recorded at the conversations (start, every six weeks, end), so the
    coordinator's alerts show a review due for a few frisklivsresept courses, not for all."""
    from kobling.core.alerts import alerts_for
    from kobling.followup.alerts import AlertKind
    from kobling.outcomes.models import Review

    started = Episode.objects.filter(
        municipality__name="Fjordvik", programme__kind="frisklivsresept", started_on__isnull=False
    )
    reviewed = started.filter(reviews__kind="start").distinct()
    assert 0.8 * started.count() <= reviewed.count() < started.count()
    kinds = set(Review.objects.filter(episode__in=started).values_list("kind", flat=True))
    assert kinds == {"start", "periodic", "end"}
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    due = [
        a
        for a in alerts_for(coordinator)
        if a.kind == AlertKind.GOAL_REVIEW_DUE
        and a.episode is not None
        and a.episode.programme.kind == "frisklivsresept"
    ]
    assert 1 <= len(due) <= 5


def test_nordby_runs_aktiv_pa_dagtid_at_three_venues_and_the_leaders_can_sign_in(demo):
    today = timezone.localdate()
    offers = GroupOffer.objects.filter(
        municipality__name="Nordby", programme__kind="aktiv_pa_dagtid"
    )
    assert offers.count() == 3
    assert all(o.is_drop_in for o in offers)
    venues = {(o.venue_id, o.place) for o in offers}
    assert len(venues) == 3
    assert offers.filter(venue__isnull=False).count() >= 2  # the partners' premises
    for offer in offers:
        came = Attendance.objects.current().filter(meeting__offer=offer, attended=True)
        assert came.exists(), offer
    assert (
        Attendance.objects.current()
        .filter(meeting__offer__in=offers, is_drop_in=True, attended=True)
        .exists()
    )

    courses = Episode.objects.filter(programme__kind="aktiv_pa_dagtid")
    for course in courses.select_related("participant"):
        assert 18 <= course.participant.age_on(course.opened_on) <= 67
    checks = BenefitCheck.objects.filter(referral__programme__kind="aktiv_pa_dagtid")
    assert set(checks.values_list("benefit", flat=True)) == set(Benefit.values)
    assert checks.filter(valid_until__lt=today).exists()  # due to be checked again
    assert checks.filter(valid_until__gte=today).exists()

    due = Referral.objects.get(pk=checks.filter(valid_until__lt=today).first().referral_id)
    assert any("checked again" in reason for reason in referral_eligibility(due))
    # One referral that does not meet the rules, shown with the reasons.
    refused = [
        r
        for r in Referral.objects.filter(programme__kind="aktiv_pa_dagtid", status="received")
        if referral_eligibility(r)
    ]
    assert len(refused) == 1
    reasons = " ".join(referral_eligibility(refused[0]))
    assert "up to 67" in reasons and "benefit" in reasons

    # The group leaders have logins and a meeting to record.
    summary = {username for username, _name, _roles in demo_users_summary()}
    for username, town in ((FJORDVIK_LEADER, "Fjordvik"), (NORDBY_INSTRUCTOR, "Nordby")):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert username in summary
        meeting = (
            Meeting.objects.filter(municipality__name=town, status="planned")
            .filter(date__lte=timezone.localdate(), offer__leaders__user=user)
            .first()
        )
        assert meeting is not None and leads(user, meeting), username
