"""Every endpoint × every role × own/other municipality.

Expected status per role of the cast (see tests/conftest.py). ``A`` objects belong to
municipality A; coordinator_b is the outsider who must get 404 for A's records. The guard at the
bottom fails when an API route exists that no matrix covers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ROLES = [
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
]


def row(**expected: int) -> dict[str, int]:
    missing = set(ROLES) - set(expected)
    assert not missing, f"matrix row lacks roles: {missing}"
    return expected


# (name, method, path template, body, expected statuses)
MATRIX = [
    (
        "me",
        "get",
        "/api/v1/me/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=200,
            analyst=200,
            provider=200,
        ),
    ),
    (
        "municipality list",
        "get",
        "/api/v1/municipalities/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "municipality A",
        "get",
        "/api/v1/municipalities/{a}/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "programme list",
        "get",
        "/api/v1/programmes/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "programme A",
        "get",
        "/api/v1/programmes/{programme_a}/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "membership list",
        "get",
        "/api/v1/memberships/",
        None,
        row(
            admin_a=200,
            coordinator_a=403,
            referrer_a=403,
            contact_a=403,
            coordinator_b=403,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "audit list",
        "get",
        "/api/v1/audit/",
        None,
        row(
            admin_a=200,
            coordinator_a=403,
            referrer_a=403,
            contact_a=403,
            coordinator_b=403,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "activity list",
        "get",
        "/api/v1/activities/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=200,
            analyst=200,
            provider=200,
        ),
    ),
    (
        "target-group list",
        "get",
        "/api/v1/target-groups/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=200,
            contact_a=200,
            coordinator_b=200,
            analyst=200,
            provider=200,
        ),
    ),
    (
        "helper list",
        "get",
        "/api/v1/helpers/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=200,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper A (own for contact)",
        "get",
        "/api/v1/helpers/{helper_a}/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=200,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper A2 (not own)",
        "get",
        "/api/v1/helpers/{helper_a2}/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=404,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper A patch",
        "patch",
        "/api/v1/helpers/{helper_a2}/",
        {"phone": "99999999", "version": 1},
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=403,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper A status",
        "post",
        "/api/v1/helpers/{helper_a2}/status/",
        {"to_status": "screening", "version": "{helper_a2_version}"},
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=403,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper A history",
        "get",
        "/api/v1/helpers/{helper_a}/history/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=200,
            coordinator_b=404,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper create in A",
        "post",
        "/api/v1/helpers/",
        {
            "municipality": "{a}",
            "programme": "{programme_a}",
            "first_name": "N",
            "last_name": "N",
            "email": "new@example.test",
            "postcode": "6800",
        },
        row(
            admin_a=201,
            coordinator_a=201,
            referrer_a=403,
            contact_a=403,
            coordinator_b=400,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper overview",
        "get",
        "/api/v1/helpers/overview/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=403,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "helper export",
        "get",
        "/api/v1/helpers/export/?format=csv",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=403,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "outbox list",
        "get",
        "/api/v1/outbox/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=403,
            coordinator_b=200,
            analyst=200,
            provider=403,
        ),
    ),
    (
        "access review list",
        "get",
        "/api/v1/access-reviews/",
        None,
        row(
            admin_a=200,
            coordinator_a=403,
            referrer_a=403,
            contact_a=403,
            coordinator_b=403,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "access review rules",
        "get",
        "/api/v1/access-review-rules/",
        None,
        row(
            admin_a=200,
            coordinator_a=403,
            referrer_a=403,
            contact_a=403,
            coordinator_b=403,
            analyst=403,
            provider=403,
        ),
    ),
    (
        "checkin list",
        "get",
        "/api/v1/checkins/",
        None,
        row(
            admin_a=200,
            coordinator_a=200,
            referrer_a=403,
            contact_a=200,
            coordinator_b=200,
            analyst=403,
            provider=403,
        ),
    ),
]


def _fill(value, ids):  # noqa: ANN001, ANN202
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _ids(cast) -> dict[str, int]:  # noqa: ANN001
    return {
        "a": cast.a.pk,
        "b": cast.b.pk,
        "programme_a": cast.programme_a.pk,
        "helper_a": cast.helper_a.pk,
        "helper_a2": cast.helper_a2.pk,
        "helper_a2_version": type(cast.helper_a2).objects.get(pk=cast.helper_a2.pk).version,
        "helper_b": cast.helper_b.pk,
        "membership_referrer_a": cast.referrer_a.memberships.get().pk,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "path", "body", "expected"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_endpoint_answers_each_role_as_the_matrix_says(
    cast, api, role, name, method, path, body, expected
):
    ids = _ids(cast)
    client = api(cast.roles[role])
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    assert response.status_code == expected[role], (
        name,
        role,
        getattr(response, "data", response.content[:300]),
    )


def test_anonymous_callers_get_401_on_every_matrix_endpoint(cast, api):
    ids = _ids(cast)
    for name, method, path, body, _expected in MATRIX:
        response = getattr(api(), method)(_fill(path, ids), _fill(body, ids), format="json")
        assert response.status_code == 401, name


@pytest.mark.parametrize("role", ["admin_a", "coordinator_a", "coordinator_b", "contact_a"])
def test_helper_list_only_ever_contains_the_callers_own_records(cast, api, role):
    user = cast.roles[role]
    results = api(user).get("/api/v1/helpers/?page_size=500").data["results"]
    expected = {
        "admin_a": {cast.helper_a.pk, cast.helper_a2.pk},
        "coordinator_a": {cast.helper_a.pk, cast.helper_a2.pk},
        "coordinator_b": {cast.helper_b.pk},
        "contact_a": {cast.helper_a.pk},
    }[role]
    assert {r["id"] for r in results} == expected


def test_outsider_cannot_move_a_helper_into_their_programme(cast, api):
    response = api(cast.coordinator_b).post(
        "/api/v1/helpers/",
        {
            "municipality": cast.b.pk,
            "programme": cast.programme_a.pk,
            "first_name": "X",
            "last_name": "Y",
            "email": "x@example.test",
            "postcode": "6800",
        },
        format="json",
    )
    assert response.status_code == 400 and "programme" in response.data


# The other apps' access matrices, each with module-level READS (and PAGES for the web matrix).
ACCESS_MODULES = (
    "tests.courses.test_api_access",
    "tests.referrals.test_access",
    "tests.matching.test_access",
    "tests.followup.test_access",
    "tests.outcomes.test_access",
    "tests.pay.test_access",
    "tests.dashboards.test_access",
    "tests.national.test_access",
    "tests.profiles.test_access",
    "tests.research.test_access",
    "tests.quality.test_access",
    "tests.partners.test_access",
    "tests.partners.test_premises_access",
    "tests.groups.test_access",
    "tests.providers.test_access",
    "tests.providers.test_contract_access",
    "tests.providers.test_manage_access",
    "tests.fhir.test_access",
    "tests.grants.test_access",
    "tests.pilots.test_access",
    "tests.catalogue.test_access",
    "tests.support.test_access",
    "tests.rehab.test_access",
    "tests.workplace.test_access",
)


def _covered_paths() -> set[str]:
    """Paths with a matrix row, here and in the other apps' access matrices."""
    import importlib

    paths = [m[2] for m in MATRIX]
    for name in ACCESS_MODULES:
        paths += list(importlib.import_module(name).READS)
    return {p.split("{")[0].split("?")[0].rstrip("/") for p in paths}


