"""Allow/deny for every implementation-quality endpoint and page × every role of the cast. The
self-assessments and the key-person risk belong to the municipality's coordinators and admins:
everyone else gets 403 up front; a manager of another municipality gets 404 for this one's
records. ``READS`` (API paths) and ``PAGES`` (web URL names) are what the project-wide coverage
guards read."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.quality import services
from kobling.tenancy.models import User
from tests.conftest import signed_in
from tests.quality.builders import answers, submitted

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


MANAGERS_ONLY = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_OF_A = matrix(200, 200, 403, 403, 404, 403, 403)

# Who may read what (admin_a, coordinator_a, referrer_a, contact_a, coordinator_b, analyst,
# provider).
READS = {
    "/api/v1/quality/assessments/": MANAGERS_ONLY,
    "/api/v1/quality/assessments/?programme={programme_a}&year={last_year}": MANAGERS_ONLY,
    "/api/v1/quality/assessments/{submitted}/": MANAGERS_OF_A,
    "/api/v1/quality/assessments/{draft}/": MANAGERS_OF_A,
    "/api/v1/quality/assessments/?year=x": matrix(400, 400, 403, 403, 400, 403, 403),
    "/api/v1/quality/key-persons/?programme={programme_a}": MANAGERS_OF_A,
    "/api/v1/quality/key-persons/?programme={programme_b}": matrix(
        404, 404, 403, 403, 200, 403, 403
    ),
    "/api/v1/quality/key-persons/": matrix(400, 400, 403, 403, 400, 403, 403),
}

GET_A = (200, 200, 403, 403, 404, 403, 403)
POST_A = (302, 302, 403, 403, 404, 403, 403)

# Web URL name → (arg from the objects below or None, method, body, expected per role).
PAGES = {
    "quality_list": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    "quality_create": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    "quality_detail": ("draft", "get", None, GET_A),
    "quality_edit": ("draft", "get", None, GET_A),
    "quality_submit": ("draft", "post", {"version": 1}, POST_A),
    "quality_discard": ("draft", "post", {}, POST_A),
    "quality_correct": ("submitted", "get", None, GET_A),
    "quality_trend": ("programme_a", "get", None, GET_A),
    "quality_trend_csv": ("programme_a", "get", None, GET_A),
    "quality_key_persons": ("programme_a", "get", None, GET_A),
}


@pytest.fixture
def ids(cast):
    year = timezone.localdate().year
    done = submitted(cast.programme_a, year - 1, cast.coordinator_a)
    draft = services.assessment_create(
        programme=cast.programme_a, year=year, by=cast.coordinator_a, answers=answers(1)
    )
    return {
        "a": cast.a.pk,
        "programme_a": cast.programme_a.pk,
        "programme_b": cast.programme_b.pk,
        "submitted": done.pk,
        "draft": draft.pk,
        "last_year": year - 1,
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


CHANGES_IN_A = (201, 201, 403, 403, 404, 403, 403)
ACTS_IN_A = (200, 200, 403, 403, 404, 403, 403)

# (method, path, body, expected per role in ROLES order)
WRITES = {
    "start": (
        "post",
        "/api/v1/quality/assessments/",
        {"programme": "{programme_a}", "year": "{earlier}"},
        (201, 201, 403, 403, 400, 403, 403),
    ),
    "change a draft": (
        "patch",
        "/api/v1/quality/assessments/{draft}/",
        {"version": 1, "note": "Endret"},
        ACTS_IN_A,
    ),
    "submit": ("post", "/api/v1/quality/assessments/{draft}/submit/", {"version": 1}, ACTS_IN_A),
    "correct": (
        "post",
        "/api/v1/quality/assessments/{submitted}/correct/",
        {"reason": "Feil"},
        CHANGES_IN_A,
    ),
    "delete a draft": (
        "delete",
        "/api/v1/quality/assessments/{draft}/?version=1",
        None,
        (204, 204, 403, 403, 404, 403, 403),
    ),
}


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "role"), [(n, r) for n in WRITES for r in ROLES], ids=lambda v: str(v)
)
def test_every_write_allows_or_denies_each_role(cast, api, ids, name, role):
    method, path, body, codes = WRITES[name]
    ids = {**ids, "earlier": ids["last_year"] - 1}
    client = api(_user(cast, role))
    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), **kwargs)
    assert response.status_code == dict(zip(ROLES, codes, strict=True))[role], response.data


def test_there_is_no_route_over_the_whole_quality_prefix(cast, api, ids):
    client = api(cast.coordinator_a)
    assert client.get("/api/v1/quality/").status_code == 404
    url = f"/api/v1/quality/key-persons/?programme={ids['programme_a']}"
    assert client.post(url, {}, format="json").status_code == 405
    detail = f"/api/v1/quality/assessments/{ids['draft']}/"
    assert client.put(detail, {"version": 1}, format="json").status_code == 405


def test_another_municipalitys_assessments_are_not_listed(cast, api, ids):
    response = api(cast.coordinator_b).get("/api/v1/quality/assessments/")
    assert response.data["results"] == [] if "results" in response.data else response.data == []


@pytest.mark.parametrize(
    ("name", "role"),
    [(n, r) for n, (_a, _m, _b, codes) in PAGES.items() for r in ROLES],
)
def test_every_page_allows_or_denies_each_role(cast, ids, name, role):
    # One role per test: a POST that succeeds (submit, delete) must not change what the next
    # role meets.
    arg, method, body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    response = getattr(signed_in(_user(cast, role)), method)(url, body or {})
    assert response.status_code == dict(zip(ROLES, codes, strict=True))[role]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, method, _body, _codes) in PAGES.items():
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("web:login")), name


def test_a_manager_cannot_start_an_assessment_for_another_municipalitys_programme(cast, ids):
    url = reverse("web:quality_create")
    response = signed_in(cast.coordinator_b).post(
        url, {"programme": cast.programme_a.pk, "year": timezone.localdate().year - 2}
    )
    assert response.status_code == 200 and "programme" in response.context["form"].errors
    assert not cast.programme_a.self_assessments.filter(year=timezone.localdate().year - 2)
