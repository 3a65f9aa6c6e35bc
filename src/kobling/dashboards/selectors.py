"""The RE-AIM report of one programme and year, built from the aggregates only
(:class:`~kobling.dashboards.models.DashboardFact`): two queries whatever the data size.

Every cell of the returned tables has been through :mod:`kobling.dashboards.suppression`; the
page, the CSV export, the yearly PDF and the API all render this one structure, so none of them
can show a small cell."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kobling.core import charts
from kobling.dashboards.facts import AGE_BANDS, OLDEST_BAND
from kobling.dashboards.models import DashboardFact, DashboardRefresh, Grain
from kobling.dashboards.suppression import (
    SUPPRESSED,
    THRESHOLD,
    derived,
    describing,
    hidden,
    part_of,
    suppress,
    suppress_chain,
    suppress_group,
    suppress_rows,
    suppress_table,
)
from kobling.helpers.choices import Gender, HelperStatus
from kobling.helpers.models import TargetGroup
from kobling.outcomes.choices import FOLLOW_UP_MONTHS
from kobling.referrals.choices import ReferralSource
from kobling.tenancy.models import Programme


@dataclass
class Table:
    """A table of already-suppressed cells; the first column labels the rows."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: SafeString | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.columns,
            "rows": [[_plain(c) for c in row] for row in self.rows],
            "note": self.note,
        }


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    programme: Programme
    year: int
    as_of: dt.datetime | None
    years_running: int | None
    sections: list[Section]

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme.pk,
            "programme_name": self.programme.name,
            "year": self.year,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "years_running": self.years_running,
            "suppression": {"threshold": THRESHOLD, "shown_as": SUPPRESSED},
            "sections": [
                {"key": s.key, "title": s.title, "tables": [t.as_dict() for t in s.tables]}
                for s in self.sections
            ],
        }


def _plain(cell: Any) -> Any:
    if isinstance(cell, Decimal):
        return str(cell)
    return cell


def _pct(numerator: Any, denominator: Any) -> Any:
    if not isinstance(numerator, int | Decimal) or not isinstance(denominator, int | Decimal):
        return None
    if not denominator:
        return None
    return (Decimal(100) * Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.1"), ROUND_HALF_UP
    )


