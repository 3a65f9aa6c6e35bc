"""The catalogue demo: every kind of entry published in Fjordvik and Nordby, an organisation's
own entry waiting for the municipality, a draft, an ended course handed over — and no person's
name on the public pages."""

from __future__ import annotations

import pytest
from django.test import Client

from kobling.catalogue.choices import OfferKind
from kobling.catalogue.models import CourseHandover, Offer
from kobling.demo.loader import load_demo
from kobling.groups.models import GroupOffer

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_every_kind_in_fjordvik_and_nordby_and_names_nobody(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["catalogue_offers"] > 10
    for town in ("Fjordvik", "Nordby"):
        published = set(
            Offer.objects.filter(municipality__name=town, is_published=True).values_list(
                "kind", flat=True
            )
        )
        expected = set(OfferKind.values) - ({"provider"} if town == "Nordby" else set())
        assert expected <= published, (town, published)
    fjordvik = Offer.objects.filter(municipality__name="Fjordvik")
    assert fjordvik.filter(is_published=False, partner__isnull=False).exists()
    assert fjordvik.filter(is_published=False, partner__isnull=True).exists()
    assert CourseHandover.objects.filter(municipality__name="Fjordvik").exists()

    client = Client()
    page = client.get("/tilbud/", {"target_group": "mental_health"}).content.decode()
    assert "Lærings- og mestringskurs: Mestre hverdagen" in page
    leaders = {
        n
        for g in GroupOffer.objects.prefetch_related("leaders")
        for h in g.leaders.all()
        for n in (f"{h.first_name} {h.last_name}",)
    }
    everything = client.get("/tilbud/").content.decode()
    for name in leaders:
        assert name not in everything, name
