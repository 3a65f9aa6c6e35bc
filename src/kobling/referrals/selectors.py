"""Reads about referrals: eligibility, consent, lists that keep a fixed number of queries, the
waiting list and supply against demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.referrals.choices import ConsentScope, ReferralStatus
from kobling.referrals.models import (
    Consent,
    Decision,
    EligibilityRules,
    Participant,
    PreferredTime,
    Referral,
)
from kobling.tenancy.models import Programme, User
from kobling.tenancy.prefetch import prefetch_lists

# --- eligibility ------------------------------------------------------------------------------


def eligibility_rules(programme: Programme) -> EligibilityRules:
    """The programme's rules; an unsaved default (open to all residents) when none are set.
    Creating the row is left to writes (``referral_create``), so that reads never write."""
    try:
        return programme.eligibility
    except EligibilityRules.DoesNotExist:
        return EligibilityRules(programme=programme)


def _offered_target_groups(rules: EligibilityRules) -> list[Any]:
    return list(rules.target_groups.all()) if rules.pk else []


def benefit_problem(referral: Referral, today: dt.date) -> str:
    """Why the referral's benefit is not shown to be in force today ("" when it is): none
    verified, or the last check is due again."""
    checks = sorted(referral.benefit_checks.all(), key=lambda c: (c.verified_on, c.pk))
    if not checks:
        return _(
            "The programme requires one of the six benefits, and none is verified yet: a "
            "coordinator checks it (the benefit group only, not the decision)."
        )
    last = checks[-1]
    if last.valid_until < today:
        return _(
            "The benefit (%(benefit)s) was last verified on %(day)s; it must be checked again."
        ) % {
            "benefit": last.get_benefit_display(),
            "day": last.verified_on.strftime("%d.%m.%Y"),
        }
    return ""


def referral_eligibility(referral: Referral, *, today: dt.date | None = None) -> list[str]:
    """Why the referral does not meet the programme's eligibility rules, in the user's language;
    empty when it does. A referral that does not meet them is still received; granting it needs
    an explicit override with a reason."""
    today = today or timezone.localdate()
    rules = eligibility_rules(referral.programme)
    reasons: list[str] = []
    offered = _offered_target_groups(rules)
    if offered:
        offered_ids = {group.pk for group in offered}
        chosen = list(referral.target_groups.all())
        names = ", ".join(str(group) for group in offered)
        if not chosen:
            reasons.append(
                _("No target group is given; the programme is offered to: %(groups)s.")
                % {"groups": names}
            )
        elif not offered_ids & {group.pk for group in chosen}:
            reasons.append(
                _("The programme is not offered to %(chosen)s; it is offered to: %(groups)s.")
                % {"chosen": ", ".join(str(g) for g in chosen), "groups": names}
            )
    participant = referral.participant
    age = participant.age_on(today)
    if rules.min_age is not None and age < rules.min_age:
        reasons.append(
            _("The person is %(age)s; the programme is for people aged %(min)s or older.")
            % {"age": age, "min": rules.min_age}
        )
    if rules.max_age is not None and age > rules.max_age:
        reasons.append(
            _("The person is %(age)s; the programme is for people aged up to %(max)s.")
            % {"age": age, "max": rules.max_age}
        )
    if rules.requires_benefit:
        reason = benefit_problem(referral, today)
        if reason:
            reasons.append(reason)
    if rules.residents_only and not participant.resident:
        reasons.append(
            _("The person does not live in %(municipality)s; the programme is for residents only.")
            % {"municipality": referral.municipality.name}
        )
    return reasons


# --- consent ----------------------------------------------------------------------------------


def consent_in_force(referral: Referral, scope: str, day: dt.date | None = None) -> bool:
    """Whether the participant's consent for ``scope`` is in force on ``day`` (today by default).
    Nothing is shared beyond a consent in force: callers ask this before they share."""
    day = day or timezone.localdate()
    prefetched = getattr(referral, "_prefetched_objects_cache", {}).get("consents")
    if prefetched is not None:
        return any(c.scope == scope and c.in_force_on(day) for c in prefetched)
    return (
        Consent.objects.filter(referral=referral, scope=scope, given_on__lte=day)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
        .exists()
    )


def can_see_decision_details(user: User, referral: Referral, day: dt.date | None = None) -> bool:
    """Coordinators and municipal admins see a decision's reasons and letter. The referrer who
    made the referral sees them only while the participant's consent to share with the
    referrer is in force; otherwise just the outcome and the date."""
    if user.is_manager_of(referral.municipality_id):
        return True
    return referral.referrer_id == user.pk and consent_in_force(
        referral, ConsentScope.SHARE_WITH_REFERRER, day
    )


# --- lists ------------------------------------------------------------------------------------


def referral_list_queryset(
    queryset: QuerySet[Referral], *, benefit_checks: bool = True
) -> QuerySet[Referral]:
    """Everything a referral row (page or API) shows, in a fixed number of queries. With
    ``benefit_checks=False`` the benefit checks are left for :func:`prefetch_benefit_checks`
    on the rows read (a list reads them only for rows whose programme requires a benefit)."""
    prefetches: list[str | Prefetch] = [
        "target_groups",
        "preferred_activities",
        Prefetch(
            "preferred_times", queryset=PreferredTime.objects.order_by("weekday", "start_time")
        ),
        Prefetch(
            "consents",
            queryset=Consent.objects.select_related("recorded_by").order_by(
                "scope", "-given_on", "-id"
            ),
        ),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("decided_by").order_by("-decided_on", "-id"),
        ),
        "programme__eligibility__target_groups",
    ]
    if benefit_checks:
        prefetches.insert(2, "benefit_checks")
    return queryset.select_related(
        "municipality",
        "programme",
        "programme__eligibility",
        "participant",
        "referrer",
    ).prefetch_related(*prefetches)


def prefetch_benefit_checks(referrals: list[Referral]) -> None:
    """Read the benefit checks of the referrals (of :func:`referral_list_queryset` with
    ``benefit_checks=False``) whose programme requires a benefit: the only rows whose
    eligibility (:func:`benefit_problem`) looks at them. One query, or none when no row's
    programme requires one (most lists: the benefit is Aktiv på dagtid's rule)."""
    needed = [r for r in referrals if eligibility_rules(r.programme).requires_benefit]
    if needed:
        prefetch_related_objects(needed, *prefetch_lists(needed, ["benefit_checks"]))


def referral_page_queryset(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """What a row of the referral list *page* shows — the person, programme, municipality and
    the decision in force — and nothing of what the API's row carries besides (target groups,
    activities, times, consents, benefit checks): each prefetch costs a query and, per row, a
    related queryset built in Python (issue 16's load)."""
    return (
        queryset.select_related("municipality", "programme", "participant")
        .only(*REFERRAL_ROW_FIELDS)
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.only(
                    "referral_id", "municipality_id", "outcome", "decided_on"
                ).order_by("-decided_on", "-id"),
            )
        )
    )


