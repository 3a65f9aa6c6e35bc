"""Writes for matching: the municipality's weights, the coordinator's locks and forbids, running
the engine over waiting participants and storing its proposals, and rejecting a proposal.
Confirming a proposal creates a pairing: see :func:`kobling.followup.services.pairing_confirm`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.helpers.models import Helper
from kobling.lib.errors import ConflictError
from kobling.matching.choices import PairRuleKind, ProposalStatus, RunStatus
from kobling.matching.engine.types import (
    FACTORS,
    ContactSpec,
    MatchResult,
    ParticipantSpec,
    Unmatched,
    Weights,
)
from kobling.matching.engine.types import Proposal as EngineProposal
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.matching.selectors import (
    constraints_for,
    contact_spec,
    eligible_contacts,
    participant_spec,
    waiting_referrals,
    window_overlaps,
)
from kobling.referrals.choices import ReferralStatus
from kobling.referrals.models import Referral
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme, User

WEIGHT_FIELDS: tuple[str, ...] = FACTORS
MAX_WEIGHT = Decimal("10")


# --- weights ---------------------------------------------------------------------------------


def matching_weights_for(*, municipality: Municipality) -> MatchingWeights:
    """The municipality's weights, created with the defaults on first use."""
    weights, _created = MatchingWeights.objects.get_or_create(municipality=municipality)
    return weights


# The stored field holds up to 999.99; the highest possible score is far lower anyway.
MAX_MIN_SCORE = Decimal("999.99")


