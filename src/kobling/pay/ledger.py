"""The pay ledger: what each timesheet pays, read from the sessions and the stored lines.

Sessions are append-only: a correction is a new entry that supersedes the old one, so every
session is a *chain* of entries whose first entry is its ``origin`` and whose last entry is the
one that stands. A chain is paid either

* **on its month's timesheet**, while that sheet is open: the standing entry, if held, is a
  (computed) session line; approval stores it with ``origin`` set; or
* **by adjustments**, once anything of it was paid: whenever the standing entry no longer matches
  what was paid (a correction of minutes, a withdrawal, a session logged late into a month that
  was already approved), the difference becomes an adjustment line on the helper's next open
  timesheet. Lines are only ever added, so the sum of a chain's lines is what it was paid.

Group meetings pay their leaders the same way. A meeting is not append-only (its row is marked
held, its minutes recorded again, a substitute named), so its "chain" is the pair (meeting,
leader): what the meeting should pay that leader now (:func:`meeting_target`) against the sum
of that leader's lines for it. A held meeting on an open month is a computed meeting line;
approval stores it; any later difference (other minutes, another leader, no longer held, held
late into an approved month) becomes an adjustment line exactly as for a session — one
:class:`Pending` and one writer (``services._store_pending``) for both.

Everything here reads; :mod:`kobling.pay.services` writes (roll-up stores the adjustments,
approval freezes the lines). Reads for many sheets take a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, Exists, F, Max, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth

from kobling.followup.choices import SessionStatus
from kobling.followup.models import Session
from kobling.groups.choices import MeetingStatus
from kobling.groups.models import GroupOffer, Meeting
from kobling.lib.money import ZERO, money
from kobling.pay.choices import ExpenseStatus, LineKind, TimesheetStatus
from kobling.pay.models import Expense, PaySettings, Timesheet, TimesheetLine
from kobling.pay.months import month_of


def pay_for(minutes: int, rate: Decimal) -> Decimal:
    """Minutes at an hourly rate, in NOK to the øre (half up)."""
    return money(Decimal(minutes) * rate / Decimal(60))


def hours(minutes: int) -> Decimal:
    return money(Decimal(minutes) / Decimal(60))


def initials(first_name: str, last_name: str) -> str:
    """ "Kari Nordmann" → "K. N." — how a participant appears on pay documents."""
    parts = [p for p in (first_name or "", last_name or "") if p.strip()]
    return " ".join(f"{p.strip()[0].upper()}." for p in parts)


# --- plain data -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a timesheet as shown (stored or computed)."""

    kind: str
    date: dt.date
    minutes: int = 0
    extra_minutes: int = 0
    amount: Decimal | None = None
    description: str = ""
    participant: str = ""
    session_id: int | None = None
    origin_id: int | None = None
    meeting_id: int | None = None
    group: str = ""  # a group meeting's (or its adjustment's) group, by its title
    expense_id: int | None = None
    corrected_date: dt.date | None = None
    category: str = ""
    stored: bool = False

    @property
    def paid_minutes(self) -> int:
        return self.minutes + self.extra_minutes

    @property
    def is_session(self) -> bool:
        return self.kind == LineKind.SESSION

    @property
    def is_meeting(self) -> bool:
        return self.kind == LineKind.MEETING

    @property
    def is_expense(self) -> bool:
        return self.kind == LineKind.EXPENSE

    @property
    def is_adjustment(self) -> bool:
        return self.kind in (LineKind.ADJUSTMENT, LineKind.MANUAL)


