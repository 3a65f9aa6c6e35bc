"""The endpoint itself: the CapabilityStatement, token authentication, and every error as an
OperationOutcome with the HTTP status FHIR uses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from kobling.fhir import codes
from tests.fhir.helpers import FhirClient, outcome, parsed

pytestmark = pytest.mark.django_db


def test_metadata_is_a_capability_statement_stating_what_is_supported():
    data = parsed(FhirClient().get("metadata"), 200, "CapabilityStatement")
    assert data["fhirVersion"] == codes.FHIR_VERSION == "4.0.1"
    assert data["format"][0] == "application/fhir+json"
    [rest] = data["rest"]
    supported = {r["type"]: [i["code"] for i in r["interaction"]] for r in rest["resource"]}
    assert supported == {
        "Patient": ["read", "search-type"],
        "ServiceRequest": ["create", "read", "search-type"],
        "Task": ["read", "search-type"],
        "QuestionnaireResponse": ["read", "search-type"],
        "Questionnaire": ["read", "search-type"],
    }
    task = next(r for r in rest["resource"] if r["type"] == "Task")
    assert {p["name"] for p in task["searchParam"]} == {"based-on", "status", "_lastUpdated"}


def test_no_token_a_wrong_token_and_an_expired_token_are_401(cast, settings):
    response = FhirClient().get("Patient")
    outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    outcome(FhirClient(token="not-a-token").get("Patient"), 401)
    key = Token.objects.create(user=cast.coordinator_a).key
    Token.objects.filter(key=key).update(
        created=timezone.now() - dt.timedelta(days=settings.KOBLING_API_TOKEN_DAYS + 1)
    )
    assert (
        "expired" in outcome(FhirClient(token=key).get("Patient"), 401)["issue"][0]["diagnostics"]
    )
    # The "Token" scheme of the REST API works too.
    client = FhirClient()
    client.headers["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=cast.referrer_a).key}"
    parsed(client.get("Patient"), 200, "Bundle")


def test_a_browser_session_is_not_a_fhir_login(cast):
    client = FhirClient()
    client.client.force_login(cast.coordinator_a)
    outcome(client.get("Patient"), 401)


def test_unsupported_interactions_and_formats(cast):
    client = FhirClient(cast.coordinator_a)
    response = client.call("put", "Task/1", data="{}", content_type=codes.MEDIA_TYPE)
    outcome(response, 405)
    assert response["Allow"] == "GET"
    outcome(client.call("delete", "ServiceRequest/1"), 405)
    outcome(client.post("Task", {"resourceType": "Task"}), 405)
    outcome(client.post("", {"resourceType": "Bundle", "type": "transaction"}), 405)
    outcome(client.get("Observation"), 404)
    outcome(client.get("Patient/1/_history"), 404)
    outcome(client.get("Patient/not_an_id!"), 404)
    outcome(client.get("Patient/999999"), 404)
    outcome(client.get("Patient", HTTP_ACCEPT="application/fhir+xml"), 406)
    outcome(client.get("Patient?_format=xml"), 406)
    parsed(client.get("Patient", HTTP_ACCEPT="application/fhir+json"), 200)


def test_responses_are_never_cached(cast):
    response = FhirClient(cast.coordinator_a).get("Patient")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_errors_follow_the_callers_language(cast):
    client = FhirClient(cast.referrer_a)
    from tests.fhir.helpers import service_request

    parsed(client.post("ServiceRequest", service_request()), 201)
    data = outcome(client.post("ServiceRequest", service_request(), HTTP_ACCEPT_LANGUAGE="nb"), 422)
    assert "allerede" in data["issue"][0]["details"]["text"]
