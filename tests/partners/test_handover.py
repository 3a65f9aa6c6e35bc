"""Hand-over to a partner when a pairing ends: an optional active partner of the pairing's own
municipality, through the service, the page and the API; shown on the pairing page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kobling.followup import services
from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.partners.services import partner_update
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.followup import scenario as s
from tests.partners.builders import partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    helper = s.contact(cast.programme_a, first_name="Solveig", email="solveig@example.test")
    referral = s.waiting(cast.programme_a, first_name="Per", email="per@example.test")
    return s.active_pair(referral, helper)


@pytest.fixture
def gym(cast):
    return partner(cast.a, name="Aby Treningssenter", kind="gym")


def _end(pair, **extra):  # noqa: ANN001, ANN202
    return services.pairing_end(
        pairing=pair, by=None, reason="goal_reached", handover_destination="gym", **extra
    )


def test_a_pairing_is_handed_over_to_a_partner(cast, pair, gym):
    _end(pair, handover_partner=gym)
    pair.refresh_from_db()
    assert (pair.status, pair.handover_partner, pair.handover_destination) == (
        PairingStatus.ENDED,
        gym,
        "gym",
    )
    entry = (
        AuditEntry.objects.filter(object_type="followup.pairing", action="update")
        .order_by("pk")
        .last()
    )
    assert entry.changes["handover_partner"] == gym.pk
    assert list(gym.handovers.all()) == [pair]


def test_the_partner_is_optional(cast, pair):
    _end(pair)
    pair.refresh_from_db()
    assert pair.handover_partner is None


@pytest.mark.parametrize("which", ["other_municipality", "inactive", "missing"])
def test_only_an_active_partner_of_the_same_municipality_is_accepted(cast, pair, gym, which):
    if which == "other_municipality":
        chosen = partner(cast.b, name="Bestad Treningssenter", kind="gym").pk
    elif which == "inactive":
        partner_update(partner=gym, by=None, data={"is_active": False}, expected_version=1)
        chosen = gym.pk
    else:
        chosen = 987654
    with pytest.raises(ValidationError) as caught:
        _end(pair, handover_partner=chosen)
    assert caught.value.message_dict["handover_partner"] == [
        "Choose an active partner of the pairing's municipality."
    ]
    pair.refresh_from_db()
    assert pair.status == PairingStatus.ACTIVE


def test_a_partner_that_took_over_participants_cannot_be_deleted(cast, pair, gym):
    from django.db.models import ProtectedError

    _end(pair, handover_partner=gym)
    with pytest.raises(ProtectedError):
        gym.delete()


def test_the_end_form_offers_the_municipalitys_active_partners_and_the_page_shows_it(
    cast, pair, gym
):
    partner(cast.a, name="Gammel klubb", kind="sports_club", is_active=False)
    partner(cast.b, name="Bestad IL")
    client = signed_in(cast.coordinator_a)
    url = reverse("web:pairing_detail", args=[pair.pk])
    form = client.get(url).context["end_form"]
    assert list(form.fields["handover_partner"].widget.choices) == [
        ("", "—"),
        (gym.pk, "Aby Treningssenter"),
    ]
    response = client.post(
        reverse("web:pairing_end", args=[pair.pk]),
        {
            "reason": "goal_reached",
            "handover_destination": "gym",
            "handover_partner": gym.pk,
            "version": pair.version,
        },
    )
    assert response.status_code == 302
    assert Pairing.objects.get(pk=pair.pk).handover_partner == gym
    page = client.get(url).content.decode()
    assert "Partner that took over" in page
    assert f'href="/partnere/{gym.pk}/"' in page


def test_the_page_refuses_another_municipalitys_partner_with_a_message(cast, pair):
    foreign = partner(cast.b, name="Bestad IL")
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:pairing_end", args=[pair.pk]),
        {
            "reason": "goal_reached",
            "handover_destination": "gym",
            "handover_partner": foreign.pk,
            "version": pair.version,
        },
        follow=True,
    )
    assert "Choose an active partner of the pairing&#x27;s municipality." in (
        response.content.decode()
    )
    assert Pairing.objects.get(pk=pair.pk).status == PairingStatus.ACTIVE


def test_without_partners_the_end_form_has_no_partner_field(cast, pair):
    form = (
        signed_in(cast.coordinator_a)
        .get(reverse("web:pairing_detail", args=[pair.pk]))
        .context["end_form"]
    )
    assert "handover_partner" not in form.fields


def test_the_api_accepts_the_partner_and_shows_it(cast, api, pair, gym):
    client = api(cast.coordinator_a)
    foreign = partner(cast.b, name="Bestad IL")
    body = {"reason": "goal_reached", "handover_destination": "gym", "version": pair.version}
    bad = client.post(
        f"/api/v1/pairings/{pair.pk}/end/", {**body, "handover_partner": foreign.pk}, format="json"
    )
    assert bad.status_code == 400
    assert "handover_partner" in bad.json()
    ok = client.post(
        f"/api/v1/pairings/{pair.pk}/end/", {**body, "handover_partner": gym.pk}, format="json"
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["handover_partner"], ok.json()["handover_partner_name"]) == (
        gym.pk,
        "Aby Treningssenter",
    )
    listed = client.get("/api/v1/pairings/").json()["results"]
    assert listed[0]["handover_partner_name"] == "Aby Treningssenter"
