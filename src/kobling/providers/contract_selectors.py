"""Reading concession contracts: the facts of one contract loaded into plain rows for
:mod:`kobling.providers.contract_calc` (a fixed number of queries, however many placements and
visits), the follow-up of every requirement per measurement period, and a claim's candidate
visits and what other claims already carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kobling.lib.money import ZERO
from kobling.outcomes.models import FollowUp
from kobling.providers import contract_calc as calc
from kobling.providers.choices import ClaimStatus, LineDecision, PlacementStatus, RequirementResult
from kobling.providers.models import (
    ClaimLine,
    ConcessionTerms,
    ContractRequirement,
    Placement,
    ProviderSite,
    ProviderVisit,
    ReimbursementClaim,
    TrainerCertificate,
)
from kobling.providers.services import settings_for
from kobling.referrals.models import BenefitCheck

# Placements that count for a contract: accepted, or accepted once and ended with the course
# (a placement that was declined or withdrawn before an answer never ran).
RAN = (PlacementStatus.ACCEPTED,)
ZERO_AMOUNT = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))


def _contract_placements(terms: ConcessionTerms) -> Any:
    """The provider's placements whose period overlaps the contract's."""
    agreement = terms.agreement
    qs = Placement.objects.filter(provider_id=terms.provider_id, ends_on__gte=agreement.starts_on)
    if agreement.ends_on:
        qs = qs.filter(starts_on__lte=agreement.ends_on)
    return qs


def contract_facts(terms: ConcessionTerms) -> calc.Facts:
    """Everything the measures read for one contract, in six queries."""
    placements = list(
        _contract_placements(terms)
        .values(
            "pk",
            "episode_id",
            "placed_at",
            "starts_on",
            "ends_on",
            "answer_by",
            "answered_at",
            "status",
            "trainer_id",
            "episode__programme_id",
        )
        .annotate(first_goal=Min("episode__goals__created_at"))
    )
    ids = [p["pk"] for p in placements]
    trainer_of = {p["pk"]: p["trainer_id"] for p in placements}
    local = timezone.localdate
    placement_facts = tuple(
        calc.PlacementFact(
            id=p["pk"],
            episode_id=p["episode_id"],
            placed_on=local(p["placed_at"]),
            starts_on=p["starts_on"],
            ends_on=p["ends_on"],
            answer_by=p["answer_by"],
            answered_on=local(p["answered_at"]) if p["answered_at"] else None,
            accepted=p["status"] in RAN,
            first_goal_on=local(p["first_goal"]) if p["first_goal"] else None,
        )
        for p in placements
    )
    visits = tuple(
        calc.VisitFact(
            placement_id=v["placement_id"],
            day=v["visited_on"],
            attended=v["attended"],
            trainer_id=v["trainer_id"] or trainer_of.get(v["placement_id"]),
        )
        for v in ProviderVisit.objects.current()
        .filter(placement_id__in=ids)
        .values("placement_id", "visited_on", "attended", "trainer_id")
    )
    certificates = tuple(
        calc.CertificateFact(c["trainer_id"], c["kind"], c["valid_from"], c["expires_on"])
        for c in TrainerCertificate.objects.filter(trainer__provider_id=terms.provider_id).values(
            "trainer_id", "kind", "valid_from", "expires_on"
        )
    )
    sites = tuple(
        calc.SiteFact(s["is_active"], bool((s["accessibility"] or "").strip()))
        for s in ProviderSite.objects.filter(provider_id=terms.provider_id).values(
            "is_active", "accessibility"
        )
    )
    follow_ups = tuple(
        calc.FollowUpFact(f["episode_id"], f["months"], local(f["answered_at"]), f["still_active"])
        for f in FollowUp.objects.filter(
            episode_id__in={p["episode_id"] for p in placements},
            answered_at__isnull=False,
            still_active__isnull=False,
        ).values("episode_id", "months", "answered_at", "still_active")
    )
    programmes = {p["episode__programme_id"] for p in placements}
    kinds: set[str] = set()
    for programme_id in programmes:
        kinds.update(settings_for(programme_id)[1])
    return calc.Facts(
        placements=placement_facts,
        visits=visits,
        certificates=certificates,
        sites=sites,
        follow_ups=follow_ups,
        required_kinds=frozenset(kinds),
        sessions_per_week=terms.sessions_per_week,
    )


@dataclass(frozen=True)
class PeriodResult:
    start: dt.date
    end: dt.date
    partial: bool  # the period is not over yet
    judged: calc.Judged

    @property
    def result_label(self) -> str:
        return str(RequirementResult(self.judged.result).label)


@dataclass(frozen=True)
class RequirementFollowUp:
    requirement: ContractRequirement
    periods: list[PeriodResult]

    @property
    def latest(self) -> PeriodResult | None:
        """The last period that is over (else the current one)."""
        done = [p for p in self.periods if not p.partial]
        return done[-1] if done else (self.periods[-1] if self.periods else None)


def contract_follow_up(
    terms: ConcessionTerms, *, outside: bool = False, today: dt.date | None = None
) -> list[RequirementFollowUp]:
    """Every requirement of the contract with its measured value, target and result per
    measurement period, from the contract's start up to today. ``outside``: the figures leave
    the municipality (the PDF for the contract meeting), so the small-cell rule applies."""
    today = today or timezone.localdate()
    requirements = list(terms.requirements.all())
    if not requirements:
        return []
    facts = contract_facts(terms)
    agreement = terms.agreement
    result = []
    for requirement in requirements:
        rows = []
        for start, end in calc.periods(
            agreement.starts_on, agreement.ends_on, requirement.period_months, today
        ):
            measured = calc.measure(requirement.measure, facts, start, end, today)
            judged = calc.judge(requirement.measure, measured, requirement.target, outside=outside)
            rows.append(PeriodResult(start, end, end >= today, judged))
        result.append(RequirementFollowUp(requirement, rows))
    return result


def contracts_for(user: Any) -> Any:
    return (
        ConcessionTerms.objects.visible_to(user, "view")
        .select_related("agreement", "provider", "municipality")
        .order_by("provider__name", "-agreement__starts_on", "pk")
    )


def requirements_of(terms: ConcessionTerms) -> list[ContractRequirement]:
    return list(ContractRequirement.objects.filter(terms=terms))


# --- claims ---------------------------------------------------------------------------------


def eligible_days(episode_ids: set[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Per course, the spans in which its person's benefit group was verified and valid (Aktiv på
    dagtid: ``referrals.BenefitCheck``, from the day verified to the day it must be checked
    again)."""
    spans: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for row in BenefitCheck.objects.filter(referral__episode__in=episode_ids).values(
        "referral__episode", "verified_on", "valid_until"
    ):
        spans.setdefault(row["referral__episode"], []).append(
            (row["verified_on"], row["valid_until"])
        )
    return spans


