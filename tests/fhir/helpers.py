"""Helpers for the FHIR tests: a client that sends a Kobling API token, and :func:`parsed`, which
fails the test unless the response is a resource that fhir.resources (R4B) *and* fhirclient's R4
(4.0.1) models both accept."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from rest_framework.authtoken.models import Token

from kobling.fhir import codes, resources
from kobling.referrals.identity import synthetic_national_id

BASE = "/fhir/R4/"


def token_for(user) -> str:  # noqa: ANN001
    return Token.objects.get_or_create(user=user)[0].key


class FhirClient:
    def __init__(self, user=None, token: str | None = None) -> None:  # noqa: ANN001
        self.client = Client()
        self.headers: dict[str, str] = {}
        key = token or (token_for(user) if user is not None else None)
        if key:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"

    def get(self, path: str, **extra: Any):  # noqa: ANN201
        return self.client.get(BASE + path, **self.headers, **extra)

    def post(self, path: str, body: Any, content_type: str = codes.MEDIA_TYPE, **extra: Any):  # noqa: ANN201
        data = body if isinstance(body, str | bytes) else json.dumps(body, default=str)
        return self.client.post(
            BASE + path, data, content_type=content_type, **self.headers, **extra
        )

    def call(self, method: str, path: str, **extra: Any):  # noqa: ANN201
        return getattr(self.client, method)(BASE + path, **self.headers, **extra)


def parsed(response, status: int, resource_type: str | None = None) -> dict[str, Any]:  # noqa: ANN001
    """The response's resource, after checking the status, the media type, and that both FHIR
    model libraries accept it (every contained and bundled resource included)."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith(codes.MEDIA_TYPE), response["Content-Type"]
    data = json.loads(response.content)
    resources.emit(data)  # fhir.resources R4B: raises on an invalid resource
    FHIRElementFactory.instantiate(data["resourceType"], data)  # fhirclient R4, strict
    if resource_type is not None:
        assert data["resourceType"] == resource_type, data
    return data


def outcome(response, status: int) -> dict[str, Any]:  # noqa: ANN001
    data = parsed(response, status, "OperationOutcome")
    assert data["issue"] and all(i["severity"] == "error" for i in data["issue"])
    return data


def expressions(data: dict[str, Any]) -> list[str]:
    return [e for issue in data["issue"] for e in issue.get("expression", [])]


def fnr(born: dt.date = dt.date(1985, 5, 17), serial: int = 0) -> str:
    return synthetic_national_id(born, serial=serial)


def dnr(born: dt.date = dt.date(1990, 3, 4), serial: int = 0) -> str:
    return synthetic_national_id(born, d_number=True, serial=serial)


def service_request(
    *,
    national_id: str | None = None,
    system: str = codes.FNR_SYSTEM,
    kind: str = "treningskontakt",
    goals: str = "Gå tur med hunden tre ganger i uka",
    share: bool = True,
    **patient: Any,
) -> dict[str, Any]:
    """A ServiceRequest as a GP's record system would send it: a contained Patient with a
    fødselsnummer, a contained Practitioner, the programme kind, a reason, the person's goals
    and a contained Consent to share progress with the referrer."""
    number = national_id or fnr()
    person = {
        "resourceType": "Patient",
        "id": "p",
        "identifier": [{"system": system, "value": number}],
        "name": [{"family": "Nordmann", "given": ["Kari"]}],
        "gender": "female",
        "telecom": [{"system": "phone", "value": "+4791234567"}],
        "address": [{"line": ["Storgata 1"], "postalCode": "6800", "city": "Førde"}],
    }
    person.update(patient)
    contained: list[dict[str, Any]] = [
        person,
        {
            "resourceType": "Practitioner",
            "id": "gp",
            "name": [{"family": "Lege", "given": ["Lise"]}],
            "telecom": [{"system": "email", "value": "lise.lege@legekontor.test"}],
        },
    ]
    support = []
    if share:
        contained.append(
            {
                "resourceType": "Consent",
                "id": "c1",
                "status": "active",
                "scope": {
                    "coding": [{"system": codes.CONSENT_SCOPE_FHIR, "code": "patient-privacy"}]
                },
                "category": [
                    {
                        "coding": [
                            {"system": codes.CONSENT_SCOPE_SYSTEM, "code": "share_with_referrer"}
                        ]
                    }
                ],
                "patient": {"reference": "#p"},
                "dateTime": "2026-01-05T10:00:00+01:00",
                "performer": [{"display": "Kari Nordmann"}],
                "policyRule": {"text": "Share progress with the referrer"},
            }
        )
        support.append({"reference": "#c1"})
    return {
        "resourceType": "ServiceRequest",
        "contained": contained,
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": codes.REFERRAL_SOURCE_SYSTEM, "code": "gp"}]}],
        "code": {"coding": [{"system": codes.PROGRAMME_KIND_SYSTEM, "code": kind}]},
        "subject": {"reference": "#p"},
        "requester": {"reference": "#gp"},
        "reasonCode": [{"text": "Inaktiv etter sykemelding, trenger følge de første gangene"}],
        "note": [{"text": goals}] if goals else [],
        "supportingInfo": support,
    }
