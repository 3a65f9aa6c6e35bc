"""Reads for the national overview: the scheme status of every unit on a date, the table by
unit type × status, the county map's shares, and campaign counts.

Which status counts (per unit and programme kind, on a date):

1. **Kobling** — the unit is a tenant here (a Municipality whose ``code`` is the unit's code)
   and has an active Programme of the kind with a pairing open on that date: *active*, from its
   own data, as of that date.
2. Otherwise the newest recorded observation (survey answer or manual entry) with ``as_of`` on
   or before the date.
3. Otherwise *unknown*.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from kobling.lib.counties import COUNTY_TILES
from kobling.national.choices import (
    MAPPED_KINDS,
    SMALL_CELL,
    RecipientStatus,
    SchemeState,
    StatusSource,
    UnitKind,
)
from kobling.national.models import SchemeStatus, SurveyCampaign, SurveyRecipient, Unit, valid_on_q
from kobling.tenancy.choices import ProgrammeKind

STATE_ORDER = (SchemeState.ACTIVE, SchemeState.ENDED, SchemeState.NEVER, SchemeState.UNKNOWN)


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    state: str
    source: str  # "" when unknown
    as_of: dt.date | None
    started_year: int | None = None
    ended_year: int | None = None
    ended_reason: str = ""

    @property
    def state_label(self) -> str:
        return str(SchemeState(self.state).label)


def kobling_active_codes(on_date: dt.date, kind: str) -> set[str]:
    """Codes of tenant municipalities that, from their own data, run ``kind`` on ``on_date``:
    an active programme of that kind with a pairing confirmed by then and not ended before, or
    with a course (forløp) of any delivery — a group, a provider — started by then and not
    ended before. The second makes group programmes (frisklivsresept, Aktiv på dagtid) count
    from their own data as the pairs of the treningskontakt scheme do."""
    from kobling.tenancy.models import Municipality

    end_of_day = timezone.make_aware(dt.datetime.combine(on_date + dt.timedelta(days=1), dt.time()))
    # followup's pairings and referrals' courses through their reverse relations on the
    # municipality (national knows no person-level app); one filter() call each, so every
    # condition is on the same pairing or the same course.
    open_pairing = (
        Q(pairings__programme__kind=kind)
        & Q(pairings__programme__is_active=True)
        & Q(pairings__confirmed_at__lt=end_of_day)
        & (Q(pairings__ended_on__isnull=True) | Q(pairings__ended_on__gte=on_date))
    )
    open_course = (
        Q(episodes__programme__kind=kind)
        & Q(episodes__programme__is_active=True)
        & Q(episodes__started_on__lte=on_date)
        & (Q(episodes__ended_on__isnull=True) | Q(episodes__ended_on__gte=on_date))
    )
    codes = Municipality.objects.values_list("code", flat=True)
    return set(codes.filter(open_pairing)) | set(codes.filter(open_course))


def units_on(on_date: dt.date, kinds: tuple[str, ...] = MAPPED_KINDS):  # noqa: ANN201
    return Unit.objects.filter(valid_on_q(on_date), kind__in=kinds).order_by("kind", "code")


def unit_statuses(
    on_date: dt.date | None = None,
    kind: str = ProgrammeKind.TRENINGSKONTAKT,
    unit_kinds: tuple[str, ...] = MAPPED_KINDS,
) -> list[UnitStatus]:
    """The status of every unit valid on ``on_date`` (today when not given), in a fixed number
    of queries whatever the number of units."""
    on_date = on_date or timezone.localdate()
    units = list(units_on(on_date, unit_kinds))
    latest: dict[int, SchemeStatus] = {}
    for row in (
        SchemeStatus.objects.filter(
            programme_kind=kind, as_of__lte=on_date, unit_id__in=[u.pk for u in units]
        )
        .order_by("unit_id", "as_of", "pk")
        .only("unit_id", "state", "source", "as_of", "started_year", "ended_year", "ended_reason")
    ):
        latest[row.unit_id] = row  # ordered, so the last one wins
    active = kobling_active_codes(on_date, kind)
    result = []
    for unit in units:
        if unit.code in active and unit.kind in (UnitKind.MUNICIPALITY, UnitKind.DISTRICT):
            result.append(UnitStatus(unit, SchemeState.ACTIVE, StatusSource.KOBLING, on_date))
            continue
        row = latest.get(unit.pk)
        if row is None:
            result.append(UnitStatus(unit, SchemeState.UNKNOWN, "", None))
        else:
            result.append(
                UnitStatus(
                    unit,
                    row.state,
                    row.source,
                    row.as_of,
                    row.started_year,
                    row.ended_year,
                    row.ended_reason,
                )
            )
    return result


def scheme_status_map(
    on_date: dt.date, kind: str = ProgrammeKind.TRENINGSKONTAKT
) -> dict[str, bool | None]:
    """Unit code → True (active), False (ended or never) or None (unknown), for every
    municipality and city district valid on ``on_date``. (For the public-health comparison.)"""
    values = {SchemeState.ACTIVE: True, SchemeState.ENDED: False, SchemeState.NEVER: False}
    return {
        s.unit.code: values.get(s.state)
        for s in unit_statuses(on_date, kind, (UnitKind.MUNICIPALITY, UnitKind.DISTRICT))
    }


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def overview_table(statuses: list[UnitStatus]) -> list[dict[str, Any]]:
    """One row per unit type: count and percentage per status, and the total. Counts of units
    (not persons), so nothing here is suppressed."""
    rows = []
    for unit_kind in MAPPED_KINDS:
        counts = Counter(s.state for s in statuses if s.unit.kind == unit_kind)
        total = sum(counts.values())
        rows.append(
            {
                "kind": unit_kind,
                "label": str(UnitKind(unit_kind).label),
                "total": total,
                "cells": [
                    {
                        "state": state,
                        "count": counts.get(state, 0),
                        "percent": percent(counts.get(state, 0), total),
                    }
                    for state in STATE_ORDER
                ],
            }
        )
    return rows


def county_shares(statuses: list[UnitStatus], on_date: dt.date) -> list[dict[str, Any]]:
    """Per county (municipalities and city districts): units, active units, known units and the
    share active among all units; with the tile position for the schematic map."""
    names = dict(
        Unit.objects.filter(valid_on_q(on_date), kind=UnitKind.COUNTY).values_list("code", "name")
    )
    per: dict[str, Counter] = {}
    for s in statuses:
        if s.unit.kind == UnitKind.MUNICIPALITY:
            per.setdefault(s.unit.county_code, Counter())[s.state] += 1
    result = []
    for code, (col, row, short) in COUNTY_TILES.items():
        counts = per.get(code, Counter())
        total = sum(counts.values())
        active = counts.get(SchemeState.ACTIVE, 0)
        share = percent(active, total)
        result.append(
            {
                "code": code,
                "name": names.get(code, short),
                "short": short,
                "col": col,
                "row": row,
                "total": total,
                "active": active,
                "unknown": counts.get(SchemeState.UNKNOWN, 0),
                "share": share,
                "band": share_band(share),
            }
        )
    return result


# Fill colours for the map (sequential blues; "none" is grey), with the legend's ranges.
BANDS = (
    ("none", "#d9d9d9", None),
    ("b0", "#eff3ff", (0, 10)),
    ("b1", "#bdd7e7", (10, 20)),
    ("b2", "#6baed6", (20, 35)),
    ("b3", "#3182bd", (35, 50)),
    ("b4", "#08519c", (50, 101)),
)


def share_band(share: float | None) -> str:
    if share is None:
        return "none"
    for name, _colour, bounds in BANDS[1:]:
        if bounds and bounds[0] <= share < bounds[1]:
            return name
    return BANDS[-1][0]


def band_colour(band: str) -> str:
    return {name: colour for name, colour, _b in BANDS}[band]


def campaign_list():  # noqa: ANN201
    """Campaigns with their recipient counts per status (one query)."""
    annotations = {
        f"n_{status}": Count("recipients", filter=Q(recipients__status=status))
        for status in RecipientStatus.values
    }
    return (
        SurveyCampaign.objects.select_related("template")
        .annotate(n_total=Count("recipients"), **annotations)
        .order_by("-created_at", "-pk")
    )


def campaign_counts(campaign: SurveyCampaign) -> dict[str, int]:
    counts = dict(
        SurveyRecipient.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    result = {status: counts.get(status, 0) for status in RecipientStatus.values}
    result["total"] = sum(counts.values())
    result["reminded"] = SurveyRecipient.objects.filter(
        campaign=campaign, reminders_sent__gt=0
    ).count()
    return result


def suppress(value: Any) -> Any:
    """A count of persons below :data:`SMALL_CELL` is shown as "<5"."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return f"<{SMALL_CELL}" if value < SMALL_CELL else value


def answer_display(question: Any, value: Any, *, suppressed: bool = True) -> str:
    """An answer as shown to the analyst and exported: labels for choices, yes/no, and person
    counts suppressed below five."""
    from django.utils.translation import gettext as _

    if value is None or value == "":
        return ""
    if question.kind == "yes_no":
        return _("Yes") if value is True else _("No") if value is False else str(value)
    if question.kind == "choice":
        return question.choice_label(value)
    if question.kind == "number" and question.counts_persons and suppressed:
        return str(suppress(value))
    return str(value)