def test_every_api_route_is_covered_by_a_matrix():
    covered = _covered_paths()
    routes = set()
    from kobling.api.urls import router

    for prefix, _viewset, _basename in router.registry:
        routes.add(f"/api/v1/{prefix}")
    uncovered = sorted(r for r in routes if not any(c.startswith(r) for c in covered))
    assert not uncovered, f"API routes without an access matrix: {uncovered}"


def test_region_staff_read_no_person_on_any_list_route(cast, api):
    """A region-staff user (``User.staff_region``, issue 13) holds no membership: every list
    route of the API either refuses them or lists nothing — except the few that hold no
    personal data at all (their own account, reference lists, rehabilitation offers, the
    suppressed participation report)."""
    from kobling.api.urls import router
    from kobling.tenancy.models import Region
    from tests.followup import scenario as s
    from tests.rehab.builders import build

    build(cast)  # a health region with hospitals, patients and their courses
    s.waiting(cast.programme_a, first_name="Kommunal")
    region = Region.objects.get(code="HV")
    user = cast.roles["region_h"]
    assert user.staff_region == region
    client = api(user)
    answers = {}
    for prefix, _viewset, _basename in router.registry:
        response = client.get(f"/api/v1/{prefix}/")
        data = response.json() if response.status_code == 200 else None
        listed = data.get("results", data) if isinstance(data, dict) else data
        answers[prefix] = response.status_code if not listed else "listed"
    listing = {p for p, a in answers.items() if a == "listed"}
    assert listing <= NO_PERSON_DATA, sorted(listing - NO_PERSON_DATA)
    assert answers["rehab/courses"] == 403
    assert answers["rehab/participation"] == "listed"


# Routes whose rows describe no person: region staff may list them (activities and target
# groups are the shared reference lists).
# The quality registers' list (names) and their aggregate extracts are counts, suppressed.
NO_PERSON_DATA = {
    "me",
    "activities",
    "target-groups",
    "rehab/offers",
    "rehab/participation",
    "rehab/extracts",
}