# What a referral row of the pages shows (referrals.templatetags.referrals: referral_row and
# waiting_row) and what the views ask of it: the rest of a referral (goals, health notes, the
# referrer's details) and of its participant (identity, address) stays in the database; a
# row carried some 100 columns to show ten.
REFERRAL_ROW_FIELDS = (
    "municipality_id",
    "programme_id",
    "participant_id",
    "status",
    "priority",
    "received_at",
    "granted_at",
    "preferred_area",
    "municipality__name",
    "programme__name",
    "participant__first_name",
    "participant__last_name",
    "participant__home_area",
    "participant__postcode",
)


def latest_decision(referral: Referral) -> Decision | None:
    """The decision in force: the newest one (a later decision supersedes the earlier)."""
    decisions = list(referral.decisions.all())
    return max(decisions, key=lambda d: (d.decided_on, d.pk)) if decisions else None


def participant_list_queryset(queryset: QuerySet[Participant]) -> QuerySet[Participant]:
    return queryset.select_related("municipality").prefetch_related(
        Prefetch("referrals", queryset=Referral.objects.select_related("programme").order_by("id"))
    )


def possible_duplicates(participant: Participant) -> QuerySet[Participant]:
    """Other people in the same municipality who may be the same person: same name and birth
    date, or same birth date and one of the names. Shown to coordinators as a warning; merging
    people is a coordinator's judgement, never automatic."""
    same_name = Q(
        first_name__iexact=participant.first_name, last_name__iexact=participant.last_name
    )
    same_birth = Q(birth_date=participant.birth_date) & (
        Q(first_name__iexact=participant.first_name) | Q(last_name__iexact=participant.last_name)
    )
    return (
        Participant.objects.filter(municipality_id=participant.municipality_id)
        .filter(same_name | same_birth)
        .exclude(pk=participant.pk)
        .order_by("last_name", "first_name", "id")
    )


def open_referral_for(participant: Participant, programme: Programme) -> Referral | None:
    from kobling.referrals.choices import OPEN_STATUSES

    return (
        Referral.objects.filter(
            participant=participant, programme=programme, status__in=list(OPEN_STATUSES)
        )
        .order_by("received_at", "id")
        .first()
    )


# --- the waiting list ---------------------------------------------------------------------------


