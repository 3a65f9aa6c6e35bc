"""The provider lists cost the same number of queries whatever the number of rows: the
placements and visits in the API, the provider list and the provider portal."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.providers import services
from tests.conftest import signed_in
from tests.providers.builders import (
    ORGNR,
    gym,
    placed,
    provider_course,
    provider_programme,
    staff_user,
)

pytestmark = pytest.mark.django_db

API = ["/api/v1/placements/", "/api/v1/provider-visits/", "/api/v1/activity-providers/"]


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _grow(cast, programme, provider, n, start):
    for i in range(n):
        p = placed(
            cast, provider_course(cast, programme, provider, first_name=f"P{start + i}"), provider
        )
        services.visit_record(
            placement=p, visited_on=timezone.localdate(), minutes=30, source="api"
        )


def test_provider_lists_take_the_same_queries_for_more_rows(cast, api):
    programme = provider_programme(cast)
    staff = staff_user("gym@test")
    provider = gym(cast, staff=staff)
    _grow(cast, programme, provider, 1, 0)
    gym(cast, "Gym 2", orgnr=ORGNR[1])
    coordinator = api(cast.coordinator_a)
    staff_api = api(staff)
    pages = signed_in(cast.coordinator_a), signed_in(staff)

    def measure():
        counts = [_count(lambda u=url: coordinator.get(u)) for url in API]
        counts += [_count(lambda u=url: staff_api.get(u)) for url in API]
        counts.append(_count(lambda: pages[0].get(reverse("web:provider_list"))))
        counts.append(_count(lambda: pages[1].get(reverse("web:provider_portal"))))
        counts.append(_count(lambda: pages[1].get(reverse("web:provider_phone"))))
        return counts

    measure()  # warm-up: caches filled on the first request (content types, sessions)
    small = measure()
    _grow(cast, programme, provider, 4, 1)
    gym(cast, "Gym 3", orgnr=ORGNR[2])
    assert measure() == small
