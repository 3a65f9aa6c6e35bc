"""Fixes from the security review of referrals: existing people are not rewritten by outsiders,
referrers see only what they already know, mixed roles are scoped per municipality, merged text
and referrer contact stay with their source, the public form never fails on a merge, consents
are audited, and odd input is refused cleanly."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kobling.referrals import services
from kobling.referrals.application import application_token
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Consent, Decision, Participant, Referral
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.referrals.payloads import BORN, api_payload, person

pytestmark = pytest.mark.django_db

APPLICANT_BORN = dt.date(1988, 9, 9)


def stored_person(cast, born=BORN, **over) -> Participant:
    data = {
        "municipality": cast.a,
        "national_id": synthetic_national_id(born),
        "alternative_id": "",
        "alternative_id_note": "",
        "first_name": "Siri",
        "last_name": "Sørli",
        "birth_date": born,
        "postcode": "6800",
        "home_area": "",
        "email": "",
        "phone": "",
    }
    data.update(over)
    return Participant.objects.create(**data)


def application(cast, **over) -> dict:
    data = {
        "programme": cast.programme_a.pk,
        "applying_as": "self",
        "national_id": synthetic_national_id(APPLICANT_BORN),
        "first_name": "Ola",
        "last_name": "Søker",
        "gender": "male",
        "email": "angriper@example.test",
        "phone": "91234567",
        "postcode": "6800",
        "home_area": "Vie",
        "resident": "on",
        "goals": "Komme i form",
        "availability": ["1-evening"],
        "consent": "on",
        "website": "",
        "started": application_token(cast.a.code, issued_at=time.time() - 20),
    }
    data.update(over)
    return data


@pytest.fixture
def mixed(cast):
    """Coordinator in B, referrer in A."""
    user = f.member(f.UserFactory(username="blandet@test"), cast.b, Role.COORDINATOR)
    return f.member(user, cast.a, Role.REFERRER)


# --- 1. an existing person is not rewritten by outsiders ----------------------------------------


def test_an_anonymous_application_with_a_known_national_id_leaves_the_stored_email_unchanged(cast):
    known = stored_person(cast, born=APPLICANT_BORN, first_name="Ola", last_name="Søker")
    response = Client().post(f"/soknad/{cast.a.code}/", application(cast))
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.email == "" and known.phone == "" and known.home_area == ""


def test_a_referrer_cannot_fill_in_an_existing_persons_contact_details(cast, api):
    known = stored_person(cast)
    body = api_payload(cast, participant=person(email="henviser@example.test"))
    response = api(cast.referrer_a).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.data
    known.refresh_from_db()
    assert known.email == "" and known.phone == ""


def test_a_coordinator_filling_in_blank_contact_details_is_audited(cast):
    known = stored_person(cast)
    services.participant_find_or_create(
        municipality=cast.a, person=person(email="ny@example.test"), by=cast.coordinator_a
    )
    known.refresh_from_db()
    assert known.email == "ny@example.test"
    entry = AuditEntry.objects.get(
        object_type="referrals.participant", object_id=str(known.pk), action="update"
    )
    assert entry.user == cast.coordinator_a and "email" in entry.changes


# --- 2. the referrer sees only the identity they already have -----------------------------------

REFERRER_PERSON_KEYS = {"id", "first_name", "last_name", "birth_date"}


def test_a_referrer_posting_only_a_national_id_does_not_get_the_stored_contact_details(cast, api):
    stored_person(
        cast,
        email="hemmelig@example.test",
        phone="99887766",
        home_area="Skjult",
        guardian_name="Verge",
    )
    body = api_payload(
        cast,
        participant={
            "national_id": synthetic_national_id(BORN),
            "first_name": "X",
            "last_name": "Y",
            "postcode": "6800",
        },
    )
    client = api(cast.referrer_a)
    response = client.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.data
    assert set(response.data["participant"]) == REFERRER_PERSON_KEYS
    assert "hemmelig" not in str(response.data) and "99887766" not in str(response.data)
    read = client.get(f"/api/v1/referrals/{response.data['id']}/").data
    assert set(read["participant"]) == REFERRER_PERSON_KEYS
    listed = client.get("/api/v1/referrals/").data["results"]
    assert set(listed[0]["participant"]) == REFERRER_PERSON_KEYS


def test_a_coordinator_still_sees_the_full_person(cast, api, referral_a):
    data = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/").data
    assert {"email", "phone", "postcode", "national_id"} <= set(data["participant"])


# --- 3. coordinator in one municipality, referrer in another ------------------------------------


def test_a_referral_made_where_the_user_no_longer_refers_is_not_visible_through_its_parts(
    cast, mixed
):
    elsewhere = f.MunicipalityFactory(code="9003", name="Cestad")
    referral = f.ReferralFactory(programme=f.ProgrammeFactory(municipality=elsewhere))
    Referral.objects.filter(pk=referral.pk).update(referrer=mixed)
    consent = Consent.objects.create(
        referral=referral,
        municipality=elsewhere,
        scope="share_with_referrer",
        given_on=timezone.localdate(),
        given_by="Per",
    )
    decision = Decision.objects.create(
        referral=referral,
        municipality=elsewhere,
        outcome="more_info",
        reasons="Mangler",
        decided_by=f.UserFactory(),
        decided_on=timezone.localdate(),
    )
    assert not Participant.objects.visible_to(mixed).filter(pk=referral.participant_id).exists()
    assert not Consent.objects.visible_to(mixed).filter(pk=consent.pk).exists()
    assert not Decision.objects.visible_to(mixed).filter(pk=decision.pk).exists()
    assert not referral.participant.permits(mixed, "view")


def test_the_waiting_list_of_a_coordinator_who_refers_elsewhere_has_only_their_municipality(
    cast, api, mixed
):
    sent = f.ReferralFactory(programme=cast.programme_a, referrer=mixed, status="waiting")
    own = f.ReferralFactory(programme=cast.programme_b, status="waiting")
    rows = api(mixed).get("/api/v1/waiting-list/").data["results"]
    assert [r["id"] for r in rows] == [own.pk]
    assert sent.pk not in [r["id"] for r in rows]


def test_the_participant_list_of_a_coordinator_who_refers_elsewhere_leaves_out_their_referrals(
    cast, api, mixed
):
    sent = f.ReferralFactory(programme=cast.programme_a, referrer=mixed)
    own = f.ReferralFactory(programme=cast.programme_b)
    rows = api(mixed).get("/api/v1/participants/").data["results"]
    assert [r["id"] for r in rows] == [own.participant_id]
    assert sent.participant_id not in [r["id"] for r in rows]


def test_the_referral_list_page_hides_priority_for_rows_the_user_only_referred(cast, web, mixed):
    f.ReferralFactory(programme=cast.programme_a, referrer=mixed)
    f.ReferralFactory(programme=cast.programme_b)
    html = web(mixed).get("/henvisninger/").content.decode()
    assert '<th class="k-hide-small">Priority</th>' not in html


# --- 4. merged text and the referrer's contact ----------------------------------------------------


@pytest.fixture
def merged_referral(cast):
    referral = f.ReferralFactory(
        programme=cast.programme_a,
        referrer=cast.referrer_a,
        referrer_name="Dr. Henviser",
        referrer_email="",
        referrer_phone="",
        goals="Opprinnelig mål",
        needs="",
    )
    services.referral_merge(
        into=referral,
        by=cast.coordinator_a,
        data={
            "source": "self",
            "goals": "Fra en annen kilde",
            "needs": "Helseopplysning fra søknad",
            "referrer_name": "Noen andre",
            "referrer_email": "andre@example.test",
            "referrer_phone": "90000000",
        },
    )
    referral.refresh_from_db()
    return referral


def test_a_merge_never_writes_the_referrer_contact_fields(merged_referral):
    assert merged_referral.referrer_name == "Dr. Henviser"
    assert merged_referral.referrer_email == "" and merged_referral.referrer_phone == ""


def test_the_referrer_does_not_see_merged_goals_and_needs_without_consent(
    cast, api, merged_referral
):
    data = api(cast.referrer_a).get(f"/api/v1/referrals/{merged_referral.pk}/").data
    assert data["goals"] is None and data["needs"] is None
    assert "Fra en annen kilde" not in str(data)
    coordinator = api(cast.coordinator_a).get(f"/api/v1/referrals/{merged_referral.pk}/").data
    assert "Fra en annen kilde" in coordinator["goals"]


def test_the_referrer_sees_merged_goals_while_consent_to_share_is_in_force(
    cast, api, merged_referral
):
    Consent.objects.create(
        referral=merged_referral,
        municipality=cast.a,
        scope="share_with_referrer",
        given_on=timezone.localdate(),
        given_by="Per",
    )
    data = api(cast.referrer_a).get(f"/api/v1/referrals/{merged_referral.pk}/").data
    assert "Fra en annen kilde" in data["goals"]


# --- 5. the public form never fails on a merge --------------------------------------------------


def test_a_refused_merge_from_the_public_form_still_thanks_the_visitor(cast, monkeypatch):
    url = f"/soknad/{cast.a.code}/"
    assert Client().post(url, application(cast)).status_code == 302
    existing = Referral.objects.get()

    def refuse(**kwargs):
        raise ValidationError({"goals": "Refused"})

    monkeypatch.setattr(services, "referral_merge", refuse)
    response = Client().post(url, application(cast, goals="Noe nytt"))
    assert response.status_code == 302 and response["Location"] == url + "?takk=1"
    assert Referral.objects.count() == 1
    assert AuditEntry.objects.filter(
        object_type="referrals.referral",
        object_id=str(existing.pk),
        changes__merge_skipped="application",
    ).exists()


# --- 6. consents are audited --------------------------------------------------------------------


def test_a_consent_given_with_a_new_referral_is_audited(cast, api):
    response = api(cast.referrer_a).post("/api/v1/referrals/", api_payload(cast), format="json")
    assert response.status_code == 201, response.data
    consent = Consent.objects.get(referral_id=response.data["id"])
    entry = AuditEntry.objects.get(
        object_type="referrals.consent", object_id=str(consent.pk), action="create"
    )
    assert entry.user == cast.referrer_a


def test_a_consent_given_with_a_merge_is_audited(cast):
    referral = f.ReferralFactory(programme=cast.programme_a)
    services.referral_merge(
        into=referral,
        by=cast.coordinator_a,
        data={"source": "gp"},
        consents=[services.ConsentInput(scope="follow_up", given_by="Per")],
    )
    consent = Consent.objects.get(referral=referral)
    assert AuditEntry.objects.filter(
        object_type="referrals.consent", object_id=str(consent.pk), action="create"
    ).exists()


def test_recording_a_consent_is_audited_once(cast, referral_a):
    consent = services.consent_record(
        referral=referral_a, by=cast.coordinator_a, scope="follow_up", given_by="Per"
    )
    assert (
        AuditEntry.objects.filter(
            object_type="referrals.consent", object_id=str(consent.pk), action="create"
        ).count()
        == 1
    )


# --- 7. received time and odd numbers -----------------------------------------------------------


def test_a_referrer_cannot_backdate_a_referral(cast, api):
    received = (timezone.now() - dt.timedelta(days=400)).isoformat()
    body = api_payload(cast, received_at=received)
    response = api(cast.referrer_a).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "received_at" in response.data
    assert not Referral.objects.exists()


def test_a_superscript_decision_id_for_the_letter_is_refused_not_a_crash(cast, api, referral_a):
    response = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/letter/?decision=²")
    assert response.status_code == 400


@pytest.mark.parametrize("parameter", ["programme", "municipality"])
def test_a_superscript_number_for_supply_and_demand_is_refused_not_a_crash(cast, api, parameter):
    response = api(cast.coordinator_a).get(f"/api/v1/supply-demand/?{parameter}=²")
    assert response.status_code == 400
