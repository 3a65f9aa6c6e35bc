"""The pairings API: who sees which fields (never health details), the state actions with their
refusals (400 with the reason, 409 for an old version), the re-match, and audited reads."""

import pytest
from django.utils import timezone

from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    referral = s.waiting(
        cast.programme_a,
        first_name="Per",
        referrer=cast.referrer_a,
        needs="Sosial angst",
        goals="Gå tur",
    )
    s.share_with_referrer(referral)
    return s.pairing(referral, cast.helper_a_active)


@pytest.fixture(autouse=True)
def _active_contact(cast):
    from tests import factories as f

    cast.helper_a_active = f.make_active(cast.helper_a)


def _url(pairing, action=""):
    return f"/api/v1/pairings/{pairing.pk}/" + (f"{action}" if action else "")


def test_a_coordinator_sees_the_whole_pairing(cast, api, pair):
    body = api(cast.coordinator_a).get(_url(pair)).json()
    assert body["participant_name"] == pair.participant.full_name
    assert body["helper_name"] == cast.helper_a.full_name
    assert body["status"] == "confirmed" and body["slot"] == 0 and body["version"] == 1


def test_the_training_contact_sees_only_the_participants_first_name_and_the_meeting(
    cast, api, pair
):
    body = api(cast.contact_user_a).get(_url(pair)).json()
    assert set(body) == {
        "id",
        "status",
        "participant_first_name",
        "confirmed_at",
        "intro_meeting_at",
        "intro_meeting_place",
        "started_on",
        "ended_on",
    }
    assert body["participant_first_name"] == "Per"
    assert pair.participant.last_name not in str(body)


def test_the_referrer_sees_only_the_status_and_the_dates(cast, api, pair):
    listed = api(cast.referrer_a).get("/api/v1/pairings/").json()["results"]
    assert listed == [
        {
            "id": pair.pk,
            "referral": pair.referral_id,
            "episode": pair.episode_id,  # the course this pair serves
            "status": "confirmed",
            "started_on": None,
            "ended_on": None,
        }
    ]


def test_no_one_sees_health_details_in_a_pairing(cast, api, pair):
    for user in (cast.coordinator_a, cast.contact_user_a, cast.referrer_a):
        text = str(api(user).get(_url(pair)).json())
        assert "Sosial angst" not in text and "Gå tur" not in text


def test_a_referrer_does_not_see_pairings_of_people_others_referred(cast, api, pair):
    other = s.pairing(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    ids = [r["id"] for r in api(cast.referrer_a).get("/api/v1/pairings/").json()["results"]]
    assert ids == [pair.pk]
    assert api(cast.referrer_a).get(_url(other)).status_code == 404


def test_a_contact_sees_only_their_own_pairings(cast, api, pair):
    s.pairing(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    ids = [r["id"] for r in api(cast.contact_user_a).get("/api/v1/pairings/").json()["results"]]
    assert ids == [pair.pk]


def test_reads_of_pairings_are_audited(cast, api, pair):
    api(cast.contact_user_a).get(_url(pair))
    api(cast.referrer_a).get("/api/v1/pairings/")
    assert AuditEntry.objects.filter(
        user=cast.contact_user_a,
        action="view",
        object_type="followup.pairing",
        object_id=str(pair.pk),
    ).exists()
    listed = AuditEntry.objects.get(user=cast.referrer_a, action="view")
    assert listed.changes == {"ids": [str(pair.pk)]}


def _v(pair) -> int:
    """The pairing's version as stored now (each move raises it)."""
    return Pairing.objects.get(pk=pair.pk).version


def test_a_pairing_moves_through_its_states_by_the_api(cast, api, pair):
    client = api(cast.coordinator_a)
    assert (
        client.post(_url(pair, "activate"), {"version": 1}, format="json").json()["status"]
        == "active"
    )
    assert (
        client.post(
            _url(pair, "pause/"), {"reason": "Ferie", "version": _v(pair)}, format="json"
        ).json()["status"]
        == "paused"
    )
    resumed = client.post(_url(pair, "resume"), {"version": _v(pair)}, format="json")
    assert resumed.json()["status"] == "active"
    ended = client.post(
        _url(pair, "end"),
        {
            "reason": "no_chemistry",
            "handover_destination": "none",
            "participant_continues": True,
            "note": "Ulike ønsker",
            "version": _v(pair),
        },
        format="json",
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    pair.referral.refresh_from_db()
    assert pair.referral.status == ReferralStatus.WAITING
    assert pair.referral.avoid_helper_id == cast.helper_a.pk

    rematch = client.post(_url(pair, "rematch"), {"same_contact_ok": True}, format="json")
    assert rematch.status_code == 200
    assert rematch.json() == {
        "referral": pair.referral_id,
        "status": "waiting",
        "avoid_helper": None,
    }


def test_ending_without_a_reason_is_400_naming_the_field_and_nothing_changes(cast, api, pair):
    response = api(cast.coordinator_a).post(_url(pair, "end"), {}, format="json")
    assert response.status_code == 400 and "reason" in response.data
    pair.refresh_from_db()
    assert pair.status == PairingStatus.CONFIRMED


def test_a_move_that_does_not_exist_is_400_with_the_reason(cast, api, pair):
    response = api(cast.coordinator_a).post(_url(pair, "pause"), {}, format="json")
    assert response.status_code == 400 and "version" in response.data
    response = api(cast.coordinator_a).post(_url(pair, "pause"), {"version": 1}, format="json")
    assert response.status_code == 400
    assert "cannot go from confirmed to paused" in response.data["status"][0]


def test_a_change_based_on_an_old_version_is_409(cast, api, pair):
    client = api(cast.coordinator_a)
    client.post(_url(pair, "activate"), {"version": 1}, format="json")
    response = client.post(_url(pair, "pause"), {"version": 1}, format="json")
    assert response.status_code == 409 and "changed by someone else" in response.json()["detail"]


def test_the_introduction_meeting_is_set_by_the_api(cast, api, pair):
    response = api(cast.coordinator_a).post(
        _url(pair, "schedule-intro"),
        {
            "intro_meeting_at": "2031-02-03T17:00:00+01:00",
            "intro_meeting_place": "Kafeen",
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.json()["intro_meeting_place"] == "Kafeen"
    missing = api(cast.coordinator_a).post(
        _url(pair, "schedule-intro/"), {"version": _v(pair)}, format="json"
    )
    assert missing.status_code == 400 and "intro_meeting_at" in missing.data


def test_the_contact_and_the_referrer_cannot_change_a_pairing(cast, api, pair):
    for user in (cast.contact_user_a, cast.referrer_a):
        assert api(user).post(_url(pair, "activate"), {}, format="json").status_code == 403
    assert (
        api(cast.coordinator_b).post(_url(pair, "activate"), {}, format="json").status_code == 404
    )
    pair.refresh_from_db()
    assert pair.status == PairingStatus.CONFIRMED


def test_the_referrer_sees_no_pairing_without_consent_to_share_progress(cast, api, pair):
    from kobling.referrals.models import Consent

    Consent.objects.filter(referral=pair.referral).update(withdrawn_on=timezone.localdate())
    assert api(cast.referrer_a).get("/api/v1/pairings/").json()["results"] == []
    assert api(cast.referrer_a).get(_url(pair)).status_code == 404
