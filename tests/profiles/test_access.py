"""Allow/deny for every public-health-profile endpoint and page × every role of the cast: the
national analyst only (aggregates about units, no persons); everyone else 403, anonymous
callers 401 (API) or the sign-in page (web). ``READS`` (API paths) and ``PAGES`` (web URL
names) are what the project-wide coverage guards read."""

import pytest
from django.test import Client
from django.urls import reverse

from kobling.profiles import services
from kobling.profiles.models import ProfileCategory, StatusSet
from kobling.tenancy.models import User
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


ANALYST_ONLY = matrix(403, 403, 403, 403, 403, 200, 403)

# Who may read what (admin_a, coordinator_a, referrer_a, contact_a, coordinator_b, analyst,
# provider).
READS = {
    "/api/v1/profiles/compare/": ANALYST_ONLY,
    "/api/v1/profiles/compare/?period=2016&status_set={status_set}": ANALYST_ONLY,
}

ANALYST_PAGE = (403, 403, 403, 403, 403, 200, 403)

# Web URL name → (arg from the objects below or None, method, body, expected per role).
PAGES = {
    "profiles_compare": (None, "get", None, ANALYST_PAGE),
    "profiles_compare_csv": (None, "get", None, ANALYST_PAGE),
    "profiles_import": (None, "get", None, ANALYST_PAGE),
    "profiles_status": (None, "get", None, ANALYST_PAGE),
}

PROFILES = b"unit_code,indicator,category\n0301,x,better\n4650,x,same\n5560,x,worse\n"
STATUS = b"unit_code,has_scheme\n0301,true\n4650,false\n5560,false\n"


@pytest.fixture
def ids(cast):
    services.profiles_import(data=PROFILES, period="2016")
    status_set = services.status_set_create(data=STATUS, name="Mapping 2016")
    return {"status_set": status_set.pk}


def _user(cast, role):
    return User.objects.get(pk=cast.roles[role].pk)


@pytest.mark.parametrize("url", list(READS))
def test_every_read_endpoint_allows_or_denies_each_role(cast, api, ids, url):
    got = {role: api(_user(cast, role)).get(url.format(**ids)).status_code for role in ROLES}
    assert got == dict(READS[url])


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url


@pytest.mark.parametrize("name", [name for name, p in PAGES.items() if p[1] == "get"])
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    _arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}")
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name in PAGES:
        response = Client().get(reverse(f"web:{name}"))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("web:login")), name


@pytest.mark.parametrize("role", [r for r in ROLES if r != "analyst"])
def test_only_the_analyst_can_import_or_upload_a_status_set(cast, ids, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(_user(cast, role))
    response = client.post(
        reverse("web:profiles_import"),
        {"file": SimpleUploadedFile("p.csv", PROFILES), "period": "2024"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("web:profiles_status"),
        {"file": SimpleUploadedFile("s.csv", STATUS), "name": "Mine"},
    )
    assert response.status_code == 403
    assert ProfileCategory.objects.filter(indicator__period="2024").count() == 0
    assert StatusSet.objects.count() == 1


def test_the_services_refuse_anyone_but_the_analyst(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.profiles_import(data=PROFILES, period="2016", by=cast.coordinator_a)
    with pytest.raises(ValidationError):
        services.status_set_create(data=STATUS, name="x", by=cast.coordinator_a)
    services.profiles_import(data=PROFILES, period="2016", by=cast.analyst)


def test_the_nav_links_the_comparison_for_the_analyst_only(cast):
    url = reverse("web:profiles_compare")
    assert url in signed_in(cast.analyst).get(reverse("web:home")).content.decode()
    assert url not in signed_in(cast.coordinator_a).get(reverse("web:home")).content.decode()