def weights_problems(
    values: Mapping[str, Any], *, current: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Why these weights cannot be used (field → message); empty when they can. Each weight is
    a number from 0 to 10, and — together with the ``current`` weights they change — at least one
    must be above zero. ``min_score`` is a number, not negative."""
    problems: dict[str, str] = {}
    for name in sorted(set(values) - set(WEIGHT_FIELDS) - {"min_score"}):
        problems[name] = _("Unknown weight.")
    parsed: dict[str, Decimal] = {}
    for name in (*WEIGHT_FIELDS, "min_score"):
        if name not in values:
            continue
        raw = values[name]
        try:
            if isinstance(raw, bool) or raw is None or raw == "":
                raise InvalidOperation
            number = Decimal(str(raw))
            if not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            problems[name] = _("Give a number.")
            continue
        if number < 0:
            problems[name] = (
                _("The lowest acceptable score cannot be negative.")
                if name == "min_score"
                else _("A weight cannot be negative.")
            )
        elif name != "min_score" and number > MAX_WEIGHT:
            problems[name] = _("A weight can be at most %(max)s.") % {"max": MAX_WEIGHT}
        elif name == "min_score" and number > MAX_MIN_SCORE:
            problems[name] = _("The lowest acceptable score can be at most %(max)s.") % {
                "max": MAX_MIN_SCORE
            }
        else:
            parsed[name] = number
    if not problems:
        merged = {name: Decimal(str((current or {}).get(name, 0))) for name in WEIGHT_FIELDS}
        merged.update({k: v for k, v in parsed.items() if k in WEIGHT_FIELDS})
        if all(v == 0 for v in merged.values()):
            problems["non_field_errors"] = _("At least one weight must be above zero.")
    return problems


def _current(weights: MatchingWeights) -> dict[str, Decimal]:
    return {name: getattr(weights, name) for name in (*WEIGHT_FIELDS, "min_score")}


def matching_weights_update(
    *, municipality: Municipality, by: User | None, data: Mapping[str, Any]
) -> MatchingWeights:
    """Change the municipality's weights (any subset of the factors and ``min_score``). Weights
    are 0–10, never negative, and never all zero; on error nothing is saved."""
    with transaction.atomic():
        matching_weights_for(municipality=municipality)
        weights = MatchingWeights.objects.select_for_update().get(municipality=municipality)
        before = _current(weights)
        problems = weights_problems(data, current=before)
        if problems:
            raise ValidationError(problems)
        for name, value in data.items():
            setattr(weights, name, Decimal(str(value)))
        weights.full_clean()
        weights.save()
        after = _current(weights)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=weights,
            municipality_id=municipality.pk,
            changes=diff(before, after),
        )
    return weights


def weights_as_engine(
    weights: MatchingWeights, override: Mapping[str, Any] | None = None
) -> dict[str, float]:
    values = {name: float(getattr(weights, name)) for name in WEIGHT_FIELDS}
    for name, value in (override or {}).items():
        if name in WEIGHT_FIELDS:
            values[name] = float(value)
    return values


# --- locks and forbids -----------------------------------------------------------------------


def pair_rule_create(*, by: User | None, referral: Referral, helper: Helper, kind: str) -> PairRule:
    """Lock (always this pair) or forbid (never this pair). Every later run uses the rule until
    it is removed. Locking a participant to another contact replaces the earlier lock; a rule
    for the same pair changes kind."""
    if kind not in PairRuleKind.values:
        raise ValidationError({"kind": _("Choose lock or forbid.")})
    if (
        helper.municipality_id != referral.municipality_id
        or helper.programme_id != referral.programme_id
    ):
        raise ValidationError({"helper": _("The contact is not in the participant's programme.")})
    if referral.status != ReferralStatus.WAITING:
        raise ValidationError(
            {"referral": _("Rules can only be set for participants waiting for a contact.")}
        )
    with transaction.atomic():
        existing = (
            PairRule.objects.select_for_update().filter(referral=referral, helper=helper).first()
        )
        if existing is not None and existing.kind == kind:
            return existing
        if kind == PairRuleKind.LOCK:
            for old in (
                PairRule.objects.select_for_update()
                .filter(referral=referral, kind=PairRuleKind.LOCK)
                .exclude(helper=helper)
            ):
                audit_log(
                    user=by,
                    action=AuditAction.DELETE,
                    obj=old,
                    changes={"replaced_by_helper": helper.pk},
                )
                old.delete()
        if existing is not None:
            before = existing.kind
            existing.kind = kind
            existing.created_by = by if by is not None and by.is_authenticated else None
            existing.save(update_fields=["kind", "created_by"])
            audit_log(
                user=by, action=AuditAction.UPDATE, obj=existing, changes={"kind": [before, kind]}
            )
            return existing
        rule = PairRule(
            municipality_id=referral.municipality_id,
            referral=referral,
            helper=helper,
            kind=kind,
            created_by=by if by is not None and by.is_authenticated else None,
        )
        rule.full_clean(exclude=["created_by"])
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise ConflictError(
                _("Someone else set a rule for this pair at the same time. Reload and try again.")
            ) from None
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=rule,
            changes={"kind": kind, "referral": referral.pk, "helper": helper.pk},
        )
    return rule


def pair_rule_delete(*, rule: PairRule, by: User | None) -> None:
    """Remove a lock or forbid; later runs no longer use it."""
    with transaction.atomic():
        audit_log(
            user=by,
            action=AuditAction.DELETE,
            obj=rule,
            changes={"kind": rule.kind, "referral": rule.referral_id, "helper": rule.helper_id},
        )
        rule.delete()


# --- runs ------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Engine details as JSON: sets and tuples become (sorted) lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [_jsonable(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _factors_json(
    proposal: EngineProposal, participant: ParticipantSpec, contact: ContactSpec
) -> list[dict[str, Any]]:
    """A proposal's factors as stored: the engine's numbers, reason code and details — plus,
    for times that overlap, which weekly windows they share, so the page can say "Tuesday
    17–19" as the run saw it."""
    rows = []
    for f in proposal.factors:
        details = _jsonable(f.details) or {}
        if f.factor == "availability" and isinstance(details, dict) and "overlaps" not in details:
            overlaps = window_overlaps(participant.windows, contact.windows)
            if overlaps:
                details["overlaps"] = overlaps
        rows.append(
            {
                "factor": f.factor,
                "value": float(f.value),
                "weight": float(f.weight),
                "contribution": float(f.contribution),
                "reason": f.reason,
                "details": details,
            }
        )
    return rows


def _chosen_referrals(
    programme: Programme, referrals: Iterable[Referral | int] | None
) -> list[Referral]:
    if referrals is None:
        chosen = list(waiting_referrals(programme=programme))
        if not chosen:
            raise ValidationError(
                {"referrals": _("Nobody is waiting for a contact in this programme.")}
            )
        return chosen
    ids: list[int] = []
    for item in referrals:
        try:
            ids.append(item.pk if isinstance(item, Referral) else int(item))
        except (TypeError, ValueError):
            raise ValidationError({"referrals": _("Give referral ids.")}) from None
    if not ids:
        raise ValidationError({"referrals": _("Choose at least one participant.")})
    chosen = list(waiting_referrals(programme=programme, ids=ids))
    found = {r.pk for r in chosen}
    missing = sorted(set(ids) - found)
    if missing:
        # Name the programme's own participants who are not waiting; anything else is "not
        # found" whatever it is, so ids from elsewhere reveal nothing.
        in_programme = list(
            Referral.objects.filter(pk__in=missing, programme=programme).select_related(
                "participant"
            )
        )
        messages = [
            _("%(name)s is not waiting for a contact (%(status)s).")
            % {"name": r.participant.full_name, "status": r.get_status_display()}
            for r in in_programme
        ]
        if len(in_programme) < len(missing):
            messages.append(
                _("%(n)s of the chosen participants are not in this programme.")
                % {"n": len(missing) - len(in_programme)}
            )
        raise ValidationError({"referrals": messages})
    return chosen


def _run_engine(
    participants: list,
    contacts: list,
    weights: dict[str, float],
    constraints: Any,
    min_score: float,
) -> MatchResult:
    if not contacts:
        # Nobody to match with: no need to ask the engine.
        return MatchResult(
            proposals=(),
            unmatched=tuple(
                Unmatched(participant_id=p.id, reason="no_contacts") for p in participants
            ),
            objective=0.0,
        )
    from kobling.matching.engine import match

    return match(participants, contacts, Weights(**weights), constraints, min_score)


def matching_run_create(
    *,
    by: User | None,
    programme: Programme,
    referrals: Iterable[Referral | int] | None = None,
    weights_override: Mapping[str, Any] | None = None,
    min_score: float | Decimal | None = None,
    today: dt.date | None = None,
) -> MatchingRun:
    """Run the engine for the chosen (or all) waiting participants of ``programme`` against the
    eligible contacts, and store the run with its proposals, factor contributions and the
    participants left unmatched with the reason. Earlier open runs of the programme are
    superseded (their proposals can no longer be confirmed). Audited."""
    today = today or timezone.localdate()
    override = dict(weights_override or {})
    if min_score is not None:
        override["min_score"] = min_score
    stored = matching_weights_for(municipality=programme.municipality)
    problems = weights_problems(override, current=_current(stored))
    if problems:
        raise ValidationError(problems)
    min_score = override.pop("min_score", None)
    chosen = _chosen_referrals(programme, referrals)
    weights = weights_as_engine(stored, override)
    threshold = float(stored.min_score if min_score is None else Decimal(str(min_score)))

    contacts = list(eligible_contacts(programme=programme, today=today))
    participant_specs = [participant_spec(r) for r in chosen]
    contact_specs = [contact_spec(h, today=today) for h in contacts]
    constraints = constraints_for(
        referral_ids=[r.pk for r in chosen], helper_ids=[h.pk for h in contacts]
    )
    participants_by_id = {spec.id: spec for spec in participant_specs}
    contacts_by_id = {spec.id: spec for spec in contact_specs}
    started = time.perf_counter()
    result = _run_engine(participant_specs, contact_specs, weights, constraints, threshold)
    duration_ms = round((time.perf_counter() - started) * 1000)

    with transaction.atomic():
        # Lock the programme's open runs so two runs started together supersede in order.
        earlier = list(
            MatchingRun.objects.select_for_update()
            .filter(programme=programme, status=RunStatus.OPEN)
            .values_list("pk", flat=True)
        )
        if earlier:
            MatchingRun.objects.filter(pk__in=earlier).update(status=RunStatus.SUPERSEDED)
            Proposal.objects.filter(run__in=earlier, status=ProposalStatus.PROPOSED).update(
                status=ProposalStatus.SUPERSEDED
            )
        run = MatchingRun.objects.create(
            municipality_id=programme.municipality_id,
            programme=programme,
            created_by=by if by is not None and by.is_authenticated else None,
            weights=weights,
            min_score=Decimal(str(threshold)).quantize(Decimal("0.01")),
            contact_count=len(contacts),
            objective=float(result.objective),
            unmatched=[
                {"referral": u.participant_id, "reason": u.reason, "details": _jsonable(u.details)}
                for u in result.unmatched
            ],
            duration_ms=duration_ms,
        )
        run.referrals.set(chosen)
        Proposal.objects.bulk_create(
            [
                Proposal(
                    run=run,
                    municipality_id=programme.municipality_id,
                    referral_id=p.participant_id,
                    helper_id=p.contact_id,
                    score=float(p.score),
                    factors=_factors_json(
                        p, participants_by_id[p.participant_id], contacts_by_id[p.contact_id]
                    ),
                    locked=bool(p.locked),
                )
                for p in result.proposals
            ]
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=run,
            changes={
                "participants": [r.pk for r in chosen],
                "contacts": len(contacts),
                "proposals": len(result.proposals),
                "unmatched": len(result.unmatched),
                "weights": weights,
                "superseded_runs": earlier,
            },
        )
    return run


def lock_open_proposal(proposal: Proposal) -> Proposal:
    """The proposal under a row lock, refused (409) unless it can still be acted on."""
    locked = (
        # Only the proposal's row: the contact's places are guarded by the database's unique
        # constraints (see pairing_confirm), not by locking the contact.
        Proposal.objects.select_for_update(of=("self",))
        .select_related("run", "referral__participant", "helper")
        .get(pk=proposal.pk)
    )
    if locked.run.status != RunStatus.OPEN:
        raise ConflictError(
            _("This run has been superseded by a newer run; its proposals can no longer be used.")
            if locked.run.status == RunStatus.SUPERSEDED
            else _("This run is closed; its proposals can no longer be used.")
        )
    if locked.status != ProposalStatus.PROPOSED:
        raise ConflictError(
            _("This proposal has already been handled (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def proposal_reject(
    *, proposal: Proposal, by: User | None, reason: str = "", forbid: bool = False
) -> Proposal:
    """The coordinator says no to a proposed pair. With ``forbid`` the pair is also never
    proposed again. The participant keeps waiting."""
    with transaction.atomic():
        locked = lock_open_proposal(proposal)
        locked.status = ProposalStatus.REJECTED
        locked.save(update_fields=["status"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "status": [ProposalStatus.PROPOSED, ProposalStatus.REJECTED],
                "reason": reason[:200],
            },
        )
        if forbid and locked.referral.status == ReferralStatus.WAITING:
            pair_rule_create(
                by=by, referral=locked.referral, helper=locked.helper, kind=PairRuleKind.FORBID
            )
    return locked


def matching_run_close(*, run: MatchingRun, by: User | None) -> MatchingRun:
    """Close an open run: its remaining proposals can no longer be confirmed."""
    with transaction.atomic():
        locked = MatchingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.OPEN:
            raise ConflictError(_("This run is no longer open."))
        locked.status = RunStatus.CLOSED
        locked.save(update_fields=["status"])
        Proposal.objects.filter(run=locked, status=ProposalStatus.PROPOSED).update(
            status=ProposalStatus.SUPERSEDED
        )
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [RunStatus.OPEN, RunStatus.CLOSED]},
        )
    return locked
