"""The demo's activity on prescription: two gyms in Fjordvik with sites, staff and certified
trainers (one certificate expiring soon), courses placed with them in every state, visits that
count in the referrer report, and a demo key for the provider API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kobling.demo.loader import DEMO_PASSWORD, demo_users_summary, load_demo
from kobling.demo.providers import DEMO_KEY, GYM_B_STAFF, GYM_STAFF, TRAINER_LOGIN
from kobling.followup.report import build_episode_report
from kobling.providers.models import (
    ActivityProvider,
    Placement,
    ProviderVisit,
    TrainerCertificate,
)
from kobling.providers.reminders import certificates_expiring

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo()


def test_fjordvik_has_two_gyms_with_placed_courses_in_every_state_and_visits(demo, client):
    from django.utils import timezone

    gyms = list(ActivityProvider.objects.filter(municipality__name="Fjordvik"))
    assert len(gyms) == 2 and all(g.sites.exists() for g in gyms)
    states = sorted(Placement.objects.values_list("status", flat=True))
    assert states.count("accepted") >= 3 and "declined" in states and "pending" in states
    assert set(ProviderVisit.objects.values_list("source", flat=True)) == {"api", "csv", "phone"}
    assert TrainerCertificate.objects.count() == 3
    assert len(certificates_expiring(timezone.localdate())) == 1
    accepted = Placement.objects.filter(status="accepted").order_by("starts_on").first()
    assert build_episode_report(accepted.episode).provider_visits > 5
    # The gym's staff sign in with the demo password and see their portal.
    assert client.login(username=GYM_STAFF, password=DEMO_PASSWORD)
    page = client.get(reverse("web:provider_portal")).content.decode()
    assert "Frode" not in page  # waiting at the other gym
    summary = {username: roles for username, _name, roles in demo_users_summary()}
    assert "Fjordvik Treningssenter" in summary[GYM_STAFF]
    assert "Sprek Fjordvik" in summary[GYM_B_STAFF]
    assert TRAINER_LOGIN in summary
    # The demo key reaches the gym's accepted placements.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Provider {DEMO_KEY}")
    listed = api.get("/api/v1/provider/placements/").json()
    assert listed and {p["provider_name"] for p in listed} == {"Fjordvik Treningssenter"}
    _contracts_and_the_approved_claim(client)


def _contracts_and_the_approved_claim(client):
    """Each gym has a concession contract with requirements of the four kinds; last month's
    claim of Fjordvik Treningssenter is approved and in the payment file."""
    from kobling.demo.loader import DEMO_PASSWORD
    from kobling.providers.models import ConcessionTerms, ReimbursementClaim

    contracts = list(ConcessionTerms.objects.select_related("provider", "agreement"))
    assert sorted(c.provider.name for c in contracts) == [
        "Fjordvik Treningssenter",
        "Sprek Fjordvik",
    ]
    for contract in contracts:
        assert contract.agreement.partner_id == contract.provider.partner_id
        kinds = {r.kind for r in contract.requirements.all()}
        assert kinds == {"quality", "access", "content", "results"}
    claim = ReimbursementClaim.objects.get()
    assert claim.status == "approved" and claim.provider.name == "Fjordvik Treningssenter"
    assert claim.lines.filter(decision="approved").count() >= 4
    assert client.login(username="koordinator@fjordvik.demo", password=DEMO_PASSWORD)
    listed = client.get(reverse("web:claim_list")).content.decode()
    assert reverse("web:claim_detail", args=[claim.pk]) in listed
    rows = (
        client.get(reverse("web:claim_payment_file"), {"month": f"{claim.month:%Y-%m}"})
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert len(rows) == 1 + claim.lines.count()
    page = client.get(reverse("web:contract_detail", args=[claim.terms_id])).content.decode()
    assert "Met" in page and "Not met" in page
