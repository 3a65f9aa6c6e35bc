"""The claims list page: the municipality's claims for its managers (by month, provider and
state, with each claim's totals and the totals of what is shown), a gym's own claims for its
staff, and the same number of queries whatever the number of claims — for the page and for the
contract and claim API lists."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.providers import contract_services as contracts
from tests.conftest import signed_in
from tests.providers.builders import ORGNR, provider_programme, staff_user
from tests.providers.contract_builders import claim_month, contracted_gym, eligible_course, visits

pytestmark = pytest.mark.django_db


def _claim(cast, terms, placement, month, days, staff):
    visits(placement, days, month)
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    return claim


@pytest.fixture
def two_gyms(cast):
    programme = provider_programme(cast)
    staff_a, staff_b = staff_user("gym-a@test"), staff_user("gym-b@test")
    gym_a, terms_a = contracted_gym(cast, staff=staff_a)
    gym_b, terms_b = contracted_gym(
        cast, "Sprek", orgnr=ORGNR[1], staff=staff_b, price=Decimal("200")
    )
    # A month that the placements (begun 12 weeks ago) cover, and the month after it.
    earlier = claim_month()
    month = (earlier + dt.timedelta(days=32)).replace(day=1)
    siri = eligible_course(cast, programme, gym_a, first_name="Siri")
    ola = eligible_course(cast, programme, gym_b, first_name="Ola")
    # Gym A: two months (the earlier one approved), gym B: one month being prepared.
    first = _claim(cast, terms_a, siri, earlier, [0, 3, 7], staff_a)
    first = contracts.claim_submit(by=staff_a, claim=first, expected_version=first.version)
    contracts.claim_approve_all(
        by=cast.coordinator_a,
        claim=first,
        expected_version=first.version,
        expected_lines=3,
        expected_amount=Decimal("450.00"),
    )
    second = _claim(cast, terms_a, siri, month, [0, 2], staff_a)
    third = _claim(cast, terms_b, ola, month, [1], staff_b)
    return {
        "staff_a": staff_a,
        "staff_b": staff_b,
        "gym_b": gym_b,
        "claims": (first, second, third),
        "month": month,
        "programme": programme,
    }


def _rows(html: str) -> list[str]:
    return re.findall(r'data-claim="(\d+)"', html)


def _total(html: str, name: str) -> str:
    return re.search(rf'data-total="{name}">([^<]*)<', html).group(1)


def test_managers_see_every_claim_of_the_municipality_with_totals(cast, two_gyms):
    first, second, third = two_gyms["claims"]
    page = signed_in(cast.coordinator_a).get(reverse("web:claim_list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert sorted(_rows(html)) == sorted(str(c.pk) for c in (first, second, third))
    for claim in (first, second, third):
        assert reverse("web:claim_detail", args=[claim.pk]) in html
    # 3 × 150 approved; 2 × 150 + 200 being prepared (English: grouped with a comma).
    assert _total(html, "claimed") == "950.00"
    assert _total(html, "approved") == "450.00"
    assert _total(html, "pending") == "500.00"
    assert "utbetaling.csv?month=" in html


def test_the_filters_narrow_the_list_and_its_totals(cast, two_gyms):
    first, second, third = two_gyms["claims"]
    client = signed_in(cast.coordinator_a)
    month = f"{two_gyms['month']:%Y-%m}"
    html = client.get(reverse("web:claim_list"), {"month": month}).content.decode()
    assert sorted(_rows(html)) == sorted([str(second.pk), str(third.pk)])
    assert _total(html, "claimed") == "500.00"
    html = client.get(reverse("web:claim_list"), {"provider": two_gyms["gym_b"].pk}).content
    assert _rows(html.decode()) == [str(third.pk)]
    html = client.get(reverse("web:claim_list"), {"status": "approved"}).content.decode()
    assert _rows(html) == [str(first.pk)]
    assert _total(html, "approved") == "450.00"
    # A month that is not one is named, not a server error.
    bad = client.get(reverse("web:claim_list"), {"month": "2026-13"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()


def test_a_gyms_staff_see_only_their_own_claims(cast, two_gyms):
    first, second, third = two_gyms["claims"]
    html = signed_in(two_gyms["staff_b"]).get(reverse("web:claim_list")).content.decode()
    assert _rows(html) == [str(third.pk)]
    assert _total(html, "claimed") == "200.00"
    assert "utbetaling.csv" not in html
    # Gym A's id in the provider filter is not a choice for gym B (it confirms nothing).
    html = (
        signed_in(two_gyms["staff_b"])
        .get(reverse("web:claim_list"), {"provider": first.provider_id})
        .content.decode()
    )
    assert str(first.pk) not in _rows(html)
    other = signed_in(cast.coordinator_b).get(reverse("web:claim_list")).content.decode()
    assert _rows(other) == []


def test_the_api_list_takes_the_same_filters(cast, api, two_gyms):
    first, second, third = two_gyms["claims"]
    rows = api(cast.coordinator_a).get("/api/v1/reimbursement-claims/?status=approved").json()
    assert [r["id"] for r in rows["results"]] == [first.pk]


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_the_claims_list_and_the_api_lists_take_the_same_queries_for_more_claims(
    cast, api, two_gyms
):
    client = signed_in(cast.coordinator_a)
    staff = signed_in(two_gyms["staff_a"])
    coordinator = api(cast.coordinator_a)
    urls = ["/api/v1/reimbursement-claims/", "/api/v1/concession-contracts/"]

    def measure():
        counts = [_count(lambda: client.get(reverse("web:claim_list")))]
        counts.append(_count(lambda: staff.get(reverse("web:claim_list"))))
        counts += [_count(lambda u=url: coordinator.get(u)) for url in urls]
        return counts

    measure()  # warm-up: caches filled on the first request
    small = measure()
    # More contracts, requirements, courses, visits and claims.
    for i, orgnr in enumerate(ORGNR[2:3]):
        gym, terms = contracted_gym(cast, f"Gym {i}", orgnr=orgnr, staff=two_gyms["staff_a"])
        contracts.requirement_add(
            by=cast.coordinator_a, terms=terms, measure="attendance_75", target=Decimal(60)
        )
        for name in ("Per", "Kari"):
            placement = eligible_course(cast, two_gyms["programme"], gym, first_name=name)
            _claim(cast, terms, placement, two_gyms["month"], [3, 4], two_gyms["staff_a"])
    assert measure() == small
