"""Patient with Norwegian identifiers (no-basis OIDs) or Kobling's own; reads audited as a
page read of the person. QuestionnaireResponse for follow-ups and reviews within consent, and
the Questionnaires generated from Kobling's instruments."""

from __future__ import annotations

import pytest

from kobling.fhir import codes
from kobling.outcomes.models import Instrument
from kobling.referrals.models import Consent, Referral
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.fhir import course
from tests.fhir.helpers import FhirClient, dnr, fnr, outcome, parsed, service_request

pytestmark = pytest.mark.django_db


def send(cast, **kwargs) -> Referral:  # noqa: ANN001
    sr = parsed(FhirClient(cast.referrer_a).post("ServiceRequest", service_request(**kwargs)), 201)
    return Referral.objects.get(pk=int(sr["id"]))


def test_patient_identifiers_fodselsnummer_d_nummer_or_kobling_s_own(cast):
    number, d_number = fnr(), dnr()
    one = send(cast, national_id=number).participant
    two = send(cast, national_id=d_number, system=codes.DNR_SYSTEM).participant
    three = f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a).participant
    client = FhirClient(cast.coordinator_a)

    first = parsed(client.get(f"Patient/{one.pk}"), 200, "Patient")
    assert first["identifier"] == [{"use": "official", "system": codes.FNR_SYSTEM, "value": number}]
    assert first["name"][0]["family"] == "Nordmann" and first["birthDate"] == "1985-05-17"
    second = parsed(client.get(f"Patient/{two.pk}"), 200)
    assert second["identifier"][0]["system"] == codes.DNR_SYSTEM
    third = parsed(client.get(f"Patient/{three.pk}"), 200)
    assert third["identifier"][0] == {
        "use": "usual",
        "system": codes.PARTICIPANT_SYSTEM,
        "value": str(three.pk),
    }

    found = parsed(client.get(f"Patient?identifier={codes.FNR_SYSTEM}|{number}"), 200, "Bundle")
    assert [e["resource"]["id"] for e in found["entry"]] == [str(one.pk)]
    own = parsed(client.get(f"Patient?identifier={codes.PARTICIPANT_SYSTEM}|{three.pk}"), 200)
    assert [e["resource"]["id"] for e in own["entry"]] == [str(three.pk)]


def test_a_patient_read_is_audited_as_a_page_read_of_the_person(cast):
    person = send(cast).participant
    parsed(FhirClient(cast.referrer_a).get(f"Patient/{person.pk}"), 200)
    entry = AuditEntry.objects.filter(
        object_type="referrals.participant", object_id=str(person.pk), action="view"
    ).get()
    assert entry.user == cast.referrer_a and entry.municipality_id == cast.a.pk
    assert entry.via.startswith("GET fhir")
    parsed(FhirClient(cast.coordinator_a).get("Patient"), 200)
    listed = AuditEntry.objects.filter(
        object_type="referrals.participant", object_repr__startswith="list"
    )
    assert listed.get().changes == {"ids": [str(person.pk)]}


def test_patients_outside_the_callers_reach_are_404_and_roles_without_people_403(cast):
    person = send(cast).participant
    other_referrer = f.member(f.UserFactory(), cast.a, "referrer")
    for user in (cast.coordinator_b, other_referrer):
        outcome(FhirClient(user).get(f"Patient/{person.pk}"), 404)
    for user in (cast.contact_user_a, cast.analyst, cast.provider_user):
        outcome(FhirClient(user).get(f"Patient/{person.pk}"), 403)
    assert not AuditEntry.objects.filter(
        object_type="referrals.participant", action="view"
    ).exists()


def test_follow_up_and_review_answers_within_consent(cast):
    referral, review, followup = course.ended_course(cast, send(cast))
    referrer = FhirClient(cast.referrer_a)
    bundle = parsed(
        referrer.get(f"QuestionnaireResponse?based-on=ServiceRequest/{referral.pk}"), 200
    )
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert ids == [f"review-{review.pk}", f"followup-{followup.pk}"]

    answer = parsed(referrer.get(f"QuestionnaireResponse/followup-{followup.pk}"), 200)
    assert answer["questionnaire"].endswith("/Questionnaire/followup")
    items = {i["linkId"]: i["answer"][0] for i in answer["item"]}
    assert items["months"] == {"valueInteger": 3}
    assert items["still_active"] == {"valueBoolean": True}
    assert items["minutes_per_week"] == {"valueInteger": 150}
    assert items["where"]["valueCoding"]["code"] == "gym"
    assert answer["subject"] == {"reference": f"Patient/{referral.participant_id}"}

    scored = parsed(referrer.get(f"QuestionnaireResponse/review-{review.pk}"), 200)
    by_link = {i["linkId"]: i for i in scored["item"]}
    assert by_link["activity_minutes"]["answer"][0]["valueDecimal"] == 120
    assert by_link["self_rated_health"]["answer"][0]["valueCoding"]["code"] == "4"
    goal_items = {i["linkId"]: i["answer"][0] for i in by_link["goals"]["item"]}
    assert goal_items["goals.goal"] == {"valueString": "Gå til butikken alene"}
    assert goal_items["goals.attainment"]["valueCoding"]["code"] == "1"
    assert AuditEntry.objects.filter(
        object_type="outcomes.followup", object_id=str(followup.pk), action="view"
    ).exists()

    only_followups = parsed(
        referrer.get(f"QuestionnaireResponse?questionnaire={codes.QUESTIONNAIRE_BASE}/followup"),
        200,
    )
    assert only_followups["total"] == 1

    # The consent withdrawn: the referrer sees no answers; the coordinator still does.
    Consent.objects.filter(referral=referral, scope="share_with_referrer").update(
        withdrawn_on=course.days_ago(0)
    )
    outcome(referrer.get(f"QuestionnaireResponse/followup-{followup.pk}"), 404)
    assert parsed(referrer.get("QuestionnaireResponse"), 200)["total"] == 0
    assert parsed(FhirClient(cast.coordinator_a).get("QuestionnaireResponse"), 200)["total"] == 2
    outcome(FhirClient(cast.coordinator_b).get(f"QuestionnaireResponse/review-{review.pk}"), 404)
    outcome(FhirClient(cast.contact_user_a).get("QuestionnaireResponse"), 403)


def test_questionnaires_are_generated_from_the_instruments(cast):
    client = FhirClient(cast.referrer_a)
    review = parsed(client.get("Questionnaire/review"), 200, "Questionnaire")
    links = [i["linkId"] for i in review["item"]]
    active = list(Instrument.objects.filter(is_active=True).values_list("code", flat=True))
    assert set(links) - {"kind", "date", "goals"} == set(active) - {"goal_attainment"}
    assert all(f"{code}:" in review["version"] for code in active)
    rating = next(i for i in review["item"] if i["linkId"] == "self_rated_health")
    assert rating["type"] == "choice" and len(rating["answerOption"]) == 5
    parsed(client.get("Questionnaire/followup"), 200, "Questionnaire")
    assert parsed(client.get("Questionnaire"), 200, "Bundle")["total"] == 2
    outcome(client.get("Questionnaire/nope"), 404)
    outcome(FhirClient(cast.provider_user).get("Questionnaire/review"), 403)
