"""The frisklivsresept's individual sessions with the frisklivsveileder beside its group
meetings: a course of a group programme is paired with a healthy-life guide (through the
proposal and pairing services), the guide logs sessions in the existing session log, and the
course's report sums the sessions and the meetings attended. Nothing in the way needed a
change: pairing, the session log and the report already work per course, whatever its
delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.followup.report import build_episode_report
from kobling.followup.services import pairing_activate, pairing_confirm
from kobling.groups import services
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.matching.services import matching_run_create, pair_rule_create
from kobling.referrals import episodes
from kobling.referrals.models import Episode
from tests import factories as f
from tests.followup import scenario as s
from tests.groups.test_groups import make_offer

pytestmark = pytest.mark.django_db


def test_a_group_course_has_sessions_with_its_guide_and_the_report_sums_both(cast, api):
    programme = cast.programme_a
    programme.kind, programme.delivery = "frisklivsresept", "group"
    programme.save()
    referral = s.waiting(programme, first_name="Randi", referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    episodes.episode_for_referral(referral)
    # The frisklivsveileder who holds the individual sessions (and leads the group).
    guide = f.make_active(f.HelperFactory(programme=programme, kind="healthy_life_guide"))
    # Paired as any course is: the coordinator locks the pair, the matching run proposes it,
    # the proposal is confirmed and the pairing started.
    pair_rule_create(by=cast.coordinator_a, referral=referral, helper=guide, kind="lock")
    run = matching_run_create(by=cast.coordinator_a, programme=programme, referrals=[referral])
    [proposal] = run.proposals.filter(referral=referral)
    assert proposal.helper_id == guide.pk
    pairing = s.back_date(
        pairing_confirm(proposal=proposal, by=cast.coordinator_a, notify=False), days=40
    )
    pairing = pairing_activate(
        pairing=pairing, by=None, started_on=timezone.localdate() - dt.timedelta(days=35)
    )
    episode = Episode.objects.get(referral=referral)
    assert pairing.episode_id == episode.pk and episode.delivery == "group"

    offer = make_offer(cast, leaders=[guide], weeks_back=4, weeks_ahead=4)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    services.enrolment_create(offer=offer, episode=episode, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    held = list(Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date"))
    for n, meeting in enumerate(held):
        came = {episode.pk} if n % 2 == 0 else set()
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)
    attended = held[::2]
    # Two individual sessions in the existing session log.
    first = s.log(pairing, days_ago=20, minutes=45)
    second = s.log(pairing, days_ago=6, minutes=30)
    assert {first.pairing.episode_id, second.pairing.episode_id} == {episode.pk}

    report = build_episode_report(episode)
    assert (report.meetings_offered, report.meetings_attended) == (len(held), len(attended))
    assert report.sessions_held == 2 + len(attended)
    assert report.minutes_total == 45 + 30 + sum(m.minutes for m in attended)
    body = api(cast.referrer_a).get(f"/api/v1/episodes/{episode.pk}/report").json()
    assert body["sessions_held"] == 2 + len(attended)
    assert body["meetings_attended"] == len(attended)
    assert body["minutes_total"] == report.minutes_total
    assert body["pairing_ids"] == [pairing.pk]
