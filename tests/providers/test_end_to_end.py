"""Issue 12's "Done when", end to end over real HTTP (Django's test client; the gym's system
with its provider key), on SQLite and PostgreSQL: a referral's course placed with a gym like
the demo's, attendance arriving by the provider API and by a CSV file, the referrer's report
counting it, last month's claim built, submitted, approved and exported as the payment file,
and the contract follow-up showing each requirement met or not. No mocks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.providers import contract_services as contracts
from kobling.providers import services
from kobling.providers.models import ProviderVisit
from kobling.referrals import episodes
from kobling.referrals.services import benefit_verify
from tests.conftest import signed_in
from tests.providers.builders import (
    ORGNR,
    certified,
    gym,
    provider_course,
    provider_programme,
    staff_user,
)
from tests.providers.contract_builders import claim_month, contracted_gym

pytestmark = pytest.mark.django_db

# One requirement of each kind, measured per month.
REQUIREMENTS = {
    "certified_trainer": 90,  # quality
    "sites_accessible": 100,  # access
    "plan_within_14_days": 80,  # content
    "attendance_75": 60,  # results
}


def _json(client: Client, url: str, body: dict, **headers: str):
    return client.post(url, body, content_type="application/json", **headers)


def _key_from_page(client: Client, provider_pk: int) -> str:
    """The manager issues the gym's API key; the page shows it once."""
    page = client.post(
        reverse("web:provider_token_create", args=[provider_pk]), {"name": "Booking"}
    )
    assert page.status_code == 200
    return re.search(r"kpv_[A-Za-z0-9_\-]+", page.content.decode()).group(0)


