"""Allow/deny for every dashboard endpoint and page × every role of the cast. The dashboards
belong to the municipality's coordinators and admins: everyone else gets 403 up front; a manager
of another municipality gets 404 for this one's programme. ``READS`` (API paths) and ``PAGES``
(web URL names) are what the project-wide coverage guards read."""

import pytest
from django.test import Client
from django.urls import reverse

from kobling.dashboards.refresh import refresh_municipality
from kobling.tenancy.models import Programme, User
from tests.conftest import signed_in

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


MANAGERS_OF_A = matrix(200, 200, 403, 403, 404, 403, 403)

# Who may read what (admin_a, coordinator_a, referrer_a, contact_a, coordinator_b, analyst,
# provider).
READS = {
    "/api/v1/dashboards/reaim/?programme={programme_a}&year=2025": MANAGERS_OF_A,
    "/api/v1/dashboards/reaim/?programme={programme_a}": MANAGERS_OF_A,
    "/api/v1/dashboards/reaim/?programme={programme_b}": matrix(404, 404, 403, 403, 200, 403, 403),
    "/api/v1/dashboards/reaim/": matrix(400, 400, 403, 403, 400, 403, 403),
    "/api/v1/dashboards/reaim/?programme={programme_a}&year=1800": matrix(
        400, 400, 403, 403, 400, 403, 403
    ),
}

GET_A = (200, 200, 403, 403, 404, 403, 403)

# Web URL name → (arg from the objects below or None, method, body, expected per role).
PAGES = {
    "dashboard_home": (None, "get", None, (302, 302, 403, 403, 302, 403, 403)),
    "dashboard": ("programme_a", "get", None, GET_A),
    "dashboard_csv": ("programme_a", "get", None, GET_A),
    "dashboard_pdf": ("programme_a", "get", None, GET_A),
    # The yearly report of a group programme (Aktiv på dagtid, for the municipality and NAV).
    "group_year_report": ("group_programme_a", "get", None, GET_A),
    "group_year_report_csv": ("group_programme_a", "get", None, GET_A),
    "group_year_report_pdf": ("group_programme_a", "get", None, GET_A),
}


@pytest.fixture
def ids(cast):
    refresh_municipality(cast.a.pk)
    refresh_municipality(cast.b.pk)
    group = Programme.objects.create(
        municipality=cast.a, kind="aktiv_pa_dagtid", name="Aktiv på dagtid", delivery="group"
    )
    return {
        "a": cast.a.pk,
        "programme_a": cast.programme_a.pk,
        "programme_b": cast.programme_b.pk,
        "group_programme_a": group.pk,
    }


def _user(cast, role):
    return User.objects.get(pk=cast.roles[role].pk)


@pytest.mark.parametrize("url", list(READS))
def test_every_read_endpoint_allows_or_denies_each_role(cast, api, ids, url):
    got = {role: api(_user(cast, role)).get(url.format(**ids)).status_code for role in ROLES}
    assert got == dict(READS[url])


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, method, _body, _codes) in PAGES.items():
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("web:login")), name


def test_the_programme_filter_cannot_reach_another_municipality(cast, ids):
    url = reverse("web:dashboard_home") + f"?programme={cast.programme_b.pk}"
    assert signed_in(cast.coordinator_a).get(url).status_code == 404
    own = reverse("web:dashboard_home") + f"?programme={cast.programme_a.pk}&year=2024"
    response = signed_in(cast.coordinator_a).get(own)
    assert response.status_code == 302
    assert (
        response["Location"] == reverse("web:dashboard", args=[cast.programme_a.pk]) + "?year=2024"
    )


def test_the_dashboards_write_nothing(cast, api, ids):
    client = api(cast.coordinator_a)
    url = f"/api/v1/dashboards/reaim/?programme={cast.programme_a.pk}"
    assert client.post(url, {}, format="json").status_code == 405
    page = reverse("web:dashboard", args=[cast.programme_a.pk])
    assert signed_in(cast.coordinator_a).post(page).status_code == 405


def test_there_is_no_route_over_the_raw_unsuppressed_figures(cast, api, ids):
    client = api(cast.coordinator_a)
    assert client.get("/api/v1/dashboards/").status_code == 404
    assert client.get("/api/v1/dashboards/1/").status_code == 404
