"""Allow/deny for every research-export endpoint and page × every role of the cast. Research
exports belong to the municipality's administrators alone: coordinators and everyone else get
403 up front; an administrator of another municipality gets 404 on this one's exports and cannot
export its programmes. ``READS`` (API paths) and ``PAGES`` (web URL names) are what the
project-wide coverage guards read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.research.models import ResearchExport
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry, User
from tests import factories as f
from tests.conftest import signed_in
from tests.research.conftest import consent

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


def matrix(*codes):
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


ADMIN_OF_A = matrix(200, 403, 403, 403, 403, 403, 403)

READS = {
    "/api/v1/research-exports/": ADMIN_OF_A,
    "/api/v1/research-exports/{export}/": ADMIN_OF_A,
}

# Web URL name → (argument from ids or None, method, body, expected per role in ROLES order).
PAGES = {
    "research_export_list": (None, "get", None, (200, 403, 403, 403, 403, 403, 403)),
    "research_export_create": (None, "get", None, (200, 403, 403, 403, 403, 403, 403)),
    "research_export_detail": ("export", "get", None, (200, 403, 403, 403, 403, 403, 403)),
}


def record(municipality, programme, title: str = "Prosjekt") -> ResearchExport:
    made = ResearchExport.objects.create(
        municipality=municipality,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        project_title=title,
        approval_reference="REK 1",
        recipient_name="Forsker",
        recipient_institution="Universitetet",
        purpose="Forskning",
        counts={"participants.csv": 7},
        sha256="0" * 64,
    )
    made.programmes.set([programme])
    return made


def consenting(programme, n: int = 1) -> None:
    for _i in range(n):
        referral = f.ReferralFactory(
            programme=programme, received_at=timezone.now() - dt.timedelta(days=20)
        )
        consent(referral, given=10)


def body(programme) -> dict:
    today = timezone.localdate()
    return {
        "programmes": [programme.pk],
        "period_start": (today - dt.timedelta(days=100)).isoformat(),
        "period_end": today.isoformat(),
        "project_title": "Prosjekt",
        "approval_reference": "REK 2026/1",
        "recipient_name": "Forsker Fosse",
        "recipient_institution": "Universitetet i Fjordvik",
        "purpose": "Effekt",
    }


@pytest.fixture
def ids(cast):
    return {"export": record(cast.a, cast.programme_a).pk}


@pytest.fixture
def admin_b(cast):
    return f.member(f.UserFactory(username="admin@b.test"), cast.b, Role.MUNICIPAL_ADMIN)


def _user(cast, role):
    return User.objects.get(pk=cast.roles[role].pk)


@pytest.mark.parametrize("url", list(READS))
def test_every_read_endpoint_allows_or_denies_each_role(cast, api, ids, url):
    got = {role: api(_user(cast, role)).get(url.format(**ids)).status_code for role in ROLES}
    assert got == dict(READS[url])


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url
    assert api().post("/api/v1/research-exports/", body(cast.programme_a)).status_code == 401


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, _method, _body, _codes) in PAGES.items():
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith(reverse("web:login")), name


def test_only_the_admin_may_create_an_export_through_the_api(cast, api):
    consenting(cast.programme_a)
    got = {
        role: api(_user(cast, role))
        .post("/api/v1/research-exports/", body(cast.programme_a), format="json")
        .status_code
        for role in ROLES
    }
    assert got == dict(matrix(201, 403, 403, 403, 403, 403, 403))
    assert ResearchExport.objects.count() == 1


def test_only_the_admin_may_create_an_export_through_the_form(cast):
    consenting(cast.programme_a)
    url = reverse("web:research_export_create")
    got = {
        role: signed_in(_user(cast, role)).post(url, body(cast.programme_a)).status_code
        for role in ROLES
    }
    assert got == dict(matrix(200, 403, 403, 403, 403, 403, 403))
    assert ResearchExport.objects.count() == 1


def test_an_admin_of_another_municipality_finds_nothing_and_cannot_export_it(
    cast, api, ids, admin_b
):
    consenting(cast.programme_a)
    client = api(admin_b)
    assert client.get(f"/api/v1/research-exports/{ids['export']}/").status_code == 404
    assert client.get("/api/v1/research-exports/").json()["results"] == []
    response = client.post("/api/v1/research-exports/", body(cast.programme_a), format="json")
    assert response.status_code == 400 and "programmes" in response.json()
    browser = signed_in(admin_b)
    assert (
        browser.get(reverse("web:research_export_detail", args=[ids["export"]])).status_code == 404
    )
    page = browser.post(reverse("web:research_export_create"), body(cast.programme_a))
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    form = page.content.decode().split('class="k-form"')[1].split("</form>")[0]
    assert "(Aby)" not in form and "(Bestad)" in form
    assert ResearchExport.objects.count() == 1
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_api_returns_the_zip_and_where_its_record_is(cast, api):
    consenting(cast.programme_a, 2)
    response = api(cast.admin_a).post(
        "/api/v1/research-exports/", body(cast.programme_a), format="json"
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/zip"
    made = ResearchExport.objects.get()
    assert response["Location"] == f"/api/v1/research-exports/{made.pk}/"
    assert response["X-Export-SHA256"] == made.sha256
    assert response.content[:2] == b"PK"
    detail = api(cast.admin_a).get(response["Location"]).json()
    assert detail["counts"]["participants.csv"] == 2
    assert detail["programmes"] == [cast.programme_a.pk]


def test_the_api_refuses_when_nobody_has_consented(cast, api):
    f.ReferralFactory(programme=cast.programme_a)
    response = api(cast.admin_a).post(
        "/api/v1/research-exports/", body(cast.programme_a), format="json"
    )
    assert response.status_code == 400
    assert "consent" in str(response.json()["programmes"])
    bad = api(cast.admin_a).post(
        "/api/v1/research-exports/", {**body(cast.programme_a), "purpose": ""}, format="json"
    )
    assert bad.status_code == 400 and "purpose" in bad.json()
    assert not ResearchExport.objects.exists()


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url", ["/api/v1/research-exports/", "research_export_list", "research_export_create"]
)
def test_lists_take_the_same_number_of_queries_for_2_and_20_rows(cast, api, url):
    client = api(cast.admin_a) if url.startswith("/") else signed_in(cast.admin_a)
    path = url if url.startswith("/") else reverse(f"web:{url}")
    for i in range(2):
        record(cast.a, cast.programme_a, f"P{i}")
        consenting(cast.programme_a)
    _count(client, path)  # warm up (sign-in, roles)
    few = _count(client, path)
    for i in range(18):
        record(cast.a, cast.programme_a, f"Q{i}")
        consenting(f.ProgrammeFactory(municipality=cast.a, name=f"Program {i}"))
    assert _count(client, path) == few