@dataclass
class Figures:
    rate: Decimal
    session_minutes: int = 0
    extra_minutes: int = 0
    adjustment_minutes: int = 0
    expenses_total: Decimal = ZERO
    sessions_held: int = 0
    meeting_minutes: int = 0
    meetings_held: int = 0

    @property
    def paid_minutes(self) -> int:
        return (
            self.session_minutes
            + self.extra_minutes
            + self.meeting_minutes
            + self.adjustment_minutes
        )

    @property
    def hours(self) -> Decimal:
        return hours(self.paid_minutes)

    @property
    def pay_amount(self) -> Decimal:
        return pay_for(self.paid_minutes, self.rate)

    @property
    def total_amount(self) -> Decimal:
        return self.pay_amount + self.expenses_total

    @classmethod
    def from_rows(cls, rows: Iterable[Row], rate: Decimal) -> Figures:
        figures = cls(rate=rate)
        for row in rows:
            if row.is_session:
                figures.session_minutes += row.minutes
                figures.extra_minutes += row.extra_minutes
                figures.sessions_held += 1
            elif row.is_meeting:
                figures.meeting_minutes += row.minutes
                figures.meetings_held += 1
            elif row.is_adjustment:
                figures.adjustment_minutes += row.paid_minutes
            elif row.is_expense and row.amount is not None:
                figures.expenses_total += row.amount
        figures.expenses_total = money(figures.expenses_total)
        return figures


@dataclass
class StoredFigures:
    """An approved sheet's frozen totals, in the shape of :class:`Figures`."""

    rate: Decimal
    session_minutes: int
    extra_minutes: int
    adjustment_minutes: int
    paid_minutes: int
    pay_amount: Decimal
    expenses_total: Decimal
    total_amount: Decimal
    sessions_held: int = 0
    meeting_minutes: int = 0
    meetings_held: int = 0

    @property
    def hours(self) -> Decimal:
        return hours(self.paid_minutes)

    @classmethod
    def of(cls, sheet: Timesheet) -> StoredFigures:
        return cls(
            rate=sheet.hourly_rate or ZERO,
            session_minutes=sheet.session_minutes or 0,
            extra_minutes=sheet.extra_minutes or 0,
            meeting_minutes=sheet.meeting_minutes or 0,
            adjustment_minutes=sheet.adjustment_minutes or 0,
            paid_minutes=sheet.paid_minutes or 0,
            pay_amount=sheet.pay_amount or ZERO,
            expenses_total=sheet.expenses_total or ZERO,
            total_amount=sheet.total_amount or ZERO,
        )


@dataclass
class SheetView:
    """A timesheet (or a month with no sheet yet) with its lines and totals. ``is_estimate``:
    the figures are computed from what is logged now (an open sheet), not frozen."""

    helper_id: int
    month: dt.date
    sheet: Timesheet | None
    rows: list[Row]
    figures: Figures | StoredFigures
    is_estimate: bool
    awaiting: list[Row] = field(default_factory=list)  # expenses not yet approved

    @property
    def session_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_session]

    @property
    def meeting_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_meeting]

    @property
    def adjustment_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_adjustment]

    @property
    def expense_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_expense]


@dataclass(frozen=True)
class Key:
    helper_id: int
    month: dt.date
    sheet_id: int | None = None


# --- chains of session entries ----------------------------------------------------------------


def origins_of(entries: dict[int, int | None]) -> dict[int, int]:
    """``{entry id: supersedes id}`` → ``{entry id: first entry of its chain}``, following the
    ``supersedes`` links through the database where the given entries do not reach (a few
    queries at most: corrections of corrections are rare)."""
    parent: dict[int, int | None] = dict(entries)
    missing = {p for p in parent.values() if p is not None and p not in parent}
    while missing:
        found = dict(Session.objects.filter(pk__in=missing).values_list("pk", "supersedes_id"))
        parent.update(found)
        parent.update({m: None for m in missing if m not in found})
        missing = {p for p in found.values() if p is not None and p not in parent}
    result: dict[int, int] = {}
    for entry in entries:
        node, seen = entry, set()
        while parent.get(node) is not None and node not in seen:
            seen.add(node)
            node = parent[node]  # type: ignore[assignment]
        result[entry] = node
    return result


