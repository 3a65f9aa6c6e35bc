"""The research consent is recorded like every other consent: by the service, the API, the
consent page and the referral form, and withdrawn the same way."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.referrals import services
from kobling.referrals.choices import ConsentScope
from kobling.referrals.forms import ConsentForm, ReferralForm
from kobling.referrals.models import Consent
from kobling.research.dataset import consenting_referrals
from tests import factories as f
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_research_is_a_consent_scope():
    assert ConsentScope.RESEARCH == "research"
    assert (ConsentScope.RESEARCH, ConsentScope.RESEARCH.label) in ConsentScope.choices


def test_the_service_records_and_withdraws_a_research_consent(cast):
    referral = f.ReferralFactory(programme=cast.programme_a)
    made = services.consent_record(
        referral=referral, by=cast.coordinator_a, scope="research", given_by="Per"
    )
    today = timezone.localdate()
    assert list(consenting_referrals(day=today)) == [referral]
    services.consent_withdraw(consent=made, by=cast.coordinator_a)
    assert not consenting_referrals(day=today).exists()


def test_the_api_records_a_research_consent(cast, api):
    referral = f.ReferralFactory(programme=cast.programme_a)
    response = api(cast.coordinator_a).post(
        f"/api/v1/referrals/{referral.pk}/consents/",
        {"scope": "research", "given_by": "Per"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Consent.objects.get(referral=referral).scope == "research"


def test_the_consent_page_offers_and_records_research(cast):
    referral = f.ReferralFactory(programme=cast.programme_a)
    assert "research" in dict(ConsentForm().fields["scope"].choices)
    response = signed_in(cast.coordinator_a).post(
        reverse("web:referral_consent", args=[referral.pk]),
        {"scope": "research", "given_on": timezone.localdate().isoformat(), "given_by": "Per"},
    )
    assert response.status_code == 302
    assert Consent.objects.get(referral=referral).scope == "research"


def test_the_referral_form_offers_research_among_the_consents(cast):
    form = ReferralForm(user=cast.coordinator_a)
    assert "research" in dict(form.fields["consent_scopes"].choices)
