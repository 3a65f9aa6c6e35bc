"""ServiceRequest create → a Kobling referral through the referral service (the same
validation and duplicate rules as the web form and the REST API); bad input is a 4xx
OperationOutcome naming the element, and nothing is saved. Read and search."""

from __future__ import annotations

import datetime as dt

import pytest

from kobling.fhir import codes
from kobling.referrals.models import Consent, Participant, Referral
from kobling.tenancy.choices import ProgrammeKind
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.fhir.helpers import (
    FhirClient,
    dnr,
    expressions,
    fnr,
    outcome,
    parsed,
    service_request,
)

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return Referral.objects.count(), Participant.objects.count(), Consent.objects.count()


def test_a_service_request_becomes_a_referral_of_the_referrer(cast):
    client = FhirClient(cast.referrer_a)
    number = fnr()
    response = client.post("ServiceRequest", service_request(national_id=number))
    sr = parsed(response, 201, "ServiceRequest")

    referral = Referral.objects.get(pk=int(sr["id"]))
    assert response["Location"].endswith(f"/fhir/R4/ServiceRequest/{referral.pk}")
    assert referral.programme == cast.programme_a
    assert referral.referrer == cast.referrer_a
    assert referral.source == "gp"
    assert referral.referrer_name == "Lise Lege"
    assert referral.referrer_email == "lise.lege@legekontor.test"
    assert referral.goals == "Gå tur med hunden tre ganger i uka"
    assert "trenger følge" in referral.needs
    person = referral.participant
    assert (person.national_id, person.first_name, person.last_name) == (number, "Kari", "Nordmann")
    assert person.birth_date == dt.date(1985, 5, 17)
    assert (person.postcode, person.post_town, person.phone) == ("6800", "Førde", "+4791234567")
    [consent] = referral.consents.all()
    assert (consent.scope, consent.given_by) == ("share_with_referrer", "Kari Nordmann")
    assert AuditEntry.objects.filter(
        object_type="referrals.referral", object_id=str(referral.pk), action="create"
    ).exists()
    assert sr["status"] == "active"
    assert sr["subject"]["reference"] == f"Patient/{person.pk}"
    assert {"system": codes.PROGRAMME_KIND_SYSTEM, "code": "treningskontakt"}.items() <= sr["code"][
        "coding"
    ][0].items()


def test_a_d_number_under_its_own_system_and_an_identifier_reference_to_a_known_person(cast):
    client = FhirClient(cast.referrer_a)
    number = dnr()
    parsed(
        client.post("ServiceRequest", service_request(national_id=number, system=codes.DNR_SYSTEM)),
        201,
    )
    other = f.ProgrammeFactory(
        municipality=cast.a, kind=ProgrammeKind.FRISKLIVSRESEPT, name="Frisklivsresept"
    )
    body = service_request(kind="frisklivsresept")
    body["contained"] = [r for r in body["contained"] if r["resourceType"] != "Patient"]
    body["subject"] = {"identifier": {"system": codes.DNR_SYSTEM, "value": number}}
    sr = parsed(client.post("ServiceRequest", body), 201)
    referral = Referral.objects.get(pk=int(sr["id"]))
    assert referral.programme == other
    assert Participant.objects.filter(national_id=number).count() == 1


BAD = [
    (
        "wrong resource type",
        lambda body: {**body, "resourceType": "Patient"},
        400,
        "resourceType",
    ),
    (
        "missing subject",
        lambda body: {k: v for k, v in body.items() if k != "subject"},
        400,
        "ServiceRequest.subject",
    ),
    (
        "invalid checksum",
        lambda body: _patient(
            body, identifier=[{"system": codes.FNR_SYSTEM, "value": "17058500187"}]
        ),
        422,
        "ServiceRequest.contained[0].identifier[0].value",
    ),
    (
        "a D-nummer under the fødselsnummer system",
        lambda body: _patient(body, identifier=[{"system": codes.FNR_SYSTEM, "value": dnr()}]),
        422,
        "ServiceRequest.contained[0].identifier[0].value",
    ),
    (
        "unknown programme code",
        lambda body: {
            **body,
            "code": {"coding": [{"system": codes.PROGRAMME_KIND_SYSTEM, "code": "yoga"}]},
        },
        422,
        "ServiceRequest.code.coding[0].code",
    ),
    (
        "a programme kind the municipality does not run",
        lambda body: {
            **body,
            "code": {"coding": [{"system": codes.PROGRAMME_KIND_SYSTEM, "code": "rehabilitation"}]},
        },
        422,
        "ServiceRequest.code.coding[0].code",
    ),
    (
        "no programme",
        lambda body: {k: v for k, v in body.items() if k != "code"},
        422,
        "ServiceRequest.code",
    ),
    (
        "a person without a name",
        lambda body: _patient(body, name=[{"text": "?"}]),
        422,
        "ServiceRequest.contained[0].name[0].family",
    ),
    (
        "a person without a postcode",
        lambda body: _patient(body, address=[{"city": "Førde"}]),
        422,
        "ServiceRequest.contained[0].address[0].postalCode",
    ),
    (
        "an unknown element",
        lambda body: {**body, "colour": "blue"},
        400,
        "ServiceRequest.colour",
    ),
    ("a draft", lambda body: {**body, "status": "draft"}, 422, "ServiceRequest.status"),
    (
        "a consent without a Kobling scope",
        lambda body: _consent(body, category=[{"text": "ja"}]),
        422,
        "ServiceRequest.contained[2].category",
    ),
]


def _patient(body, **changes):  # noqa: ANN001, ANN202
    body["contained"][0].update(changes)
    return body


