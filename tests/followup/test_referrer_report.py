"""The referrer's report: its numbers agree with the logged sessions (corrections replace,
withdrawn entries vanish), goals and the latest review are in it, the consent rules hold with
reasons, reads are audited, the page and the PDF render; and the notices to the referrer —
start, every four weeks, end — go out once each through the real worker and SMTP server, with
no personal or health details in the e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.core.models import OutboxMessage
from kobling.followup import services as pairing_services
from kobling.followup.models import ReferrerNotice
from kobling.followup.notices import referrer_notices_tick
from kobling.followup.report import build_referrer_report
from kobling.followup.sessions import session_correct
from kobling.outcomes import services as outcomes
from kobling.outcomes.services import ScoreInput
from kobling.referrals.models import Consent, Participant
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, first_name="Ingeborg", referrer=cast.referrer_a)
    Participant.objects.filter(pk=referral.participant_id).update(last_name="Kvalheim")
    s.share_with_referrer(referral)
    return s.active_pair(referral, helper, days=40, started_days_ago=30)


@pytest.fixture
def logged(pair):
    """Six entries; after the corrections two held sessions stand (60 + 50 minutes)."""
    s.log(pair, days_ago=20, minutes=60)
    second = s.log(pair, days_ago=18, minutes=45)
    session_correct(session=second, by=None, reason="Feil varighet", minutes=50)
    third = s.log(pair, days_ago=15, minutes=30)
    session_correct(session=third, by=None, reason="Logget ved en feil", void=True)
    s.log(pair, days_ago=13, status="cancelled", cancelled_by="participant", with_notice=True)
    s.log(pair, days_ago=11, status="cancelled", cancelled_by="contact", with_notice=False)
    s.log(pair, days_ago=8, status="no_show")
    return pair


def url(pairing) -> str:
    return f"/api/v1/pairings/{pairing.pk}/referrer-report"


def test_the_numbers_are_the_standing_sessions(logged):
    report = build_referrer_report(logged)
    assert report.sessions_held == 2
    assert report.minutes_total == 110
    assert report.sessions_planned == 5
    assert (report.sessions_cancelled, report.sessions_no_show) == (2, 1)
    assert report.attendance_rate == Decimal("0.400")
    # Without the cancellation that was the contact's: 2 of 4.
    assert report.participant_attendance_rate == Decimal("0.500")
    today = timezone.localdate()
    assert report.period_start == today - dt.timedelta(days=30)
    assert report.period_end == today and report.is_open
    assert report.first_session == today - dt.timedelta(days=20)
    assert report.last_session == today - dt.timedelta(days=18)
    assert sum(m.minutes_total for m in report.by_month) == 110
    assert sum(m.sessions_held for m in report.by_month) == 2


def test_before_any_session_the_rates_are_empty_not_zero(pair):
    report = build_referrer_report(pair)
    assert report.sessions_held == report.minutes_total == 0
    assert report.attendance_rate is None and report.weekly_minutes_average is None


def test_the_referrer_reads_the_report_through_the_api_and_it_is_audited(cast, api, logged):
    goal = outcomes.goal_create(pairing=logged, by=None, text="Gå til butikken uten pause")
    outcomes.review_record(
        pairing=logged,
        by=None,
        kind="start",
        date=logged.started_on,
        scores=[
            ScoreInput("activity_minutes", 60),
            ScoreInput("self_rated_health", 3),
            ScoreInput("goal_attainment", -1, goal=goal.pk),
        ],
        note="Fortalte om søvnvansker",
    )
    response = api(cast.referrer_a).get(url(logged))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sessions_held"] == 2 and body["minutes_total"] == 110
    assert body["attendance_rate"] == "0.400"
    assert body["period_start"] == logged.started_on.isoformat()
    assert body["period_end"] == timezone.localdate().isoformat()
    assert [g["text"] for g in body["goals"]] == ["Gå til butikken uten pause"]
    assert body["goals"][0]["latest_attainment"]["value"] == "-1.00"
    review = body["latest_review"]
    assert review["kind"] == "start" and review["meets_recommendation"] is False
    assert "note" not in review  # the referrer gets figures, not the contact's notes
    assert "Fortalte" not in response.content.decode()
    assert AuditEntry.objects.filter(
        user=cast.referrer_a, action="view", object_id=str(logged.pk)
    ).exists()
    # The trailing slash works too.
    assert api(cast.referrer_a).get(url(logged) + "/").status_code == 200


def test_withdrawn_consent_refuses_with_the_reason(cast, api, logged):
    Consent.objects.filter(referral=logged.referral).update(
        withdrawn_on=timezone.localdate() - dt.timedelta(days=1)
    )
    response = api(cast.referrer_a).get(url(logged))
    assert response.status_code == 403
    assert "withdrawn" in response.json()["detail"]
    page = signed_in(cast.referrer_a).get(reverse("web:referrer_report", args=[logged.pk]))
    assert page.status_code == 403 and "withdrawn" in page.content.decode()


def test_a_referrer_who_did_not_refer_and_another_municipality_get_404(cast, api, logged):
    # 404, not 403: a 403 told the other referrer that the pairing exists (issue 16).
    other = f.member(f.UserFactory(username="annen@a.test"), cast.a, "referrer")
    assert api(other).get(url(logged)).status_code == 404
    assert api(cast.coordinator_b).get(url(logged)).status_code == 404
    assert api(cast.coordinator_a).get(url(logged)).status_code == 200
    assert api(cast.contact_user_a).get(url(logged)).status_code == 200


def test_the_page_and_the_pdf(cast, logged):
    client = signed_in(cast.referrer_a)
    page = client.get(reverse("web:referrer_report", args=[logged.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ingeborg Kvalheim" in text and "110" in text
    pdf = client.get(reverse("web:referrer_report_pdf", args=[logged.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(user=cast.referrer_a, action="export").exists()


def test_the_report_reads_a_fixed_number_of_queries(cast, api, pair, django_assert_max_num_queries):
    for n in range(2):
        s.log(pair, days_ago=20 - n)
    with django_assert_max_num_queries(40) as few:
        api(cast.referrer_a).get(url(pair))
    for n in range(2, 12):
        s.log(pair, days_ago=20 - n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api(cast.referrer_a).get(url(pair))


# --- notices to the referrer -----------------------------------------------------------------


def test_the_tick_creates_a_start_notice_once(pair):
    assert referrer_notices_tick() == {"referrer_notices": 1}
    assert referrer_notices_tick() == {"referrer_notices": 0}
    notice = ReferrerNotice.objects.get()
    assert (notice.kind, notice.sequence) == ("start", 0)


def test_no_notice_without_consent_or_e_mail(cast, pair):
    Consent.objects.filter(referral=pair.referral).update(withdrawn_on=timezone.localdate())
    assert referrer_notices_tick() == {"referrer_notices": 0}
    Consent.objects.filter(referral=pair.referral).update(withdrawn_on=None)
    type(cast.referrer_a).objects.filter(pk=cast.referrer_a.pk).update(email="")
    assert referrer_notices_tick() == {"referrer_notices": 0}


def test_every_four_weeks_then_at_the_end(pair, moving_clock):
    referrer_notices_tick()
    moving_clock.advance(days=27)
    assert referrer_notices_tick() == {"referrer_notices": 0}
    moving_clock.advance(days=1)
    assert referrer_notices_tick() == {"referrer_notices": 1}
    assert ReferrerNotice.objects.filter(kind="periodic", sequence=1).exists()
    pair.refresh_from_db()
    pairing_services.pairing_end(
        pairing=pair, by=None, reason="goal_reached", handover_destination="gym"
    )
    assert referrer_notices_tick() == {"referrer_notices": 1}
    assert ReferrerNotice.objects.filter(kind="end").exists()
    moving_clock.advance(days=40)
    assert referrer_notices_tick() == {"referrer_notices": 0}


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_each_notice_once_without_details(cast, database_tasks, smtp_server):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, first_name="Ingeborg", referrer=cast.referrer_a)
    Participant.objects.filter(pk=referral.participant_id).update(last_name="Kvalheim")
    s.share_with_referrer(referral)
    pair = s.active_pair(referral, helper)
    s.log(pair, days_ago=3, note="Vondt i kneet")

    for _ in range(2):
        call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    mails = smtp_server.to(cast.referrer_a.email)
    assert len(mails) == 1
    body = mails[0].text
    assert "Ingeborg" not in body and "Kvalheim" not in body and "kneet" not in body
    assert reverse("web:episode_report", args=[pair.episode_id]) in body
    notice = ReferrerNotice.objects.get()
    assert OutboxMessage.objects.get(subject_key=f"referrer-notice:{notice.pk}").sent_at


def test_the_session_numbers_come_from_one_query_of_the_entries_that_stand(pair):
    s.log(pair, days_ago=9, minutes=30)
    corrected = s.log(pair, days_ago=8, minutes=40)
    session_correct(session=corrected, by=None, reason="typo", minutes=45)
    s.log(pair, days_ago=7, status="cancelled", cancelled_by="contact", with_notice=True)
    with CaptureQueriesContext(connection) as queries:
        report = build_referrer_report(pair)
    sessions = [q for q in queries.captured_queries if 'FROM "followup_session"' in q["sql"]]
    assert len(sessions) == 1
    assert (report.sessions_planned, report.sessions_held, report.minutes_total) == (3, 2, 75)
    assert report.first_session == timezone.localdate() - dt.timedelta(days=9)
    assert report.last_session == timezone.localdate() - dt.timedelta(days=8)
    assert report.participant_attendance_rate == Decimal("1.000")
