"""Writes for concession contracts and reimbursement claims: a contract's terms on a
``partners.Agreement`` of kind concession, its requirements, and the monthly claims — built by
the provider from attended visits (:func:`kobling.providers.contract_calc.claim_lines`),
submitted, approved or rejected line by line or all at once by the municipality, then frozen.
Views, the API and the demo all come here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.versions import lock_versioned as _lock
from kobling.lib.errors import ConflictError
from kobling.partners.models import Agreement
from kobling.providers import contract_calc as calc
from kobling.providers import contract_selectors as sel
from kobling.providers.choices import ClaimLineKind, ClaimStatus, LineDecision
from kobling.providers.models import (
    ActivityProvider,
    ClaimLine,
    ConcessionTerms,
    ContractRequirement,
    ReimbursementClaim,
)
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import User

TERMS_FIELDS = (
    "price_model",
    "price",
    "period_months",
    "capacity",
    "cap_per_person",
    "sessions_per_week",
)


def _manager(by: User | None, municipality_id: int) -> None:
    if by is not None and not by.is_manager_of(municipality_id):
        raise PermissionDenied(_("Only the municipality's coordinators can do this."))


def _clean(obj: Any) -> None:
    obj.full_clean()


@transaction.atomic
def terms_create(
    *, by: User | None, agreement: Agreement, provider: ActivityProvider, data: dict[str, Any]
) -> ConcessionTerms:
    """Terms for a concession agreement with the provider's partner register entry."""
    _manager(by, agreement.municipality_id)
    unknown = set(data) - set(TERMS_FIELDS)
    if unknown:
        raise ValidationError({n: _("This field cannot be set here.") for n in sorted(unknown)})
    if provider.municipality_id != agreement.municipality_id:
        raise ValidationError({"provider": _("The provider belongs to another municipality.")})
    terms = ConcessionTerms(
        agreement=agreement, provider=provider, municipality_id=agreement.municipality_id, **data
    )
    _clean(terms)
    terms.save()
    audit_log(user=by, action=AuditAction.CREATE, obj=terms, changes={"terms": str(data)})
    return terms


@transaction.atomic
def terms_update(
    *, by: User | None, terms: ConcessionTerms, data: dict[str, Any], expected_version: int | None
) -> ConcessionTerms:
    _manager(by, terms.municipality_id)
    unknown = set(data) - set(TERMS_FIELDS)
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in sorted(unknown)})
    terms = _lock(ConcessionTerms, terms, expected_version)
    before = {f: getattr(terms, f) for f in TERMS_FIELDS}
    for name, value in data.items():
        setattr(terms, name, value)
    _clean(terms)
    terms.version += 1
    terms.save()
    after = {f: getattr(terms, f) for f in TERMS_FIELDS}
    audit_log(user=by, action=AuditAction.UPDATE, obj=terms, changes=diff(before, after))
    return terms


@transaction.atomic
def requirement_add(
    *,
    by: User | None,
    terms: ConcessionTerms,
    measure: str,
    target: Decimal,
    period_months: int = 3,
    text: str = "",
) -> ContractRequirement:
    """A requirement on the contract: one of the measures, a target share and its period."""
    _manager(by, terms.municipality_id)
    requirement = ContractRequirement(
        terms=terms,
        municipality_id=terms.municipality_id,
        measure=measure,
        target=target,
        period_months=period_months,
        text=text,
        position=terms.requirements.count(),
    )
    _clean(requirement)
    requirement.save()
    audit_log(user=by, action=AuditAction.CREATE, obj=requirement, changes={"measure": measure})
    return requirement


@transaction.atomic
def requirement_remove(*, by: User | None, requirement: ContractRequirement) -> None:
    _manager(by, requirement.municipality_id)
    audit_log(user=by, action=AuditAction.DELETE, obj=requirement)
    requirement.delete()


# --- claims ---------------------------------------------------------------------------------


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _may_prepare(by: User | None, terms: ConcessionTerms) -> None:
    if by is None or terms.provider_id in by.activity_provider_ids:
        return
    if by.is_manager_of(terms.municipality_id):
        return
    raise PermissionDenied(
        _(
            "Only the provider's staff and the municipality's coordinators and administrators "
            "can prepare its claims."
        )
    )


