"""Reads for grants: the round's ranked list (loaded here, ranked by the pure
:mod:`kobling.grants.ranking`), the grants with their status, the yearly overview per scheme."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from kobling.grants import ranking
from kobling.grants.choices import ApplicationStatus, GrantStatus
from kobling.grants.models import (
    Application,
    ConflictDeclaration,
    GrantDecision,
    GrantReport,
    GrantRound,
    GrantScheme,
    Score,
    current_decision,
    grant_status,
)
from kobling.lib.spreadsheet import neutralise


def application_queryset(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Applications with what every list shows, in a fixed number of queries."""
    return queryset.select_related(
        "partner", "contact", "round__scheme", "municipality"
    ).prefetch_related(
        "budget_lines",
        Prefetch("decisions", queryset=GrantDecision.objects.order_by("decided_at", "pk")),
        Prefetch("report", queryset=GrantReport.objects.all()),
    )


def decision_of(application: Application) -> GrantDecision | None:
    return current_decision(list(application.decisions.all()))


def report_of(application: Application) -> GrantReport | None:
    try:
        return application.report
    except GrantReport.DoesNotExist:
        return None


def status_label(status: str | None) -> str:
    return str(GrantStatus(status).label) if status else ""


def status_of(application: Application, today: dt.date) -> str | None:
    return grant_status(
        application=application,
        decision=decision_of(application),
        report=report_of(application),
        today=today,
    )


@dataclass(frozen=True)
class RankedRow:
    rank: int
    application: Application
    requested: Decimal
    weighted_score: float | None
    scorers: int
    running_total: Decimal
    within_budget: bool
    conflicts: int


def round_ranking(grant_round: GrantRound) -> list[RankedRow]:
    """The round's sent applications ranked by weighted score, with the running total of the
    amounts asked against the round's budget. Scores of officers who declared a conflict are
    never counted (they cannot exist: declaring removes them; scoring after is refused)."""
    applications = list(
        application_queryset(
            Application.objects.filter(round=grant_round).exclude(status=ApplicationStatus.DRAFT)
        )
    )
    weights = dict(grant_round.scheme.criteria.values_list("pk", "weight"))
    rows = [
        ranking.ScoreRow(application_id=a, criterion_id=c, value=v)
        for a, c, v in Score.objects.filter(application__round=grant_round).values_list(
            "application_id", "criterion_id", "value"
        )
    ]
    conflicts: dict[int, int] = {}
    for app_id in ConflictDeclaration.objects.filter(application__round=grant_round).values_list(
        "application_id", flat=True
    ):
        conflicts[app_id] = conflicts.get(app_id, 0) + 1
    by_id = {a.pk: a for a in applications}
    candidates = [ranking.Candidate(a.pk, a.amount_requested) for a in applications]
    return [
        RankedRow(
            rank=r.rank,
            application=by_id[r.application_id],
            requested=r.requested,
            weighted_score=r.weighted_score,
            scorers=r.scorers,
            running_total=r.running_total,
            within_budget=r.within_budget,
            conflicts=conflicts.get(r.application_id, 0),
        )
        for r in ranking.rank(candidates, rows, weights, grant_round.budget)
    ]


@dataclass(frozen=True)
class OverviewRow:
    application: Application
    decision: GrantDecision | None
    status: str | None
    requested: Decimal
    granted: Decimal
    spent: Decimal | None
    participants: int | None

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class Overview:
    scheme: GrantScheme
    year: int
    rows: list[OverviewRow]
    applications: int
    granted_count: int
    granted_total: Decimal
    budget: Decimal
    by_status: dict[str, int]


def scheme_overview(scheme: GrantScheme, year: int, today: dt.date) -> Overview:
    """Every sent application of the scheme's rounds that opened in ``year``: the decision,
    the grant's status, what was spent (from the report) and the participants (a count)."""
    applications = list(
        application_queryset(
            Application.objects.filter(round__scheme=scheme, round__opens_on__year=year).exclude(
                status=ApplicationStatus.DRAFT
            )
        )
        .prefetch_related("report__lines")
        .order_by("round__opens_on", "partner__name", "pk")
    )
    rows = []
    by_status: dict[str, int] = {}
    for application in applications:
        decision = decision_of(application)
        report = report_of(application)
        status = grant_status(
            application=application, decision=decision, report=report, today=today
        )
        if status:
            by_status[status] = by_status.get(status, 0) + 1
        spent = (
            sum((line.spent for line in report.lines.all()), Decimal(0))
            if report and report.submitted_at
            else None
        )
        rows.append(
            OverviewRow(
                application=application,
                decision=decision,
                status=status,
                requested=application.amount_requested,
                granted=decision.amount if decision else Decimal(0),
                spent=spent,
                participants=report.participants if report and report.submitted_at else None,
            )
        )
    granted = [r for r in rows if r.decision is not None and r.decision.granted]
    budget = sum((r.budget for r in scheme.rounds.filter(opens_on__year=year)), Decimal(0))
    return Overview(
        scheme=scheme,
        year=year,
        rows=rows,
        applications=len(rows),
        granted_count=len(granted),
        granted_total=sum((r.granted for r in granted), Decimal(0)),
        budget=budget,
        by_status=by_status,
    )


def overview_csv_rows(overview: Overview) -> list[list[str]]:
    """The overview as spreadsheet rows: every text cell made formula-safe."""
    labels = dict(GrantStatus.choices)
    header = [
        "round",
        "organisation",
        "organisation_number",
        "application",
        "prevention_level",
        "requested",
        "outcome",
        "granted",
        "status",
        "report_due",
        "spent",
        "participants",
    ]
    rows = [header]
    for r in overview.rows:
        a = r.application
        rows.append(
            [
                neutralise(a.round.name),
                neutralise(a.partner.name),
                a.partner.organisation_number,
                neutralise(a.title),
                a.prevention_level,
                str(r.requested),
                r.decision.outcome if r.decision else "",
                str(r.granted),
                str(labels.get(r.status, "")) if r.status else "",
                a.report_due_on.isoformat() if a.report_due_on else "",
                "" if r.spent is None else str(r.spent),
                "" if r.participants is None else str(r.participants),
            ]
        )
    return rows
