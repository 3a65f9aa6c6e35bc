"""Concession contracts and reimbursement claims × every role of the cast and the staff of two
gyms (both in municipality A), pages and API, and the claim workflow through the API.

Decisions recorded here:

* The municipality's managers see every contract and claim of their municipality, decide and
  approve claims and download the payment file; another municipality's managers get 404 and
  empty lists.
* A gym's staff see their own gym's contract (the follow-up under the small-cell rule) and
  claims, build and submit them; gym B's staff get 404 on gym A's contract and claims.
* Referrers, training contacts, the analyst and course-provider staff: 403 up front."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from kobling.providers import contract_services as contracts
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.providers.builders import ORGNR, provider_programme, staff_user
from tests.providers.contract_builders import claim_month, contracted_gym, eligible_course, visits
from tests.providers.test_access import ROLES, matrix

pytestmark = pytest.mark.django_db

assert len(ROLES) == 9
LISTS = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200)
ROWS = matrix(200, 200, 403, 403, 404, 403, 403, 200, 404)
READS = {
    "/api/v1/concession-contracts/": LISTS,
    "/api/v1/concession-contracts/{contract}/": ROWS,
    "/api/v1/concession-contracts/{contract}/follow-up/": ROWS,
    "/api/v1/reimbursement-claims/": LISTS,
    "/api/v1/reimbursement-claims/{claim}/": ROWS,
    "/api/v1/reimbursement-claims/payment-file/?month={month}": matrix(
        200, 200, 403, 403, 200, 403, 403, 403, 403
    ),
}
PAGES = {
    "contract_detail": (("contract",), "get", ROWS),
    "contract_pdf": (("contract",), "get", ROWS),
    "claim_build": (("contract",), "post", matrix(302, 302, 403, 403, 404, 403, 403, 302, 404)),
    "claim_detail": (("claim",), "get", ROWS),
    "claim_pdf": (("claim",), "get", ROWS),
    # Submitting is the provider's; deciding and approving the municipality's: a role that can
    # never do it gets 403 up front.
    "claim_submit": (("claim",), "post", matrix(403, 403, 403, 403, 403, 403, 403, 302, 404)),
    "claim_line_decide": (
        ("claim", "line"),
        "post",
        matrix(302, 302, 403, 403, 404, 403, 403, 403, 403),
    ),
    "claim_approve": (("claim",), "post", matrix(302, 302, 403, 403, 404, 403, 403, 403, 403)),
    "claim_payment_file": ((), "get", matrix(200, 200, 403, 403, 200, 403, 403, 403, 403)),
    # The claims list: the municipality's for managers (B's: an empty list), a gym's own.
    "claim_list": ((), "get", LISTS),
}


@pytest.fixture
def world(cast):
    programme = provider_programme(cast)
    gym_a_user = staff_user("gym-a@test")
    gym_b_user = staff_user("gym-b@test")
    a, terms = contracted_gym(cast, staff=gym_a_user)
    contracted_gym(cast, "Havna Helse", orgnr=ORGNR[1], staff=gym_b_user)
    contracts.requirement_add(
        by=cast.coordinator_a, terms=terms, measure="attendance_75", target=Decimal(60)
    )
    month = claim_month()
    placement = eligible_course(cast, programme, a)
    visits(placement, [0, 2], month)
    claim, _ = contracts.claim_build(by=gym_a_user, terms=terms, month=month)
    cast.roles.update(gym_a=gym_a_user, gym_b=gym_b_user)
    ids = {
        "contract": terms.pk,
        "claim": claim.pk,
        "line": claim.lines.first().pk,
        "month": f"{month:%Y-%m}",
    }
    return ids, terms, claim


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_contract_read_endpoint_allows_or_denies_each_role(
    cast, api, world, url, role, expected
):
    ids = world[0]
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:200])
    if expected == 200 and role in ("coordinator_b", "gym_b") and "payment" not in url:
        body = response.json()
        rows = body.get("results", body)
        # Another municipality sees nothing; gym B sees only its own contract, no claim of A.
        assert rows == [] or (role == "gym_b" and ids["contract"] not in {r["id"] for r in rows})


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_contract_page_allows_or_denies_each_role(cast, world, name, role, expected):
    ids, _terms, claim = world
    args, method, _pairs = PAGES[name]
    if name in ("claim_line_decide", "claim_approve"):
        contracts.claim_submit(by=None, claim=claim, expected_version=claim.version)
        claim.refresh_from_db()
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    body = {
        "month": ids["month"],
        "version": claim.version,
        "approve": "1",
        "all": "1",
        "expected_lines": 2,
        "expected_amount": "300.00",
    }
    response = client.post(url, body) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_a_claim_goes_through_the_api_from_build_to_the_payment_file(cast, api, world):
    ids, terms, claim = world
    gym = api(cast.roles["gym_a"])
    built = gym.post(
        "/api/v1/reimbursement-claims/build/",
        {"contract": terms.pk, "month": ids["month"] + "-15"},
        format="json",
    )
    assert built.status_code == 200, built.content
    body = built.json()["claim"]
    assert [ln["amount"] for ln in body["lines"]] == ["150.00", "150.00"]
    # Gym B cannot build on gym A's contract.
    other = api(cast.roles["gym_b"]).post(
        "/api/v1/reimbursement-claims/build/",
        {"contract": terms.pk, "month": ids["month"] + "-01"},
        format="json",
    )
    assert other.status_code == 404
    no_version = gym.post(f"/api/v1/reimbursement-claims/{claim.pk}/submit/", {}, format="json")
    assert no_version.status_code == 400
    submitted = gym.post(
        f"/api/v1/reimbursement-claims/{claim.pk}/submit/",
        {"version": body["version"]},
        format="json",
    ).json()
    coordinator = api(cast.coordinator_a)
    first = submitted["lines"][0]["id"]
    rejected = coordinator.post(
        f"/api/v1/reimbursement-claims/{claim.pk}/decide-line/",
        {"line": first, "approve": False, "reason": "", "version": submitted["version"]},
        format="json",
    )
    assert rejected.status_code == 400
    decided = coordinator.post(
        f"/api/v1/reimbursement-claims/{claim.pk}/decide-line/",
        {"line": first, "approve": False, "reason": "=Feil dato", "version": submitted["version"]},
        format="json",
    ).json()
    stale = coordinator.post(
        f"/api/v1/reimbursement-claims/{claim.pk}/approve-all/",
        {"version": decided["version"], "expected_lines": 2, "expected_amount": "300.00"},
        format="json",
    )
    assert stale.status_code == 409
    approved = coordinator.post(
        f"/api/v1/reimbursement-claims/{claim.pk}/approve-all/",
        {"version": decided["version"], "expected_lines": 1, "expected_amount": "150.00"},
        format="json",
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_amount"] == "150.00"
    exported = coordinator.get(f"/api/v1/reimbursement-claims/payment-file/?month={ids['month']}")
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["municipality_code", "provider", "organisation_number"]
    assert len(rows) == 2 and rows[1][12] == "150,00"
    assert AuditEntry.objects.filter(user=cast.coordinator_a, action="export").exists()
    pdf = signed_in(cast.coordinator_a).get(reverse("web:claim_pdf", args=[claim.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_follow_up_is_exact_inside_the_municipality_and_small_cells_hide_for_the_gym(
    cast, api, world
):
    ids, terms, _claim = world
    url = f"/api/v1/concession-contracts/{terms.pk}/follow-up/"
    inside = api(cast.coordinator_a).get(url).json()
    gym = api(cast.roles["gym_a"]).get(url).json()
    assert inside[0]["requirement"]["measure"] == "attendance_75"
    assert len(inside[0]["periods"]) == len(gym[0]["periods"]) >= 1
    page = signed_in(cast.coordinator_a).get(reverse("web:contract_detail", args=[terms.pk]))
    assert (
        page.status_code == 200 and "75 per cent of the planned sessions" in page.content.decode()
    )