def claim_candidates(terms: ConcessionTerms, month_end: dt.date) -> list[calc.ClaimVisit]:
    """The standing, attended visits under the contract up to ``month_end`` that no claim line
    carries yet, each with whether the person was eligible on the day (two queries)."""
    agreement = terms.agreement
    visits = list(
        ProviderVisit.objects.current()
        .filter(
            provider_id=terms.provider_id,
            attended=True,
            visited_on__gte=agreement.starts_on,
            visited_on__lte=min(month_end, agreement.ends_on or month_end),
            claim_lines__isnull=True,
        )
        .values("pk", "placement_id", "episode_id", "visited_on")
    )
    spans = eligible_days({v["episode_id"] for v in visits})
    return [
        calc.ClaimVisit(
            visit_id=v["pk"],
            placement_id=v["placement_id"],
            episode_id=v["episode_id"],
            day=v["visited_on"],
            eligible=any(a <= v["visited_on"] <= b for a, b in spans.get(v["episode_id"], [])),
        )
        for v in visits
    ]


def claimed_before(terms: ConcessionTerms, *, exclude_claim: int | None) -> list[calc.Paid]:
    """What the contract's other claims carry (lines not rejected), per person and period."""
    rows = (
        ClaimLine.objects.filter(claim__terms=terms)
        .exclude(decision=LineDecision.REJECTED)
        .exclude(claim_id=exclude_claim)
        .values("placement_id", "day", "amount", "adjusts__day", "adjusts__placement_id")
    )
    start, months = terms.agreement.starts_on, terms.period_months
    paid = []
    for r in rows:
        day = r["day"] or r["adjusts__day"]
        if day is None:
            continue
        placement = r["placement_id"] or r["adjusts__placement_id"]
        paid.append(calc.Paid(placement, calc.period_index(start, months, day), r["amount"]))
    return paid


def lines_to_reverse(terms: ConcessionTerms) -> list[ClaimLine]:
    """Lines of approved claims whose visit no longer stands (corrected or withdrawn since) and
    that no adjustment has reversed yet."""
    return list(
        ClaimLine.objects.filter(
            claim__terms=terms,
            claim__status=ClaimStatus.APPROVED,
            decision=LineDecision.APPROVED,
            visit__superseded_by__isnull=False,
            adjusts__isnull=True,
            adjustments__isnull=True,
        ).select_related("visit")
    )


