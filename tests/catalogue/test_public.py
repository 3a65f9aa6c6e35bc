"""The public catalogue: the national search and the municipality's page without signing in,
filters, only published entries, no person, a fixed number of queries, the cache and its
invalidation, and the public API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.catalogue import selectors, services
from kobling.groups import services as group_services  # noqa: F401 - the app under test
from tests import factories as f
from tests.catalogue import builders as b

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:  # noqa: ANN001
    return [o.title for o in response.context["offers"]]


def test_the_search_is_open_to_anyone_and_filters_by_target_group(cast):
    b.offer(cast.a, cast.coordinator_a, title="Turvenn", target_groups=("mental_health",))
    b.offer(cast.a, cast.coordinator_a, title="Ungdomstrening", target_groups=("youth",))
    b.offer(cast.b, cast.coordinator_b, title="Bestad-bading", target_groups=("youth",))
    client = Client()
    assert sorted(_titles(client.get("/tilbud/"))) == [
        "Bestad-bading",
        "Turvenn",
        "Ungdomstrening",
    ]
    youth = client.get("/tilbud/", {"target_group": "youth"})
    assert sorted(_titles(youth)) == ["Bestad-bading", "Ungdomstrening"]
    in_a = client.get("/tilbud/", {"target_group": "youth", "municipality": cast.a.code})
    assert _titles(in_a) == ["Ungdomstrening"]
    page = client.get(reverse("web:catalogue_municipality", args=[cast.b.code]))
    assert _titles(page) == ["Bestad-bading"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"prevention_level": "universal"}, ["Åpen tur"]),
        ({"join_by": "refer"}, ["Likepersonsgruppe"]),
        ({"kind": "peer_group"}, ["Likepersonsgruppe"]),
        ({"q": "idrettshall"}, ["Likepersonsgruppe"]),
        ({"q": "mental helse"}, ["Likepersonsgruppe"]),  # the organisation's name
        ({"kind": "no-such-kind"}, ["Likepersonsgruppe", "Åpen tur"]),  # ignored, not an error
    ],
)
def test_each_filter_narrows_the_search(cast, params, expected):
    b.offer(
        cast.a,
        cast.coordinator_a,
        title="Åpen tur",
        prevention_level="universal",
        place="Fjæra",
        kind="programme",
    )
    b.offer(
        cast.a,
        cast.coordinator_a,
        title="Likepersonsgruppe",
        kind="peer_group",
        partner=b.partner(cast.a),
        join_by="refer",
    )
    response = Client().get("/tilbud/", params)
    assert response.status_code == 200
    assert sorted(_titles(response)) == expected


def test_only_published_entries_are_shown_and_an_unpublished_one_is_404(cast):
    draft = b.offer(cast.a, cast.coordinator_a, title="Utkast", publish=False)
    client = Client()
    assert _titles(client.get("/tilbud/")) == []
    assert client.get(reverse("web:catalogue_offer", args=[draft.pk])).status_code == 404
    services.offer_publish(
        offer=draft, by=cast.coordinator_a, publish=True, expected_version=draft.version
    )
    # The write bumped the cache's generation: the change shows at once.
    assert _titles(client.get("/tilbud/")) == ["Utkast"]
    assert client.get(reverse("web:catalogue_offer", args=[draft.pk])).status_code == 200


def test_a_group_offer_in_the_catalogue_names_no_leader(cast):
    from kobling.groups.models import GroupOffer, OfferTime

    leader = f.HelperFactory(programme=cast.programme_a, first_name="Lise", last_name="Leder")
    group = GroupOffer.objects.create(
        municipality=cast.a,
        programme=cast.programme_a,
        title="Frisklivsgruppe styrke",
        topic="activity",
        place="Aby frisklivssentral",
        term_start="2026-01-05",
        term_end="2026-04-30",
        capacity=12,
    )
    group.leaders.add(leader)
    OfferTime.objects.create(offer=group, weekday=1, start_time="10:00", minutes=60)
    offer = services.offer_from_source(by=cast.coordinator_a, source=group)
    assert offer.group_offer == group and offer.programme == cast.programme_a
    assert "10:00" in offer.times and offer.place == "Aby frisklivssentral"
    offer = services.offer_update(
        offer=offer,
        by=cast.coordinator_a,
        data={"prevention_level": "selective", "summary": "Styrketrening i gruppe."},
        expected_version=offer.version,
    )
    services.offer_publish(
        offer=offer, by=cast.coordinator_a, publish=True, expected_version=offer.version
    )
    page = Client().get(reverse("web:catalogue_offer", args=[offer.pk])).content.decode()
    assert "Frisklivsgruppe styrke" in page
    assert "Lise" not in page and "Leder" not in page
    listed = Client().get("/tilbud/").content.decode()
    assert "Lise" not in listed


def test_a_draft_from_a_source_cannot_be_published_until_it_is_complete(cast):
    offer = services.offer_from_source(by=cast.coordinator_a, source=cast.programme_a)
    client = Client()
    client.force_login(cast.coordinator_a)
    response = client.post(
        reverse("web:catalogue_offer_publish", args=[offer.pk]),
        {"publish": "1", "version": offer.version},
        follow=True,
    )
    assert "Complete the offer before it is published" in response.content.decode()
    offer.refresh_from_db()
    assert not offer.is_published


def _n_offers(cast, n: int) -> None:  # noqa: ANN001
    partner = b.partner(cast.a)
    for i in range(n):
        b.offer(
            cast.a,
            cast.coordinator_a,
            title=f"Tilbud {i}",
            kind="course" if i % 2 else "programme",
            partner=partner if i % 2 else None,
            target_groups=("mental_health", "youth"),
        )


@pytest.mark.parametrize("path", ["/tilbud/", "/tilbud/kommune/9001/", "/api/v1/catalogue/"])
def test_the_public_search_costs_the_same_queries_for_two_or_twenty_offers(cast, path):
    from django.core.cache import cache

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(path)
        assert response.status_code == 200
        return len(queries)

    _n_offers(cast, 2)
    few = count()
    _n_offers(cast, 18)
    many = count()
    assert few == many, (few, many)
    # Cached: a second view does not go to the database for the offers.
    with CaptureQueriesContext(connection) as queries:
        Client().get(path)
    assert not [q for q in queries.captured_queries if "catalogue_offer" in q["sql"]]


def test_the_cache_is_served_until_a_write_and_then_refreshed(cast):
    offer = b.offer(cast.a, cast.coordinator_a, title="Før")
    assert [o.title for o in selectors.search({})] == ["Før"]
    # A change behind the services' back is not seen (the cache serves)…
    type(offer).objects.filter(pk=offer.pk).update(title="Endret i basen")
    assert [o.title for o in selectors.search({})] == ["Før"]
    # …a change through them is.
    offer.refresh_from_db()
    services.offer_update(
        offer=offer, by=cast.coordinator_a, data={"title": "Etter"}, expected_version=offer.version
    )
    assert [o.title for o in selectors.search({})] == ["Etter"]


def test_the_public_api_is_paginated_filtered_and_needs_no_sign_in(cast, api):
    b.offer(cast.a, cast.coordinator_a, title="Turvenn", target_groups=("mental_health",))
    b.offer(cast.a, cast.coordinator_a, title="Ungdom", target_groups=("youth",))
    draft = b.offer(cast.a, cast.coordinator_a, title="Utkast", publish=False)
    body = api().get("/api/v1/catalogue/", {"target_group": "youth"}).json()
    assert body["count"] == 1 and body["results"][0]["title"] == "Ungdom"
    assert body["results"][0]["target_group_codes"] == ["youth"]
    paged = api().get("/api/v1/catalogue/", {"page_size": 1}).json()
    assert paged["count"] == 2 and len(paged["results"]) == 1 and paged["next"]
    one = api().get(f"/api/v1/catalogue/{body['results'][0]['id']}/")
    assert one.status_code == 200 and one.json()["title"] == "Ungdom"
    assert api().get(f"/api/v1/catalogue/{draft.pk}/").status_code == 404
    assert api().post("/api/v1/catalogue/", {}).status_code == 405


def test_a_referrer_picks_an_offer_and_the_referral_form_opens_with_its_programme(cast):
    b.offer(cast.a, cast.coordinator_a, title="Treningskontakt", programme=cast.programme_a)
    b.offer(cast.b, cast.coordinator_b, title="Bestad", programme=cast.programme_b)
    client = Client()
    client.force_login(cast.referrer_a)
    form = client.get(reverse("web:referral_create")).content.decode()
    assert "/tilbud/?henvisning=1" in form
    page = client.get("/tilbud/", {"henvisning": "1"}).content.decode()
    link = f"/henvisninger/ny/?programme={cast.programme_a.pk}"
    assert link in page
    # Another municipality's programme is not one this referrer refers to: no button.
    assert f"?programme={cast.programme_b.pk}" not in page
    opened = client.get(link)
    assert opened.context["form"]["programme"].value() == cast.programme_a.pk