def _chain_ends(start_ids: set[int]) -> dict[int, dict[str, Any]]:
    """``{entry id: the standing (last) entry of its chain}`` for entries that were superseded."""
    fields = ("pk", "supersedes_id", "date", "minutes", "status", "is_void", "pairing_id")
    nxt: dict[int, dict[str, Any]] = {}
    frontier = set(start_ids)
    while frontier:
        rows = list(
            Session.objects.filter(supersedes_id__in=frontier).values(
                *fields, "pairing__programme_id"
            )
        )
        for row in rows:
            nxt[row["supersedes_id"]] = row
        frontier = {row["pk"] for row in rows}
    ends: dict[int, dict[str, Any]] = {}
    for start in start_ids:
        node = start
        row = None
        while node in nxt:
            row = nxt[node]
            node = row["pk"]
        if row is not None:
            ends[start] = row
    return ends


def extra_minutes_by_programme(programme_ids: Iterable[int]) -> dict[int, int]:
    ids = {p for p in programme_ids if p is not None}
    if not ids:
        return {}
    return dict(
        PaySettings.objects.filter(programme_id__in=ids).values_list(
            "programme_id", "extra_minutes_per_session"
        )
    )


def _is_held(entry: dict[str, Any]) -> bool:
    return entry["status"] == SessionStatus.HELD and not entry["is_void"]


def target_for(
    entry: dict[str, Any], *, paid_minutes: int, paid_extra: int, extra_setting: int
) -> tuple[int, int]:
    """What a chain whose standing entry is ``entry`` should have been paid (minutes, extra),
    given what it was paid so far. The extra minutes stay what they were when the session was
    first paid; a session paid nothing so far gets today's setting."""
    if not _is_held(entry):
        return 0, 0
    extra = paid_extra if paid_minutes > 0 else extra_setting
    return entry["minutes"], extra


# --- pending adjustments (read; roll-up stores them) --------------------------------------------


@dataclass
class Pending:
    """An adjustment to write: a session's chain (``session_id``/``origin_id``) or a group
    meeting's pay to one leader (``meeting_id``)."""

    helper_id: int
    date: dt.date
    minutes: int
    extra_minutes: int
    corrected_date: dt.date | None  # None: logged (or held) after its month was approved
    base_month: dt.date
    session_id: int | None = None
    origin_id: int | None = None
    meeting_id: int | None = None
    open_sheet_id: int | None = None  # the chain's last line sits on this open sheet: add there


def _correction(
    *,
    helper_id: int,
    want: tuple[int, int],
    paid: tuple[int, int],
    date: dt.date,
    last: dict[str, Any],
    **chain: int | None,
) -> Pending | None:
    """What a paid chain still needs: ``want`` (minutes, extra) less what its lines ``paid``,
    given its ``last`` line (date, timesheet id, month and status); None when it is settled."""
    if want == paid:
        return None
    return Pending(
        helper_id=helper_id,
        date=date,
        minutes=want[0] - paid[0],
        extra_minutes=want[1] - paid[1],
        corrected_date=last["date"],
        base_month=last["timesheet__month"],
        open_sheet_id=(
            last["timesheet_id"] if last["timesheet__status"] == TimesheetStatus.OPEN else None
        ),
        **chain,  # type: ignore[arg-type]
    )


def _late(*, helper_id: int, date: dt.date, minutes: int, extra: int, **chain: int) -> Pending:
    """A chain nothing paid whose month was approved: paid in full as an adjustment."""
    return Pending(
        helper_id=helper_id,
        date=date,
        minutes=minutes,
        extra_minutes=extra,
        corrected_date=None,
        base_month=month_of(date),
        **chain,  # type: ignore[arg-type]
    )


def pending_adjustments(helper_ids: Iterable[int]) -> list[Pending]:
    """Differences between what the sessions and group meetings of these helpers now say and
    what was paid, not yet written as adjustment lines."""
    helper_ids = sorted(set(helper_ids))
    if not helper_ids:
        return []
    return _session_pending(helper_ids) + _meeting_pending(helper_ids)


