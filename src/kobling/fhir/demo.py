"""Demo: three referrals that arrived in Fjordvik from a GP's record system by FHIR, through
the same intake as the live endpoint, with their Tasks in different states — one just arrived
(requested), one granted (accepted), one refused (rejected). The record system is a user with
the referrer role, ``journal@fjordvik.demo`` (docs/fhir.md: "A system token")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kobling.demo.loader import DEMO_PASSWORD
from kobling.fhir import codes, intake
from kobling.referrals import services as referral_services
from kobling.referrals.identity import synthetic_national_id
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership, Municipality, User

SYSTEM_USER = "journal@fjordvik.demo"

PEOPLE = [
    # (given, family, born, gender, goals, decision)
    ("Ingrid", "Fjeldstad", dt.date(1961, 2, 11), "female", "Gå tur til postkassen hver dag", None),
    (
        "Tor",
        "Hovland",
        dt.date(1978, 9, 23),
        "male",
        "Komme i gang med trening etter sykemeldingen",
        ("granted", "Oppfyller kriteriene for treningskontakt."),
    ),
    (
        "Ragnhild",
        "Sunde",
        dt.date(1990, 4, 2),
        "female",
        "Svømme en gang i uka",
        ("refused", "Personen bor ikke i kommunen; henvist til frisklivssentralen der."),
    ),
]


def _service_request(
    given: str, family: str, born: dt.date, gender: str, goals: str
) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [
                    {"system": codes.FNR_SYSTEM, "value": synthetic_national_id(born, serial=37)}
                ],
                "name": [{"family": family, "given": [given]}],
                "gender": gender,
                "telecom": [{"system": "phone", "value": f"9{born:%d%m%y}0"[:8]}],
                "address": [{"postalCode": "6800", "city": "Fjordvik"}],
            },
            {
                "resourceType": "Practitioner",
                "id": "gp",
                "name": [{"family": "Lege", "given": ["Lars"]}],
            },
            {
                "resourceType": "Consent",
                "id": "c",
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
                "performer": [{"display": f"{given} {family}"}],
                "policyRule": {"text": "Share progress with the referrer"},
            },
        ],
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": codes.REFERRAL_SOURCE_SYSTEM, "code": "gp"}]}],
        "code": {"coding": [{"system": codes.PROGRAMME_KIND_SYSTEM, "code": "treningskontakt"}]},
        "subject": {"reference": "#p"},
        "requester": {"reference": "#gp"},
        "reasonCode": [
            {
                "coding": [{"system": codes.TARGET_GROUP_SYSTEM, "code": "inactive"}],
                "text": "Lite aktiv over lang tid",
            }
        ],
        "note": [{"text": goals}],
        "supportingInfo": [{"reference": "#c"}],
    }


def load_fhir_demo(today: dt.date) -> dict[str, int]:
    municipality = Municipality.objects.filter(name="Fjordvik").first()
    if municipality is None:
        return {}
    system = User(
        username=SYSTEM_USER,
        email=SYSTEM_USER,
        first_name="Journalsystem",
        last_name="(FHIR, legekontoret)",
    )
    system.set_password(DEMO_PASSWORD)
    system.save()
    Membership.objects.create(user=system, municipality=municipality, role=Role.REFERRER)
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    made = 0
    for given, family, born, gender, goals, decision in PEOPLE:
        sr = intake.parse(_service_request(given, family, born, gender, goals))
        referral = intake.referral_from_service_request(sr, by=system)
        if decision is not None:
            referral_services.referral_decide(
                referral=referral,
                by=coordinator,
                outcome=decision[0],
                reasons=decision[1],
                notify=False,
            )
        made += 1
    return {"fhir_referrals": made}