@dataclass(frozen=True)
class ClaimTotals:
    lines: int
    pending: int
    pending_amount: Decimal
    approved_amount: Decimal
    rejected: int
    claimed_amount: Decimal


def claim_totals(lines: list[ClaimLine]) -> ClaimTotals:
    pending = [ln for ln in lines if ln.decision == LineDecision.PENDING]
    approved = [ln for ln in lines if ln.decision == LineDecision.APPROVED]
    return ClaimTotals(
        lines=len(lines),
        pending=len(pending),
        pending_amount=calc.total(ln.amount for ln in pending),
        approved_amount=calc.total(ln.amount for ln in approved),
        rejected=sum(1 for ln in lines if ln.decision == LineDecision.REJECTED),
        claimed_amount=calc.total(ln.amount for ln in lines),
    )


def claim_lines_of(claim: ReimbursementClaim) -> list[ClaimLine]:
    return list(claim.lines.select_related("episode__participant", "adjusts").order_by("day", "pk"))


def claims_for(user: Any) -> Any:
    return (
        ReimbursementClaim.objects.visible_to(user, "view")
        .select_related("provider", "terms__agreement")
        .order_by("-month", "provider__name", "pk")
    )


def _line_sums(prefix: str = "") -> dict[str, Any]:
    amount = f"{prefix}amount"
    decision = f"{prefix}decision"
    return {
        "claimed_amount": Coalesce(Sum(amount), ZERO_AMOUNT),
        "approved_amount": Coalesce(
            Sum(amount, filter=Q(**{decision: LineDecision.APPROVED})), ZERO_AMOUNT
        ),
        "pending_amount": Coalesce(
            Sum(amount, filter=Q(**{decision: LineDecision.PENDING})), ZERO_AMOUNT
        ),
        "line_count": Count(amount),
        "pending_lines": Count(amount, filter=Q(**{decision: LineDecision.PENDING})),
    }


def claim_list_queryset(queryset: Any) -> Any:
    """Claims with their totals (claimed, approved, not decided) in the one query of the list."""
    return (
        queryset.select_related("provider", "municipality")
        .annotate(**_line_sums("lines__"))
        .order_by("-month", "provider__name", "pk")
    )


def claims_totals(queryset: Any) -> dict[str, Any]:
    """The totals of every claim the (filtered) list shows, in one query."""
    totals = ClaimLine.objects.filter(claim__in=queryset.order_by().values("pk")).aggregate(
        **_line_sums()
    )
    totals["claims"] = queryset.order_by().count()
    return totals


def approved_claim_amounts(episode_ids: set[int]) -> dict[int, Decimal]:
    """Per course, the approved amounts of approved claims (for the cost module)."""
    totals: dict[int, Decimal] = {}
    for row in ClaimLine.objects.filter(
        Q(episode_id__in=episode_ids) | Q(adjusts__episode_id__in=episode_ids),
        claim__status=ClaimStatus.APPROVED,
        decision=LineDecision.APPROVED,
    ).values("episode_id", "adjusts__episode_id", "amount"):
        episode = row["episode_id"] or row["adjusts__episode_id"]
        totals[episode] = totals.get(episode, ZERO) + row["amount"]
    return totals


def approved_claims_by_month(
    municipality_ids: set[int], first: dt.date, last: dt.date, programme_id: int | None
) -> list[tuple[int, int, Decimal]]:
    """(municipality, programme, amount) of the approved lines of approved claims for the
    months ``first``–``last`` (first days), for the cost module's period totals. A fixed fee
    names no course and so no programme: it is not counted per programme (docs/pay.md)."""
    qs = ClaimLine.objects.filter(
        municipality_id__in=municipality_ids,
        claim__status=ClaimStatus.APPROVED,
        claim__month__gte=first,
        claim__month__lte=last,
        decision=LineDecision.APPROVED,
    )
    if programme_id is not None:
        qs = qs.filter(episode__programme_id=programme_id)
    totals: dict[tuple[int, int], Decimal] = {}
    for row in qs.exclude(episode__isnull=True).values(
        "municipality_id", "episode__programme_id", "amount"
    ):
        key = (row["municipality_id"], row["episode__programme_id"])
        totals[key] = totals.get(key, ZERO) + row["amount"]
    return [(m, p, amount) for (m, p), amount in sorted(totals.items())]
