"""The waiting list (priority, then the longest wait) and supply against demand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.helpers.models import TargetGroup
from kobling.referrals.selectors import supply_demand
from tests import factories as f

pytestmark = pytest.mark.django_db


def waiting(cast, *, days: int, priority: int = 2, area: str = "", groups=(), programme=None):
    referral = f.ReferralFactory(
        programme=programme or cast.programme_a,
        status="waiting",
        priority=priority,
        # Local noon of the day: waiting days are local calendar days, exact near midnight and
        # across a daylight-saving change.
        granted_at=timezone.make_aware(
            dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days), dt.time(12))
        ),
        preferred_area=area,
    )
    referral.target_groups.set([TargetGroup.objects.get(code=code) for code in groups])
    return referral


def test_the_waiting_list_orders_by_priority_then_the_longest_wait(cast, api):
    low_old = waiting(cast, days=90, priority=3)
    normal_new = waiting(cast, days=5)
    normal_old = waiting(cast, days=40)
    high_new = waiting(cast, days=1, priority=1)
    f.ReferralFactory(programme=cast.programme_a)  # received, not granted: not waiting

    rows = api(cast.coordinator_a).get("/api/v1/waiting-list/").data["results"]

    assert [r["id"] for r in rows] == [high_new.pk, normal_old.pk, normal_new.pk, low_old.pk]
    assert [r["waiting_days"] for r in rows] == [1, 40, 5, 90]
    assert rows[0]["priority"] == 1 and rows[0]["status"] == "waiting"


def test_the_waiting_list_filters_by_priority_target_group_and_area(cast, api):
    youth = waiting(cast, days=3, groups=["youth"], area="Vie")
    waiting(cast, days=3, priority=1, groups=["mental_health"], area="Sentrum")
    client = api(cast.coordinator_a)
    assert [
        r["id"] for r in client.get("/api/v1/waiting-list/?target_group=youth").data["results"]
    ] == [youth.pk]
    assert [r["id"] for r in client.get("/api/v1/waiting-list/?area=vie").data["results"]] == [
        youth.pk
    ]
    assert len(client.get("/api/v1/waiting-list/?priority=1").data["results"]) == 1


def test_the_waiting_list_page_shows_the_same_order_and_waiting_time(cast, web):
    old = waiting(cast, days=30)
    new = waiting(cast, days=2)
    html = web(cast.coordinator_a).get("/venteliste/").content.decode()
    assert html.index(old.participant.full_name) < html.index(new.participant.full_name)
    assert "<td>30</td>" in html


def test_supply_and_demand_counts_waiting_people_against_free_places(cast):
    from kobling.followup.models import Pairing

    mental, youth = (TargetGroup.objects.get(code=c) for c in ("mental_health", "youth"))
    waiting(cast, days=10, groups=["mental_health"], area="Sentrum")
    waiting(cast, days=3, groups=["mental_health", "youth"], area="Vie")
    waiting(cast, days=1, groups=["youth"], area="Vie")
    f.ReferralFactory(programme=cast.programme_a)  # awaiting a decision
    waiting(cast, days=50, groups=["youth"], programme=cast.programme_b)  # other municipality

    available = f.make_active(cast.helper_a)  # capacity 2, home area Sentrum
    available.target_groups.set([mental])
    busy = f.make_active(cast.helper_a2)  # capacity 2, one open pairing
    busy.target_groups.set([mental, youth])
    busy.home_area = "Vie"
    busy.save()
    paired = f.ReferralFactory(programme=cast.programme_a, status="paired")
    Pairing.objects.create(
        municipality=cast.a,
        programme=cast.programme_a,
        referral=paired,
        participant=paired.participant,
        helper=busy,
        slot=0,
        confirmed_at=timezone.now(),
    )
    unconfirmed = f.make_active(f.HelperFactory(programme=cast.programme_a, capacity=5))
    unconfirmed.is_unconfirmed = True
    unconfirmed.save()
    f.HelperFactory(programme=cast.programme_a, capacity=3)  # an applicant: no supply

    data = supply_demand([cast.a.pk])

    assert data.waiting == 3 and data.awaiting_decision == 1
    assert data.contacts_available == 2 and data.free_places == 3
    assert data.gap == 0 and data.longest_wait_days == 10
    groups = {row.key: (row.waiting, row.free_places) for row in data.by_target_group}
    assert groups["mental_health"] == (2, 3)
    assert groups["youth"] == (2, 1)
    areas = {row.name: (row.waiting, row.free_places) for row in data.by_area}
    assert areas == {"Sentrum": (1, 2), "Vie": (2, 1)}
    plain = data.to_dict()
    assert plain["gap"] == 0 and plain["by_area"][0]["gap"] == 1


def test_supply_and_demand_for_one_programme(cast):
    other = f.ProgrammeFactory(municipality=cast.a, name="Frisklivsresept")
    waiting(cast, days=3)
    waiting(cast, days=3, programme=other)
    assert supply_demand([cast.a.pk], other).waiting == 1
    assert supply_demand([cast.a.pk]).waiting == 2


def test_the_supply_demand_endpoint_and_page(cast, api, web):
    waiting(cast, days=3, groups=["youth"])
    data = api(cast.coordinator_a).get("/api/v1/supply-demand/").data
    assert data["waiting"] == 1 and data["free_places"] == 0 and data["gap"] == 1
    assert data["by_target_group"][0]["key"] == "youth"
    assert api(cast.coordinator_b).get("/api/v1/supply-demand/").data["waiting"] == 0
    refused = api(cast.coordinator_b).get(f"/api/v1/supply-demand/?municipality={cast.a.pk}")
    assert refused.status_code == 400
    page = web(cast.coordinator_a).get("/tilbud-og-behov/")
    assert page.status_code == 200 and "Children and youth" in page.content.decode()
