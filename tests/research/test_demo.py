"""The demo gives a share of Fjordvik's participants a research consent, through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.referrals.models import Consent
from kobling.research.demo import load_research_demo
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_share_of_fjordviks_referrals_get_a_research_consent_once():
    fjordvik = f.MunicipalityFactory(code="4650", name="Fjordvik")
    f.member(f.UserFactory(username="koordinator@fjordvik.demo"), fjordvik, Role.COORDINATOR)
    programme = f.ProgrammeFactory(municipality=fjordvik)
    other = f.ProgrammeFactory(municipality=f.MunicipalityFactory(code="5560", name="Nordby"))
    for days in range(9):
        f.ReferralFactory(programme=programme, received_at=timezone.now() - dt.timedelta(days=days))
    f.ReferralFactory(programme=other)
    today = timezone.localdate()
    assert load_research_demo(today) == {"research_consents": 3}
    consents = Consent.objects.filter(scope="research")
    assert consents.count() == 3
    assert {c.municipality_id for c in consents} == {fjordvik.pk}
    assert all(c.given_on <= today and c.recorded_by is not None for c in consents)
    assert AuditEntry.objects.filter(object_type="referrals.consent", action="create").count() == 3
    assert load_research_demo(today) == {"research_consents": 0}
