"""Every list of the API router answers a number it cannot store with 400, never a 500.

The outside probe found 14 lists that crashed on ``?programme=99999999999999999999``: a
``NumberFilter`` on a foreign key, or a model-choice filter whose lookup has no overflow guard,
passes the value to the database driver, and SQLite refuses integers beyond 64 bits. The test
walks the router, so a new list or a new filter is covered without anyone adding it here."""

from __future__ import annotations

import django_filters
import pytest
from django_filters.rest_framework import DjangoFilterBackend

from tests.api.routes import list_routes

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
NUMERIC_FILTERS = (
    django_filters.NumberFilter,
    django_filters.ModelChoiceFilter,
    django_filters.ModelMultipleChoiceFilter,
)
# Roles tried in turn until one may read the list at all.
READERS = ["coordinator_a", "admin_a", "referrer_a", "contact_a", "analyst", "provider"]


def _filterset(viewset: type):  # noqa: ANN202
    view = viewset()
    if not (getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)):
        return None
    if not any(issubclass(backend, DjangoFilterBackend) for backend in view.filter_backends):
        return None
    if getattr(view, "filterset_class", None):
        return view.filterset_class
    return DjangoFilterBackend().get_filterset_class(view, view.queryset.none())


def _numeric_filter_params() -> list[tuple[str, str]]:
    params = []
    for prefix, viewset in list_routes():
        filterset = _filterset(viewset)
        if filterset is None:
            continue
        for name, filter_ in filterset.base_filters.items():
            if isinstance(filter_, NUMERIC_FILTERS):
                params.append((prefix, name))
    return params


PARAMS = _numeric_filter_params()


def test_the_walk_finds_the_lists_the_probe_named():
    prefixes = {prefix for prefix, _name in PARAMS}
    assert {"timesheets", "expenses", "helpers", "qualifications", "enrolments"} <= prefixes
    assert ("timesheets", "programme") in PARAMS


@pytest.mark.parametrize(("prefix", "name"), PARAMS, ids=[f"{p}?{n}" for p, n in PARAMS])
@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}"])
def test_an_integer_out_of_range_in_a_list_filter_is_a_400(cast, api, prefix, name, value):
    for role in READERS:
        client = api(cast.roles[role])
        if client.get(f"/api/v1/{prefix}/").status_code == 200:
            break
    else:
        pytest.fail(f"no role of the cast may read /api/v1/{prefix}/: add one to READERS")
    response = client.get(f"/api/v1/{prefix}/", {name: value})
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert name in response.json()