def waiting_list_queryset(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Granted and waiting referrals, highest priority first, then the longest wait."""
    return (
        queryset.filter(status=ReferralStatus.WAITING)
        .select_related("municipality", "programme", "participant")
        .prefetch_related("target_groups")
        .order_by("priority", "granted_at", "id")
    )


# --- supply and demand --------------------------------------------------------------------------


@dataclass
class SupplyDemandRow:
    key: str
    name: str
    waiting: int = 0
    free_places: int = 0

    @property
    def gap(self) -> int:
        return self.waiting - self.free_places


@dataclass
class SupplyDemand:
    """Granted-and-waiting referrals against free contact places, in total and by target group
    and area. Plain data: the page, the API and a dashboard use it as it is."""

    waiting: int = 0
    awaiting_decision: int = 0
    contacts_available: int = 0
    free_places: int = 0
    longest_wait_days: int | None = None
    by_target_group: list[SupplyDemandRow] = field(default_factory=list)
    by_area: list[SupplyDemandRow] = field(default_factory=list)

    @property
    def gap(self) -> int:
        return self.waiting - self.free_places

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gap"] = self.gap
        for key in ("by_target_group", "by_area"):
            for row, obj in zip(data[key], getattr(self, key), strict=True):
                row["gap"] = obj.gap
        return data


def _area(*candidates: str) -> str:
    for value in candidates:
        if value and value.strip():
            return value.strip()
    return ""


def supply_demand(
    municipality_ids: Iterable[int],
    programme: Programme | None = None,
    *,
    today: dt.date | None = None,
) -> SupplyDemand:
    """Demand: referrals granted and waiting (and those still awaiting a decision). Supply: free
    places of contacts available for matching — active, not unconfirmed — i.e. capacity minus
    open pairings. Both by target group (a referral or contact counts under each of its groups)
    and by area (the referral's preferred area, else the person's home area or postcode; the
    contact's home area or postcode). A fixed number of queries, whatever the size."""
    from kobling.helpers.choices import PLACE_TAKING_PAIRING_STATUSES, HelperStatus
    from kobling.helpers.models import Helper, TargetGroup

    today = today or timezone.localdate()
    ids = sorted(set(municipality_ids))
    referrals = Referral.objects.filter(municipality__in=ids)
    helpers = Helper.objects.filter(
        municipality__in=ids, status=HelperStatus.ACTIVE, is_unconfirmed=False
    )
    if programme is not None:
        referrals = referrals.filter(programme=programme)
        helpers = helpers.filter(programme=programme)

    result = SupplyDemand(
        awaiting_decision=referrals.filter(
            status__in=[ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO]
        ).count()
    )
    groups = {g.pk: g for g in TargetGroup.objects.filter(is_active=True)}
    by_group: dict[int, SupplyDemandRow] = {
        pk: SupplyDemandRow(key=g.code, name=str(g)) for pk, g in groups.items()
    }
    by_area: dict[str, SupplyDemandRow] = {}

    def area_row(name: str) -> SupplyDemandRow:
        key = name.casefold()
        if key not in by_area:
            by_area[key] = SupplyDemandRow(key=key, name=name or _("Not given"))
        return by_area[key]

    waiting = (
        referrals.filter(status=ReferralStatus.WAITING)
        .select_related("participant")
        .prefetch_related("target_groups")
        .order_by("granted_at", "id")
    )
    for referral in waiting:
        result.waiting += 1
        days = referral.waiting_days(today)
        if days is not None and (
            result.longest_wait_days is None or days > result.longest_wait_days
        ):
            result.longest_wait_days = days
        for group in referral.target_groups.all():
            if group.pk in by_group:
                by_group[group.pk].waiting += 1
        area_row(
            _area(
                referral.preferred_area,
                referral.participant.home_area,
                referral.participant.postcode,
            )
        ).waiting += 1

    available = helpers.annotate(
        open_pairings=Count(
            "pairings",
            filter=Q(pairings__status__in=PLACE_TAKING_PAIRING_STATUSES),
            distinct=True,
        )
    ).prefetch_related("target_groups")
    for helper in available:
        free = max(helper.capacity - helper.open_pairings, 0)
        result.contacts_available += 1
        result.free_places += free
        for group in helper.target_groups.all():
            if group.pk in by_group:
                by_group[group.pk].free_places += free
        area_row(_area(helper.home_area, helper.postcode)).free_places += free

    result.by_target_group = [row for row in by_group.values() if row.waiting or row.free_places]
    result.by_area = sorted(by_area.values(), key=lambda row: (-row.gap, row.name.casefold()))
    return result