def _mean(total: Any, n: Any) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _median(histogram: dict[int, int]) -> Decimal | None:
    n = sum(histogram.values())
    if not n:
        return None
    ordered = sorted(histogram.items())

    def nth(k: int) -> int:  # 0-based
        seen = 0
        for value, count in ordered:
            seen += count
            if k < seen:
                return value
        return ordered[-1][0]

    if n % 2:
        return Decimal(nth(n // 2))
    return (Decimal(nth(n // 2 - 1)) + Decimal(nth(n // 2))) / 2


class _Facts:
    """The loaded facts, summed over the months of the year."""

    def __init__(self, rows: list[tuple]) -> None:
        self.total: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self.monthly: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
        self.now: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for grain, period, metric, dimension, key, value in rows:
            if grain == Grain.NOW:
                self.now[(metric, dimension, key)] += value
                continue
            self.total[(metric, dimension, key)] += value
            if grain == Grain.MONTH and not dimension:
                self.monthly[(metric, period)] += value

    def n(self, metric: str, dimension: str = "", key: str = "") -> int | Decimal:
        value = self.total.get((metric, dimension, key), Decimal(0))
        return int(value) if value == value.to_integral_value() else value

    def keys(self, metric: str, dimension: str) -> set[str]:
        return {k for (m, d, k) in self.total if m == metric and d == dimension}

    def histogram(self, metric: str) -> dict[int, int]:
        return {
            int(k): int(v) for (m, d, k), v in self.total.items() if m == metric and d == "days"
        }


def build_report(programme: Programme, year: int) -> Report:
    """The report for ``programme`` in calendar ``year`` (see the module docstring)."""
    start = dt.date(year, 1, 1)
    rows = list(
        DashboardFact.objects.filter(programme=programme)
        .filter(
            Q(grain=Grain.MONTH, period__gte=start, period__lte=dt.date(year, 12, 1))
            | Q(grain=Grain.YEAR, period=start)
            | Q(grain=Grain.NOW)
        )
        .values_list("grain", "period", "metric", "dimension", "key", "value")
        .order_by()
    )
    refresh = (
        DashboardRefresh.objects.filter(municipality_id=programme.municipality_id)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    facts = _Facts(rows)
    today = timezone.localdate()
    started_on = programme.started_on
    years_running = None
    if started_on is not None:
        years_running = (
            today.year
            - started_on.year
            - ((today.month, today.day) < (started_on.month, started_on.day))
        )
    sections = [
        Section("reach", _("Reach"), _reach(facts)),
        Section("effectiveness", _("Effectiveness"), _effectiveness(facts)),
        Section("adoption", _("Adoption"), _adoption(facts)),
        Section("implementation", _("Implementation"), _implementation(facts, year)),
        Section("maintenance", _("Maintenance"), _maintenance(facts, years_running)),
        Section("cost", _("Cost"), _cost(facts)),
    ]
    if _has_groups(programme, facts):
        sections.append(Section("groups", _("Group meetings"), _groups(programme, facts, year)))
    return Report(
        programme=programme,
        year=year,
        as_of=refresh,
        years_running=years_running,
        sections=sections,
    )


# --- Reach --------------------------------------------------------------------------------------

STAGES = ("referred", "granted", "started", "completed", "dropped_out")


def _stage_names() -> dict[str, str]:
    return {
        "referred": _("Referred"),
        "granted": _("Granted"),
        "started": _("Started"),
        "completed": _("Completed (goal reached)"),
        "dropped_out": _("Dropped out"),
    }


def _reach(f: _Facts) -> list[Table]:
    names = _stage_names()
    # Referred ⊇ granted ⊇ started is a chain (rule 5); completed and dropped out are parts of
    # started, with the rest (still going, other endings) hidden beside them (rule 2).
    referred, granted, started, completed, dropped = (int(f.n(stage)) for stage in STAGES)
    rest = max(started - completed - dropped, 0)
    funnel = (
        suppress_chain([referred, granted, started])
        + suppress_group([completed, dropped, rest])[:2]
    )
    tables = [
        Table(
            "reach_funnel",
            _("From referral to start"),
            [_("Stage"), _("Persons")],
            [[names[s], cell] for s, cell in zip(STAGES, funnel, strict=True)],
            chart=charts.bars(_("From referral to start"), [names[s] for s in STAGES], funnel),
        )
    ]
    labels: dict[str, dict[str, str]] = {
        "gender": {str(k): str(v) for k, v in Gender.choices},
        "age_band": {b[2]: b[2] for b in AGE_BANDS} | {OLDEST_BAND: OLDEST_BAND},
        "source": {str(k): str(v) for k, v in ReferralSource.choices},
        "target_group": {
            **{tg.code: str(tg) for tg in TargetGroup.objects.all()},
            "none": _("None given"),
        },
    }
    titles = {
        "gender": _("By gender"),
        "age_band": _("By age band"),
        "source": _("By referral source"),
        "target_group": _("By target group"),
    }
    for dimension, title in titles.items():
        keys = sorted(
            f.keys("referred", dimension)
            | f.keys("granted", dimension)
            | f.keys("started", dimension)
        )
        order = list(labels[dimension])
        keys.sort(key=lambda k: order.index(k) if k in order else len(order))
        # Each row is a chain (referred ⊇ granted ⊇ started ⊇ dropped out), each column adds
        # up to the funnel's figure: rules 2 and 5 together.
        stages = ("referred", "granted", "started", "dropped_out")
        cells = suppress_table([[int(f.n(s, dimension, k)) for s in stages] for k in keys])
        table_rows = []
        for i, key in enumerate(keys):
            referred, granted, started, dropped = cells[i]
            table_rows.append(
                [
                    labels[dimension].get(key, key),
                    referred,
                    granted,
                    started,
                    dropped,
                    derived(_pct(started, referred), referred, started),
                    derived(_pct(dropped, started), started, dropped),
                ]
            )
        tables.append(
            Table(
                f"reach_{dimension}",
                title,
                [
                    title,
                    _("Referred"),
                    _("Granted"),
                    _("Started"),
                    _("Dropped out"),
                    _("Uptake %"),
                    _("Drop-out %"),
                ],
                table_rows,
                note=_("Drop-out: ended because the participant stopped or it did not work out."),
            )
        )
    return tables


# --- Effectiveness ------------------------------------------------------------------------------


def _measure_names() -> dict[str, str]:
    """Each measure's name in the active language, as the instrument is defined (bokmål or
    English, ``outcomes.reference``: what the register is seeded from) — read without a query,
    so the page still reads only aggregates. Goal attainment is not an instrument."""
    from django.utils.translation import get_language

    from kobling.outcomes.reference import INSTRUMENTS

    key = "name_en" if (get_language() or "nb").startswith("en") else "name_nb"
    names = {i["code"]: i[key] for i in INSTRUMENTS}
    names.setdefault("goal_attainment", _("Goal attainment"))
    return names


def _effectiveness(f: _Facts) -> list[Table]:
    codes = sorted(f.keys("eff_n", "instrument") | f.keys("eff_end_n", "instrument"))
    names = _measure_names()
    rows = []
    for code in codes:
        n = suppress(f.n("eff_n", "instrument", code))
        n_end = suppress(f.n("eff_end_n", "instrument", code))
        raw_n, raw_end = f.n("eff_n", "instrument", code), f.n("eff_end_n", "instrument", code)
        start = derived(_mean(f.n("eff_start_sum", "instrument", code), raw_n), n)
        latest = derived(_mean(f.n("eff_latest_sum", "instrument", code), raw_n), n)
        end_start = derived(_mean(f.n("eff_end_start_sum", "instrument", code), raw_end), n_end)
        end = derived(_mean(f.n("eff_end_sum", "instrument", code), raw_end), n_end)
        change = derived(
            latest - start if isinstance(latest, Decimal) and isinstance(start, Decimal) else None,
            n,
        )
        rows.append([names.get(code, code), n, start, latest, change, n_end, end_start, end])
    tables = [
        Table(
            "effectiveness",
            _("Start, latest and end review (means)"),
            [
                _("Measure"),
                _("Pairs"),
                _("Start"),
                _("Latest"),
                _("Change"),
                _("Pairs with end review"),
                _("Their start"),
                _("Their end"),
            ],
            rows,
            note=_("Pairs that started in the year, with a start review and a later one."),
        )
    ]
    n = suppress(f.n("eff_n", "instrument", "activity_minutes"))
    n_end = suppress(f.n("eff_end_n", "instrument", "activity_minutes"))
    code = "activity_minutes"
    raw_n, raw_end = f.n("eff_n", "instrument", code), f.n("eff_end_n", "instrument", code)
    meets = [
        (_("At the start"), f.n("eff_meets_start", "instrument", code), raw_n, n),
        (_("At the latest review"), f.n("eff_meets_latest", "instrument", code), raw_n, n),
        (_("At the end"), f.n("eff_meets_end", "instrument", code), raw_end, n_end),
    ]
    meet_rows = []
    for label, count, total, base in meets:
        shown = part_of(count, total)
        meet_rows.append([label, base, shown, derived(_pct(shown, base), base, shown)])
    tables.append(
        Table(
            "effectiveness_recommendation",
            _("Meeting the activity recommendation"),
            [_("When"), _("Pairs"), _("Meeting it"), _("Share %")],
            meet_rows,
            chart=charts.bars(
                _("Share meeting the recommendation (%)"),
                [r[0] for r in meet_rows],
                [r[3] for r in meet_rows],
            ),
        )
    )
    return tables


# --- Adoption -----------------------------------------------------------------------------------


def _adoption(f: _Facts) -> list[Table]:
    trained = suppress(int(f.now.get(("helpers_trained", "", ""), 0)))
    active = suppress(int(f.now.get(("helpers_trained_active", "", ""), 0)))
    retained = suppress(int(f.now.get(("helpers_trained_retained", "", ""), 0)))
    working = suppress(f.n("helpers_active"))
    rows = [
        [_("Trained contacts"), trained, None],
        [_("… of them active now"), active, derived(_pct(active, trained), trained, active)],
        [
            _("… of them still with the scheme (retention)"),
            retained,
            derived(_pct(retained, trained), trained, retained),
        ],
        [_("Contacts who held sessions in the year"), working, None],
    ]
    statuses = [s for s, _label in HelperStatus.choices]
    by_status = suppress_group([int(f.now.get(("helpers", "status", s), 0)) for s in statuses])
    return [
        Table("adoption", _("Contacts"), [_("Contacts"), _("Number"), _("Share %")], rows),
        Table(
            "adoption_status",
            _("Contacts by status now"),
            [_("Status"), _("Number")],
            [
                [str(label), cell]
                for (_s, label), cell in zip(HelperStatus.choices, by_status, strict=True)
            ],
        ),
        *_partner_uptake(f),
    ]


def _partner_uptake(f: _Facts) -> list[Table]:
    """Adoption → partner uptake. Partner and referring-organisation counts are organisations,
    not persons: not suppressed as such, but hidden (rule 4) where the persons behind them — the
    participants handed over, the referrals from a source — are 1–4, so that, say, "4 partners
    took participants over" next to "<5 participants" cannot give the persons away."""
    from kobling.followup.choices import HandoverDestination
    from kobling.partners.choices import PartnerKind

    in_agreement = int(f.now.get(("partners_in_agreement", "", ""), 0))
    handed_to_partner = f.n("handovers_to_partner")
    took_over = describing(f.n("handover_partners"), handed_to_partner)
    summary = [
        [_("Partners with an agreement in force now (organisations)"), in_agreement],
        [_("Partners that took participants over in the year (organisations)"), took_over],
        [
            _("Participants handed over to a partner in the year (persons)"),
            suppress(handed_to_partner),
        ],
    ]
    kinds = list(PartnerKind.choices)
    by_kind_rows = []
    for value, label in kinds:
        agreements = int(f.now.get(("partners_in_agreement", "kind", value), 0))
        took = describing(
            f.n("handover_partners", "kind", value), f.n("handovers_to_partner", "kind", value)
        )
        if agreements or took:
            by_kind_rows.append([str(label), agreements, took])
    by_kind_rows.append([_("All kinds"), in_agreement, took_over])

    destinations = [*HandoverDestination.choices, ("unknown", _("Not recorded"))]
    counts = [f.n("handovers", "destination", value) for value, _label in destinations]
    total = sum(counts)
    cells = suppress_group(counts)
    shown_total = suppress(total)
    handover_rows = [
        [str(label), cell, derived(_pct(cell, shown_total), shown_total, cell)]
        for (_v, label), cell in zip(destinations, cells, strict=True)
        if cell != 0
    ]
    handover_rows.append([_("All ended pairings"), shown_total, None])

    sources = list(ReferralSource.choices)
    referrer_rows = []
    for value, label in sources:
        organisations = f.n("referring_organisations", "source", value)
        if organisations:
            referrer_rows.append(
                [
                    str(label),
                    describing(organisations, f.n("referred", "source", value)),
                ]
            )
    referrer_rows.append(
        [
            _("All sources (distinct)"),
            describing(f.n("referring_organisations"), f.n("referred")),
        ]
    )
    labels = [row[0] for row in handover_rows[:-1]]
    return [
        Table(
            "adoption_partners",
            _("Partner uptake"),
            [_("Partner uptake"), _("Number")],
            summary,
            note=_(
                "Partners are organisations, not persons. A partner counts for each of its "
                "programmes, or for all when it lists none."
            ),
        ),
        Table(
            "adoption_partners_kind",
            _("Partners by kind (organisations)"),
            [
                _("Kind"),
                _("With an agreement in force now"),
                _("Took participants over in the year"),
            ],
            by_kind_rows,
        ),
        Table(
            "adoption_handovers",
            _("Hand-overs by destination (persons)"),
            [_("Handed over to"), _("Persons"), _("Share %")],
            handover_rows,
            chart=charts.bars(
                _("Hand-overs by destination (persons)"),
                labels,
                [row[1] for row in handover_rows[:-1]],
            )
            if labels
            else None,
            note=_("Where participants went on to be active when their pairing ended."),
        ),
        Table(
            "adoption_referrers",
            _("Referring organisations by referral source (organisations)"),
            [_("Referral source"), _("Organisations")],
            referrer_rows,
            note=_(
                "Distinct organisations named on the referrals received in the year; the last "
                "row counts each organisation once."
            ),
        ),
    ]


# --- Implementation -----------------------------------------------------------------------------


def _implementation(f: _Facts, year: int) -> list[Table]:
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    persons = [int(f.monthly.get(("sessions_participants", m), 0)) for m in months]
    hide = suppress_rows(persons)
    names = ("planned", "held", "no_show", "cancelled")
    rows, held_series = [], []
    for month, people, hidden_row in zip(months, persons, hide, strict=True):
        values = [int(f.monthly.get((f"sessions_{n}", month), 0)) for n in names]
        minutes = int(f.monthly.get(("minutes_held", month), 0))
        attendance = _pct(values[1], values[0])
        cells = [SUPPRESSED] * 7 if hidden_row else [people, *values, minutes, attendance]
        label = month.strftime("%m.%Y")
        rows.append([label, *cells])
        held_series.append(cells[2])
    total_people = suppress(f.n("participants_served"))
    totals = [f.n(f"sessions_{n}") for n in names]
    total_row = [
        _("Year"),
        total_people,
        *[describing(v, f.n("participants_served")) for v in totals],
        describing(f.n("minutes_held"), f.n("participants_served")),
        derived(_pct(totals[1], totals[0]), total_people),
    ]
    rows.append(total_row)
    dose = Table(
        "implementation_dose",
        _("Dose: sessions per month"),
        [
            _("Month"),
            _("Participants"),
            _("Planned"),
            _("Held"),
            _("No-shows"),
            _("Cancelled"),
            _("Minutes held"),
            _("Attendance %"),
        ],
        rows,
        chart=charts.columns(
            _("Sessions held per month"), [r[0][:2] for r in rows[:-1]], held_series
        ),
        note=_("Participants in the year are counted once, so they are not the sum of the months."),
    )
    lead = []
    for metric, label in (
        ("days_to_decision", _("Referral to decision")),
        ("days_to_pairing", _("Referral to pairing")),
        ("days_to_first_session", _("Referral to first session")),
    ):
        histogram = f.histogram(metric)
        n = suppress(sum(histogram.values()))
        lead.append([label, n, derived(_median(histogram), n)])
    return [
        dose,
        Table(
            "implementation_waiting",
            _("Days from referral (median)"),
            [_("Step"), _("Referrals"), _("Median days")],
            lead,
            note=_("Counted for the referrals received in the year."),
        ),
    ]


# --- Maintenance --------------------------------------------------------------------------------


def _maintenance(f: _Facts, years_running: int | None) -> list[Table]:
    rows = []
    for months in FOLLOW_UP_MONTHS:
        key = str(months)
        asked = suppress(f.n("followup_asked", "months", key))
        answered = suppress(f.n("followup_answered", "months", key))
        active = part_of(
            f.n("followup_active", "months", key), f.n("followup_answered", "months", key)
        )
        rows.append(
            [
                _("%(months)s months after the end") % {"months": months},
                asked,
                answered,
                active,
                derived(_pct(active, answered), answered, active),
            ]
        )
    return [
        Table(
            "maintenance",
            _("Still active after the end"),
            [_("When"), _("Asked"), _("Answered"), _("Still active"), _("Share active %")],
            rows,
            chart=charts.bars(
                _("Share still active (%)"), [r[0] for r in rows], [r[4] for r in rows]
            ),
            note=(
                _("The scheme has run for %(years)s years.") % {"years": years_running}
                if years_running is not None
                else ""
            ),
        )
    ]


# --- Cost ---------------------------------------------------------------------------------------


def _cost(f: _Facts) -> list[Table]:
    helpers = f.n("helpers_active")
    pay = describing(_money(f.n("cost_pay")), helpers)
    expenses = describing(_money(f.n("cost_expenses")), helpers)
    courses = _money(f.n("cost_courses"))
    coordination = _money(f.n("cost_coordination"))
    total_raw = _money(
        f.n("cost_pay") + f.n("cost_expenses") + f.n("cost_courses") + f.n("cost_coordination")
    )
    # The total would give away pay and expenses when they are hidden.
    total = SUPPRESSED if hidden(pay) else total_raw
    served = suppress(f.n("participants_served"))
    completed = suppress(f.n("completed"))
    active6 = suppress(f.n("followup_active", "months", "6"))

    def per(base: Any) -> Any:
        if hidden(total):
            return SUPPRESSED
        return derived(_money(total_raw / base) if isinstance(base, int) and base else None, base)

    parts = [
        [_("Helper pay"), pay],
        [_("Expenses"), expenses],
        [_("Courses"), courses],
        [_("Coordination"), coordination],
        [_("Total"), total],
    ]
    return [
        Table(
            "cost",
            _("Cost in the year (NOK)"),
            [_("Part"), _("NOK")],
            parts,
            chart=charts.bars(
                _("Cost by part (NOK)"), [p[0] for p in parts[:4]], [p[1] for p in parts[:4]]
            ),
            note=_("Approved and estimated amounts together; see the pay pages for the basis."),
        ),
        Table(
            "cost_per",
            _("Cost per person (NOK)"),
            [_("Per"), _("Persons"), _("NOK each")],
            [
                [_("Participant with sessions"), served, per(f.n("participants_served"))],
                [_("Completed pairing"), completed, per(f.n("completed"))],
                [
                    _("Participant still active at 6 months"),
                    active6,
                    per(f.n("followup_active", "months", "6")),
                ],
            ],
        ),
    ]


# --- Group programmes ---------------------------------------------------------------------------


def _has_groups(programme: Programme, f: _Facts) -> bool:
    from kobling.tenancy.choices import Delivery

    return programme.delivery == Delivery.GROUP or any(
        metric.startswith("group_") for metric, _d, _k in f.total
    )


def _venue_labels(programme: Programme) -> dict[str, str]:
    """Venue keys (dashboards.refresh.venue_key) → names: partners' premises by the partner's
    name (an organisation), a place in words as it is, ``none`` as not given. One query."""
    from kobling.dashboards.facts import NO_VENUE
    from kobling.partners.models import Partner

    labels = {
        f"partner:{pk}": name
        for pk, name in Partner.objects.filter(
            municipality_id=programme.municipality_id, group_offers__programme=programme
        )
        .values_list("pk", "name")
        .distinct()
    }
    labels[NO_VENUE] = _("No place given")
    return labels


def _venue_label(labels: dict[str, str], key: str) -> str:
    if key in labels:
        return labels[key]
    return key.removeprefix("place:") if key.startswith("place:") else key


def _benefit_labels() -> dict[str, str]:
    from kobling.dashboards.facts import NOT_CHECKED
    from kobling.referrals.choices import Benefit

    return {str(k): str(v) for k, v in Benefit.choices} | {NOT_CHECKED: _("Not checked")}


def _persons_by(
    f: _Facts, dimension: str, labels: dict[str, str], title: str, key: str, note: str = ""
) -> Table:
    """Persons who came in the year by one breakdown (rules 1 and 2), with their attendances
    and attendance rate where the breakdown has them (rule 4: hidden where the persons are)."""
    keys = sorted(f.keys("group_persons", dimension))
    order = list(labels)
    keys.sort(key=lambda k: (order.index(k) if k in order else len(order), labels.get(k, k)))
    persons = [f.n("group_persons", dimension, k) for k in keys]
    cells = suppress_group(persons)
    with_attendance = dimension in ("benefit", "venue")
    rows = []
    for k, raw, cell in zip(keys, persons, cells, strict=True):
        label = _venue_label(labels, k) if dimension == "venue" else labels.get(k, k)
        if not with_attendance:
            rows.append([label, cell])
            continue
        offered, attended = f.n("group_offered", dimension, k), f.n("group_attended", dimension, k)
        shown = describing(attended, raw) if not hidden(cell) else SUPPRESSED
        rows.append([label, cell, shown, derived(_pct(attended, offered), cell, shown)])
    total = suppress(f.n("group_persons"))
    columns = [title, _("Persons")]
    if with_attendance:
        columns += [_("Attendances"), _("Attendance %")]
        rows.append(
            [_("All"), total, describing(f.n("group_attended"), f.n("group_persons")), None]
        )
    else:
        rows.append([_("All"), total])
    return Table(key, title, columns, rows, note=note)


def _group_summary(f: _Facts) -> Table:
    persons_raw = f.n("group_persons")
    persons = suppress(persons_raw)
    attended = describing(f.n("group_attended"), persons_raw)
    offered = describing(f.n("group_offered"), persons_raw)
    rows = [
        [_("Participants who came at least once (persons)"), persons],
        [_("Meetings held"), f.n("group_meetings")],
        [_("Attendances (a person at a meeting)"), attended],
        [_("Meetings offered to participants"), offered],
        [
            _("Attendance % (attended of offered)"),
            derived(_pct(f.n("group_attended"), f.n("group_offered")), persons, attended, offered),
        ],
    ]
    return Table(
        "groups_summary",
        _("Group meetings in the year"),
        [_("Figure"), _("Number")],
        rows,
        note=_(
            "Offered: the held meetings of a group while the course was enrolled in it, and any "
            "meeting a person came to as a drop-in."
        ),
    )


def _group_months(f: _Facts, year: int) -> Table:
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    persons = [int(f.monthly.get(("group_persons_month", m), 0)) for m in months]
    hide = suppress_rows(persons)
    rows = []
    for month, people, hidden_row in zip(months, persons, hide, strict=True):
        meetings = int(f.monthly.get(("group_meetings", month), 0))
        offered = int(f.monthly.get(("group_offered", month), 0))
        attended = int(f.monthly.get(("group_attended", month), 0))
        cells = (
            [SUPPRESSED] * 5
            if hidden_row
            else [people, meetings, offered, attended, _pct(attended, offered)]
        )
        rows.append([month.strftime("%m.%Y"), *cells])
    return Table(
        "groups_months",
        _("Group meetings per month"),
        [
            _("Month"),
            _("Participants"),
            _("Meetings held"),
            _("Offered"),
            _("Attended"),
            _("Attendance %"),
        ],
        rows,
        chart=charts.columns(
            _("Attendances per month"), [r[0][:2] for r in rows], [r[4] for r in rows]
        ),
        note=_("Months with fewer than 5 participants are hidden, and one more where needed."),
    )


def _group_completion(programme: Programme, f: _Facts) -> Table:
    from kobling.groups.completion import rule_of

    ended_raw, completed_raw = f.n("group_courses_ended"), f.n("group_courses_completed")
    ended = suppress(ended_raw)
    completed = part_of(completed_raw, ended_raw)
    return Table(
        "groups_completion",
        _("Completion"),
        [_("Courses"), _("Number")],
        [
            [_("Courses that ended in the year"), ended],
            [_("… completed under the programme's rule"), completed],
            [_("Completion %"), derived(_pct(completed, ended), ended, completed)],
        ],
        note=rule_of(programme).describe(),
    )


def _group_tables(programme: Programme, f: _Facts, year: int) -> dict[str, Table]:
    labels_gender = {str(k): str(v) for k, v in Gender.choices} | {"unknown": _("Not given")}
    labels_age = {b[2]: b[2] for b in AGE_BANDS} | {OLDEST_BAND: OLDEST_BAND}
    venue_note = _("A person who came at several venues counts at each of them.")
    return {
        "summary": _group_summary(f),
        "months": _group_months(f, year),
        "completion": _group_completion(programme, f),
        "benefit": _persons_by(
            f,
            "benefit",
            _benefit_labels(),
            _("By benefit group"),
            "groups_benefit",
            note=_(
                "The benefit group of the latest benefit check on or before the end of the year."
            ),
        ),
        "venue": _persons_by(
            f, "venue", _venue_labels(programme), _("By venue"), "groups_venue", note=venue_note
        ),
        "age_band": _persons_by(f, "age_band", labels_age, _("By age band"), "groups_age_band"),
        "gender": _persons_by(f, "gender", labels_gender, _("By gender"), "groups_gender"),
    }


def _groups(programme: Programme, f: _Facts, year: int) -> list[Table]:
    tables = _group_tables(programme, f, year)
    return [tables[k] for k in ("summary", "months", "completion", "benefit", "venue")]


def _load(programme: Programme, year: int) -> tuple[_Facts, dt.datetime | None]:
    start = dt.date(year, 1, 1)
    rows = list(
        DashboardFact.objects.filter(programme=programme)
        .filter(
            Q(grain=Grain.MONTH, period__gte=start, period__lte=dt.date(year, 12, 1))
            | Q(grain=Grain.YEAR, period=start)
        )
        .values_list("grain", "period", "metric", "dimension", "key", "value")
        .order_by()
    )
    refresh = (
        DashboardRefresh.objects.filter(municipality_id=programme.municipality_id)
        .values_list("refreshed_at", flat=True)
        .first()
    )
    return _Facts(rows), refresh


def build_group_year_report(programme: Programme, year: int) -> Report:
    """The yearly report of a group programme (Aktiv på dagtid's report for the municipality
    and its NAV office): participants by benefit group, venue, age band and gender, meetings
    held, attendances and the attendance rate, completion. An outside report: every cell has
    been through :mod:`kobling.dashboards.suppression`, like the dashboards. Three queries."""
    facts, refresh = _load(programme, year)
    tables = _group_tables(programme, facts, year)
    sections = [
        Section(
            "participation",
            _("Participation"),
            [tables["summary"], tables["months"], tables["completion"]],
        ),
        Section(
            "participants",
            _("Participants"),
            [tables["benefit"], tables["venue"], tables["age_band"], tables["gender"]],
        ),
    ]
    return Report(
        programme=programme, year=year, as_of=refresh, years_running=None, sections=sections
    )


__all__ = ["Report", "Section", "Table", "build_group_year_report", "build_report"]