def _consent(body, **changes):  # noqa: ANN001, ANN202
    body["contained"][2].update(changes)
    return body


@pytest.mark.parametrize(("case", "change", "status", "where"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_an_operation_outcome_naming_the_element_and_saves_nothing(
    cast, case, change, status, where
):
    before = counts()
    data = outcome(
        FhirClient(cast.referrer_a).post("ServiceRequest", change(service_request())), status
    )
    assert where in expressions(data), data
    assert all(issue["details"]["text"] for issue in data["issue"])
    assert counts() == before


def test_a_duplicate_referral_is_refused_with_nothing_saved(cast):
    client = FhirClient(cast.referrer_a)
    first = parsed(client.post("ServiceRequest", service_request()), 201)
    before = counts()
    data = outcome(client.post("ServiceRequest", service_request(goals="Noe annet")), 422)
    assert data["issue"][0]["code"] == "duplicate"
    text = data["issue"][0]["details"]["text"]
    assert "already has an open referral" in text and f"ServiceRequest/{first['id']}" in text
    # Another referrer sending the same person learns that a referral is open, not which.
    other = f.member(f.UserFactory(), cast.a, "referrer")
    data = outcome(FhirClient(other).post("ServiceRequest", service_request()), 422)
    assert "ServiceRequest/" not in data["issue"][0]["details"]["text"]
    assert counts() == before


@pytest.mark.parametrize("path", ["ServiceRequest", "Task", "Patient"])
def test_a_page_of_results_costs_the_same_whatever_the_number_of_referrals(
    cast, path, django_assert_num_queries
):
    client = FhirClient(cast.coordinator_a)
    client.get("Patient")  # the token is looked up, the session warmed

    def add(n: int) -> None:
        for _ in range(n):
            f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a)

    add(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        parsed(client.get(f"{path}?_count=2"), 200)
    add(6)
    with CaptureQueriesContext(connection) as many:
        parsed(client.get(f"{path}?_count=2"), 200)
    assert len(many) == len(few), [q["sql"][:120] for q in many]


def test_an_oversized_body_not_json_and_wrong_media_type(cast):
    client = FhirClient(cast.referrer_a)
    before = counts()
    body = service_request(goals="x" * 70_000)
    assert outcome(client.post("ServiceRequest", body), 413)["issue"][0]["code"] == "too-long"
    outcome(client.post("ServiceRequest", "{not json"), 400)
    outcome(client.post("ServiceRequest", service_request(), content_type="text/plain"), 415)
    outcome(client.post("ServiceRequest", []), 400)
    assert counts() == before


def test_roles_that_cannot_refer_get_403_and_nothing_is_saved(cast):
    before = counts()
    for user in (cast.contact_user_a, cast.analyst, cast.provider_user):
        outcome(FhirClient(user).post("ServiceRequest", service_request()), 403)
    # A coordinator of B has no programme of that kind that takes referrals from them in A:
    # the referral lands in B's own programme, never in A's.
    sr = parsed(FhirClient(cast.coordinator_b).post("ServiceRequest", service_request()), 201)
    assert Referral.objects.get(pk=int(sr["id"])).municipality == cast.b
    assert counts()[0] == before[0] + 1


def test_read_and_search_by_subject_identifier_status_and_last_updated(cast):
    client = FhirClient(cast.referrer_a)
    one, two = fnr(serial=0), fnr(serial=1)
    first = parsed(client.post("ServiceRequest", service_request(national_id=one)), 201)
    parsed(client.post("ServiceRequest", service_request(national_id=two)), 201)

    read = parsed(client.get(f"ServiceRequest/{first['id']}"), 200, "ServiceRequest")
    assert read["id"] == first["id"]
    assert AuditEntry.objects.filter(
        object_type="referrals.referral", object_id=first["id"], action="view", user=cast.referrer_a
    ).exists()

    bundle = parsed(
        client.get(f"ServiceRequest?subject:identifier={codes.FNR_SYSTEM}|{one}"), 200, "Bundle"
    )
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["id"] == first["id"]
    assert parsed(client.get("ServiceRequest?status=active"), 200)["total"] == 2
    assert parsed(client.get("ServiceRequest?status=completed"), 200)["total"] == 0
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert parsed(client.get(f"ServiceRequest?_lastUpdated=ge{yesterday}"), 200)["total"] == 2
    assert parsed(client.get(f"ServiceRequest?_lastUpdated=gt{tomorrow}"), 200)["total"] == 0

    paged = parsed(client.get("ServiceRequest?_count=1"), 200)
    assert paged["total"] == 2 and len(paged["entry"]) == 1
    links = {link["relation"]: link["url"] for link in paged["link"]}
    following = parsed(client.client.get(links["next"], **client.headers), 200)
    assert following["entry"][0]["resource"]["id"] != paged["entry"][0]["resource"]["id"]
    assert "next" not in {link["relation"] for link in following["link"]}

    outcome(client.get("ServiceRequest?colour=blue"), 400)
    outcome(client.get("ServiceRequest?_lastUpdated=yesterday"), 400)


def test_a_referrer_never_sees_another_referrers_referral(cast):
    sr = parsed(FhirClient(cast.referrer_a).post("ServiceRequest", service_request()), 201)
    other = f.member(f.UserFactory(), cast.a, "referrer")
    outcome(FhirClient(other).get(f"ServiceRequest/{sr['id']}"), 404)
    assert parsed(FhirClient(other).get("ServiceRequest"), 200)["total"] == 0
    assert parsed(FhirClient(cast.coordinator_a).get(f"ServiceRequest/{sr['id']}"), 200)
    outcome(FhirClient(cast.coordinator_b).get(f"ServiceRequest/{sr['id']}"), 404)