def _session_pending(helper_ids: list[int]) -> list[Pending]:
    found: list[Pending] = []

    # (a) Paid chains whose last paid entry was superseded since.
    later = TimesheetLine.objects.filter(origin=OuterRef("origin"), pk__gt=OuterRef("pk"))
    latest = list(
        TimesheetLine.objects.filter(
            helper_id__in=helper_ids, origin__isnull=False, session__superseded_by__isnull=False
        )
        .exclude(Exists(later))
        .values(
            "pk",
            "helper_id",
            "origin_id",
            "session_id",
            "date",
            "timesheet_id",
            "timesheet__month",
            "timesheet__status",
        )
    )
    if latest:
        ends = _chain_ends({row["session_id"] for row in latest})
        sums = {
            row["origin_id"]: (row["m"] or 0, row["e"] or 0)
            for row in TimesheetLine.objects.filter(origin_id__in={r["origin_id"] for r in latest})
            .values("origin_id")
            .annotate(m=Sum("minutes"), e=Sum("extra_minutes"))
        }
        extras = extra_minutes_by_programme(e["pairing__programme_id"] for e in ends.values())
        for row in latest:
            end = ends.get(row["session_id"])
            if end is None:
                continue
            paid_m, paid_e = sums.get(row["origin_id"], (0, 0))
            want_m, want_e = target_for(
                end,
                paid_minutes=paid_m,
                paid_extra=paid_e,
                extra_setting=extras.get(end["pairing__programme_id"], 0),
            )
            pending = _correction(
                helper_id=row["helper_id"],
                want=(want_m, want_e),
                paid=(paid_m, paid_e),
                date=end["date"],
                last=row,
                session_id=end["pk"],
                origin_id=row["origin_id"],
            )
            if pending is not None:
                found.append(pending)

    # (b) Held sessions in months already approved that nothing paid: logged late.
    approved_month = Timesheet.objects.filter(
        helper=OuterRef("helper"), month=OuterRef("session_month"), status=TimesheetStatus.APPROVED
    )
    candidates = list(
        Session.objects.held()
        .filter(helper_id__in=helper_ids)
        .annotate(session_month=TruncMonth("date", output_field=DateField()))
        .filter(Exists(approved_month))
        .exclude(Exists(TimesheetLine.objects.filter(session=OuterRef("pk"))))
        .values("pk", "supersedes_id", "helper_id", "date", "minutes", "pairing__programme_id")
    )
    if candidates:
        origins = origins_of({c["pk"]: c["supersedes_id"] for c in candidates})
        paid = set(
            TimesheetLine.objects.filter(origin_id__in=set(origins.values())).values_list(
                "origin_id", flat=True
            )
        )
        extras = extra_minutes_by_programme(c["pairing__programme_id"] for c in candidates)
        for c in candidates:
            origin = origins[c["pk"]]
            if origin in paid:
                continue  # a corrected chain: (a) settles it
            found.append(
                _late(
                    helper_id=c["helper_id"],
                    date=c["date"],
                    minutes=c["minutes"],
                    extra=extras.get(c["pairing__programme_id"], 0),
                    session_id=c["pk"],
                    origin_id=origin,
                )
            )
    return found


# --- group meetings ------------------------------------------------------------------------------

# Who a held meeting pays (docs/groups.md, "Leader hours"): its substitute, if one was named
# (in place of the offer's leaders), else every leader of the offer. Its minutes, at the rate of
# the sheet that carries the line; no preparation/travel minutes (those are per session).
LEADER_LINKS = GroupOffer.leaders.through


def meeting_target(meeting: dict[str, Any], helper_id: int, leaders: set[int]) -> int:
    """The minutes ``meeting`` (a row with status, minutes, substitute_id) pays ``helper_id``
    now, given the ids of its offer's leaders."""
    if meeting["status"] != MeetingStatus.HELD:
        return 0
    substitute = meeting["substitute_id"]
    led = substitute == helper_id if substitute else helper_id in leaders
    return meeting["minutes"] if led else 0


