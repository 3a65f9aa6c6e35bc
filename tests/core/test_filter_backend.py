"""The API's filter backend builds a FilterSet (and its form) only when the request could be
filtered by it: a list read without filter parameters is the whole queryset, as before, and one
with a filter parameter is filtered, or refused with a 400, exactly as before."""

from __future__ import annotations

import django_filters
import pytest
from django.http import QueryDict

from kobling.core.filters import BaseFilterSet, asks_to_filter
from kobling.dashboards.bench import build
from kobling.referrals.filtersets import ReferralFilterSet
from kobling.referrals.models import Referral
from tests.api.routes import list_routes


def test_paging_and_ordering_do_not_ask_to_filter():
    params = QueryDict("page=2&page_size=25&ordering=-received_at")
    assert not asks_to_filter(ReferralFilterSet, params)
    assert not asks_to_filter(ReferralFilterSet, QueryDict(""))


@pytest.mark.parametrize("name", sorted(ReferralFilterSet.base_filters))
def test_every_filter_asks_to_filter_even_when_empty(name):
    assert asks_to_filter(ReferralFilterSet, QueryDict(f"page=2&{name}="))


def test_a_sub_widgets_parameter_asks_to_filter():
    class Ranged(BaseFilterSet):
        received = django_filters.DateFromToRangeFilter()

        class Meta:
            model = Referral
            fields = ["received"]

    assert asks_to_filter(Ranged, QueryDict("received_after=2025-01-01"))
    assert not asks_to_filter(Ranged, QueryDict("page=1"))


def test_a_required_filter_or_a_filterset_of_its_own_make_always_asks():
    class Required(BaseFilterSet):
        status = django_filters.CharFilter(required=True)

        class Meta:
            model = Referral
            fields = ["status"]

    class OwnWay(BaseFilterSet):
        class Meta:
            model = Referral
            fields = ["status"]

        def filter_queryset(self, queryset):  # noqa: ANN001, ANN201
            return queryset.none()

    class OwnFilters(BaseFilterSet):
        class Meta:
            model = Referral
            fields = ["status"]

        def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
            super().__init__(*args, **kwargs)

    for filterset in (Required, OwnWay, OwnFilters):
        assert asks_to_filter(filterset, QueryDict("page=1"))


def test_every_filterset_of_the_router_is_one_the_shortcut_understands():
    """A FilterSet that filters or builds its filters its own way is always built (never
    skipped); this keeps the shortcut honest for the router's lists as they are."""
    for _prefix, viewset in list_routes():
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is None:
            continue
        for name in filterset.base_filters:
            assert asks_to_filter(filterset, QueryDict(f"{name}=x"))


@pytest.mark.django_db
def test_a_list_without_filter_parameters_builds_no_filterset(api, monkeypatch):
    _p, coordinator, _y = build(3, 2, 4, seed=1, tag="FB")
    client = api(coordinator)
    everyone = client.get("/api/v1/referrals/", {"page_size": 2}).json()
    assert everyone["count"] == Referral.objects.filter(status__isnull=False).count() > 2

    def never(self):  # noqa: ANN001, ANN202
        raise AssertionError("the FilterSet was built")

    monkeypatch.setattr(ReferralFilterSet, "is_valid", never)
    again = client.get("/api/v1/referrals/", {"page_size": 2, "ordering": "id"})
    assert again.status_code == 200
    assert again.json()["count"] == everyone["count"]
    monkeypatch.undo()

    waiting = client.get("/api/v1/referrals/", {"status": "waiting"}).json()
    assert waiting["count"] == Referral.objects.filter(status="waiting").count() < everyone["count"]
    refused = client.get("/api/v1/referrals/", {"programme": "not-an-id"})
    assert refused.status_code == 400
    assert "programme" in refused.json()
