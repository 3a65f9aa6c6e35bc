"""Every catalogue page and API route × every role of the cast, and the organisations' pages.

Decisions recorded here:

* The public pages (search, a municipality's page, an offer) and the public API are open to
  everyone, signed in or not; they show published entries only.
* Entries are managed by the municipality's managers (municipal admins, coordinators):
  referrers, training contacts, course providers and the national analyst get 403; another
  municipality's coordinator 404 on A's entries.
* An organisation (signed in by the grants' e-mailed link) sees and edits only its own
  entries in that municipality: another organisation's is 404; without the sign-in, 403.
* The hand-over of a course to an offer is the course's managers' (as the course page is)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kobling.catalogue.models import Offer
from tests.catalogue import builders as b
from tests.conftest import signed_in
from tests.grants import builders as gb

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


EVERYONE = matrix(200, 200, 200, 200, 200, 200, 200)
MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_A = matrix(200, 200, 403, 403, 404, 403, 403)
POSTED_A = matrix(302, 302, 403, 403, 404, 403, 403)

READS = {
    "/api/v1/catalogue/": EVERYONE,
    "/api/v1/catalogue/{offer}/": EVERYONE,
}

PAGES = {
    "catalogue_manage": ((), "get", MANAGERS),
    "catalogue_offer_create": ((), "get", MANAGERS),
    "catalogue_offer_edit": (("offer",), "get", MANAGERS_A),
    "catalogue_offer_publish": (("offer",), "post", POSTED_A),
    "catalogue_offer_from_source": ((), "post", POSTED_A),
    "catalogue_handover": (("episode",), "get", MANAGERS_A),
}
# Open to everyone (test_public.py and the rows below), and the organisations' pages reached by
# the grants' sign-in link (tests below).
PUBLIC = {
    "catalogue_search",
    "catalogue_municipality",
    "catalogue_offer",
    "catalogue_org_home",
    "catalogue_org_create",
    "catalogue_org_edit",
}


@pytest.fixture
def ids(cast):
    from kobling.referrals import episodes
    from tests.followup import scenario as s

    offer = b.offer(cast.a, cast.coordinator_a, title="Turvenn")
    referral = s.waiting(cast.programme_a, first_name="Deltaker", referrer=cast.referrer_a)
    episode = episodes.episode_for_referral(referral)
    return {"offer": offer.pk, "episode": episode.pk, "code": cast.a.code}


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_catalogue_read_endpoint_allows_or_denies_each_role(
    cast, api, ids, url, role, expected
):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:300])


def test_the_public_api_needs_no_sign_in(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 200, url


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_catalogue_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    data = {
        "catalogue_offer_publish": {"publish": "0", "version": 2},
        # A's programme: another municipality's manager cannot reach it (404).
        "catalogue_offer_from_source": {"source": f"programme:{cast.programme_a.pk}"},
    }.get(name, {})
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in(cast, ids, client):
    for name, (arg_names, _m, _pairs) in PAGES.items():
        response = client.get(reverse(f"web:{name}", args=[ids[a] for a in arg_names]))
        assert response.status_code == 302 and "/konto/logg-inn/" in response["Location"], name


@pytest.mark.parametrize("role", ROLES)
def test_the_public_pages_are_open_to_every_role_and_to_anonymous_visitors(cast, ids, role):
    for client in (signed_in(cast.roles[role]), Client()):
        for name, args in (
            ("catalogue_search", []),
            ("catalogue_municipality", [ids["code"]]),
            ("catalogue_offer", [ids["offer"]]),
        ):
            assert client.get(reverse(f"web:{name}", args=args)).status_code == 200, name


def test_staff_of_another_municipality_cannot_change_an_entry(cast, ids):
    client = signed_in(cast.coordinator_b)
    response = client.post(
        reverse("web:catalogue_offer_edit", args=[ids["offer"]]),
        {"title": "Kapret", "summary": "x", "prevention_level": "universal", "join_by": "come"},
    )
    assert response.status_code == 404
    assert Offer.objects.get(pk=ids["offer"]).title == "Turvenn"


ORG_FORM = {
    "kind": "peer_group",
    "title": "Likepersonsgruppe for pårørende",
    "summary": "Samtalegruppe annenhver torsdag.",
    "target_groups": [],
    "prevention_level": "selective",
    "place": "Frivilligsentralen",
    "times": "Annenhver torsdag 18:00",
    "is_free": "on",
    "join_by": "come",
}


def test_an_organisation_enters_its_offer_and_the_municipality_publishes_it(cast):
    client, contact = gb.org_client(
        cast.a, orgnr=gb.ORGNR, org="Aby Mental Helse", email="k@mh.test"
    )
    assert client.get(reverse("web:catalogue_org_home")).status_code == 200
    response = client.post(reverse("web:catalogue_org_create"), ORG_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get()
    assert (offer.partner_id, offer.municipality_id, offer.is_published) == (
        contact.partner_id,
        cast.a.pk,
        False,
    )
    assert Client().get(reverse("web:catalogue_offer", args=[offer.pk])).status_code == 404
    # The municipality publishes it…
    manager = signed_in(cast.coordinator_a)
    manager.post(
        reverse("web:catalogue_offer_publish", args=[offer.pk]),
        {"publish": "1", "version": offer.version},
    )
    offer.refresh_from_db()
    assert offer.is_published
    # …and the organisation's change takes it off until the municipality has read it.
    changed = client.post(
        reverse("web:catalogue_org_edit", args=[offer.pk]),
        {**ORG_FORM, "title": "Ny tittel", "version": offer.version},
    )
    assert changed.status_code == 302
    offer.refresh_from_db()
    assert (offer.title, offer.is_published) == ("Ny tittel", False)


def test_an_organisation_edits_only_its_own_offers(cast):
    mine, me = gb.org_client(cast.a, orgnr=gb.ORGNR, org="Aby Mental Helse", email="k@mh.test")
    theirs, them = gb.org_client(cast.a, orgnr=gb.ORGNR_2, org="Aby Turlag", email="t@tur.test")
    mine.post(reverse("web:catalogue_org_create"), ORG_FORM)
    offer = Offer.objects.get()
    edit = reverse("web:catalogue_org_edit", args=[offer.pk])
    assert theirs.get(edit).status_code == 404
    refused = theirs.post(edit, {**ORG_FORM, "title": "Kapret", "version": offer.version})
    assert refused.status_code == 404
    assert Offer.objects.get().title == ORG_FORM["title"]
    assert ORG_FORM["title"] not in theirs.get(reverse("web:catalogue_org_home")).content.decode()
    # The same organisation number in another municipality is another organisation there.
    elsewhere, _c = gb.org_client(cast.b, orgnr=gb.ORGNR, org="Aby Mental Helse", email="k@mh.test")
    assert elsewhere.get(edit).status_code == 404
    # Without the sign-in: 403 with the way in.
    assert Client().get(edit).status_code == 403
    assert Client().get(reverse("web:catalogue_org_home")).status_code == 403


def test_an_organisation_cannot_enter_a_municipal_programme(cast):
    client, _contact = gb.org_client(
        cast.a, orgnr=gb.ORGNR, org="Aby Mental Helse", email="k@mh.test"
    )
    response = client.post(reverse("web:catalogue_org_create"), {**ORG_FORM, "kind": "programme"})
    assert response.status_code == 200 and not Offer.objects.exists()


def test_an_organisations_offer_with_bad_input_saves_nothing_and_says_why(cast, settings):
    client, _contact = gb.org_client(
        cast.a, orgnr=gb.ORGNR, org="Aby Mental Helse", email="k@mh.test"
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    response = client.post(
        reverse("web:catalogue_org_create"), {**ORG_FORM, "is_free": "", "cost": ""}
    )
    assert response.status_code == 200
    assert not Offer.objects.exists()
    assert "Si hva det koster, eller merk det som gratis." in response.content.decode()
