"""The partner demo on top of the main demo: partners and agreements in every state for Fjordvik
and Nordby, some ended pairs handed over to partners, and the dashboards' partner uptake."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.dashboards.refresh import refresh_municipality
from kobling.dashboards.selectors import build_report
from kobling.demo.loader import load_demo
from kobling.demo.partners import load_partners_demo
from kobling.followup.models import Pairing
from kobling.partners.choices import AgreementStatus
from kobling.partners.models import Agreement, Partner
from kobling.tenancy.models import Municipality

pytestmark = pytest.mark.django_db


def test_the_partner_demo_fills_both_towns(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()  # loads the partner demo too
    today = timezone.localdate()
    assert counts["partners"] == 10
    assert counts["agreements"] == 8
    assert counts["handovers_linked"] > 0
    for name in ("Fjordvik", "Nordby"):
        town = Municipality.objects.get(name=name)
        statuses = {a.status_on(today) for a in Agreement.objects.filter(municipality=town)}
        assert statuses == {
            AgreementStatus.IN_FORCE,
            AgreementStatus.ENDING_SOON,
            AgreementStatus.REVIEW_DUE,
            AgreementStatus.EXPIRED,
        }, name
        for p in Partner.objects.filter(municipality=town).exclude(kind="nav"):
            assert len(p.organisation_number) == 9, p  # checksummed by the service
        handed = Pairing.objects.filter(municipality=town, handover_partner__isnull=False)
        assert handed.exists(), name
        assert not handed.exclude(handover_partner__municipality=town).exists()
        assert not handed.exclude(status="ended").exists()
        programme = town.programmes.order_by("pk").first()
        refresh_municipality(town.pk)
        report = build_report(programme, today.year)
        uptake = {row[0]: row[1:] for row in report.table("adoption_partners").rows}
        # The club (first programme), the gym and the centre are in force for it.
        assert uptake["Partners with an agreement in force now (organisations)"] == [3], name
    # Running it again changes nothing.
    assert load_partners_demo(today) == {"partners": 0, "agreements": 0, "handovers_linked": 0}
