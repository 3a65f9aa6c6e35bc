"""Allow/deny for every FHIR route × every role of the cast (tests/conftest.py), listed in
tests/tenancy/test_access_matrix.py ACCESS_MODULES.

The rules are the REST API's: outside the caller's municipality → 404 (OperationOutcome); a
role that can never see the kind of record → 403; a referrer sees the people and referrals they
referred, and the answers to questionnaires only within the person's consent to share. The
questionnaires themselves are reference data, as the instruments are. ``metadata`` is public
(a CapabilityStatement says nothing about anyone)."""

from __future__ import annotations

import pytest

from kobling.referrals.models import Referral
from tests.fhir import course
from tests.fhir.helpers import FhirClient, fnr, parsed, service_request

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes: int) -> tuple[int, ...]:
    assert len(codes) == len(ROLES)
    return codes


EVERYONE = matrix(200, 200, 200, 200, 200, 200, 200)
PEOPLE_LISTS = matrix(200, 200, 200, 403, 200, 403, 403)
PEOPLE_OF_A = matrix(200, 200, 200, 403, 404, 403, 403)
REFERENCE = matrix(200, 200, 200, 200, 200, 200, 403)

# Path (relative to /fhir/R4/) → expected status per role.
READS = {
    "/fhir/R4/metadata": EVERYONE,
    "/fhir/R4/Patient": PEOPLE_LISTS,
    "/fhir/R4/Patient/{patient}": PEOPLE_OF_A,
    "/fhir/R4/ServiceRequest": PEOPLE_LISTS,
    "/fhir/R4/ServiceRequest/{referral}": PEOPLE_OF_A,
    "/fhir/R4/Task": PEOPLE_LISTS,
    "/fhir/R4/Task/{referral}": PEOPLE_OF_A,
    "/fhir/R4/Task?based-on=ServiceRequest/{referral}": PEOPLE_LISTS,
    "/fhir/R4/QuestionnaireResponse": PEOPLE_LISTS,
    "/fhir/R4/QuestionnaireResponse/review-{review}": PEOPLE_OF_A,
    "/fhir/R4/QuestionnaireResponse/followup-{followup}": PEOPLE_OF_A,
    "/fhir/R4/Questionnaire": REFERENCE,
    "/fhir/R4/Questionnaire/review": REFERENCE,
    "/fhir/R4/Questionnaire/followup": REFERENCE,
}
# The create: each role sends a different person; coordinator_b's lands in B's own programme.
CREATE = matrix(201, 201, 201, 403, 201, 403, 403)


@pytest.fixture
def ids(cast) -> dict[str, int]:  # noqa: ANN001
    sr = parsed(FhirClient(cast.referrer_a).post("ServiceRequest", service_request()), 201)
    referral, review, followup = course.ended_course(cast, Referral.objects.get(pk=int(sr["id"])))
    return {
        "patient": referral.participant_id,
        "referral": referral.pk,
        "review": review.pk,
        "followup": followup.pk,
    }


@pytest.mark.parametrize("path", list(READS))
def test_every_fhir_read_answers_each_role_as_the_matrix_says(cast, ids, path):
    url = path.removeprefix("/fhir/R4/").format(**ids)
    got = {role: FhirClient(cast.roles[role]).get(url) for role in ROLES}
    for role, response in got.items():
        parsed(response, response.status_code)  # every answer is a valid resource
    assert {r: resp.status_code for r, resp in got.items()} == dict(
        zip(ROLES, READS[path], strict=True)
    )


@pytest.mark.parametrize("path", [p for p in READS if p != "/fhir/R4/metadata"])
def test_anonymous_callers_get_401_on_every_fhir_route(ids, path):
    url = path.removeprefix("/fhir/R4/").format(**ids)
    assert FhirClient().get(url).status_code == 401


def test_create_answers_each_role_as_the_matrix_says(cast):
    got = {}
    for serial, role in enumerate(ROLES):
        body = service_request(national_id=fnr(serial=serial + 3))
        got[role] = FhirClient(cast.roles[role]).post("ServiceRequest", body).status_code
    assert got == dict(zip(ROLES, CREATE, strict=True))


def test_the_matrix_covers_every_type_the_capability_statement_names():
    data = parsed(FhirClient().get("metadata"), 200)
    types = {r["type"] for r in data["rest"][0]["resource"]}
    covered = {p.removeprefix("/fhir/R4/").split("/")[0].split("?")[0] for p in READS}
    assert types <= covered