@transaction.atomic
def claim_build(
    *, by: User | None, terms: ConcessionTerms, month: dt.date
) -> tuple[ReimbursementClaim, list[calc.Skipped]]:
    """Build (or rebuild, while it is being prepared) the claim for ``month``: a line per
    attended, eligible visit under the price model and the cap, late visits of earlier months as
    adjustment lines, and a reversal (negative adjustment) for every approved line whose visit
    was corrected away since. Returns the claim and the visits left out, with the reason."""
    _may_prepare(by, terms)
    month = first_of_month(month)
    agreement = terms.agreement
    month_end = calc.add_months(month, 1) - dt.timedelta(days=1)
    if month_end < agreement.starts_on or (agreement.ends_on and month > agreement.ends_on):
        raise ValidationError({"month": _("The month is outside the contract's period.")})
    if month > first_of_month(timezone.localdate()):
        raise ValidationError({"month": _("A month can be claimed from its first day.")})
    claim, created = ReimbursementClaim.objects.select_for_update(of=("self",)).get_or_create(
        terms=terms,
        month=month,
        defaults={
            "municipality_id": terms.municipality_id,
            "provider_id": terms.provider_id,
        },
    )
    if claim.status != ClaimStatus.OPEN:
        raise ValidationError(_("The claim is submitted; it can no longer be rebuilt."))
    claim.lines.all().delete()
    candidates = sel.claim_candidates(terms, month_end)
    paid = sel.claimed_before(terms, exclude_claim=claim.pk)
    lines, skipped = calc.claim_lines(
        calc.Terms(
            model=terms.price_model,
            price=terms.price,
            period_months=terms.period_months,
            cap_per_person=terms.cap_per_person,
            contract_start=agreement.starts_on,
        ),
        month,
        candidates,
        paid,
    )
    new = [
        ClaimLine(
            claim=claim,
            municipality_id=claim.municipality_id,
            kind=ln.kind,
            placement_id=ln.placement_id,
            episode_id=ln.episode_id,
            visit_id=ln.visit_id,
            day=ln.day,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            amount=ln.amount,
            note=ln.note,
        )
        for ln in lines
    ]
    new += [
        ClaimLine(
            claim=claim,
            municipality_id=claim.municipality_id,
            kind=ClaimLineKind.ADJUSTMENT,
            placement_id=old.placement_id,
            episode_id=old.episode_id,
            visit_id=old.visit_id,
            adjusts=old,
            day=old.day,
            quantity=old.quantity,
            unit_price=old.unit_price,
            amount=-old.amount,
            note="reversal",
        )
        for old in sel.lines_to_reverse(terms)
    ]
    ClaimLine.objects.bulk_create(new)
    claim.built_at = timezone.now()
    if not created:
        claim.version += 1
    claim.save()
    audit_log(
        user=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=claim,
        changes={"lines": len(new), "skipped": len(skipped)},
    )
    return claim, skipped


@transaction.atomic
def claim_submit(
    *, by: User | None, claim: ReimbursementClaim, expected_version: int | None
) -> ReimbursementClaim:
    """The provider's staff send the claim to the municipality. The municipality's managers may
    build a claim to help, but not submit it: a claim is submitted by one side and decided by
    the other."""
    if by is not None and claim.provider_id not in by.activity_provider_ids:
        raise PermissionDenied(_("Only the provider's staff can submit its claims."))
    claim = _lock(ReimbursementClaim, claim, expected_version)
    if claim.status != ClaimStatus.OPEN:
        raise ValidationError(_("The claim is already submitted."))
    if not claim.lines.exists():
        raise ValidationError(_("The claim has no lines to submit."))
    claim.status = ClaimStatus.SUBMITTED
    claim.submitted_at = timezone.now()
    claim.submitted_by = by
    claim.version += 1
    claim.save()
    audit_log(user=by, action=AuditAction.UPDATE, obj=claim, changes={"status": "submitted"})
    return claim


