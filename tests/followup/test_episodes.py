"""The participant's course (forløp): a grant opens it, its pairings move it (a re-match stays
in the same course), its report is the sum of its pairings' reports, renewals and conversations
follow the programme's settings, and the API gives it with the pairing report's access rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.followup import services as pairing_services
from kobling.followup.report import build_episode_report, build_referrer_report
from kobling.lib.errors import ConflictError
from kobling.referrals import episodes
from kobling.referrals import services as referral_services
from kobling.referrals.models import Consent, Episode
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def _granted(cast, **fields):
    referral = f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a, **fields)
    referral_services.referral_decide(
        referral=referral,
        by=cast.coordinator_a,
        outcome="granted",
        reasons="Oppfyller kriteriene",
        override_reason="Test",
        notify=False,
    )
    referral.refresh_from_db()
    return referral


def test_a_grant_opens_one_course_that_waits_with_the_programmes_period(cast):
    cast.programme_a.period_weeks = 12
    cast.programme_a.save()
    referral = _granted(cast)
    episode = Episode.objects.get(referral=referral)
    assert episode.status == "waiting"
    assert episode.delivery == "one_to_one" and episode.planned_weeks == 12
    assert episode.decision.outcome == "granted"
    assert episode.opened_on == timezone.localdate()
    # A second grant while it waits keeps the same course.
    referral_services.referral_decide(
        referral=referral, by=cast.coordinator_a, outcome="granted", reasons="Igjen", notify=False
    )
    assert Episode.objects.filter(referral=referral).count() == 1


def test_withdrawing_a_waiting_referral_ends_its_course_unstarted(cast):
    referral = _granted(cast)
    referral_services.referral_withdraw(referral=referral, by=cast.coordinator_a, reason="Flyttet")
    episode = Episode.objects.get(referral=referral)
    assert (episode.status, episode.end_reason, episode.started_on) == ("ended", "withdrawn", None)


def test_the_pairs_move_the_course_and_a_rematch_stays_in_it(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    pairing = s.pairing(referral, helper)
    episode = Episode.objects.get(referral=referral)
    assert pairing.episode_id == episode.pk and episode.status == "waiting"

    started = timezone.localdate()
    pairing = pairing_services.pairing_activate(pairing=pairing, by=cast.coordinator_a)
    episode.refresh_from_db()
    assert (episode.status, episode.started_on) == ("active", started)

    pairing = pairing_services.pairing_pause(pairing=pairing, by=cast.coordinator_a)
    episode.refresh_from_db()
    assert episode.status == "paused" and episode.paused_on == started
    pairing = pairing_services.pairing_resume(pairing=pairing, by=cast.coordinator_a)
    episode.refresh_from_db()
    assert episode.status == "active" and episode.paused_on is None

    pairing_services.pairing_end(
        pairing=pairing,
        by=cast.coordinator_a,
        reason="no_chemistry",
        handover_destination="none",
        participant_continues=True,
    )
    episode.refresh_from_db()
    assert episode.status == "waiting" and episode.started_on == started

    second = s.pairing(referral, f.make_active(s.contact(cast.programme_a)))
    assert second.episode_id == episode.pk
    second = pairing_services.pairing_activate(pairing=second, by=cast.coordinator_a)
    pairing_services.pairing_end(
        pairing=second,
        by=cast.coordinator_a,
        reason="goal_reached",
        handover_destination="gym",
        handover_note="Treningssenteret, tirsdager",
    )
    episode.refresh_from_db()
    assert (episode.status, episode.end_reason, episode.handover_destination) == (
        "ended",
        "goal_reached",
        "gym",
    )
    assert episode.ended_on == timezone.localdate()
    assert list(episode.pairings.order_by("pk").values_list("pk", flat=True)) == [
        pairing.pk,
        second.pk,
    ]
    assert AuditEntry.objects.filter(object_type="referrals.episode", object_id=str(episode.pk))


def test_a_course_with_one_pairing_reports_exactly_that_pairings_numbers(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    pairing = s.active_pair(referral, helper, days=40, started_days_ago=30)
    s.log(pairing, days_ago=20, minutes=60)
    s.log(pairing, days_ago=13, status="cancelled", cancelled_by="contact", with_notice=False)
    s.log(pairing, days_ago=8, status="no_show")
    pairing_report = build_referrer_report(pairing).as_dict()
    course_report = build_episode_report(pairing.episode).as_dict()
    assert course_report.pop("episode_id") == pairing.episode_id
    assert course_report.pop("pairing_ids") == [pairing.pk]
    assert (course_report.pop("meetings_offered"), course_report.pop("meetings_attended")) == (0, 0)
    assert course_report.pop("meetings_confirmed") == 0
    assert course_report.pop("provider_visits") == 0
    assert course_report.pop("provider_visits_confirmed") == 0
    assert course_report.pop("provider_visits_disputed") == 0
    # A treningskontakt programme has no completion rule (groups.completion).
    assert course_report.pop("completed") is None
    assert course_report.pop("completion_rule") == "The programme has no completion rule."
    assert course_report == pairing_report


def test_the_course_report_sums_every_pairing(cast):
    referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    first = s.active_pair(referral, f.make_active(cast.helper_a), days=60, started_days_ago=50)
    s.log(first, days_ago=45, minutes=60)
    s.log(first, days_ago=38, status="no_show")
    pairing_services.pairing_end(
        pairing=first,
        by=cast.coordinator_a,
        reason="contact_left",
        handover_destination="none",
        ended_on=timezone.localdate() - dt.timedelta(days=30),
        participant_continues=True,
    )
    second = s.active_pair(
        referral, f.make_active(s.contact(cast.programme_a)), days=20, started_days_ago=14
    )
    s.log(second, days_ago=10, minutes=45)
    s.log(second, days_ago=3, minutes=30)
    report = build_episode_report(second.episode)
    assert report.pairing_ids == [first.pk, second.pk]
    assert (report.sessions_held, report.sessions_planned, report.sessions_no_show) == (3, 4, 1)
    assert report.minutes_total == 135
    assert report.period_start == first.started_on
    assert report.period_end == timezone.localdate() and report.is_open
    assert report.first_session == timezone.localdate() - dt.timedelta(days=45)
    assert report.last_session == timezone.localdate() - dt.timedelta(days=3)


def test_renewals_follow_the_programme(cast):
    cast.programme_a.period_weeks = 12
    cast.programme_a.renewals_max = 1
    cast.programme_a.renewal_weeks = 8
    cast.programme_a.save()
    referral = _granted(cast)
    episode = Episode.objects.get(referral=referral)
    with pytest.raises(ValidationError):
        episodes.episode_renew(episode=episode, by=cast.coordinator_a, reason="")
    episodes.episode_renew(episode=episode, by=cast.coordinator_a, reason="Trenger mer tid")
    episode.refresh_from_db()
    assert episode.renewals_used == 1
    assert episode.planned_end == episode.opened_on + dt.timedelta(weeks=20, days=-1)
    with pytest.raises(ValidationError, match="renewal"):
        episodes.episode_renew(episode=episode, by=cast.coordinator_a, reason="Igjen")
    with pytest.raises(ValidationError):
        episodes.episode_renew(episode=episode, by=cast.referrer_a, reason="Ikke koordinator")


def test_conversations_only_where_the_programme_uses_them_and_start_before_end(cast):
    referral = _granted(cast)
    episode = Episode.objects.get(referral=referral)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="does not use"):
        episodes.conversation_record(
            episode=episode, by=cast.coordinator_a, kind="start", held_on=today
        )
    cast.programme_a.uses_conversations = True
    cast.programme_a.save()
    with pytest.raises(ValidationError, match="start conversation first"):
        episodes.conversation_record(
            episode=episode, by=cast.coordinator_a, kind="end", held_on=today
        )
    episodes.conversation_record(
        episode=episode,
        by=cast.coordinator_a,
        kind="start",
        held_on=today,
        goals_agreed="Gå tur",
        areas=["activity"],
    )
    with pytest.raises(ConflictError):
        episodes.conversation_record(
            episode=episode, by=cast.coordinator_a, kind="start", held_on=today
        )
    episodes.conversation_record(episode=episode, by=cast.coordinator_a, kind="end", held_on=today)
    assert episode.conversations.count() == 2


def test_a_new_programme_takes_its_kinds_delivery_and_period(cast):
    from kobling.tenancy.services import programme_create

    programme = programme_create(
        by=cast.admin_a, municipality=cast.a, data={"kind": "frisklivsresept", "name": "FLS"}
    )
    assert (programme.delivery, programme.period_weeks, programme.renewals_max) == ("group", 12, 1)
    assert programme.uses_conversations


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def course(cast):
    referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    pairing = s.active_pair(referral, f.make_active(cast.helper_a), days=40, started_days_ago=30)
    s.log(pairing, days_ago=20, minutes=60)
    return pairing.episode


def test_the_course_api_for_every_role(cast, api, course):
    url = f"/api/v1/episodes/{course.pk}/"
    body = api(cast.coordinator_a).get(url).json()
    assert body["status"] == "active" and body["pairings"] == list(
        course.pairings.values_list("pk", flat=True)
    )
    assert body["participant_name"]
    referrer_view = api(cast.referrer_a).get(url).json()
    assert "participant_name" not in referrer_view and referrer_view["status"] == "active"
    assert api(cast.coordinator_b).get(url).status_code == 404
    # Roles that never see courses (contacts read their own pairings; the analyst aggregates).
    assert api(cast.contact_user_a).get(url).status_code == 403
    assert api(cast.analyst).get(url).status_code == 403
    assert api().get(url).status_code in (401, 403)
    listed = api(cast.coordinator_a).get("/api/v1/episodes/?status=active").json()
    assert [row["id"] for row in listed["results"]] == [course.pk]
    assert api(cast.coordinator_b).get("/api/v1/episodes/").json()["results"] == []
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, action="view", object_type="referrals.episode"
    ).exists()


def test_the_course_report_has_the_pairing_reports_access_rules(cast, api, course):
    url = f"/api/v1/episodes/{course.pk}/report"
    response = api(cast.referrer_a).get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sessions_held"] == 1 and body["minutes_total"] == 60
    assert body["episode_id"] == course.pk
    assert api(cast.referrer_a).get(url + "/").status_code == 200
    assert api(cast.coordinator_a).get(url).status_code == 200
    assert api(cast.coordinator_b).get(url).status_code == 404
    other = f.member(f.UserFactory(username="annen@a.test"), cast.a, "referrer")
    assert api(other).get(url).status_code == 404  # cannot learn that the course exists
    Consent.objects.filter(referral=course.referral).update(
        withdrawn_on=timezone.localdate() - dt.timedelta(days=1)
    )
    refused = api(cast.referrer_a).get(url)
    assert refused.status_code == 403 and "withdrawn" in refused.json()["detail"]
    # Without consent the course is simply not in the referrer's list.
    assert api(cast.referrer_a).get("/api/v1/episodes/").json()["results"] == []


def test_a_pairing_names_its_course(cast, api, course):
    pairing = course.pairings.get()
    body = api(cast.coordinator_a).get(f"/api/v1/pairings/{pairing.pk}/").json()
    assert body["episode"] == course.pk


def test_the_course_list_reads_a_fixed_number_of_queries(
    cast, api, course, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40) as few:
        api(cast.coordinator_a).get("/api/v1/episodes/")
    for _ in range(5):
        referral = s.waiting(cast.programme_a)
        s.active_pair(referral, f.make_active(s.contact(cast.programme_a)), days=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api(cast.coordinator_a).get("/api/v1/episodes/")


# --- pages -----------------------------------------------------------------------------------


def test_the_timeline_shows_the_whole_course_and_is_audited(cast, course):
    from django.urls import reverse

    from kobling.outcomes import services as outcomes
    from tests.conftest import signed_in

    outcomes.goal_create(pairing=course.pairings.get(), by=None, text="Gå til butikken")
    page = signed_in(cast.coordinator_a).get(reverse("web:episode_timeline", args=[course.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for kind in ("referral", "opened", "started", "proposal", "pairing", "sessions", "goal"):
        assert f'data-kind="{kind}"' in text, kind
    assert "Gå til butikken" in text
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, action="view", object_type="referrals.episode"
    ).exists()
    # The referral page links to it.
    detail = signed_in(cast.coordinator_a).get(
        reverse("web:referral_detail", args=[course.referral_id])
    )
    assert reverse("web:episode_timeline", args=[course.pk]) in detail.content.decode()


def test_the_timeline_for_every_role(cast, course):
    from django.urls import reverse

    from tests.conftest import signed_in

    url = reverse("web:episode_timeline", args=[course.pk])
    expected = {
        "admin_a": 200,
        "coordinator_a": 200,
        "referrer_a": 403,
        "contact_user_a": 403,
        "coordinator_b": 404,
        "analyst": 403,
    }
    got = {role: signed_in(getattr(cast, role)).get(url).status_code for role in expected}
    assert got == expected


def test_the_timeline_reads_a_fixed_number_of_queries(cast, course, django_assert_max_num_queries):
    from django.urls import reverse

    from tests.conftest import signed_in

    client = signed_in(cast.coordinator_a)
    url = reverse("web:episode_timeline", args=[course.pk])
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    pairing = course.pairings.get()
    for n in range(2, 12):
        s.log(pairing, days_ago=20 - n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_course_list_for_coordinators(cast, course):
    from django.urls import reverse

    from tests.conftest import signed_in

    url = reverse("web:episode_list")
    page = signed_in(cast.coordinator_a).get(url + "?status=active")
    assert page.status_code == 200 and course.participant.full_name in page.content.decode()
    other = signed_in(cast.coordinator_b).get(url)
    assert other.status_code == 200 and course.participant.full_name not in other.content.decode()
    assert signed_in(cast.referrer_a).get(url).status_code == 403


def test_coordinators_plan_renew_and_record_conversations_through_the_api(cast, api, course):
    programme = course.programme
    programme.period_weeks, programme.renewals_max, programme.renewal_weeks = 12, 1, 6
    programme.uses_conversations = True
    programme.save()
    Episode.objects.filter(pk=course.pk).update(planned_weeks=12)
    client = api(cast.coordinator_a)
    base = f"/api/v1/episodes/{course.pk}"
    version = client.get(base + "/").json()["version"]
    stale = client.post(
        base + "/plan", {"planned_start": None, "version": version - 1}, format="json"
    )
    assert stale.status_code == 409
    renewed = client.post(
        base + "/renew", {"reason": "Trenger mer tid", "version": version}, format="json"
    )
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["renewals_used"] == 1
    again = client.post(base + "/renew", {"reason": "Igjen"}, format="json")
    assert again.status_code == 400
    today = timezone.localdate().isoformat()
    talk = client.post(
        base + "/conversations",
        {"kind": "start", "held_on": today, "goals_agreed": "Gå", "areas": ["activity"]},
        format="json",
    )
    assert talk.status_code == 201, talk.content
    assert talk.json()["held_by"] == cast.coordinator_a.pk
    assert (
        client.post(
            base + "/conversations", {"kind": "start", "held_on": today}, format="json"
        ).status_code
        == 409
    )
    assert (
        api(cast.referrer_a).post(base + "/renew", {"reason": "x"}, format="json").status_code
        == 403
    )
    assert (
        api(cast.coordinator_b).post(base + "/renew", {"reason": "x"}, format="json").status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_a_course_is_brought_in_line_outside_any_transaction(cast):
    """The demo and scripts call course_sync without a transaction around it; the course's row
    lock must still work (PostgreSQL refuses SELECT … FOR UPDATE in autocommit)."""
    from kobling.followup.course import course_sync
    from kobling.followup.models import Pairing

    referral = s.waiting(cast.programme_a)
    started = timezone.localdate() - dt.timedelta(days=3)
    Pairing.objects.create(
        municipality=cast.a,
        programme=cast.programme_a,
        referral=referral,
        participant=referral.participant,
        helper=f.make_active(cast.helper_a),
        slot=0,
        status="active",
        confirmed_at=timezone.now() - dt.timedelta(days=5),
        started_on=started,
    )
    referral.status = "paired"
    referral.save()
    episode = course_sync(referral)
    assert (episode.status, episode.started_on) == ("active", started)


def test_a_row_takes_its_pairings_course_and_cannot_name_another(cast):
    from kobling.outcomes.models import Goal

    helper = f.make_active(cast.helper_a)
    pairing = s.pairing(s.waiting(cast.programme_a, referrer=cast.referrer_a), helper)
    goal = Goal.objects.create(municipality=cast.a, pairing=pairing, text="Gå til butikken")
    assert goal.episode_id == pairing.episode_id

    other = _granted(cast)
    with pytest.raises(ValidationError):
        Goal.objects.create(
            municipality=cast.a, pairing=pairing, episode=other.episode, text="Feil forløp"
        )
    assert Goal.objects.filter(pairing=pairing).count() == 1
