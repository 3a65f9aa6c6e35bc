"""The placement rule "eligible benefit group → provider X" (issue 12): per programme delivered
by providers, the coordinator maps a verified benefit group (as in Aktiv på dagtid: a
``referrals.BenefitCheck`` on the course's referral, valid today) to a provider.

* **Proposes**: the placing page of a course whose person has a verified benefit group with a
  rule opens with that provider chosen and says why (:func:`proposal_for`); the coordinator
  may choose another — the rule never binds.
* **Places**: the daily job ``providers.placement_rules`` (and "Place by the rules now" on the
  rules page) places each waiting or running course of the municipality's provider
  programmes that **has never been placed**, whose person has a rule's benefit group verified,
  with the rule's provider — through the same ``services.placement_create`` as the page, so
  every refusal holds (above all: the person's consent to share with that provider). A course
  the coordinator placed, withdrew or saw declined is never placed again by the rule; one
  without consent is left for the coordinator and counted as such.

Rules are edited with the version read (:func:`rule_update`); a rule is retired, not deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.versions import lock_versioned
from kobling.providers import services
from kobling.providers.models import Placement, PlacementRule
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import BenefitCheck, Episode
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Delivery
from kobling.tenancy.models import Municipality, Programme, User

RULE_FIELDS = ("benefit", "provider", "activity", "weeks", "is_active")


def _snapshot(rule: PlacementRule) -> dict[str, Any]:
    return {name: getattr(rule, f"{name}_id", getattr(rule, name)) for name in RULE_FIELDS}


def _save(rule: PlacementRule) -> None:
    rule.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError(
            {"benefit": _("The programme already has an active rule for this benefit group.")}
        ) from None


def rule_create(*, by: User | None, programme: Programme, data: dict[str, Any]) -> PlacementRule:
    """A new rule for ``programme``: benefit group, provider, recommended activity, weeks."""
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    rule = PlacementRule(programme=programme, municipality_id=programme.municipality_id, **data)
    with transaction.atomic():
        _save(rule)
        audit_log(user=by, action=AuditAction.CREATE, obj=rule, changes=_snapshot(rule))
    return rule


def rule_update(
    *, by: User | None, rule: PlacementRule, data: dict[str, Any], expected_version: int | None
) -> PlacementRule:
    """Change a rule (or retire it: ``is_active`` False) with the version read; a stale edit is
    refused (ConflictError)."""
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = lock_versioned(PlacementRule, rule, expected_version)
        before = _snapshot(locked)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.version += 1
        _save(locked)
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=locked, changes=diff(before, _snapshot(locked))
        )
    return locked


# --- reading: the proposal -----------------------------------------------------------------------


def _verified_benefits(referral_ids: list[int], today: dt.date) -> dict[int, list[str]]:
    """Per referral, the benefit groups verified and valid today (newest first). One query."""
    found: dict[int, list[str]] = {}
    for referral_id, benefit in (
        BenefitCheck.objects.filter(
            referral_id__in=referral_ids, verified_on__lte=today, valid_until__gte=today
        )
        .order_by("-verified_on", "-pk")
        .values_list("referral_id", "benefit")
    ):
        found.setdefault(referral_id, []).append(benefit)
    return found


@dataclass(frozen=True)
class Proposal:
    rule: PlacementRule
    benefit_label: str


def proposal_for(episode: Episode, today: dt.date | None = None) -> Proposal | None:
    """The rule that proposes a provider for this course: its person's newest verified benefit
    group with an active rule of the course's programme (two queries)."""
    today = today or timezone.localdate()
    benefits = _verified_benefits([episode.referral_id], today).get(episode.referral_id, [])
    if not benefits:
        return None
    rules = {
        r.benefit: r
        for r in PlacementRule.objects.filter(
            programme_id=episode.programme_id, is_active=True, provider__is_active=True
        ).select_related("provider")
    }
    for benefit in benefits:
        if benefit in rules:
            return Proposal(rules[benefit], rules[benefit].get_benefit_display())
    return None


# --- placing by the rules ------------------------------------------------------------------------


@dataclass
class RuleRun:
    """What placing by the rules did: courses placed, and those left for the coordinator with
    the reason (their names only go to the municipality's own page)."""

    placed: int = 0
    left: list[tuple[Episode, str]] = field(default_factory=list)


def place_by_rules(
    *, municipality_ids: list[int], by: User | None = None, today: dt.date | None = None
) -> RuleRun:
    """Place every never-placed, not ended course of these municipalities' provider
    programmes whose person has a rule's benefit group verified, with the rule's provider.
    Each placement goes through :func:`services.placement_create`: a refusal (no consent, the
    course placed meanwhile …) leaves the course with its reason."""
    today = today or timezone.localdate()
    run = RuleRun()
    rules: dict[tuple[int, str], PlacementRule] = {
        (r.programme_id, r.benefit): r
        for r in PlacementRule.objects.filter(
            municipality_id__in=municipality_ids, is_active=True, provider__is_active=True
        ).select_related("provider__partner")
    }
    if not rules:
        return run
    courses = list(
        Episode.objects.filter(
            municipality_id__in=municipality_ids,
            programme_id__in=sorted({p for p, _b in rules}),
            delivery=Delivery.PROVIDER,
        )
        .exclude(status=EpisodeStatus.ENDED)
        .exclude(pk__in=Placement.objects.values("episode_id"))
        .select_related("participant")
        .order_by("pk")
    )
    benefits = _verified_benefits([c.referral_id for c in courses], today)
    for course in courses:
        rule = next(
            (
                rules[(course.programme_id, b)]
                for b in benefits.get(course.referral_id, [])
                if (course.programme_id, b) in rules
            ),
            None,
        )
        if rule is None:
            continue
        starts_on = max(today, course.planned_start or today)
        ends_on = (
            course.planned_end
            if course.planned_end and course.planned_end >= starts_on
            else (starts_on + dt.timedelta(weeks=rule.weeks))
        )
        try:
            services.placement_create(
                by=by,
                episode=course,
                provider=rule.provider,
                activity=rule.activity,
                starts_on=starts_on,
                ends_on=ends_on,
                today=today,
            )
        except ValidationError as exc:
            reasons = [m for messages in exc.message_dict.values() for m in messages]
            run.left.append((course, " ".join(reasons)))
        else:
            run.placed += 1
    return run


def placement_rules_tick(today: dt.date | None = None) -> dict[str, int]:
    """The scheduler job: place by the rules in every municipality."""
    ids = list(Municipality.objects.values_list("pk", flat=True))
    run = place_by_rules(municipality_ids=ids, today=today)
    return {"placed": run.placed, "left": len(run.left)}


def rules_of(programme_ids: list[int]) -> list[PlacementRule]:
    """The programmes' rules, active first, with their providers (one query)."""
    return list(
        PlacementRule.objects.filter(programme_id__in=programme_ids)
        .select_related("provider", "programme")
        .order_by("programme__name", "-is_active", "benefit", "pk")
    )


def may_have_rules_q() -> Q:
    return Q(delivery=Delivery.PROVIDER)