def own_claim_refusal(by: User | None, claim: ReimbursementClaim) -> str | None:
    """Why ``by`` may not decide this claim although they manage its municipality (they
    submitted it), or None."""
    if by is not None and claim.submitted_by_id == by.pk:
        return _("A claim you submitted is decided by another coordinator or administrator.")
    return None


def _for_decision(by: User | None, claim: ReimbursementClaim, expected_version: int | None) -> Any:
    _manager(by, claim.municipality_id)
    claim = _lock(ReimbursementClaim, claim, expected_version)
    refusal = own_claim_refusal(by, claim)
    if refusal:
        raise PermissionDenied(refusal)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted claim is decided."))
    return claim


@transaction.atomic
def claim_line_decide(
    *,
    by: User | None,
    line: ClaimLine,
    approve: bool,
    reason: str = "",
    expected_version: int | None,
) -> ClaimLine:
    """Approve or reject (with a reason) one line of a submitted claim. ``expected_version`` is
    the claim's: every decision moves it on, so a bulk approval based on an older view is
    refused."""
    claim = _for_decision(by, line.claim, expected_version)
    line = ClaimLine.objects.select_for_update(of=("self",)).get(pk=line.pk, claim=claim)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Give a reason for rejecting the line.")})
    line.decision = LineDecision.APPROVED if approve else LineDecision.REJECTED
    line.reason = "" if approve else reason
    line.decided_at = timezone.now()
    line.decided_by = by
    line.full_clean()
    line.save()
    claim.version += 1
    claim.save()
    audit_log(
        user=by,
        action=AuditAction.UPDATE,
        obj=claim,
        changes={"line": line.pk, "decision": line.decision, "reason": line.reason},
    )
    return line


def _approve(claim: ReimbursementClaim, by: User | None) -> ReimbursementClaim:
    claim.status = ClaimStatus.APPROVED
    claim.approved_at = timezone.now()
    claim.approved_by = by
    claim.version += 1
    claim.save()
    return claim


@transaction.atomic
def claim_approve(
    *, by: User | None, claim: ReimbursementClaim, expected_version: int | None
) -> ReimbursementClaim:
    """Approve a claim whose every line is decided: it and its lines freeze."""
    claim = _for_decision(by, claim, expected_version)
    if claim.lines.filter(decision=LineDecision.PENDING).exists():
        raise ValidationError(_("Decide every line first, or approve the rest all at once."))
    claim = _approve(claim, by)
    audit_log(user=by, action=AuditAction.UPDATE, obj=claim, changes={"status": "approved"})
    return claim


@transaction.atomic
def claim_approve_all(
    *,
    by: User | None,
    claim: ReimbursementClaim,
    expected_version: int | None,
    expected_lines: int,
    expected_amount: Decimal,
) -> ReimbursementClaim:
    """Approve every line not yet decided and the claim, in one go. The caller sends the count
    and the sum of the undecided lines it showed; if they changed, nothing is approved."""
    claim = _for_decision(by, claim, expected_version)
    pending = list(
        ClaimLine.objects.select_for_update(of=("self",)).filter(
            claim=claim, decision=LineDecision.PENDING
        )
    )
    amount = calc.total(ln.amount for ln in pending)
    if len(pending) != expected_lines or amount != Decimal(expected_amount):
        raise ConflictError(
            _(
                "The claim's undecided lines changed (now %(lines)s lines, NOK %(amount)s); "
                "nothing was approved. Reload and check again."
            )
            % {"lines": len(pending), "amount": amount}
        )
    now = timezone.now()
    ClaimLine.objects.filter(pk__in=[ln.pk for ln in pending]).update(
        decision=LineDecision.APPROVED, decided_at=now, decided_by=by
    )
    claim = _approve(claim, by)
    audit_log(
        user=by,
        action=AuditAction.UPDATE,
        obj=claim,
        changes={"status": "approved", "lines": len(pending), "amount": str(amount)},
    )
    return claim