def meeting_payees(
    helper_ids: Iterable[int], shape: Any = None, *fields: str
) -> list[dict[str, Any]]:
    """Held meetings with the helper (of ``helper_ids``) each pays as ``payee``: one row per
    meeting and payee, in two queries. ``shape`` narrows the queryset (it may refer to
    ``OuterRef("payee")``)."""
    rows: list[dict[str, Any]] = []
    for part in _payee_parts(helper_ids):
        if shape is not None:
            part = shape(part)
        rows += part.values("pk", "payee", "date", "minutes", "offer__title", *fields).order_by()
    return rows


def _payee_parts(helper_ids: Iterable[int]) -> tuple[QuerySet[Meeting], ...]:
    ids = sorted(set(helper_ids))
    if not ids:
        return ()
    held = Meeting.objects.filter(status=MeetingStatus.HELD)
    return (
        held.filter(substitute_id__in=ids).annotate(payee=F("substitute_id")),
        held.filter(substitute__isnull=True)
        .annotate(payee=F("offer__leaders"))
        .filter(payee__in=ids),
    )


def meeting_months(helper_ids: Iterable[int]) -> set[tuple[int, dt.date]]:
    """(helper, month) of every held meeting the helper is paid for (distinct, in SQL)."""
    found: set[tuple[int, dt.date]] = set()
    for part in _payee_parts(helper_ids):
        found |= set(
            part.annotate(m=TruncMonth("date", output_field=DateField()))
            .values_list("payee", "m")
            .distinct()
            .order_by()
        )
    return found


