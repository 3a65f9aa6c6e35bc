"""Every partner endpoint and page × every role of the cast; fixed query counts on lists.

Decisions recorded here:

* Partners and agreements belong to the municipality's managers (municipal admin and
  coordinator). Referrers, training contacts, course providers and the national analyst never
  see them: 403 up front, whatever the record.
* A coordinator of another municipality gets 404 on A's partners and agreements (200 with an
  empty list) and cannot register a partner in A (403).

``READS`` (API paths) and ``PAGES`` (web URL names) are in the shape of
tests/referrals/test_access.py, for the coverage guards in tests/tenancy/test_access_matrix.py
and tests/web/test_page_matrix.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.partners.models import Agreement, Partner
from tests.conftest import signed_in
from tests.partners.builders import agreement, partner

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
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_A = matrix(200, 200, 403, 403, 404, 403, 403)

READS = {
    "/api/v1/partners/": MANAGERS,
    "/api/v1/partners/{partner}/": MANAGERS_A,
    "/api/v1/agreements/": MANAGERS,
    "/api/v1/agreements/{agreement}/": MANAGERS_A,
}

# Web URL name → (the ids it takes, expected per role).
PAGES = {
    "partner_list": ((), MANAGERS),
    "partner_create": ((), MANAGERS),
    "partner_export": ((), MANAGERS),
    "partner_detail": (("partner",), MANAGERS_A),
    "partner_edit": (("partner",), MANAGERS_A),
    "agreement_create": (("partner",), MANAGERS_A),
    "agreement_edit": (("partner", "agreement"), MANAGERS_A),
}


@pytest.fixture
def ids(cast):
    p = partner(cast.a, name="Aby IL", organisation_number="988077917")
    a = agreement(p, ends=30)
    return {"partner": p.pk, "agreement": a.pk}


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_partner_read_endpoint_allows_or_denies_each_role(
    cast, api, ids, url, role, expected
):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, response.content[:300]


def test_anonymous_callers_get_401_on_the_api(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_args, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_partner_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    args = [ids[a] for a in PAGES[name][0]]
    response = signed_in(cast.roles[role]).get(reverse(f"web:{name}", args=args))
    assert response.status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in(cast, ids, client):
    for name, (arg_names, _pairs) in PAGES.items():
        response = client.get(reverse(f"web:{name}", args=[ids[a] for a in arg_names]))
        assert response.status_code == 302, name
        assert "/login" in response["Location"] or "logg" in response["Location"], name


def test_a_coordinator_of_another_municipality_sees_an_empty_list(cast, api, ids):
    response = api(cast.coordinator_b).get("/api/v1/partners/")
    assert response.json()["results"] == []
    assert api(cast.coordinator_a).get("/api/v1/partners/").json()["count"] == 1


PAYLOAD = {"municipality": None, "name": "Aby Treningssenter", "kind": "gym"}


@pytest.mark.parametrize(("role", "expected"), matrix(201, 201, 403, 403, 403, 403, 403))
def test_only_the_municipalitys_managers_register_its_partners(cast, api, role, expected):
    response = api(cast.roles[role]).post(
        "/api/v1/partners/", {**PAYLOAD, "municipality": cast.a.pk}, format="json"
    )
    assert response.status_code == expected, response.content[:300]
    assert Partner.objects.filter(name="Aby Treningssenter").exists() == (expected == 201)


def test_another_municipalitys_programme_is_answered_as_if_it_did_not_exist(cast, api):
    missing = cast.programme_b.pk + 1000
    answers = []
    for programme in (cast.programme_b.pk, missing):
        response = api(cast.coordinator_a).post(
            "/api/v1/partners/",
            {**PAYLOAD, "municipality": cast.a.pk, "programmes": [programme]},
            format="json",
        )
        assert response.status_code == 400
        answers.append(str(response.json()["programmes"]).replace(str(programme), "ID"))
    assert answers[0] == answers[1]
    assert not Partner.objects.filter(name="Aby Treningssenter").exists()


@pytest.mark.parametrize(("role", "expected"), matrix(200, 200, 403, 403, 404, 403, 403))
def test_only_the_municipalitys_managers_change_its_partners(cast, api, ids, role, expected):
    response = api(cast.roles[role]).patch(
        f"/api/v1/partners/{ids['partner']}/",
        {"contact_name": "Kari", "version": 1},
        format="json",
    )
    assert response.status_code == expected
    assert (Partner.objects.get().contact_name == "Kari") == (expected == 200)


@pytest.mark.parametrize(("role", "expected"), matrix(201, 201, 403, 403, 400, 403, 403))
def test_only_the_municipalitys_managers_record_agreements(cast, api, ids, role, expected):
    # For coordinator_b, A's partner is not a choice (400: no such partner), as if it did
    # not exist.
    response = api(cast.roles[role]).post(
        "/api/v1/agreements/",
        {"partner": ids["partner"], "kind": "oral", "starts_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == expected, response.content[:300]
    assert Agreement.objects.count() == (2 if expected == 201 else 1)


def test_page_writes_by_other_roles_are_refused(cast, ids):
    for role, code in matrix(None, None, 403, 403, 404, 403, 403):
        if code is None:
            continue
        client = signed_in(cast.roles[role])
        response = client.post(
            reverse("web:partner_edit", args=[ids["partner"]]),
            {"name": "Hijacked", "kind": "gym", "version": 1},
        )
        assert response.status_code == code, role
    assert Partner.objects.get().name == "Aby IL"


# --- fixed query counts ----------------------------------------------------------------------


def _fill(cast, n: int) -> None:
    for i in range(n):
        p = partner(cast.a, name=f"Partner {i:02}", kind="gym", programmes=[cast.programme_a])
        agreement(p, ends=30 + i)
        agreement(p, starts=-900, ends=-400)


def _count(fetch) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return len(queries)


LISTS = [
    ("api partners", "/api/v1/partners/?page_size=100", "api"),
    ("api agreements", "/api/v1/agreements/?page_size=100", "api"),
    ("page partners", "/partnere/", "web"),
    ("page partners filtered", "/partnere/?agreement_status=ending_soon&kind=gym", "web"),
    ("csv export", "/partnere/eksport.csv", "web"),
]


@pytest.mark.parametrize(("label", "url", "via"), LISTS)
def test_list_queries_do_not_grow_with_the_rows(cast, api, label, url, via):
    def fetch():  # noqa: ANN202
        client = api(cast.coordinator_a) if via == "api" else signed_in(cast.coordinator_a)
        return client.get(url)

    _fill(cast, 2)
    fetch()  # warm caches (content types, translations) outside the count
    few = _count(fetch)
    for i in range(18):
        p = partner(cast.a, name=f"More {i:02}", kind="gym", programmes=[cast.programme_a])
        agreement(p, ends=30 + i)
        agreement(p, starts=-900, ends=-400)
    many = _count(fetch)
    assert many == few, label
