"""Reimbursement claims under a concession contract, through the real services: lines from
attended visits of eligible persons under the price model and cap, submitted by the provider,
decided line by line or all at once (refused when the totals changed), frozen when approved (in
the model and in the database), corrections as adjustment lines on a later claim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from kobling.lib.errors import ConflictError
from kobling.providers import contract_selectors as sel
from kobling.providers import contract_services as contracts
from kobling.providers import services
from kobling.providers.models import ClaimLine
from tests.conftest import signed_in
from tests.providers.builders import provider_programme, staff_user
from tests.providers.contract_builders import claim_month, contracted_gym, eligible_course, visits

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(cast):
    programme = provider_programme(cast)
    staff = staff_user("gym@a.test")
    provider, terms = contracted_gym(cast, staff=staff, cap_per_person=Decimal("400"))
    month = claim_month()
    siri = eligible_course(cast, programme, provider, first_name="Siri")
    ola = eligible_course(cast, programme, provider, first_name="Ola", verified=False)
    return provider, terms, month, siri, ola, staff


def test_a_claim_has_a_line_per_attended_eligible_visit_up_to_the_cap(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    visits(siri, [0, 2, 4], month)
    visits(ola, [1], month)
    claim, skipped = contracts.claim_build(by=staff, terms=terms, month=month)
    lines = sel.claim_lines_of(claim)
    # 150 + 150 + 100 (the cap of 400 a month) for Siri; Ola's benefit is not verified.
    assert [ln.amount for ln in lines] == [Decimal("150.00"), Decimal("150.00"), Decimal("100.00")]
    assert {ln.episode_id for ln in lines} == {siri.episode_id}
    assert sorted(s.reason for s in skipped) == ["not_eligible"]
    # Building again gives the same, never twice.
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    assert claim.lines.count() == 3


def test_only_the_providers_staff_or_the_municipality_build_and_submit(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    other = staff_user("other@a.test")
    with pytest.raises(PermissionDenied):
        contracts.claim_build(by=other, terms=terms, month=month)
    with pytest.raises(PermissionDenied):
        contracts.claim_build(by=cast.coordinator_b, terms=terms, month=month)


def test_the_municipality_may_build_but_only_the_providers_staff_submit(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    visits(siri, [0], month)
    claim, _ = contracts.claim_build(by=cast.coordinator_a, terms=terms, month=month)
    with pytest.raises(PermissionDenied):
        contracts.claim_submit(by=cast.coordinator_a, claim=claim, expected_version=claim.version)
    assert contracts.claim_submit(by=staff, claim=claim, expected_version=claim.version).status


def test_the_one_who_submitted_a_claim_does_not_decide_it(cast, setup, api):
    """A coordinator who also works for the gym submits its claim: another coordinator or an
    administrator decides it, in the service, the API and on the page."""
    provider, terms, month, siri, ola, staff = setup
    services.staff_add(by=None, provider=provider, user=cast.coordinator_a)
    both = type(cast.coordinator_a).objects.get(pk=cast.coordinator_a.pk)
    visits(siri, [0, 2], month)
    claim, _ = contracts.claim_build(by=both, terms=terms, month=month)
    claim = contracts.claim_submit(by=both, claim=claim, expected_version=claim.version)
    first = sel.claim_lines_of(claim)[0]
    for decide in (
        lambda: contracts.claim_line_decide(
            by=both, line=first, approve=True, expected_version=claim.version
        ),
        lambda: contracts.claim_approve_all(
            by=both,
            claim=claim,
            expected_version=claim.version,
            expected_lines=2,
            expected_amount=Decimal("300"),
        ),
    ):
        with pytest.raises(PermissionDenied):
            decide()
    url = f"/api/v1/reimbursement-claims/{claim.pk}/approve-all/"
    body = {"version": claim.version, "expected_lines": 2, "expected_amount": "300.00"}
    refused = api(both).post(url, body, format="json")
    assert refused.status_code == 403 and "another coordinator" in refused.json()["detail"]
    page = signed_in(both).get(reverse("web:claim_detail", args=[claim.pk])).content.decode()
    assert "decided by another coordinator" in page
    assert reverse("web:claim_approve", args=[claim.pk]) not in page
    claim.refresh_from_db()
    assert claim.status == "submitted" and not claim.lines.exclude(decision="pending").exists()

    other = signed_in(cast.admin_a).get(reverse("web:claim_detail", args=[claim.pk]))
    assert reverse("web:claim_approve", args=[claim.pk]) in other.content.decode()
    assert api(cast.admin_a).post(url, body, format="json").status_code == 200
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.approved_by == cast.admin_a


def test_decided_line_by_line_then_approved_and_frozen(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    visits(siri, [0, 2], month)
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    with pytest.raises(ValidationError):  # not submitted yet
        contracts.claim_line_decide(
            by=cast.coordinator_a,
            line=claim.lines.first(),
            approve=True,
            expected_version=claim.version,
        )
    claim = contracts.claim_submit(by=staff, claim=claim, expected_version=claim.version)
    first, second = sel.claim_lines_of(claim)
    with pytest.raises(PermissionDenied):
        contracts.claim_line_decide(
            by=staff, line=first, approve=True, expected_version=claim.version
        )
    with pytest.raises(ValidationError) as err:
        contracts.claim_line_decide(
            by=cast.coordinator_a, line=first, approve=False, expected_version=claim.version
        )
    assert "reason" in err.value.message_dict
    contracts.claim_line_decide(
        by=cast.coordinator_a,
        line=first,
        approve=False,
        reason="Ikke møtt ifølge deltakeren",
        expected_version=claim.version,
    )
    claim.refresh_from_db()
    with pytest.raises(ValidationError):
        contracts.claim_approve(by=cast.coordinator_a, claim=claim, expected_version=claim.version)
    contracts.claim_line_decide(
        by=cast.coordinator_a, line=second, approve=True, expected_version=claim.version
    )
    claim.refresh_from_db()
    claim = contracts.claim_approve(
        by=cast.coordinator_a, claim=claim, expected_version=claim.version
    )
    totals = sel.claim_totals(sel.claim_lines_of(claim))
    assert (totals.approved_amount, totals.rejected) == (Decimal("150.00"), 1)
    # Frozen: the model refuses, and so does the database by any other path.
    with pytest.raises(ValidationError):
        claim.save()
    line = claim.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.filter(pk=line.pk).update(amount=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM providers_reimbursementclaim WHERE id = %s", [claim.pk])


def test_approve_all_is_refused_when_the_undecided_lines_changed(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    visits(siri, [0, 2], month)
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    claim = contracts.claim_submit(by=staff, claim=claim, expected_version=claim.version)
    with pytest.raises(ConflictError):
        contracts.claim_approve_all(
            by=cast.coordinator_a,
            claim=claim,
            expected_version=claim.version,
            expected_lines=2,
            expected_amount=Decimal("150.00"),
        )
    assert not claim.lines.filter(decision="approved").exists()
    stale = claim.version
    first = claim.lines.first()
    contracts.claim_line_decide(
        by=cast.coordinator_a, line=first, approve=True, expected_version=claim.version
    )
    with pytest.raises(ConflictError):  # the version moved on with the decision
        contracts.claim_approve_all(
            by=cast.coordinator_a,
            claim=claim,
            expected_version=stale,
            expected_lines=2,
            expected_amount=Decimal("300.00"),
        )
    claim.refresh_from_db()
    claim = contracts.claim_approve_all(
        by=cast.coordinator_a,
        claim=claim,
        expected_version=claim.version,
        expected_lines=1,
        expected_amount=Decimal("150.00"),
    )
    assert claim.status == "approved"
    assert sel.approved_claim_amounts({siri.episode_id}) == {siri.episode_id: Decimal("300.00")}


def test_the_cost_module_counts_approved_claims_under_the_course_and_the_participant(cast, setup):
    from kobling.pay import costs

    provider, terms, month, siri, ola, staff = setup
    visits(siri, [0, 2], month)
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    claim = contracts.claim_submit(by=staff, claim=claim, expected_version=claim.version)
    # Submitted is not approved: nothing counted yet.
    assert costs.course_costs([siri.episode_id])[siri.episode_id].total == Decimal(0)
    contracts.claim_approve_all(
        by=cast.coordinator_a,
        claim=claim,
        expected_version=claim.version,
        expected_lines=2,
        expected_amount=Decimal("300.00"),
    )
    course = costs.course_costs([siri.episode_id])[siri.episode_id]
    assert (course.providers, course.total, course.basis) == (
        Decimal("300.00"),
        Decimal("300.00"),
        "approved",
    )
    person = siri.episode.participant_id
    assert costs.participant_costs([person])[person].providers == Decimal("300.00")
    totals = costs.period_costs(municipality_ids=[cast.a.pk], start=month, end=month)
    assert sum(t.cost.providers for t in totals) == Decimal("300.00")


def test_a_correction_after_approval_becomes_adjustment_lines_on_the_next_claim(cast, setup):
    provider, terms, month, siri, ola, staff = setup
    first, second = visits(siri, [0, 2], month)
    claim, _ = contracts.claim_build(by=staff, terms=terms, month=month)
    claim = contracts.claim_submit(by=staff, claim=claim, expected_version=claim.version)
    contracts.claim_approve_all(
        by=cast.coordinator_a,
        claim=claim,
        expected_version=claim.version,
        expected_lines=2,
        expected_amount=Decimal("300.00"),
    )
    # The provider corrects the second visit: the person did not come.
    services.visit_correct(
        visit=second, by=None, attended=False, reason="Registrert på feil person"
    )
    next_month = (month + dt.timedelta(days=40)).replace(day=1)
    later, _ = contracts.claim_build(by=staff, terms=terms, month=next_month)
    adjustments = [(ln.kind, ln.amount, ln.note) for ln in sel.claim_lines_of(later)]
    assert adjustments == [("adjustment", Decimal("-150.00"), "reversal")]