def _unpaid_to_payee(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    paid = TimesheetLine.objects.filter(meeting=OuterRef("pk"), helper_id=OuterRef("payee"))
    return meetings.exclude(Exists(paid))


def _meeting_pending(helper_ids: list[int]) -> list[Pending]:
    found: list[Pending] = []

    # (a) Meetings paid to a helper whose pay to them no longer matches the meeting.
    paid = list(
        TimesheetLine.objects.filter(helper_id__in=helper_ids, meeting__isnull=False)
        .values("meeting_id", "helper_id")
        .annotate(m=Sum("minutes"), last=Max("pk"))
        .order_by()
    )
    if paid:
        meetings = {
            m["pk"]: m
            for m in Meeting.objects.filter(pk__in={p["meeting_id"] for p in paid}).values(
                "pk", "status", "date", "minutes", "substitute_id", "offer_id"
            )
        }
        leaders: dict[int, set[int]] = defaultdict(set)
        for offer_id, helper_id in LEADER_LINKS.objects.filter(
            groupoffer_id__in={m["offer_id"] for m in meetings.values()},
            helper_id__in=helper_ids,
        ).values_list("groupoffer_id", "helper_id"):
            leaders[offer_id].add(helper_id)
        wrong = []
        for p in paid:
            meeting = meetings[p["meeting_id"]]
            want = meeting_target(meeting, p["helper_id"], leaders[meeting["offer_id"]])
            if want != p["m"]:
                wrong.append((p, meeting, want))
        lasts = (
            {
                line["pk"]: line
                for line in TimesheetLine.objects.filter(
                    pk__in={p["last"] for p, _m, _w in wrong}
                ).values("pk", "date", "timesheet_id", "timesheet__month", "timesheet__status")
            }
            if wrong
            else {}
        )
        for p, meeting, want in wrong:
            pending = _correction(
                helper_id=p["helper_id"],
                want=(want, 0),
                paid=(p["m"], 0),
                date=meeting["date"],
                last=lasts[p["last"]],
                meeting_id=meeting["pk"],
            )
            if pending is not None:
                found.append(pending)

    # (b) Held meetings in months already approved that nothing paid to their leader.
    approved_month = Timesheet.objects.filter(
        helper_id=OuterRef("payee"),
        month=OuterRef("meeting_month"),
        status=TimesheetStatus.APPROVED,
    )

    def late(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
        return _unpaid_to_payee(
            meetings.annotate(meeting_month=TruncMonth("date", output_field=DateField())).filter(
                Exists(approved_month)
            )
        )

    for m in meeting_payees(helper_ids, late):
        found.append(
            _late(
                helper_id=m["payee"],
                date=m["date"],
                minutes=m["minutes"],
                extra=0,
                meeting_id=m["pk"],
            )
        )
    return found


# --- open sheets: computed ---------------------------------------------------------------------


def _expense_row(expense: dict[str, Any], labels: dict[str, str]) -> Row:
    return Row(
        kind=LineKind.EXPENSE,
        date=expense["date"],
        amount=expense["amount"],
        description=expense["description"],
        expense_id=expense["pk"],
        category=labels.get(expense["category"], expense["category"]),
    )


def _participant(values: dict[str, Any], prefix: str) -> str:
    return initials(
        values.get(f"{prefix}pairing__participant__first_name") or "",
        values.get(f"{prefix}pairing__participant__last_name") or "",
    )


def expense_target_month(expense_month: dt.date, open_months: Sequence[dt.date]) -> dt.date | None:
    """An approved expense is paid on the helper's first open sheet from its own month on."""
    later = [m for m in open_months if m >= expense_month]
    return min(later) if later else None


def compute_open(
    keys: Sequence[Key], helpers: dict[int, Any], *, names: bool = True
) -> dict[Key, SheetView]:
    """Lines and estimated totals for open sheets (or months without a sheet yet), in a fixed
    number of queries whatever the number of keys. ``helpers`` maps helper id → Helper (its
    ``hourly_rate`` is the rate of an open sheet). ``names=False`` is for callers that want
    the totals only (the cost figures): session lines then carry no participant initials, which
    spares a join and a sort over every open session."""
    from kobling.pay.choices import ExpenseCategory

    if not keys:
        return {}
    helper_ids = {k.helper_id for k in keys}
    key_by_month = {(k.helper_id, k.month): k for k in keys}
    low = min(k.month for k in keys)
    high = max(k.month for k in keys)
    rows: dict[Key, list[Row]] = defaultdict(list)

    # Session lines: held, standing entries whose chain nothing has paid yet.
    paid_line = TimesheetLine.objects.filter(origin=OuterRef("pk"))
    fields = ["pk", "helper_id", "date", "minutes", "supersedes_id", "paid"]
    fields.append("pairing__programme_id")
    if names:
        fields += ["pairing__participant__first_name", "pairing__participant__last_name"]
    held = (
        Session.objects.held()
        .filter(helper_id__in=helper_ids, date__gte=low, date__lt=_after(high))
        .annotate(paid=Exists(paid_line))
        .values(*fields)
    )
    held = held.order_by("date", "start_time", "pk") if names else held.order_by()
    sessions = [s for s in held if (s["helper_id"], month_of(s["date"])) in key_by_month]
    corrected = {s["pk"]: s["supersedes_id"] for s in sessions if s["supersedes_id"]}
    paid_origins: set[int] = set()
    origins: dict[int, int] = {}
    if corrected:
        origins = origins_of(corrected)
        paid_origins = set(
            TimesheetLine.objects.filter(origin_id__in=set(origins.values())).values_list(
                "origin_id", flat=True
            )
        )
    extras = extra_minutes_by_programme(s["pairing__programme_id"] for s in sessions)
    for s in sessions:
        origin = origins.get(s["pk"], s["pk"])
        if s["paid"] or origin in paid_origins:
            continue
        key = key_by_month[(s["helper_id"], month_of(s["date"]))]
        rows[key].append(
            Row(
                kind=LineKind.SESSION,
                date=s["date"],
                minutes=s["minutes"],
                extra_minutes=extras.get(s["pairing__programme_id"], 0),
                participant=_participant(s, "") if names else "",
                session_id=s["pk"],
                origin_id=origin,
            )
        )

    # Meeting lines: held meetings in these months that nothing has paid their leader yet.
    def in_months(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
        return _unpaid_to_payee(meetings.filter(date__gte=low, date__lt=_after(high)))

    for m in meeting_payees(helper_ids, in_months):
        key = key_by_month.get((m["payee"], month_of(m["date"])))
        if key is not None:
            rows[key].append(
                Row(
                    kind=LineKind.MEETING,
                    date=m["date"],
                    minutes=m["minutes"],
                    meeting_id=m["pk"],
                    group=m["offer__title"],
                )
            )

    # Stored adjustments on the open sheets.
    by_sheet = {k.sheet_id: k for k in keys if k.sheet_id}
    if by_sheet:
        for line in (
            TimesheetLine.objects.filter(timesheet_id__in=by_sheet)
            .values(
                "timesheet_id",
                "kind",
                "date",
                "minutes",
                "extra_minutes",
                "amount",
                "description",
                "session_id",
                "origin_id",
                "meeting_id",
                "meeting__offer__title",
                "expense_id",
                "corrected_date",
                "session__pairing__participant__first_name",
                "session__pairing__participant__last_name",
            )
            .order_by("date", "pk")
        ):
            rows[by_sheet[line["timesheet_id"]]].append(
                Row(
                    kind=line["kind"],
                    date=line["date"],
                    minutes=line["minutes"],
                    extra_minutes=line["extra_minutes"],
                    amount=line["amount"],
                    description=line["description"],
                    participant=_participant(line, "session__"),
                    session_id=line["session_id"],
                    origin_id=line["origin_id"],
                    meeting_id=line["meeting_id"],
                    group=line["meeting__offer__title"] or "",
                    expense_id=line["expense_id"],
                    corrected_date=line["corrected_date"],
                    stored=True,
                )
            )

    # Expenses not yet paid: approved ones count; the others wait for approval.
    open_months: dict[int, set[dt.date]] = defaultdict(set)
    for helper_id, month in Timesheet.objects.filter(
        helper_id__in=helper_ids, status=TimesheetStatus.OPEN
    ).values_list("helper_id", "month"):
        open_months[helper_id].add(month)
    for k in keys:
        open_months[k.helper_id].add(k.month)
    labels = {str(v): str(label) for v, label in ExpenseCategory.choices}
    awaiting: dict[Key, list[Row]] = defaultdict(list)
    unpaid = (
        Expense.objects.filter(helper_id__in=helper_ids)
        .exclude(Exists(TimesheetLine.objects.filter(expense=OuterRef("pk"))))
        .values("pk", "helper_id", "date", "amount", "category", "description", "status")
        .order_by("date", "pk")
    )
    for e in unpaid:
        target = expense_target_month(month_of(e["date"]), sorted(open_months[e["helper_id"]]))
        key = key_by_month.get((e["helper_id"], target)) if target else None
        if key is None:
            continue
        row = _expense_row(e, labels)
        if e["status"] == ExpenseStatus.APPROVED:
            rows[key].append(row)
        else:
            awaiting[key].append(row)

    views: dict[Key, SheetView] = {}
    for k in keys:
        helper = helpers[k.helper_id]
        key_rows = sorted(rows[k], key=_row_order)
        views[k] = SheetView(
            helper_id=k.helper_id,
            month=k.month,
            sheet=None,
            rows=key_rows,
            figures=Figures.from_rows(key_rows, helper.hourly_rate),
            is_estimate=True,
            awaiting=awaiting[k],
        )
    return views


def _after(month: dt.date) -> dt.date:
    from kobling.pay.months import next_month

    return next_month(month)


_KIND_ORDER = {
    LineKind.SESSION: 0,
    LineKind.MEETING: 1,
    LineKind.ADJUSTMENT: 2,
    LineKind.MANUAL: 3,
    LineKind.EXPENSE: 4,
}


def _row_order(row: Row) -> tuple[int, dt.date]:
    return (_KIND_ORDER.get(row.kind, 9), row.date)


# --- approved sheets: stored -------------------------------------------------------------------


def stored_rows(sheet_ids: Iterable[int]) -> dict[int, list[Row]]:
    from kobling.pay.choices import ExpenseCategory

    labels = {str(v): str(label) for v, label in ExpenseCategory.choices}
    result: dict[int, list[Row]] = defaultdict(list)
    for line in (
        TimesheetLine.objects.filter(timesheet_id__in=set(sheet_ids))
        .values(
            "timesheet_id",
            "kind",
            "date",
            "minutes",
            "extra_minutes",
            "amount",
            "description",
            "session_id",
            "origin_id",
            "meeting_id",
            "meeting__offer__title",
            "expense_id",
            "corrected_date",
            "expense__category",
            "session__pairing__participant__first_name",
            "session__pairing__participant__last_name",
        )
        .order_by("date", "pk")
    ):
        result[line["timesheet_id"]].append(
            Row(
                kind=line["kind"],
                date=line["date"],
                minutes=line["minutes"],
                extra_minutes=line["extra_minutes"],
                amount=line["amount"],
                description=line["description"],
                participant=_participant(line, "session__"),
                session_id=line["session_id"],
                origin_id=line["origin_id"],
                meeting_id=line["meeting_id"],
                group=line["meeting__offer__title"] or "",
                expense_id=line["expense_id"],
                corrected_date=line["corrected_date"],
                category=labels.get(line["expense__category"] or "", ""),
                stored=True,
            )
        )
    for rows in result.values():
        rows.sort(key=_row_order)
    return result


def sheet_views(sheets: Sequence[Timesheet], *, with_rows: bool = True) -> dict[int, SheetView]:
    """Views of these sheets: open ones computed, approved ones as frozen. ``sheets`` should
    have ``helper`` selected. A fixed number of queries."""
    open_sheets = [s for s in sheets if not s.is_approved]
    approved = [s for s in sheets if s.is_approved]
    views: dict[int, SheetView] = {}
    keys = [Key(s.helper_id, s.month, s.pk) for s in open_sheets]
    computed = compute_open(keys, {s.helper_id: s.helper for s in open_sheets})
    for sheet, key in zip(open_sheets, keys, strict=True):
        view = computed[key]
        view.sheet = sheet
        views[sheet.pk] = view
    stored = stored_rows(s.pk for s in approved) if (approved and with_rows) else {}
    held_counts: dict[tuple[int, str], int] = {}
    if approved and not with_rows:
        held_counts = {
            (sheet_id, kind): n
            for sheet_id, kind, n in TimesheetLine.objects.filter(
                timesheet_id__in=[s.pk for s in approved],
                kind__in=[LineKind.SESSION, LineKind.MEETING],
            )
            .values("timesheet_id", "kind")
            .annotate(n=Count("pk"))
            .values_list("timesheet_id", "kind", "n")
            .order_by()
        }
    for sheet in approved:
        rows = stored.get(sheet.pk, [])
        figures = StoredFigures.of(sheet)
        if with_rows:
            figures.sessions_held = sum(1 for r in rows if r.is_session)
            figures.meetings_held = sum(1 for r in rows if r.is_meeting)
        else:
            figures.sessions_held = held_counts.get((sheet.pk, LineKind.SESSION), 0)
            figures.meetings_held = held_counts.get((sheet.pk, LineKind.MEETING), 0)
        views[sheet.pk] = SheetView(
            helper_id=sheet.helper_id,
            month=sheet.month,
            sheet=sheet,
            rows=rows,
            figures=figures,
            is_estimate=False,
        )
    return views
