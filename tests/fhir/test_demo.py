"""The demo has three referrals that arrived by FHIR from Fjordvik's GP record system, with
their Tasks in different states, readable with the record system's token."""

from __future__ import annotations

import pytest

from kobling.demo.loader import load_demo
from kobling.fhir.demo import SYSTEM_USER
from kobling.tenancy.models import User
from tests.fhir.helpers import FhirClient, parsed

pytestmark = pytest.mark.django_db


def test_the_demo_has_three_fhir_referrals_with_tasks_in_different_states(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["fhir_referrals"] == 3
    system = FhirClient(User.objects.get(username=SYSTEM_USER))
    bundle = parsed(system.get("Task"), 200, "Bundle")
    assert sorted(e["resource"]["status"] for e in bundle["entry"]) == [
        "accepted",
        "rejected",
        "requested",
    ]
    assert parsed(system.get("ServiceRequest"), 200)["total"] == 3
