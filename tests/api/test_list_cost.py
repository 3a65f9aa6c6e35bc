"""The hot lists (referrals, pairings, helpers; API and pages) cost the same whatever the number
of rows: the same number of queries, and on the API the same number of serializers built (one
per shape per response, not one per row — building a serializer cost more than using it). Their
speed is measured by `kobling bench load` and docs/performance.md, not asserted here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from kobling.core.serializers import FieldsOnceMixin
from kobling.dashboards.bench import build
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

API_LISTS = ["/api/v1/referrals/", "/api/v1/pairings/", "/api/v1/helpers/"]
PAGES = ["/henvisninger/", "/par/", "/kontakter/", "/venteliste/"]


@pytest.fixture
def small_and_large():
    """Two municipalities' coordinators: one with 2 people and contacts, one with 14."""
    _p, small, _y = build(2, 2, 4, seed=1, tag="T1")
    _p, large, _y = build(14, 14, 28, seed=2, tag="T2")
    return small, large


def _api(user, url, monkeypatch):
    built = []
    depth = [0]  # a serializer built counts once, not once per get_fields up its classes
    for cls in (serializers.Serializer, serializers.ModelSerializer, FieldsOnceMixin):
        original = cls.get_fields

        def counting(self, _original=original):
            if not depth[0]:
                built.append(type(self).__name__)
            depth[0] += 1
            try:
                return _original(self)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(cls, "get_fields", counting)
    client = APIClient()
    client.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    monkeypatch.undo()
    assert response.status_code == 200, response.content[:300]
    return len(queries.captured_queries), sorted(built), len(response.json()["results"])


@pytest.mark.parametrize("url", API_LISTS)
def test_an_api_list_builds_its_serializers_once_and_queries_the_same_for_more_rows(
    url, small_and_large, monkeypatch
):
    small, large = small_and_large
    few = _api(small, url, monkeypatch)
    many = _api(large, url, monkeypatch)
    assert few[2] < many[2]  # more rows...
    assert few[:2] == many[:2]  # ...same queries, same serializers built


@pytest.mark.parametrize("url", PAGES)
def test_a_list_page_queries_the_same_for_more_rows(url, small_and_large):
    counts = []
    for user in small_and_large:
        client = signed_in(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


# PostgreSQL searches the join orders of a query: eight tables took ~25 ms to plan for a page that
# runs in 1 ms (issue 16's load), six ~4 ms, five under 1 ms.
MOST_TABLES = 6


@pytest.mark.parametrize("url", API_LISTS + PAGES)
def test_no_query_of_a_hot_list_joins_so_many_tables_that_planning_it_costs_more_than_running_it(
    url, small_and_large
):
    _small, large = small_and_large
    client = signed_in(large)
    if url.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(large)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    widest = max(queries.captured_queries, key=lambda q: q["sql"].count(" JOIN "))
    assert widest["sql"].count(" JOIN ") + 1 <= MOST_TABLES, widest["sql"][:400]


def test_fields_worked_out_once_are_still_each_serializers_own(small_and_large):
    """FieldsOnceMixin copies the class's finished fields: two serializers never share a field
    (one made read-only, or bound to another parent, leaves the other alone)."""
    from kobling.helpers.models import Helper
    from kobling.helpers.serializers import HelperSerializer

    first, second = HelperSerializer(), HelperSerializer()
    assert first.fields.keys() == second.fields.keys()
    assert all(first.fields[k] is not second.fields[k] for k in first.fields)
    first.fields["first_name"].read_only = True
    assert not second.fields["first_name"].read_only
    assert HelperSerializer().fields["first_name"].read_only is False
    helper = Helper.objects.order_by("pk").first()
    assert first.fields["first_name"].parent is first
    assert HelperSerializer(helper).data == HelperSerializer(helper).data
