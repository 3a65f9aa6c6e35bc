"""A course that no pairing delivers (a group course: frisklivsresept, Aktiv på dagtid) has its
own start and end reviews on the programme's instruments — through the same service and rules as
a pairing's: not before the start, one start and one end review (corrections supersede), only the
end review after the end, scores in range. A one-to-one course is reviewed through its pairing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.outcomes import services
from kobling.outcomes.models import Review
from kobling.referrals import episodes
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def group_course(cast, *, started_days_ago=30, status="active", ended_days_ago=None):
    cast.programme_a.delivery = "group"
    cast.programme_a.save(update_fields=["delivery"])
    referral = s.waiting(cast.programme_a, first_name="Gro", referrer=cast.referrer_a)
    episodes.episode_for_referral(referral)
    today = timezone.localdate()
    return episodes.episode_set_state(
        referral=referral,
        state=episodes.CourseState(
            status=status,
            started_on=today - dt.timedelta(days=started_days_ago),
            ended_on=today - dt.timedelta(days=ended_days_ago) if ended_days_ago else None,
            end_reason="goal_reached" if ended_days_ago else "",
        ),
        by=None,
    )


def post(client, course, **body):
    body.setdefault("kind", "start")
    body.setdefault("date", (timezone.localdate() - dt.timedelta(days=20)).isoformat())
    body.setdefault("scores", [{"instrument": "self_rated_health", "value": 3}])
    return client.post(f"/api/v1/episodes/{course.pk}/reviews/", body, format="json")


def test_a_group_course_gets_its_own_start_and_end_reviews(cast, api):
    course = group_course(cast)
    client = api(cast.coordinator_a)
    made = post(client, course, scores=[{"instrument": "mastery", "value": 4}])
    assert made.status_code == 201, made.data
    review = Review.objects.get()
    assert (review.episode_id, review.pairing_id, review.kind) == (course.pk, None, "start")
    assert AuditEntry.objects.filter(object_id=str(review.pk), changes__course=course.pk).exists()
    twin = post(client, course)
    assert twin.status_code == 400
    assert "already has a start review" in str(twin.data["kind"])
    listed = client.get(f"/api/v1/episodes/{course.pk}/reviews/").json()
    assert [r["id"] for r in listed["results"]] == [review.pk]
    # A correction supersedes; the old one stays in the history.
    corrected = post(
        client,
        course,
        scores=[{"instrument": "mastery", "value": 5}],
        supersedes=review.pk,
        correction_reason="Feil tall",
    )
    assert corrected.status_code == 201, corrected.data
    assert Review.objects.current().get().supersedes_id == review.pk


def test_the_course_rules_refuse_with_the_reason_and_save_nothing(cast, api):
    course = group_course(cast, started_days_ago=10)
    client = api(cast.coordinator_a)
    early = post(client, course, date=(timezone.localdate() - dt.timedelta(days=11)).isoformat())
    assert "before the course started" in str(early.data["date"])
    out_of_range = post(
        client,
        course,
        date=timezone.localdate().isoformat(),
        scores=[{"instrument": "self_rated_health", "value": 9}],
    )
    assert out_of_range.status_code == 400 and "scores" in out_of_range.data
    assert not Review.objects.exists()
    ended = group_course(cast, started_days_ago=100, status="ended", ended_days_ago=5)
    periodic = post(client, ended, kind="periodic", date=timezone.localdate().isoformat())
    assert "only the end review" in str(periodic.data["kind"])
    end = post(client, ended, kind="end", date=timezone.localdate().isoformat())
    assert end.status_code == 201, end.data
    waiting = s.waiting(cast.programme_a, first_name="Venter")
    episodes.episode_for_referral(waiting)
    with pytest.raises(ValidationError) as refused:
        services.review_record(
            course=waiting.episode, by=None, kind="start", date=timezone.localdate(), scores=[]
        )
    assert "has not started yet" in str(refused.value)


def test_a_one_to_one_course_is_reviewed_through_its_pairing(cast, api):
    referral = s.waiting(cast.programme_a, first_name="Ola", referrer=cast.referrer_a)
    episodes.episode_for_referral(referral)
    refused = post(api(cast.coordinator_a), referral.episode)
    assert refused.status_code == 400 and "through its pairing" in str(refused.data)
    assert not Review.objects.exists()


def test_only_the_municipalitys_managers_read_and_record_a_courses_reviews(cast, api):
    course = group_course(cast)
    assert post(api(cast.contact_user_a), course).status_code == 403
    assert post(api(cast.referrer_a), course).status_code in (403, 404)
    assert post(api(cast.coordinator_b), course).status_code == 404
    assert not Review.objects.exists()


def test_the_coordinator_records_a_group_courses_review_on_its_page(cast):
    course = group_course(cast)
    client = signed_in(cast.coordinator_a)
    timeline = client.get(f"/forlop/{course.pk}/").content.decode()
    assert f"/forlop/{course.pk}/evaluering/ny/" in timeline
    page = client.get(f"/forlop/{course.pk}/evaluering/ny/")
    assert page.status_code == 200 and "Back to the course" in page.content.decode()
    bad = client.post(
        f"/forlop/{course.pk}/evaluering/ny/",
        {"kind": "start", "date": timezone.localdate().isoformat(), "score_self_rated_health": "9"},
    )
    assert bad.status_code == 400 and not Review.objects.exists()
    saved = client.post(
        f"/forlop/{course.pk}/evaluering/ny/",
        {"kind": "start", "date": timezone.localdate().isoformat(), "score_self_rated_health": "3"},
    )
    assert saved.status_code == 302 and saved["Location"] == f"/forlop/{course.pk}/"
    review = Review.objects.get()
    assert (review.episode_id, review.pairing_id) == (course.pk, None)
    assert "Review: Start" in client.get(f"/forlop/{course.pk}/").content.decode()
