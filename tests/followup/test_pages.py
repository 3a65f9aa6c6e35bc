"""The pairing pages: what each role sees in the list and on a pairing, the coordinator's state
actions and the introduction meeting, refusals shown with the reason, audited reads and a fixed
number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.followup.choices import PairingStatus
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in, without_tokens
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"web:{name}", args=args)


@pytest.fixture
def pair(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(
        cast.programme_a, first_name="Per", referrer=cast.referrer_a, needs="Sosial angst"
    )
    s.share_with_referrer(referral)
    return s.pairing(referral, helper)


def test_the_coordinator_sees_both_names_and_every_action(cast, pair):
    html = signed_in(cast.coordinator_a).get(url("pairing_detail", pair.pk)).content.decode()
    assert pair.participant.full_name in html and cast.helper_a.full_name in html
    assert "They have started" in html and "End the pairing" in html
    assert "Set the meeting" in html
    assert "Sosial angst" not in html


def test_the_contact_sees_the_first_name_and_the_meeting_but_no_actions(cast, pair):
    client = signed_in(cast.contact_user_a)
    html = client.get(url("pairing_detail", pair.pk)).content.decode()
    assert "Your participant Per" in html
    assert pair.participant.last_name not in html
    assert "Introduction meeting" in html
    assert "They have started" not in html and "End the pairing" not in html
    listed = client.get(url("pairing_list")).content.decode()
    assert "Per" in listed and pair.participant.last_name not in listed


def test_the_referrer_sees_only_the_status(cast, pair):
    client = signed_in(cast.referrer_a)
    html = client.get(url("pairing_detail", pair.pk)).content.decode()
    assert "Confirmed" in html
    assert "Per" not in without_tokens(html) and cast.helper_a.first_name not in html
    assert "Introduction meeting" not in html
    listed = client.get(url("pairing_list")).content.decode()
    assert "Per" not in without_tokens(listed) and "Pairing from" in listed


def test_a_pairing_goes_through_its_states_on_the_page(cast, pair):
    client = signed_in(cast.coordinator_a)
    client.post(url("pairing_activate", pair.pk), {"version": 1})
    client.post(url("pairing_pause", pair.pk), {"version": 2, "reason": "Ferie"})
    client.post(url("pairing_resume", pair.pk), {"version": 3})
    response = client.post(
        url("pairing_end", pair.pk),
        {
            "version": 4,
            "reason": "no_chemistry",
            "handover_destination": "none",
            "participant_continues": "on",
        },
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairingStatus.ENDED
    pair.referral.refresh_from_db()
    assert pair.referral.status == ReferralStatus.WAITING
    assert pair.referral.avoid_helper_id == cast.helper_a.pk
    html = client.get(url("pairing_detail", pair.pk)).content.decode()
    assert "The next match avoids this contact." in html

    client.post(url("pairing_rematch", pair.pk), {"same_contact_ok": "on"})
    pair.referral.refresh_from_db()
    assert pair.referral.avoid_helper_id is None


def test_ending_on_the_page_without_a_reason_says_why_and_changes_nothing(cast, pair):
    response = signed_in(cast.coordinator_a).post(url("pairing_end", pair.pk), {}, follow=True)
    assert "Reason for ending" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == PairingStatus.CONFIRMED


def test_an_action_on_an_old_version_is_refused_on_the_page(cast, pair):
    client = signed_in(cast.coordinator_a)
    client.post(url("pairing_activate", pair.pk), {"version": 1})
    response = client.post(url("pairing_pause", pair.pk), {"version": 1}, follow=True)
    assert "changed by someone else" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == PairingStatus.ACTIVE


def test_the_meeting_is_set_on_the_page(cast, pair):
    response = signed_in(cast.coordinator_a).post(
        url("pairing_intro", pair.pk),
        {"version": 1, "intro_meeting_at": "2031-06-01T18:00", "intro_meeting_place": "Kafeen"},
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.intro_meeting_place == "Kafeen" and pair.intro_meeting_at.year == 2031


def test_reading_pairings_is_audited(cast, pair):
    signed_in(cast.contact_user_a).get(url("pairing_detail", pair.pk))
    signed_in(cast.referrer_a).get(url("pairing_list"))
    assert AuditEntry.objects.filter(
        user=cast.contact_user_a, action="view", object_id=str(pair.pk)
    ).exists()
    assert AuditEntry.objects.get(user=cast.referrer_a, action="view").changes == {
        "ids": [str(pair.pk)]
    }


def test_the_pairing_list_filters_by_status(cast, pair):
    other = s.pairing(s.waiting(cast.programme_a, first_name="Kari"), s.contact(cast.programme_a))
    from kobling.followup.services import pairing_activate

    pairing_activate(pairing=other, by=None)
    html = signed_in(cast.coordinator_a).get(url("pairing_list"), {"status": "active"}).content
    assert "Kari" in html.decode() and pair.participant.full_name not in html.decode()


def test_the_pairing_list_costs_the_same_for_2_and_20(cast):
    client = signed_in(cast.coordinator_a)

    def grow(n):
        for _ in range(n):
            s.pairing(s.waiting(cast.programme_a), s.contact(cast.programme_a))

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("pairing_list")).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    few = queries()
    grow(18)
    assert queries() == few


def test_the_pairing_page_is_phone_friendly(cast, pair):
    html = signed_in(cast.coordinator_a).get(url("pairing_list")).content.decode()
    assert '<div class="k-table-wrap" tabindex="0" role="region"' in html and ' style="' not in html
