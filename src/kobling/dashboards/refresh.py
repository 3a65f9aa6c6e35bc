"""Recomputing the dashboard aggregates (:class:`DashboardFact`) for a municipality.

A full recompute per municipality in a handful of set-based queries: the sessions (the big table)
are grouped in SQL by programme and month; referrals, pairings, reviews and follow-ups (a few
thousand rows even for a large city) are read once as plain values and counted here. The old rows
are replaced in one transaction, so a page never sees half a refresh. The worker's tick calls
:func:`dashboards_tick`, which skips a municipality whose *mark* (counts and latest change times
of the base tables) is unchanged since its last refresh on the same day. See docs/dashboards.md
for the measured cost."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from kobling.dashboards.models import DashboardFact, DashboardRefresh, Grain
from kobling.followup.choices import EndReason, PairingStatus, SessionStatus
from kobling.followup.models import Pairing, Session
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.outcomes.choices import ACTIVITY_MINUTES, ReviewKind
from kobling.outcomes.models import FollowUp, Review, ReviewScore
from kobling.outcomes.selectors import recommended_weekly_minutes
from kobling.partners.models import Agreement, Partner, agreement_valid_q
from kobling.referrals.choices import DecisionOutcome
from kobling.referrals.models import Decision, Referral
from kobling.tenancy.models import Municipality, Programme

# Ending for one of these counts as dropping out (not goal reached, not moved, not the contact
# leaving, which is the scheme's loss rather than the participant's).
DROP_OUT_REASONS = (EndReason.PARTICIPANT_STOPPED, EndReason.NO_CHEMISTRY)
AGE_BANDS = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 49, "30-49"), (50, 66, "50-66"))
OLDEST_BAND = "67+"
# Helpers who have been trained (qualified at some point) and may be doing the work now.
TRAINED_NOW = (HelperStatus.QUALIFIED, HelperStatus.ACTIVE, HelperStatus.PAUSED)


def age_band(birth: dt.date, on: dt.date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return OLDEST_BAND


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _month(day: dt.date | dt.datetime) -> dt.date:
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    return day.replace(day=1)


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


class _Facts:
    """Collects (programme, grain, period, metric, dimension, key) → value."""

    def __init__(self) -> None:
        self.values: dict[tuple, Decimal] = defaultdict(Decimal)

    def add(
        self,
        programme: int,
        grain: str,
        period: dt.date,
        metric: str,
        value: Any = 1,
        dimension: str = "",
        key: str = "",
    ) -> None:
        self.values[(programme, grain, period, metric, dimension, str(key))] += Decimal(value)

    def month(self, programme: int, day: Any, metric: str, value: Any = 1, **by: Any) -> None:
        self.add(programme, Grain.MONTH, _month(day), metric, value, **by)

    def broken_down(
        self, programme: int, day: Any, metric: str, groups: dict[str, Iterable[str]]
    ) -> None:
        """Count one person under ``metric`` in total and under each of their groups."""
        self.month(programme, day, metric)
        for dimension, keys in groups.items():
            for key in keys:
                self.month(programme, day, metric, dimension=dimension, key=key)


def source_mark(municipality_id: int) -> dict[str, str]:
    """Cheap aggregates that change when the records the facts count change (new or changed
    referrals, decisions, pairings, sessions, reviews, follow-ups, contacts). Not everything moves
    it (a participant's birth date, a contact's rate, a timesheet approval): those reach the
    dashboards at the first tick of the next day, which always recomputes."""
    m = municipality_id
    parts = {
        "referrals": Referral.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), t=Max("updated_at")
        ),
        "decisions": Decision.objects.filter(municipality_id=m).aggregate(n=Max("pk")),
        "pairings": Pairing.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version")
        ),
        "sessions": Session.objects.filter(municipality_id=m).aggregate(
            n=Max("pk"), t=Max("logged_at")
        ),
        "reviews": Review.objects.filter(municipality_id=m).aggregate(n=Max("pk")),
        "scores": ReviewScore.objects.filter(municipality_id=m).aggregate(n=Max("pk")),
        "followups": FollowUp.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), s=Max("sent_at"), t=Max("answered_at")
        ),
        "helpers": Helper.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), t=Max("status_since")
        ),
        "programmes": Programme.objects.filter(municipality_id=m).aggregate(n=Count("pk")),
        "partners": Partner.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version"), t=Max("updated_at")
        ),
        "agreements": Agreement.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version"), t=Max("updated_at")
        ),
    }
    return {name: str(sorted(values.items())) for name, values in parts.items()}


def compute_facts(
    municipality_id: int, today: dt.date | None = None, *, skip_cost_years: set[int] = frozenset()
) -> _Facts:
    """Every dashboard figure of one municipality, from the base tables (the cost of
    ``skip_cost_years`` left out: the caller keeps those from the last refresh)."""
    today = today or timezone.localdate()
    m = municipality_id
    facts = _Facts()

    # --- Reach: referrals, decisions, starts, endings, by group ---------------------------------
    referrals = {
        r["pk"]: r
        for r in Referral.objects.filter(municipality_id=m)
        .values(
            "pk",
            "programme_id",
            "source",
            "received_at",
            "granted_at",
            "participant_id",
            "participant__gender",
            "participant__birth_date",
            "referrer_organisation",
        )
        .order_by()
    }
    targets: dict[int, list[str]] = defaultdict(list)
    for referral_id, code in Referral.target_groups.through.objects.filter(
        referral__municipality_id=m
    ).values_list("referral_id", "targetgroup__code"):
        targets[referral_id].append(code)

    def groups(r: dict[str, Any]) -> dict[str, Iterable[str]]:
        return {
            "gender": [r["participant__gender"]],
            "age_band": [age_band(r["participant__birth_date"], _local(r["received_at"]))],
            "source": [r["source"]],
            "target_group": targets.get(r["pk"], []) or ["none"],
        }

    for r in referrals.values():
        p = r["programme_id"]
        facts.broken_down(p, r["received_at"], "referred", groups(r))
        if r["granted_at"]:
            facts.broken_down(p, r["granted_at"], "granted", groups(r))

    first_decision: dict[int, dt.date] = dict(
        Decision.objects.filter(
            municipality_id=m, outcome__in=[DecisionOutcome.GRANTED, DecisionOutcome.REFUSED]
        )
        .values("referral_id")
        .annotate(first=Min("decided_on"))
        .values_list("referral_id", "first")
        .order_by()
    )
    pairings = list(
        Pairing.objects.filter(municipality_id=m)
        .values(
            "pk",
            "programme_id",
            "referral_id",
            "participant__birth_date",
            "confirmed_at",
            "started_on",
            "ended_on",
            "status",
            "end_reason",
        )
        .order_by("confirmed_at", "pk")
    )
    first_held: dict[int, dt.date] = dict(
        Session.objects.held()
        .filter(municipality_id=m)
        .values("pairing_id")
        .annotate(first=Min("date"))
        .values_list("pairing_id", "first")
        .order_by()
    )
    for referral_id, decided in first_decision.items():
        r = referrals.get(referral_id)
        if r:
            days = max(0, (decided - _local(r["received_at"])).days)
            facts.month(
                r["programme_id"], r["received_at"], "days_to_decision", dimension="days", key=days
            )
    seen_referral: set[int] = set()
    started_referral: set[int] = set()
    for pr in pairings:
        r = referrals.get(pr["referral_id"])
        if r is None:
            continue
        p = pr["programme_id"]
        if pr["referral_id"] not in seen_referral:  # the first pairing of the referral
            seen_referral.add(pr["referral_id"])
            days = max(0, (_local(pr["confirmed_at"]) - _local(r["received_at"])).days)
            facts.month(p, r["received_at"], "days_to_pairing", dimension="days", key=days)
        if pr["started_on"] and pr["referral_id"] not in started_referral:
            started_referral.add(pr["referral_id"])
            facts.broken_down(p, pr["started_on"], "started", groups(r))
        if pr["pk"] in first_held:
            days = max(0, (first_held[pr["pk"]] - _local(r["received_at"])).days)
            facts.month(p, r["received_at"], "days_to_first_session", dimension="days", key=days)
        if pr["status"] == PairingStatus.ENDED and pr["ended_on"]:
            facts.month(p, pr["ended_on"], "ended")
            if pr["end_reason"] == EndReason.GOAL_REACHED:
                facts.month(p, pr["ended_on"], "completed")
            if pr["end_reason"] in DROP_OUT_REASONS:
                facts.broken_down(p, pr["ended_on"], "dropped_out", groups(r))

    # --- Implementation: dose, in SQL over the sessions ----------------------------------------
    current = Session.objects.current().filter(municipality_id=m)
    for row in (
        current.annotate(month=TruncMonth("date"))
        .values("pairing__programme_id", "month")
        .annotate(
            planned=Count("pk"),
            held=Count("pk", filter=Q(status=SessionStatus.HELD)),
            no_show=Count("pk", filter=Q(status=SessionStatus.NO_SHOW)),
            cancelled=Count("pk", filter=Q(status=SessionStatus.CANCELLED)),
            minutes=Sum("minutes", filter=Q(status=SessionStatus.HELD)),
            participants=Count("pairing__participant_id", distinct=True),
            helpers=Count("helper_id", distinct=True, filter=Q(status=SessionStatus.HELD)),
        )
        .order_by()
    ):
        p, month = row["pairing__programme_id"], _month(row["month"])
        for name in ("planned", "held", "no_show", "cancelled", "participants", "helpers"):
            facts.add(p, Grain.MONTH, month, f"sessions_{name}", row[name])
        facts.add(p, Grain.MONTH, month, "minutes_held", row["minutes"] or 0)
    # Distinct people in a year are not the sum of the months.
    for row in (
        current.filter(status=SessionStatus.HELD)
        .annotate(year=TruncYear("date"))
        .values("pairing__programme_id", "year")
        .annotate(
            participants=Count("pairing__participant_id", distinct=True),
            helpers=Count("helper_id", distinct=True),
        )
        .order_by()
    ):
        p, year = row["pairing__programme_id"], _month(row["year"])
        facts.add(p, Grain.YEAR, year, "participants_served", row["participants"])
        facts.add(p, Grain.YEAR, year, "helpers_active", row["helpers"])

    # --- Effectiveness: start vs latest vs end per instrument, by the pair's start month -------
    by_pairing = {pr["pk"]: pr for pr in pairings}
    scores: dict[tuple[int, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for pairing_id, code, kind, date, review_id, value in (
        ReviewScore.objects.filter(
            municipality_id=m,
            review__superseded_by__isnull=True,
            review__is_void=False,
        )
        .values_list(
            "review__pairing_id",
            "instrument_code",
            "review__kind",
            "review__date",
            "review_id",
            "value",
        )
        .order_by("review__date", "review_id")
    ):
        # Goal attainment has one score per goal: a review's value is their mean.
        scores[(pairing_id, code)][f"{kind}|{date.isoformat()}|{review_id}"].append(value)
    for (pairing_id, code), per_review in scores.items():
        pr = by_pairing.get(pairing_id)
        if pr is None or not pr["started_on"]:
            continue
        ordered = [
            (key.split("|")[0], sum(values) / len(values)) for key, values in per_review.items()
        ]
        start = next((v for kind, v in ordered if kind == ReviewKind.START), None)
        if start is None:
            continue
        later = [(kind, v) for kind, v in ordered if kind != ReviewKind.START]
        p, month = pr["programme_id"], pr["started_on"]
        need = recommended_weekly_minutes(_age(pr["participant__birth_date"], pr["started_on"]))
        by = {"dimension": "instrument", "key": code}
        if later:
            latest = later[-1][1]
            facts.month(p, month, "eff_n", **by)
            facts.month(p, month, "eff_start_sum", start, **by)
            facts.month(p, month, "eff_latest_sum", latest, **by)
            if code == ACTIVITY_MINUTES:
                facts.month(p, month, "eff_meets_start", int(start >= need), **by)
                facts.month(p, month, "eff_meets_latest", int(latest >= need), **by)
        end = next((v for kind, v in reversed(later) if kind == ReviewKind.END), None)
        if end is not None:
            facts.month(p, month, "eff_end_n", **by)
            facts.month(p, month, "eff_end_start_sum", start, **by)
            facts.month(p, month, "eff_end_sum", end, **by)
            if code == ACTIVITY_MINUTES:
                facts.month(p, month, "eff_meets_end", int(end >= need), **by)

    # --- Maintenance: follow-ups after the end, by the month they fell due ---------------------
    for row in (
        FollowUp.objects.filter(municipality_id=m)
        .annotate(month=TruncMonth("due_on"))
        .values("pairing__programme_id", "month", "months")
        .annotate(
            asked=Count("pk", filter=Q(status__in=["sent", "reminded", "answered"])),
            answered=Count("pk", filter=Q(status="answered")),
            active=Count("pk", filter=Q(status="answered", still_active=True)),
        )
        .order_by()
    ):
        p, month = row["pairing__programme_id"], _month(row["month"])
        for name in ("asked", "answered", "active"):
            facts.add(p, Grain.MONTH, month, f"followup_{name}", row[name], "months", row["months"])

    # --- Adoption: the contacts now ------------------------------------------------------------
    now = today
    qualified = set(
        Helper.objects.filter(municipality_id=m, qualifications__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for pk, programme_id, status in Helper.objects.filter(municipality_id=m).values_list(
        "pk", "programme_id", "status"
    ):
        facts.add(programme_id, Grain.NOW, now, "helpers", 1, "status", status)
        if pk in qualified or status in TRAINED_NOW:
            facts.add(programme_id, Grain.NOW, now, "helpers_trained")
            if status != HelperStatus.LEFT:
                facts.add(programme_id, Grain.NOW, now, "helpers_trained_retained")
            if status == HelperStatus.ACTIVE:
                facts.add(programme_id, Grain.NOW, now, "helpers_trained_active")

    _partner_uptake(facts, m, today, referrals.values())
    _costs(facts, m, skip=skip_cost_years)
    return facts


def _partner_uptake(
    facts: _Facts, municipality_id: int, today: dt.date, referrals: Iterable[dict[str, Any]]
) -> None:
    """Adoption → partner uptake (docs/dashboards.md). Counts of *organisations* (partners,
    referring organisations) and of *persons* (hand-overs):

    - ``partners_in_agreement`` (now, by ``kind``): partners with an agreement valid today. A
      partner counts for each of its programmes, or for every programme of the municipality
      when it lists none (it works with the scheme as a whole). Organisations.
    - ``handovers`` (month, by ``destination``) and ``handovers_to_partner`` (month, by the
      partner's ``kind``): ended pairings by where the participant went on, and those handed
      over to a partner. Persons.
    - ``handover_partners`` (year, by ``kind``): distinct partners that took participants over
      in the year. Organisations.
    - ``referring_organisations`` (year, by ``source``; the total is distinct over sources):
      distinct non-blank ``Referral.referrer_organisation`` (trimmed, case-insensitive) by the
      year the referral was received. Organisations."""
    m = municipality_id
    all_programmes = list(Programme.objects.filter(municipality_id=m).values_list("pk", flat=True))
    partner_programmes: dict[int, list[int]] = defaultdict(list)
    for partner_id, programme_id in Partner.programmes.through.objects.filter(
        partner__municipality_id=m
    ).values_list("partner_id", "programme_id"):
        partner_programmes[partner_id].append(programme_id)
    valid = (
        Partner.objects.filter(municipality_id=m)
        .filter(pk__in=Agreement.objects.filter(agreement_valid_q(today)).values("partner_id"))
        .values_list("pk", "kind")
    )
    for partner_id, kind in valid:
        for p in partner_programmes.get(partner_id) or all_programmes:
            facts.add(p, Grain.NOW, today, "partners_in_agreement")
            facts.add(p, Grain.NOW, today, "partners_in_agreement", 1, "kind", kind)

    took_over: dict[tuple[int, dt.date], dict[int, str]] = defaultdict(dict)
    for p, ended_on, destination, partner_id, partner_kind in (
        Pairing.objects.filter(
            municipality_id=m, status=PairingStatus.ENDED, ended_on__isnull=False
        )
        .values_list(
            "programme_id",
            "ended_on",
            "handover_destination",
            "handover_partner_id",
            "handover_partner__kind",
        )
        .order_by()
    ):
        facts.month(p, ended_on, "handovers", dimension="destination", key=destination or "unknown")
        if partner_id is not None:
            facts.month(p, ended_on, "handovers_to_partner")
            facts.month(p, ended_on, "handovers_to_partner", dimension="kind", key=partner_kind)
            took_over[(p, dt.date(ended_on.year, 1, 1))][partner_id] = partner_kind
    for (p, year), partners in took_over.items():
        facts.add(p, Grain.YEAR, year, "handover_partners", len(partners))
        for kind, n in Counter(partners.values()).items():
            facts.add(p, Grain.YEAR, year, "handover_partners", n, "kind", kind)

    organisations: dict[tuple[int, dt.date], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for r in referrals:
        name = " ".join((r.get("referrer_organisation") or "").split()).casefold()
        if name:
            year = dt.date(_local(r["received_at"]).year, 1, 1)
            organisations[(r["programme_id"], year)][r["source"]].add(name)
    for (p, year), by_source in organisations.items():
        facts.add(
            p, Grain.YEAR, year, "referring_organisations", len(set().union(*by_source.values()))
        )
        for source, names in by_source.items():
            facts.add(p, Grain.YEAR, year, "referring_organisations", len(names), "source", source)


def _costs(facts: _Facts, municipality_id: int, skip: set[int] = frozenset()) -> int:
    """Cost per calendar year from :func:`kobling.pay.costs.period_costs` (the slow part of a
    refresh: it estimates unapproved pay session by session). Returns the years computed."""
    from kobling.pay.costs import period_costs

    years = set(
        Session.objects.filter(municipality_id=municipality_id)
        .annotate(year=TruncYear("date"))
        .values_list("year", flat=True)
        .distinct()
        .order_by()
    )
    years = {_month(y).year for y in years} - set(skip)
    for year in sorted(years):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        for row in period_costs(municipality_ids=[municipality_id], start=start, end=end):
            c = row.cost
            for name, value in (
                ("pay", c.pay),
                ("expenses", c.expenses),
                ("courses", c.courses),
                ("coordination", c.coordination),
            ):
                facts.add(row.programme_id, Grain.YEAR, start, f"cost_{name}", value)
    return len(years)


def cost_marks(municipality_id: int) -> dict[str, Any]:
    """What the cost of each year is computed from, in cheap aggregates: ``global`` (pay
    settings and the contacts, whose rates price every open month) and ``years`` (sessions,
    timesheets, expenses and course runs per calendar year). A year whose mark and the global
    mark are unchanged keeps its cost rows from the last refresh."""
    from kobling.courses.models import CourseRun
    from kobling.pay.models import Expense, PaySettings, Timesheet

    m = municipality_id
    years: dict[str, list[Any]] = defaultdict(list)
    for name, rows in (
        (
            "sessions",
            Session.objects.filter(municipality_id=m)
            .annotate(y=TruncYear("date"))
            .values("y")
            .annotate(n=Count("pk"), last=Max("pk")),
        ),
        (
            "timesheets",
            Timesheet.objects.filter(helper__municipality_id=m)
            .annotate(y=TruncYear("month"))
            .values("y")
            .annotate(n=Count("pk"), v=Sum("version"), last=Max("pk")),
        ),
        (
            "expenses",
            Expense.objects.filter(helper__municipality_id=m)
            .annotate(y=TruncYear("date"))
            .values("y")
            .annotate(n=Count("pk"), v=Sum("version"), a=Sum("amount")),
        ),
        (
            "courses",
            CourseRun.objects.filter(municipality_id=m)
            .annotate(y=TruncYear("starts_on"))
            .values("y")
            .annotate(n=Count("pk"), c=Sum("cost_to_municipality"), last=Max("status")),
        ),
    ):
        for row in rows.order_by():
            year = str(_month(row.pop("y")).year)
            years[year].append([name, sorted((k, str(v)) for k, v in row.items())])
    global_part = [
        str(
            sorted(
                PaySettings.objects.filter(municipality_id=m)
                .aggregate(n=Count("pk"), v=Sum("version"), t=Max("updated_at"))
                .items()
            )
        ),
        str(
            sorted(
                Helper.objects.filter(municipality_id=m)
                .aggregate(n=Count("pk"), r=Sum("hourly_rate"), t=Max("updated_at"))
                .items()
            )
        ),
    ]
    return {"global": str(global_part), "years": {y: str(v) for y, v in sorted(years.items())}}


# The tick refreshes a municipality at most this often, however busy it is: a full recompute of a
# large city takes seconds (mostly the cost estimate; docs/dashboards.md), and the page says "as
# of" when. ``kobling dashboards refresh`` always recomputes.
MIN_INTERVAL = dt.timedelta(minutes=15)


def refresh_municipality(municipality_id: int, *, force: bool = True) -> dict[str, Any]:
    """Recompute one municipality's facts. Without ``force`` (the tick), does nothing when the
    base data's mark is unchanged since a refresh earlier the same day, or when the last refresh
    is less than :data:`MIN_INTERVAL` old. Returns what it did."""
    started = time.perf_counter()
    last = DashboardRefresh.objects.filter(municipality_id=municipality_id).first()
    today = timezone.localdate()
    if not force and last is not None and timezone.now() - last.refreshed_at < MIN_INTERVAL:
        return {"refreshed": 0, "facts": last.facts}
    mark = source_mark(municipality_id) | {"cost": cost_marks(municipality_id)}
    same_day = last is not None and timezone.localtime(last.refreshed_at).date() == today
    if not force and same_day and last.mark == mark:  # type: ignore[union-attr]
        return {"refreshed": 0, "facts": last.facts}  # type: ignore[union-attr]
    # Within a day, the tick keeps the cost of the years whose cost mark is unchanged; the
    # first refresh of a day (and the command) recomputes everything.
    keep: set[int] = set()
    old_cost = (last.mark or {}).get("cost", {}) if last is not None else {}
    if not force and same_day and old_cost.get("global") == mark["cost"]["global"]:
        old_years = old_cost.get("years", {})
        keep = {int(y) for y, v in mark["cost"]["years"].items() if old_years.get(y) == v}
    facts = compute_facts(municipality_id, today, skip_cost_years=keep)
    for p, period, metric, value in DashboardFact.objects.filter(
        municipality_id=municipality_id,
        grain=Grain.YEAR,
        metric__startswith="cost_",
        period__year__in=sorted(keep),
    ).values_list("programme_id", "period", "metric", "value"):
        facts.add(p, Grain.YEAR, period, metric, value)
    rows = [
        DashboardFact(
            municipality_id=municipality_id,
            programme_id=p,
            grain=grain,
            period=period,
            metric=metric,
            dimension=dimension,
            key=key,
            value=value,
        )
        for (p, grain, period, metric, dimension, key), value in facts.values.items()
    ]
    with transaction.atomic():
        DashboardFact.objects.filter(municipality_id=municipality_id).delete()
        DashboardFact.objects.bulk_create(rows, batch_size=2000)
        DashboardRefresh.objects.update_or_create(
            municipality_id=municipality_id,
            defaults={
                "refreshed_at": timezone.now(),
                "mark": mark,
                "facts": len(rows),
                "duration_ms": int((time.perf_counter() - started) * 1000),
            },
        )
    return {"refreshed": 1, "facts": len(rows), "cost_years_kept": len(keep)}


def dashboards_tick() -> dict[str, int]:
    """The worker's step: refresh every municipality whose base data changed."""
    report = Counter[str]()
    for pk in Municipality.objects.values_list("pk", flat=True):
        done = refresh_municipality(pk, force=False)
        report["dashboards_refreshed"] += done["refreshed"]
    return dict(report)
