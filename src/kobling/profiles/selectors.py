"""Reads: the stored profiles compared for a chosen status (an uploaded status set, or the
national register's scheme status when the national app offers it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kobling.profiles.choices import DEMO_SOURCE, indicator_name
from kobling.profiles.io import IndicatorResult, compare_all
from kobling.profiles.models import ProfileCategory, ProfileIndicator, StatusSet


def periods() -> list[str]:
    """The profile editions in store, newest first."""
    return sorted(
        set(ProfileIndicator.objects.values_list("period", flat=True).distinct()), reverse=True
    )


def national_status_source() -> Callable[[dt.date], Mapping[str, bool | None]] | None:
    """``kobling.national.selectors.scheme_status_map`` when the national app offers it (unit
    code → has a scheme, None for unknown), else None. Imported lazily so that this app does not
    depend on the national one."""
    try:
        from kobling.national.selectors import scheme_status_map  # type: ignore[attr-defined]
    except ImportError:
        return None
    return scheme_status_map


@dataclass
class StoredComparison:
    period: str
    status_label: str
    results: list[IndicatorResult]
    names: dict[str, str]
    units: int = 0
    with_scheme: int = 0
    without_scheme: int = 0
    # Units with profile data but no known status: left out of every table.
    left_out: list[str] = field(default_factory=list)
    # The profiles are the demo loader's made-up figures (the page says so once).
    demo: bool = False


def stored_comparison(
    *, period: str, status: Mapping[str, bool | None], status_label: str = ""
) -> StoredComparison:
    """Compare the stored profiles of ``period``, grouping units by ``status``. Units whose
    status is missing or unknown (None) are left out and listed. Two queries."""
    rows = list(
        ProfileCategory.objects.filter(indicator__period=period).values_list(
            "unit_code", "indicator__code", "category"
        )
    )
    indicators = list(
        ProfileIndicator.objects.filter(period=period).values_list("code", "name", "source")
    )
    names = {code: indicator_name(code, stored) for code, stored, _source in indicators}
    units = {code for code, _i, _c in rows}
    known = {code for code in units if status.get(code) is not None}
    return StoredComparison(
        period=period,
        status_label=status_label,
        results=compare_all(status, rows),
        names=names,
        units=len(known),
        with_scheme=sum(1 for code in known if status[code]),
        without_scheme=sum(1 for code in known if not status[code]),
        left_out=sorted(units - known),
        demo=any(source == DEMO_SOURCE for _c, _n, source in indicators),
    )


def status_sets() -> list[StatusSet]:
    return list(StatusSet.objects.all())
