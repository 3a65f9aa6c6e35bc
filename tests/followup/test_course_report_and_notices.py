"""The referrer follows the course (forløp), whatever delivers it: the report page and PDF of a
whole course with the pairing report's access rules, and the notices — start, every four
weeks, end — made per course, so a re-match inside a course is no news to the referrer and a
course without any pairing (a group, a provider) is announced all the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.core.models import OutboxMessage
from kobling.followup import services as pairing_services
from kobling.followup.models import ReferrerNotice
from kobling.followup.notices import referrer_notice_message, referrer_notices_tick
from kobling.referrals import episodes
from kobling.referrals.models import Consent
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(cast):
    referral = s.waiting(cast.programme_a, first_name="Ingeborg", referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    pairing = s.active_pair(referral, f.make_active(cast.helper_a), days=40, started_days_ago=30)
    s.log(pairing, days_ago=20, minutes=60)
    s.log(pairing, days_ago=10, minutes=45)
    return pairing.episode


@pytest.fixture
def group_course(cast):
    """A started course in a programme delivered in groups: no pairing at all."""
    cast.programme_a.delivery = "group"
    cast.programme_a.save(update_fields=["delivery"])
    referral = s.waiting(cast.programme_a, first_name="Solveig", referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    episodes.episode_for_referral(referral)
    return episodes.episode_set_state(
        referral=referral,
        state=episodes.CourseState(status="active", started_on=timezone.localdate()),
        by=None,
    )


# --- the course's report as a page and a PDF -------------------------------------------------


def test_the_referrer_reads_the_course_report_page_and_pdf_and_both_are_audited(cast, web, course):
    page = web(cast.referrer_a).get(f"/forlop/{course.pk}/rapport/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ingeborg" in html and f"/forlop/{course.pk}/rapport.pdf" in html
    assert "105" in html  # 60 + 45 minutes, summed over the course
    pdf = web(cast.referrer_a).get(f"/forlop/{course.pk}/rapport.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"rapport-forlop-{course.pk}-" in pdf["Content-Disposition"]
    actions = set(
        AuditEntry.objects.filter(
            user=cast.referrer_a, object_type="referrals.episode", object_id=str(course.pk)
        ).values_list("action", flat=True)
    )
    assert actions == {"view", "export"}


def test_the_course_report_page_has_the_pairing_reports_access_rules(cast, web, course):
    assert web(cast.coordinator_a).get(f"/forlop/{course.pk}/rapport/").status_code == 200
    assert web(cast.coordinator_b).get(f"/forlop/{course.pk}/rapport/").status_code == 404
    other = f.member(f.UserFactory(username="annen@a.test"), cast.a, "referrer")
    assert web(other).get(f"/forlop/{course.pk}/rapport/").status_code == 404
    # The pair's own contact reads the pairing's report, not the course's.
    assert web(cast.contact_user_a).get(f"/forlop/{course.pk}/rapport/").status_code == 403
    Consent.objects.filter(referral=course.referral).update(
        withdrawn_on=timezone.localdate() - dt.timedelta(days=1)
    )
    refused = web(cast.referrer_a).get(f"/forlop/{course.pk}/rapport.pdf")
    assert refused.status_code == 403 and "withdrawn" in refused.content.decode()


def test_a_course_without_a_pairing_has_a_report_too(cast, web, group_course):
    page = web(cast.referrer_a).get(f"/forlop/{group_course.pk}/rapport/")
    assert page.status_code == 200 and "Solveig" in page.content.decode()


def test_the_timeline_links_to_the_course_report(cast, web, course):
    html = web(cast.coordinator_a).get(f"/forlop/{course.pk}/").content.decode()
    assert f"/forlop/{course.pk}/rapport/" in html


# --- notices per course ----------------------------------------------------------------------


def test_a_rematch_inside_the_course_is_no_news_to_the_referrer(cast, course, moving_clock):
    assert referrer_notices_tick() == {"referrer_notices": 1}
    first = course.pairings.get()
    pairing_services.pairing_end(
        pairing=first,
        by=cast.coordinator_a,
        reason="no_chemistry",
        handover_destination="none",
        participant_continues=True,
    )
    second = s.pairing(course.referral, f.make_active(s.contact(cast.programme_a)))
    pairing_services.pairing_activate(pairing=second, by=cast.coordinator_a)
    # Neither the first pair's end nor the second pair's start makes a notice.
    assert referrer_notices_tick() == {"referrer_notices": 0}
    moving_clock.advance(days=28)
    assert referrer_notices_tick() == {"referrer_notices": 1}
    periodic = ReferrerNotice.objects.get(kind="periodic")
    # The notice names the course and the pairing current when it was made.
    assert (periodic.episode_id, periodic.pairing_id) == (course.pk, second.pk)
    assert list(ReferrerNotice.objects.values_list("kind", flat=True).order_by("pk")) == [
        "start",
        "periodic",
    ]


def test_a_course_without_a_pairing_is_announced_and_links_to_its_report(
    cast, group_course, moving_clock
):
    assert referrer_notices_tick() == {"referrer_notices": 1}
    notice = ReferrerNotice.objects.get()
    assert (notice.kind, notice.episode_id, notice.pairing_id) == ("start", group_course.pk, None)
    message = referrer_notice_message(notice)
    assert f"/forlop/{group_course.pk}/rapport/" in message.body
    assert "training contact" not in message.body and "Solveig" not in message.body
    assert OutboxMessage.objects.filter(subject_key=f"referrer-notice:{notice.pk}").exists()

    episodes.episode_set_state(
        referral=group_course.referral,
        state=episodes.CourseState(
            status="ended",
            started_on=group_course.started_on,
            ended_on=timezone.localdate(),
            end_reason="goal_reached",
        ),
        by=None,
    )
    assert referrer_notices_tick() == {"referrer_notices": 1}
    assert ReferrerNotice.objects.filter(kind="end", episode=group_course).exists()
    moving_clock.advance(days=40)
    assert referrer_notices_tick() == {"referrer_notices": 0}


def test_a_notice_is_cancelled_when_the_consent_goes_before_it_is_sent(cast, course):
    from kobling.followup.notices import _settle

    referrer_notices_tick()
    message = OutboxMessage.objects.get(purpose="referrer-notice")
    assert _settle(message, timezone.now()) is None
    Consent.objects.filter(referral=course.referral).update(withdrawn_on=timezone.localdate())
    assert _settle(message, timezone.now()) == "cancelled"


# --- alerts per course -----------------------------------------------------------------------


def test_a_course_without_a_pairing_gets_the_course_alerts(cast, web, group_course, moving_clock):
    from kobling.core.alerts import alerts_for
    from kobling.followup.alerts import AlertKind
    from kobling.referrals.models import Episode

    moving_clock.advance(days=22)
    found = {a.kind: a for a in alerts_for(cast.coordinator_a) if a.episode is not None}
    assert set(found) >= {AlertKind.NO_SESSION, AlertKind.GOAL_REVIEW_DUE}
    quiet = found[AlertKind.NO_SESSION]
    assert quiet.pairing is None and quiet.episode.pk == group_course.pk
    assert quiet.url == f"/forlop/{group_course.pk}/" and quiet.subject.startswith("Solveig")
    html = web(cast.coordinator_a).get("/varsler/").content.decode()
    assert f'href="/forlop/{group_course.pk}/"' in html
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a,
        object_type="referrals.episode",
        changes__ids=[str(group_course.pk)],
    ).exists()
    # Another municipality's coordinator is told nothing about it.
    assert not [a for a in alerts_for(cast.coordinator_b) if a.episode == group_course]
    Episode.objects.filter(pk=group_course.pk).update(status="paused")
    assert not [a for a in alerts_for(cast.coordinator_a) if a.episode == group_course]


def test_a_new_pair_in_the_course_gets_its_own_three_weeks(cast, course, moving_clock):
    from kobling.core.alerts import alerts_for
    from kobling.followup.alerts import AlertKind

    first = course.pairings.get()
    pairing_services.pairing_end(
        pairing=first,
        by=cast.coordinator_a,
        reason="no_chemistry",
        handover_destination="none",
        participant_continues=True,
    )
    second = s.pairing(course.referral, f.make_active(s.contact(cast.programme_a)))
    pairing_services.pairing_activate(pairing=second, by=cast.coordinator_a)
    # The course's last held session is 10 days old, the new pair started today.
    moving_clock.advance(days=15)

    def quiet():
        return [
            a
            for a in alerts_for(cast.coordinator_a)
            if a.kind == AlertKind.NO_SESSION and a.episode == course
        ]

    assert quiet() == []
    moving_clock.advance(days=7)
    [alert] = quiet()
    assert alert.pairing.pk == second.pk and "since the start" in alert.text
