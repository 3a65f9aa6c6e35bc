"""The participant's postal address — street address, c/o, post box, postcode and post town —
is entered on the referral form, corrected on the edit page, and printed on the decision letter
(letters once went to "Sentrum, 6800": there was no street address)."""

from __future__ import annotations

import pytest

from kobling.referrals import services
from kobling.referrals.letters import decision_letter_html
from kobling.referrals.models import Referral
from tests import factories as f
from tests.referrals.payloads import page_payload
from tests.referrals.test_edit import _shown, _url

pytestmark = pytest.mark.django_db


def letter_of(cast, referral) -> str:
    decision = services.referral_decide(
        referral=referral, by=cast.coordinator_a, outcome="granted", reasons="Oppfyller kriteriene."
    )
    return decision_letter_html(decision, lang="nb")


def test_the_letter_goes_to_the_street_address_postcode_and_post_town(cast):
    person = f.ParticipantFactory(
        municipality=cast.a,
        street_address="Storgata 12 B",
        postcode="6800",
        post_town="FØRDE",
        home_area="Sentrum",
    )
    html = letter_of(cast, f.ReferralFactory(programme=cast.programme_a, participant=person))
    assert f"{person.full_name}<br>Storgata 12 B<br>6800 FØRDE</p>" in html


def test_c_o_and_a_post_box_take_precedence_in_the_letter(cast):
    person = f.ParticipantFactory(
        municipality=cast.a,
        care_of="Kari Nordmann",
        street_address="Storgata 12 B",
        post_box="Postboks 44",
        postcode="6801",
        post_town="FØRDE",
    )
    html = letter_of(cast, f.ReferralFactory(programme=cast.programme_a, participant=person))
    assert f"{person.full_name}<br>c/o Kari Nordmann<br>Postboks 44<br>6801 FØRDE</p>" in html
    assert "Storgata" not in html


def test_a_referrer_gives_the_address_on_the_referral_form(cast, web):
    client = web(cast.referrer_a)
    html = client.get("/henvisninger/ny/").content.decode()
    for name in ("street_address", "care_of", "post_box", "post_town"):
        assert f'name="{name}"' in html, name

    data = page_payload(
        cast, street_address="Fjordveien 3", care_of="", post_box="", post_town="Førde"
    )
    response = client.post("/henvisninger/ny/", data)
    assert response.status_code == 302, response.context["form"].errors
    person = Referral.objects.get().participant
    assert (person.street_address, person.post_town) == ("Fjordveien 3", "Førde")
    assert person.postal_address() == ["Fjordveien 3", "6800 Førde"]


def test_a_coordinator_corrects_the_address_on_the_edit_page(cast, web):
    referral = f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a)
    client = web(cast.coordinator_a)
    data = _shown(client, referral)
    data.update(street_address="Nygata 1", care_of="Ola Hansen", post_town="FØRDE")
    response = client.post(_url(referral), data)
    assert response.status_code == 302, response.context["form"].errors
    person = referral.participant
    person.refresh_from_db()
    assert person.postal_address() == ["c/o Ola Hansen", "Nygata 1", f"{person.postcode} FØRDE"]
    page = client.get(f"/henvisninger/{referral.pk}/").content.decode()
    assert "c/o Ola Hansen, Nygata 1" in page
