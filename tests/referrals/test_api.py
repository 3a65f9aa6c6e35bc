"""Referrals through the API: create (referrer and coordinator), what each sees, corrections with
version, bad input, duplicates and merge, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Participant, PreferredTime, Referral
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.referrals.payloads import BORN, api_payload, person

pytestmark = pytest.mark.django_db


def test_a_referrer_creates_a_referral_with_everything_and_it_is_theirs(cast, api):
    response = api(cast.referrer_a).post("/api/v1/referrals/", api_payload(cast), format="json")

    assert response.status_code == 201, response.data
    referral = Referral.objects.get(pk=response.data["id"])
    assert referral.referrer == cast.referrer_a and referral.status == "received"
    assert referral.municipality == cast.a and referral.programme == cast.programme_a
    assert referral.participant.birth_date == BORN
    assert referral.referrer_email == cast.referrer_a.email
    assert [t.code for t in referral.target_groups.all()] == ["mental_health"]
    assert sorted(a.code for a in referral.preferred_activities.all()) == ["swimming", "walking"]
    assert [str(t) for t in referral.preferred_times.all()] == ["Tuesday 17:00–19:00"]
    assert referral.gender_is_must and not referral.language_is_must
    assert referral.consents.get().scope == "share_with_referrer"
    assert "coordinator_notes" not in response.data
    assert AuditEntry.objects.filter(
        action="create", object_type="referrals.referral", object_id=str(referral.pk)
    ).exists()


def test_a_coordinator_registers_a_referral_received_on_paper_without_a_referrer_user(cast, api):
    received = timezone.now() - dt.timedelta(days=4)
    body = api_payload(
        cast,
        source="nav",
        referrer_name="NAV-veileder Nils",
        referrer_organisation="NAV Aby",
        coordinator_notes="Ringte inn",
        priority=1,
        received_at=received.isoformat(),
    )
    response = api(cast.coordinator_a).post("/api/v1/referrals/", body, format="json")

    assert response.status_code == 201, response.data
    referral = Referral.objects.get(pk=response.data["id"])
    assert referral.referrer is None and referral.referrer_name == "NAV-veileder Nils"
    assert referral.coordinator_notes == "Ringte inn" and referral.priority == 1
    assert abs(referral.received_at - received) < dt.timedelta(seconds=1)
    assert response.data["coordinator_notes"] == "Ringte inn"


def test_a_referrer_cannot_set_coordinator_notes_or_priority(cast, api):
    body = api_payload(cast, coordinator_notes="x", priority=1)
    response = api(cast.referrer_a).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "coordinator_notes" in response.data and "priority" in response.data
    assert not Referral.objects.exists()


def test_the_referrer_sees_their_referral_without_the_coordinators_notes(cast, api, referral_a):
    data = api(cast.referrer_a).get(f"/api/v1/referrals/{referral_a.pk}/").data
    assert "coordinator_notes" not in data and "possible_duplicates" not in data
    assert "priority" not in data and "merges" not in data
    assert data["needs"] == "Trenger rolig start"
    listed = api(cast.referrer_a).get("/api/v1/referrals/").data["results"]
    assert [r["id"] for r in listed] == [referral_a.pk]
    assert "coordinator_notes" not in listed[0]

    coordinator = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/").data
    assert coordinator["coordinator_notes"] == "Hemmelig notat"


def test_a_second_referrer_in_the_same_municipality_sees_none_of_it(
    cast, api, referral_a, referrer_a2
):
    client = api(referrer_a2)
    assert client.get("/api/v1/referrals/").data["results"] == []
    assert client.get(f"/api/v1/referrals/{referral_a.pk}/").status_code == 404
    assert client.get(f"/api/v1/referrals/{referral_a.pk}/decisions/").status_code == 404


def test_a_coordinator_corrects_a_referral_with_the_version_and_a_stale_version_is_409(
    cast, api, referral_a
):
    client = api(cast.coordinator_a)
    url = f"/api/v1/referrals/{referral_a.pk}/"
    ok = client.patch(
        url,
        {
            "version": 1,
            "goals": "Nye mål",
            "preferred_times": [{"weekday": 3, "start_time": "10:00", "end_time": "12:00"}],
            "target_groups": ["substance_use"],
        },
        format="json",
    )
    assert ok.status_code == 200, ok.data
    assert ok.data["version"] == 2 and ok.data["goals"] == "Nye mål"
    assert [str(t) for t in PreferredTime.objects.filter(referral=referral_a)] == [
        "Thursday 10:00–12:00"
    ]

    stale = client.patch(url, {"version": 1, "goals": "Overskrevet?"}, format="json")
    assert stale.status_code == 409
    referral_a.refresh_from_db()
    assert referral_a.goals == "Nye mål"


def test_an_update_without_the_version_is_refused(cast, api, referral_a):
    response = api(cast.coordinator_a).patch(
        f"/api/v1/referrals/{referral_a.pk}/", {"goals": "x"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.data


def test_the_referrer_cannot_change_their_own_referral(cast, api, referral_a):
    response = api(cast.referrer_a).patch(
        f"/api/v1/referrals/{referral_a.pk}/", {"version": 1, "goals": "x"}, format="json"
    )
    assert response.status_code == 403


BAD_INPUT = [
    ("invalid national id", {"participant": person(national_id="12345678901")}, "national_id"),
    (
        "no id and no alternative",
        {"participant": person(national_id="")},
        "national_id",
    ),
    (
        "alternative without birth date",
        {
            "participant": person(
                national_id="", alternative_id="foreign", alternative_id_note="Pass 123"
            )
        },
        "birth_date",
    ),
    (
        "a minor without a guardian",
        {"participant": person(national_id=synthetic_national_id(dt.date(2014, 2, 3)))},
        "guardian_name",
    ),
    ("age range max below min", {"contact_age_min": 50, "contact_age_max": 30}, "contact_age_max"),
    (
        "window ending before it starts",
        {"preferred_times": [{"weekday": 1, "start_time": "19:00", "end_time": "17:00"}]},
        "preferred_times",
    ),
    ("unknown activity", {"preferred_activities": ["bungee"]}, "preferred_activities"),
    ("unknown target group", {"target_groups": ["aliens"]}, "target_groups"),
    ("unknown language", {"languages": ["xx"]}, "languages"),
    (
        "consent given in the future",
        {
            "consents": [
                {
                    "scope": "share_with_referrer",
                    "given_by": "Siri",
                    "given_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                }
            ]
        },
        "given_on",
    ),
    ("unknown programme", {"programme": 999999}, "programme"),
]


@pytest.mark.parametrize(("name", "over", "field"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_a_clear_400_and_saves_nothing(cast, api, name, over, field):
    response = api(cast.coordinator_a).post(
        "/api/v1/referrals/", api_payload(cast, **over), format="json"
    )
    assert response.status_code == 400, (name, response.data)
    assert field in str(response.data), response.data
    assert not Referral.objects.exists() and not Participant.objects.exists()


def test_a_referral_to_another_municipalitys_programme_is_refused(cast, api):
    for user in (cast.referrer_a, cast.coordinator_a):
        response = api(user).post(
            "/api/v1/referrals/", api_payload(cast, programme=cast.programme_b.pk), format="json"
        )
        assert response.status_code == 400 and "programme" in response.data
    assert not Referral.objects.exists()


def test_a_d_number_is_accepted_and_the_birth_date_read_from_it(cast, api):
    d_number = synthetic_national_id(dt.date(1979, 8, 30), d_number=True)
    body = api_payload(cast, participant=person(national_id=d_number))
    response = api(cast.referrer_a).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["participant"]["birth_date"] == "1979-08-30"


def test_a_minor_with_a_guardian_is_accepted(cast, api):
    body = api_payload(
        cast,
        participant=person(
            national_id=synthetic_national_id(dt.date(2012, 6, 1)),
            guardian_name="Mor Sørli",
            guardian_phone="99887766",
        ),
    )
    response = api(cast.referrer_a).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.data


def test_a_second_open_referral_for_the_same_person_is_refused_naming_status_and_date(
    cast, api, referrer_a2
):
    first = api(cast.referrer_a).post("/api/v1/referrals/", api_payload(cast), format="json")
    assert first.status_code == 201

    second = api(referrer_a2).post(
        "/api/v1/referrals/", api_payload(cast, goals="Helt andre mål"), format="json"
    )

    assert second.status_code == 400
    message = second.data["programme"][0]
    assert "already has an open referral" in message and "Received" in message
    received = timezone.localtime(Referral.objects.get().received_at).date()
    assert received.strftime("%Y") in message
    # The other referrer learns nothing of the contents, and not even the id.
    assert "Gå tur" not in str(second.data) and "existing_referral" not in second.data
    assert Referral.objects.count() == 1

    coordinator = api(cast.coordinator_a).post(
        "/api/v1/referrals/", api_payload(cast), format="json"
    )
    assert coordinator.status_code == 400
    assert coordinator.data["existing_referral"] == [str(first.data["id"])]


def test_a_coordinator_merges_a_second_referral_into_the_open_one(cast, api, referral_a):
    referral_a.received_at = timezone.now() - dt.timedelta(days=10)
    referral_a.goals = "Gå tur"
    referral_a.save()
    referral_a.target_groups.set([])
    earlier = timezone.now() - dt.timedelta(days=20)
    body = {
        "source": "nav",
        "referrer_name": "NAV Nils",
        "goals": "Begynne å svømme",
        "needs": "Trenger følge i garderoben",
        "target_groups": ["substance_use"],
        "preferred_activities": ["swimming"],
        "preferred_times": [{"weekday": 4, "start_time": "09:00", "end_time": "11:00"}],
        "received_at": earlier.isoformat(),
    }

    response = api(cast.coordinator_a).post(
        f"/api/v1/referrals/{referral_a.pk}/merge", body, format="json"
    )

    assert response.status_code == 200, response.data
    referral_a.refresh_from_db()
    assert "Gå tur" in referral_a.goals and "Begynne å svømme" in referral_a.goals
    assert "Trenger rolig start" in referral_a.needs and "garderoben" in referral_a.needs
    assert [t.code for t in referral_a.target_groups.all()] == ["substance_use"]
    assert "swimming" in {a.code for a in referral_a.preferred_activities.all()}
    assert abs(referral_a.received_at - earlier) < dt.timedelta(seconds=1)
    assert referral_a.merges[0]["source"] == "nav" and referral_a.version == 2
    assert Referral.objects.count() == 1
    assert AuditEntry.objects.filter(
        action="update", object_id=str(referral_a.pk), changes__has_key="merged"
    ).exists()


def test_a_merge_for_a_different_person_is_refused(cast, api, referral_a):
    body = {"source": "gp", "goals": "x", "participant": person()}
    response = api(cast.coordinator_a).post(
        f"/api/v1/referrals/{referral_a.pk}/merge/", body, format="json"
    )
    assert response.status_code == 400 and "participant" in response.data


def test_a_referrer_cannot_merge(cast, api, referral_a):
    response = api(cast.referrer_a).post(
        f"/api/v1/referrals/{referral_a.pk}/merge/", {"source": "gp"}, format="json"
    )
    assert response.status_code == 403


def test_withdrawing_takes_the_referral_off_the_waiting_list(cast, api, referral_a):
    referral_a.status = "waiting"
    referral_a.granted_at = timezone.now()
    referral_a.save()
    client = api(cast.coordinator_a)
    missing = client.post(f"/api/v1/referrals/{referral_a.pk}/withdraw/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.data

    response = client.post(
        f"/api/v1/referrals/{referral_a.pk}/withdraw/",
        {"reason": "Flyttet", "version": referral_a.version},
        format="json",
    )
    assert response.status_code == 200 and response.data["status"] == "withdrawn"
    assert client.get("/api/v1/waiting-list/").data["results"] == []


def test_after_a_withdrawal_a_new_referral_for_the_same_person_is_accepted(cast, api):
    first = api(cast.referrer_a).post("/api/v1/referrals/", api_payload(cast), format="json")
    api(cast.coordinator_a).post(
        f"/api/v1/referrals/{first.data['id']}/withdraw/",
        {"reason": "Ville ikke", "version": first.data["version"]},
        format="json",
    )
    again = api(cast.referrer_a).post("/api/v1/referrals/", api_payload(cast), format="json")
    assert again.status_code == 201
    assert again.data["participant"]["id"] == first.data["participant"]["id"]


def test_the_eligibility_reasons_are_part_of_the_referral(cast, api, referral_a):
    from kobling.referrals.models import EligibilityRules

    EligibilityRules.objects.create(programme=cast.programme_a, min_age=50)
    data = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/").data
    assert len(data["eligibility"]) == 1 and "50" in data["eligibility"][0]


def test_participants_are_listed_for_coordinators_with_their_referrals(cast, api, referral_a):
    data = api(cast.coordinator_a).get("/api/v1/participants/").data["results"]
    assert [p["id"] for p in data] == [referral_a.participant_id]
    assert data[0]["referrals"][0]["status"] == "received"
    assert api(cast.referrer_a).get("/api/v1/participants/").status_code == 403
    other = f.ParticipantFactory(municipality=cast.b)
    assert api(cast.coordinator_a).get(f"/api/v1/participants/{other.pk}/").status_code == 404