def test_referral_to_gym_to_attendance_to_report_to_claim_to_payment_and_contract(cast):
    today = timezone.localdate()
    month = claim_month()
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    programme = provider_programme(cast)
    staff = staff_user("gym@fjordvik.test")
    provider, terms = contracted_gym(cast, "Fjordvik Treningssenter", staff=staff)
    services.site_create(
        by=cast.coordinator_a,
        provider=provider,
        data={
            "name": "Sentrum",
            "street_address": "Storgata 12",
            "postcode": "6800",
            "post_town": "Fjordvik",
            "opening_hours": "Mon–Fri 06–22",
            "accessibility": "Step-free entrance, lift",
        },
    )
    trainer = certified(cast, provider)
    for measure, target in REQUIREMENTS.items():
        contracts.requirement_add(
            by=cast.coordinator_a,
            terms=terms,
            measure=measure,
            target=Decimal(target),
            period_months=1,
        )
    coordinator = signed_in(cast.coordinator_a)
    gym_staff = signed_in(staff)

    # The referral's course (consent to share with the referrer and the gym) is placed with the
    # gym by the coordinator, and the gym accepts it in the API.
    episode = provider_course(cast, programme, provider, first_name="Astrid")
    placed = _json(
        coordinator,
        "/api/v1/placements/",
        {
            "episode": episode.pk,
            "provider": provider.pk,
            "trainer": trainer.pk,
            "activity": "Styrketrening med instruktør to ganger i uka",
            "starts_on": f"{today - dt.timedelta(weeks=12)}",
            "ends_on": f"{today + dt.timedelta(weeks=8)}",
        },
    )
    assert placed.status_code == 201, placed.content
    placement = placed.json()
    answered = _json(
        gym_staff,
        f"/api/v1/placements/{placement['id']}/answer/",
        {"accept": True, "version": placement["version"]},
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "accepted"
    benefit_verify(
        referral=episode.referral,
        by=cast.coordinator_a,
        benefit="aap",
        verified_on=today - dt.timedelta(weeks=13),
    )

    # Attendance (1): the gym's system, one check-in at a time, idempotent by its own id.
    key = _key_from_page(coordinator, provider.pk)
    system = Client(HTTP_AUTHORIZATION=f"Provider {key}")
    api_days = [month + dt.timedelta(days=d) for d in (0, 3, 7, 10)]
    for n, day in enumerate(api_days):
        body = {
            "visit_id": f"CHK-{n}",
            "placement": placement["id"],
            "date": f"{day}",
            "minutes": 60,
        }
        assert _json(system, "/api/v1/provider/visits/", body).status_code == 201
    again = {
        "visit_id": "CHK-0",
        "placement": placement["id"],
        "date": f"{api_days[0]}",
        "minutes": 60,
    }
    assert _json(system, "/api/v1/provider/visits/", again).status_code == 200
    # A check-in outside the placement's period is refused with the reason, not dropped.
    early = dict(again, visit_id="CHK-X", date=f"{today - dt.timedelta(weeks=20)}")
    refused = _json(system, "/api/v1/provider/visits/", early)
    assert refused.status_code == 400 and refused.json()
    # Another gym's key cannot write for this course: 404.
    other = gym(cast, "Sprek Fjordvik", orgnr=ORGNR[1])
    _token, other_key = services.token_issue(by=cast.coordinator_a, provider=other, name="X")
    foreign = Client(HTTP_AUTHORIZATION=f"Provider {other_key}")
    assert (
        _json(foreign, "/api/v1/provider/visits/", dict(again, visit_id="S-1")).status_code == 404
    )

    # Attendance (2): a file, checked whole first — a bad row saves nothing; then the good file.
    csv_days = [month + dt.timedelta(days=d) for d in (14, 17, 21)]
    rows = [f"F-{n};{placement['id']};{day:%d.%m.%Y};55" for n, day in enumerate(csv_days)]
    bad = "\n".join(["visit_id;placement;date;minutes", *rows, f"F-9;{placement['id']};i går;55"])
    rejected = _json(system, "/api/v1/provider/visits/import", {"csv": bad})
    assert rejected.status_code == 400
    assert [e["row"] for e in rejected.json()["errors"]] == [5]
    assert ProviderVisit.objects.filter(source="csv").count() == 0
    good = "\n".join(["visit_id;placement;date;minutes", *rows])
    imported = _json(system, "/api/v1/provider/visits/import", {"csv": good})
    assert imported.status_code == 200, imported.content
    assert (imported.json()["created"], imported.json()["already"]) == (3, 0)

    # The referrer's report counts the visits the gym confirmed, minutes included.
    referrer = signed_in(cast.referrer_a)
    report = referrer.get(f"/api/v1/episodes/{episode.pk}/report/")
    assert report.status_code == 200
    body = report.json()
    assert (body["provider_visits"], body["sessions_held"]) == (7, 7)
    assert body["minutes_total"] == 4 * 60 + 3 * 55

    # The course ended yesterday, so the attendance requirement can judge its placement.
    episodes.episode_end(
        episode=episode,
        by=cast.coordinator_a,
        ended_on=today - dt.timedelta(days=1),
        end_reason="goal_reached",
    )

    # The month's claim: built and submitted by the gym, approved by the municipality in bulk
    # with the totals it saw, exported as the payment file.
    built = _json(
        gym_staff,
        "/api/v1/reimbursement-claims/build/",
        {"contract": terms.pk, "month": f"{month}"},
    )
    assert built.status_code == 200, built.content
    claim = built.json()["claim"]
    assert len(claim["lines"]) == 7 and built.json()["skipped"] == []
    assert sum(Decimal(ln["amount"]) for ln in claim["lines"]) == Decimal("1050.00")
    submitted = _json(
        gym_staff,
        f"/api/v1/reimbursement-claims/{claim['id']}/submit/",
        {"version": claim["version"]},
    )
    assert submitted.status_code == 200, submitted.content
    claim = submitted.json()
    # The gym cannot approve its own claim.
    assert (
        _json(
            gym_staff,
            f"/api/v1/reimbursement-claims/{claim['id']}/approve/",
            {"version": claim["version"]},
        ).status_code
        == 403
    )
    approved = _json(
        coordinator,
        f"/api/v1/reimbursement-claims/{claim['id']}/approve-all/",
        {"version": claim["version"], "expected_lines": 7, "expected_amount": "1050.00"},
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_amount"] == "1050.00"
    listed = coordinator.get(reverse("web:claim_list"), {"month": f"{month:%Y-%m}"})
    assert reverse("web:claim_detail", args=[claim["id"]]) in listed.content.decode()
    exported = coordinator.get(
        "/api/v1/reimbursement-claims/payment-file/", {"month": f"{month:%Y-%m}"}
    )
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == 7
    assert {r["provider"] for r in table} == {"Fjordvik Treningssenter"}
    assert {r["course_id"] for r in table} == {str(episode.pk)}
    assert sum(Decimal(r["amount"].replace(",", ".")) for r in table) == Decimal("1050.00")
    assert all(month <= dt.date.fromisoformat(r["date"]) <= month_end for r in table)

    # The contract follow-up: every requirement met or not in one of its months.
    follow_up = coordinator.get(f"/api/v1/concession-contracts/{terms.pk}/follow-up/").json()
    results = {
        row["requirement"]["measure"]: {p["result"] for p in row["periods"]} for row in follow_up
    }
    assert set(results) == set(REQUIREMENTS)
    assert "met" in results["certified_trainer"]  # every visit led by the certified trainer
    assert "met" in results["sites_accessible"]  # the one site describes its access
    assert "not_met" in results["plan_within_14_days"]  # no goal written within 2 weeks
    assert "not_met" in results["attendance_75"]  # 7 of about 24 planned sessions
    page = coordinator.get(reverse("web:contract_detail", args=[terms.pk])).content.decode()
    assert "Met" in page and "Not met" in page
