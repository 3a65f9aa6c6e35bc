"""Recomputing the dashboard aggregates (:class:`DashboardFact`) for a municipality.

A full recompute per municipality in a handful of set-based queries: the sessions (the big table)
are grouped in SQL by programme and month; referrals, pairings, reviews and follow-ups (a few
thousand rows even for a large city) are read once into plain rows (:func:`load_input`), and
:func:`kobling.dashboards.facts.compute`, which knows no Django, counts them. The old rows
are replaced in one transaction, so a page never sees half a refresh. The worker's tick calls
:func:`dashboards_tick`, which skips a municipality whose *mark* (counts and latest change times
of the base tables) is unchanged since its last refresh on the same day. See docs/dashboards.md
for the measured cost."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from kobling.dashboards import facts
from kobling.dashboards.facts import FactsInput
from kobling.dashboards.models import DashboardFact, DashboardRefresh, Grain
from kobling.followup.choices import SessionStatus
from kobling.followup.models import Pairing, Session
from kobling.groups.choices import MeetingStatus
from kobling.groups.completion import CompletionRule, CourseFacts, is_completed, offered_by_course
from kobling.groups.models import Attendance, GroupEnrolment, GroupOffer, Meeting
from kobling.helpers.models import Helper
from kobling.outcomes.models import FollowUp, Review, ReviewScore
from kobling.outcomes.selectors import recommended_weekly_minutes
from kobling.partners.models import Agreement, Partner, agreement_valid_q
from kobling.referrals.choices import ConversationKind, DecisionOutcome
from kobling.referrals.models import BenefitCheck, Conversation, Decision, Episode, Referral
from kobling.tenancy.models import Municipality, Programme


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _local_or_none(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else _local(moment)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


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
        "meetings": Meeting.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version")
        ),
        "attendance": Attendance.objects.filter(municipality_id=m).aggregate(n=Max("pk")),
        "enrolments": GroupEnrolment.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version")
        ),
        "offers": GroupOffer.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), v=Sum("version"), t=Max("updated_at")
        ),
        "benefit_checks": BenefitCheck.objects.filter(municipality_id=m).aggregate(n=Max("pk")),
        "conversations": Conversation.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), t=Max("pk")
        ),
        "courses": Episode.objects.filter(municipality_id=m).aggregate(
            n=Count("pk"), t=Max("updated_at")
        ),
    }
    return {name: str(sorted(values.items())) for name, values in parts.items()}


# How the session, follow-up and review tables reach the participant's course, in one place:
# each row names its course (whatever delivered it).
COURSE = "episode"


def load_input(
    municipality_id: int, today: dt.date | None = None, *, skip_cost_years: Iterable[int] = ()
) -> FactsInput:
    """The rows :func:`kobling.dashboards.facts.compute` counts, for one municipality, in a
    fixed number of queries (the cost of ``skip_cost_years`` left out: the caller keeps those
    from the last refresh)."""
    today = today or timezone.localdate()
    m = municipality_id
    targets: dict[int, list[str]] = defaultdict(list)
    for referral_id, code in Referral.target_groups.through.objects.filter(
        referral__municipality_id=m
    ).values_list("referral_id", "targetgroup__code"):
        targets[referral_id].append(code)
    first_decision: dict[int, dt.date] = dict(
        Decision.objects.filter(
            municipality_id=m, outcome__in=[DecisionOutcome.GRANTED, DecisionOutcome.REFUSED]
        )
        .values("referral_id")
        .annotate(first=Min("decided_on"))
        .values_list("referral_id", "first")
        .order_by()
    )
    referrals = [
        facts.ReferralRow(
            id=r["pk"],
            programme_id=r["programme_id"],
            source=r["source"],
            received_on=_local(r["received_at"]),
            granted_on=_local_or_none(r["granted_at"]),
            gender=r["participant__gender"],
            birth_date=r["participant__birth_date"],
            organisation=r["referrer_organisation"] or "",
            target_groups=tuple(targets.get(r["pk"], ())),
            first_decision_on=first_decision.get(r["pk"]),
        )
        for r in Referral.objects.filter(municipality_id=m)
        .values(
            "pk",
            "programme_id",
            "source",
            "received_at",
            "granted_at",
            "participant__gender",
            "participant__birth_date",
            "referrer_organisation",
        )
        .order_by()
    ]

    first_held: dict[int, dt.date] = dict(
        Session.objects.held()
        .filter(municipality_id=m)
        .values("pairing_id")
        .annotate(first=Min("date"))
        .values_list("pairing_id", "first")
        .order_by()
    )
    pairings = [
        facts.PairingRow(
            id=pr["pk"],
            course_id=pr["episode_id"],
            programme_id=pr["programme_id"],
            referral_id=pr["referral_id"],
            confirmed_on=_local(pr["confirmed_at"]),
            started_on=pr["started_on"],
            ended_on=pr["ended_on"],
            status=pr["status"],
            end_reason=pr["end_reason"] or "",
            first_held_on=first_held.get(pr["pk"]),
            weekly_minutes_needed=(
                recommended_weekly_minutes(
                    facts.age(pr["participant__birth_date"], pr["started_on"])
                )
                if pr["started_on"]
                else None
            ),
            handover_destination=pr["handover_destination"] or "",
            handover_partner_id=pr["handover_partner_id"],
            handover_partner_kind=pr["handover_partner__kind"] or "",
        )
        for pr in Pairing.objects.filter(municipality_id=m)
        .values(
            "pk",
            "episode_id",
            "programme_id",
            "referral_id",
            "participant__birth_date",
            "confirmed_at",
            "started_on",
            "ended_on",
            "status",
            "end_reason",
            "handover_destination",
            "handover_partner_id",
            "handover_partner__kind",
        )
        .order_by("confirmed_at", "pk")
    ]

    # The sessions are the big table: counted in SQL by programme and month (and year).
    current = Session.objects.current().filter(municipality_id=m)
    programme, participant = f"{COURSE}__programme_id", f"{COURSE}__participant_id"
    session_months = [
        facts.SessionMonth(
            programme_id=row[programme],
            month=row["month"],
            planned=row["planned"],
            held=row["held"],
            no_show=row["no_show"],
            cancelled=row["cancelled"],
            minutes=row["minutes"] or 0,
            participants=row["participants"],
            helpers=row["helpers"],
        )
        for row in current.annotate(month=TruncMonth("date"))
        .values(programme, "month")
        .annotate(
            planned=Count("pk"),
            held=Count("pk", filter=Q(status=SessionStatus.HELD)),
            no_show=Count("pk", filter=Q(status=SessionStatus.NO_SHOW)),
            cancelled=Count("pk", filter=Q(status=SessionStatus.CANCELLED)),
            minutes=Sum("minutes", filter=Q(status=SessionStatus.HELD)),
            participants=Count(participant, distinct=True),
            helpers=Count("helper_id", distinct=True, filter=Q(status=SessionStatus.HELD)),
        )
        .order_by()
    ]
    session_years = [
        facts.SessionYear(
            programme_id=row[programme],
            year=row["year"],
            participants=row["participants"],
            helpers=row["helpers"],
        )
        for row in current.filter(status=SessionStatus.HELD)
        .annotate(year=TruncYear("date"))
        .values(programme, "year")
        .annotate(
            participants=Count(participant, distinct=True),
            helpers=Count("helper_id", distinct=True),
        )
        .order_by()
    ]
    # Effectiveness is the pair's: start vs latest review of the same pairing.
    scores = [
        facts.Score(
            pairing_id=pairing_id,
            instrument=code,
            review_kind=kind,
            review_on=date,
            review_id=review_id,
            value=value,
        )
        for pairing_id, code, kind, date, review_id, value in ReviewScore.objects.filter(
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
    ]
    follow_ups = [
        facts.FollowUpMonth(
            programme_id=row[programme],
            month=row["month"],
            months=row["months"],
            asked=row["asked"],
            answered=row["answered"],
            active=row["active"],
        )
        for row in FollowUp.objects.filter(municipality_id=m)
        .annotate(month=TruncMonth("due_on"))
        .values(programme, "month", "months")
        .annotate(
            asked=Count("pk", filter=Q(status__in=["sent", "reminded", "answered"])),
            answered=Count("pk", filter=Q(status="answered")),
            active=Count("pk", filter=Q(status="answered", still_active=True)),
        )
        .order_by()
    ]

    qualified = set(
        Helper.objects.filter(municipality_id=m, qualifications__isnull=False).values_list(
            "pk", flat=True
        )
    )
    helpers = [
        facts.HelperRow(id=pk, programme_id=programme_id, status=status, qualified=pk in qualified)
        for pk, programme_id, status in Helper.objects.filter(municipality_id=m).values_list(
            "pk", "programme_id", "status"
        )
    ]
    partner_programmes: dict[int, list[int]] = defaultdict(list)
    for partner_id, programme_id in Partner.programmes.through.objects.filter(
        partner__municipality_id=m
    ).values_list("partner_id", "programme_id"):
        partner_programmes[partner_id].append(programme_id)
    partners = [
        facts.PartnerRow(id=pk, kind=kind, programme_ids=tuple(partner_programmes.get(pk, ())))
        for pk, kind in Partner.objects.filter(municipality_id=m)
        .filter(pk__in=Agreement.objects.filter(agreement_valid_q(today)).values("partner_id"))
        .values_list("pk", "kind")
    ]
    return FactsInput(
        today=today,
        referrals=referrals,
        pairings=pairings,
        session_months=session_months,
        session_years=session_years,
        scores=scores,
        follow_ups=follow_ups,
        helpers=helpers,
        programme_ids=list(
            Programme.objects.filter(municipality_id=m).values_list("pk", flat=True)
        ),
        partners=partners,
        costs=_costs(m, skip=set(skip_cost_years)),
        **_group_rows(m, today),
    )


def venue_key(partner_id: int | None, place: str) -> str:
    """A group offer's venue as a dashboard key: the partner's premises, else the place in
    words (trimmed, at most 50 characters), else ``none``."""
    if partner_id is not None:
        return f"partner:{partner_id}"
    words = " ".join((place or "").split())[:50]
    return f"place:{words}" if words else facts.NO_VENUE


def _group_rows(m: int, today: dt.date) -> dict[str, Any]:
    """The group programmes' rows: held meetings, the meetings offered to each course
    (:func:`kobling.groups.completion.offered_by_course`), the benefit checks and the ended
    courses under a completion rule — a fixed number of queries."""
    offers = {
        pk: (programme_id, venue_key(partner_id, place))
        for pk, programme_id, partner_id, place in GroupOffer.objects.filter(
            municipality_id=m
        ).values_list("pk", "programme_id", "venue_id", "place")
    }
    meetings = [
        facts.GroupMeetingRow(offers[offer_id][0], pk, day, offers[offer_id][1])
        for pk, offer_id, day in Meeting.objects.filter(
            municipality_id=m, status=MeetingStatus.HELD, date__lte=today
        )
        .values_list("pk", "offer_id", "date")
        .order_by()
        if offer_id in offers
    ]
    offered = offered_by_course(today=today, municipality_id=m)
    courses = {
        row[0]: row
        for row in Episode.objects.filter(municipality_id=m)
        .values_list(
            "pk",
            "programme_id",
            "participant_id",
            "participant__gender",
            "participant__birth_date",
            "referral_id",
            "ended_on",
            "programme__completion_min_attendance_pct",
            "programme__completion_needs_end_conversation",
        )
        .order_by()
    }
    visits = []
    for course_id, rows in offered.items():
        course = courses.get(course_id)
        if course is None:
            continue
        for row in rows:
            programme_id, venue = offers.get(row.meeting.offer_id, (course[1], facts.NO_VENUE))
            visits.append(
                facts.GroupVisitRow(
                    programme_id=programme_id,
                    course_id=course_id,
                    person_id=course[2],
                    meeting_id=row.meeting.pk,
                    day=row.meeting.date,
                    came=row.came,
                    venue=venue,
                    gender=course[3] or "",
                    birth_date=course[4],
                )
            )
    course_of_referral = {c[5]: c[0] for c in courses.values()}
    checks = [
        facts.BenefitCheckRow(course_of_referral[referral_id], verified_on, benefit, pk)
        for pk, referral_id, verified_on, benefit in BenefitCheck.objects.filter(municipality_id=m)
        .values_list("pk", "referral_id", "verified_on", "benefit")
        .order_by()
        if referral_id in course_of_referral
    ]
    talks = set(
        Conversation.objects.filter(municipality_id=m, kind=ConversationKind.END).values_list(
            "episode_id", flat=True
        )
    )
    ends = []
    for pk, programme_id, *_person, ended_on, pct, needs_talk in courses.values():
        rule = CompletionRule(pct, needs_talk)
        if ended_on is None or not rule.defined:
            continue
        rows = offered.get(pk, [])
        done = is_completed(
            rule,
            CourseFacts(
                ended=True,
                end_conversation=pk in talks,
                offered=len(rows),
                attended=sum(1 for r in rows if r.came),
            ),
        )
        ends.append(facts.CourseEndRow(programme_id, pk, ended_on, bool(done)))
    return {
        "group_meetings": meetings,
        "group_visits": visits,
        "benefit_checks": checks,
        "course_ends": ends,
    }


def compute_facts(
    municipality_id: int, today: dt.date | None = None, *, skip_cost_years: Iterable[int] = ()
) -> facts.Facts:
    """Every dashboard figure of one municipality, from the base tables (the cost of
    ``skip_cost_years`` left out: the caller keeps those from the last refresh)."""
    return facts.compute(load_input(municipality_id, today, skip_cost_years=skip_cost_years))


def _costs(municipality_id: int, skip: set[int]) -> list[facts.CostYear]:
    """Cost per calendar year from :func:`kobling.pay.costs.period_costs` (the slow part of a
    refresh: it estimates unapproved pay session by session)."""
    from kobling.pay.costs import period_costs

    years = set(
        Session.objects.filter(municipality_id=municipality_id)
        .annotate(year=TruncYear("date"))
        .values_list("year", flat=True)
        .distinct()
        .order_by()
    )
    rows = []
    for year in sorted({y.year for y in years} - skip):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        for row in period_costs(municipality_ids=[municipality_id], start=start, end=end):
            c = row.cost
            rows.append(
                facts.CostYear(
                    programme_id=row.programme_id,
                    year=start,
                    pay=c.pay,
                    expenses=c.expenses,
                    courses=c.courses,
                    coordination=c.coordination,
                )
            )
    return rows


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
    figures = compute_facts(municipality_id, today, skip_cost_years=keep)
    for p, period, metric, value in DashboardFact.objects.filter(
        municipality_id=municipality_id,
        grain=Grain.YEAR,
        metric__startswith="cost_",
        period__year__in=sorted(keep),
    ).values_list("programme_id", "period", "metric", "value"):
        figures.add(p, Grain.YEAR, period, metric, value)
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
        for (p, grain, period, metric, dimension, key), value in figures.values.items()
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
