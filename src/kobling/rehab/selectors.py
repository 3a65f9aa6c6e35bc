"""Reads of the rehabilitation register: the participation report (loaded here into plain rows,
computed by :mod:`kobling.rehab.calc`, suppressed by :mod:`kobling.lib.suppression`), and the
public list of offers.

Who sees which rows: the national analyst every unit, region and the nation; a unit's staff
(clinicians, coordinators, administrators) their own units at the unit level and the regions
and the nation; region staff (``User.staff_region``) the units of their health region at the
unit level, suppressed, and the regions and the nation. A unit's own rows are shown as they are to its staff; every other row has been
through the small-cell rule (counts 1–4 as ``"<5"``, the next smallest of a column hidden too,
a rate only over shown counts of at least 5)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from kobling.lib.suppression import SUPPRESSED, derived, describing, suppress_table
from kobling.outcomes.choices import FOLLOW_UP_MONTHS, FollowUpStatus
from kobling.outcomes.models import FollowUp
from kobling.referrals.episodes import completed_by_course
from kobling.rehab import calc
from kobling.rehab.choices import age_band, sex_of
from kobling.rehab.models import UNIT_STAFF_ROLES, Denominator, RehabCourse, RehabOffer, quarter_of
from kobling.tenancy.models import Municipality, Region, User

YEAR = re.compile(r"^\d{4}$")
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def may_see_participation(user: User) -> bool:
    return (
        user.is_analyst
        or getattr(user, "is_region_staff", False)
        or bool(user.municipality_ids(*UNIT_STAFF_ROLES))
    )


def own_units(user: User) -> set[int]:
    """The units whose rows ``user`` sees unsuppressed: the units where they are staff. The
    analyst and region staff are inside no unit, so every row they see is suppressed."""
    return user.municipality_ids(*UNIT_STAFF_ROLES)


def visible_units(user: User) -> set[int] | None:
    """The units whose unit-level rows ``user`` sees: ``None`` (every unit) for the analyst;
    their own units for a unit's staff, and every unit of their health region for region staff."""
    if user.is_analyst:
        return None
    units = set(own_units(user))
    if getattr(user, "staff_region_id", None):
        units |= set(
            Municipality.objects.filter(region_id=user.staff_region_id).values_list("pk", flat=True)
        )
    return units


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def load_rows(
    *, diagnosis: str | None = None, today: dt.date | None = None
) -> tuple[list[calc.CourseRow], list[calc.DenominatorRow]]:
    """Every course and denominator as plain rows, in a fixed number of queries."""
    today = today or timezone.localdate()
    courses = RehabCourse.objects.all()
    denominators = Denominator.objects.all()
    if diagnosis:
        courses = courses.filter(diagnosis=diagnosis)
        denominators = denominators.filter(diagnosis=diagnosis)
    raw = list(
        courses.values_list(
            "episode_id",
            "municipality_id",
            "municipality__region_id",
            "diagnosis",
            "index_date",
            "episode__started_on",
            "episode__participant__gender",
            "episode__participant__birth_date",
            "icd10",
            "index_event",
        )
    )
    done = completed_by_course([r[0] for r in raw], today=today)
    followups = due_followups(today=today, diagnosis=diagnosis)
    course_rows = []
    for episode_id, unit, region, diag, index_date, started, gender, born, icd10, event in raw:
        year, quarter = quarter_of(index_date)
        course_rows.append(
            calc.CourseRow(
                unit_id=unit,
                region_id=region,
                diagnosis=diag,
                year=year,
                quarter=quarter,
                sex=sex_of(gender),
                age_band=age_band(_age(born, index_date)),
                started=started is not None,
                completed=started is not None and bool(done.get(episode_id)),
                wait_days=(started - index_date).days if started is not None else None,
                icd10=icd10,
                index_event=event,
                followups=tuple(followups.get(episode_id, ())),
            )
        )
    denominator_rows = [
        calc.DenominatorRow(
            unit_id=unit,
            region_id=region,
            diagnosis=diag,
            year=year,
            quarter=quarter,
            sex=sex,
            age_band=band,
            eligible=eligible,
        )
        for unit, region, diag, year, quarter, sex, band, eligible in denominators.values_list(
            "municipality_id",
            "municipality__region_id",
            "diagnosis",
            "year",
            "quarter",
            "sex",
            "age_band",
            "eligible",
        )
    ]
    return course_rows, denominator_rows


def due_followups(
    *, today: dt.date, diagnosis: str | None = None, episode_ids: list[int] | None = None
) -> dict[int, list[tuple[int, bool, bool]]]:
    """The rehabilitation courses' follow-ups (outcomes' 3, 6 and 12 months after the end) that
    are due by ``today``, per course: ``(months, answered, still active)``. Only those dated from
    the course's present end count (one query)."""
    found = FollowUp.objects.filter(
        episode__rehab__isnull=False, due_on__lte=today, due_on__gt=F("episode__ended_on")
    )
    if diagnosis:
        found = found.filter(episode__rehab__diagnosis=diagnosis)
    if episode_ids is not None:
        found = found.filter(episode_id__in=episode_ids)
    result: dict[int, list[tuple[int, bool, bool]]] = {}
    for episode_id, months, status, active in found.values_list(
        "episode_id", "months", "status", "still_active"
    ).order_by("episode_id", "months"):
        answered = status == FollowUpStatus.ANSWERED
        result.setdefault(episode_id, []).append((months, answered, bool(answered and active)))
    return result


@dataclass
class Filters:
    diagnosis: str | None = None
    period: str | None = None
    level: str = "unit"
    grain: str = "quarter"
    sex: str | None = None
    age_band: str | None = None


def parse_filters(params: Any) -> tuple[Filters, dict[str, str]]:
    """Filters from query parameters, with errors per parameter (in the user's language)."""
    from django.utils.translation import gettext as _

    from kobling.rehab.choices import AgeBand, DiagnosisGroup, Sex

    errors: dict[str, str] = {}
    found = Filters()
    diagnosis = (params.get("diagnosis") or "").strip()
    if diagnosis and diagnosis not in DiagnosisGroup.values:
        errors["diagnosis"] = _("Unknown diagnosis group; use one of %(codes)s.") % {
            "codes": ", ".join(DiagnosisGroup.values)
        }
    found.diagnosis = diagnosis or None
    period = (params.get("period") or "").strip().upper()
    grain = (params.get("grain") or "").strip() or ("year" if YEAR.match(period) else "quarter")
    if grain not in calc.GRAINS:
        errors["grain"] = _("Use quarter or year.")
    elif period and not (YEAR if grain == "year" else QUARTER).match(period):
        errors["period"] = _("Give the period as a year (2025) or a quarter (2025Q1).")
    found.period, found.grain = period or None, grain
    level = (params.get("level") or "unit").strip()
    if level not in calc.LEVELS:
        errors["level"] = _("Use unit, region or national.")
    found.level = level
    sex = (params.get("sex") or "").strip()
    if sex and sex not in Sex.values:
        errors["sex"] = _("Unknown sex; use one of %(codes)s.") % {"codes": ", ".join(Sex.values)}
    found.sex = sex or None
    band = (params.get("age_band") or "").strip()
    if band and band not in AgeBand.values:
        errors["age_band"] = _("Unknown age band; use one of %(codes)s.") % {
            "codes": ", ".join(AgeBand.values)
        }
    found.age_band = band or None
    return found, errors


# Per follow-up point after the end: due (of the started courses), answered, answered "still
# physically active".
FOLLOWUP_FIELDS = tuple(
    f"followup_{months}_{part}"
    for months in FOLLOW_UP_MONTHS
    for part in ("due", "answered", "active")
)


def followup_columns(cells: list[calc.Cell], own: list[bool]) -> list[dict[str, Any]]:
    """The follow-up fields of rows ``cells`` that form one table (their columns add up to a
    total shown elsewhere): per follow-up point the chains due ⊇ answered ⊇ active under the
    small-cell rule, except in the rows marked ``own`` (the user's own unit), shown as they are."""
    out: list[dict[str, Any]] = [{} for _ in cells]
    for months in FOLLOW_UP_MONTHS:
        counts = [list(cell.followup(months)) for cell in cells]
        shown = suppress_table(counts) if counts else []
        for i, (raw, hidden) in enumerate(zip(counts, shown, strict=True)):
            values = raw if own[i] else hidden
            for part, value in zip(("due", "answered", "active"), values, strict=True):
                out[i][f"followup_{months}_{part}"] = value
    return out


ROW_FIELDS = (
    "level",
    "unit",
    "unit_name",
    "diagnosis",
    "period",
    "eligible",
    "started",
    "completed",
    "participation_rate",
    "completion_rate",
    "median_wait_days",
    "funnel_flag",
    *FOLLOWUP_FIELDS,
)


def participation(
    *, user: User, filters: Filters, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The rows ``user`` may see, each with ``ROW_FIELDS``; counts and rates outside the user's
    own units suppressed (module docstring). Sorted by diagnosis, period and unit."""
    courses, denominators = load_rows(diagnosis=filters.diagnosis, today=today)
    cells = calc.aggregate(
        courses,
        denominators,
        level=filters.level,
        grain=filters.grain,
        sex=filters.sex,
        age_band=filters.age_band,
    )
    national = calc.aggregate(
        courses,
        denominators,
        level="national",
        grain=filters.grain,
        sex=filters.sex,
        age_band=filters.age_band,
    )
    mine = own_units(user)
    visible = visible_units(user)
    if filters.period:
        cells = {k: v for k, v in cells.items() if k[2] == filters.period}
    if filters.level == "unit" and visible is not None:
        cells = {k: v for k, v in cells.items() if k[0] in visible}
    names = _names(filters.level, {k[0] for k in cells})
    # Suppression per diagnosis and period: the groups' rows form a table whose columns add up
    # to the national total (shown elsewhere), so the complementary rule applies down a column.
    columns: dict[tuple[str, str], list[calc.Key]] = {}
    for key in cells:
        columns.setdefault((key[1], key[2]), []).append(key)
    rows: list[dict[str, Any]] = []
    for (diagnosis, period), keys in columns.items():
        keys.sort(key=lambda k: names.get(k[0], ("", ""))[0])
        counts = [[cells[k].eligible, cells[k].started, cells[k].completed] for k in keys]
        shown = suppress_table(counts)
        owns = [filters.level == "unit" and mine is not None and k[0] in mine for k in keys]
        followed = followup_columns([cells[k] for k in keys], owns)
        for key, raw, cellsup, own, later in zip(keys, counts, shown, owns, followed, strict=True):
            eligible, started, completed = raw if own else cellsup
            cell = cells[key]
            code, name = names.get(key[0], ("", ""))
            rows.append(
                {
                    "level": filters.level,
                    "unit": code,
                    "unit_name": name,
                    "diagnosis": diagnosis,
                    "period": period,
                    "eligible": eligible,
                    "started": started,
                    "completed": completed,
                    "participation_rate": cell.participation_rate
                    if own
                    else derived(cell.participation_rate, eligible, started),
                    "completion_rate": cell.completion_rate
                    if own
                    else derived(cell.completion_rate, started, completed),
                    # Against the national rate (units only); shown where the rate is shown.
                    "funnel_flag": _flag(cell, national.get((None, diagnosis, period)))
                    if filters.level == "unit"
                    and (own or not is_suppressed(derived(1, eligible, started)))
                    else "",
                    # Describes the started persons: hidden with them, or when fewer than 5.
                    "median_wait_days": cell.median_wait_days
                    if own
                    else (
                        SUPPRESSED
                        if is_suppressed(started)
                        else describing(cell.median_wait_days, cell.started)
                    ),
                    **later,
                }
            )
    rows.sort(key=lambda r: (r["diagnosis"], r["period"], r["unit"]))
    return rows


def _flag(cell: calc.Cell, nation: calc.Cell | None) -> str:
    rate = nation.started / nation.eligible if nation and nation.eligible else None
    return calc.funnel_flag(cell.started, cell.eligible, rate)


def _names(level: str, ids: set[int | None]) -> dict[int | None, tuple[str, str]]:
    if level == "national":
        return {None: ("", "Norge")}
    model = Municipality if level == "unit" else Region
    found = {
        pk: (code, name)
        for pk, code, name in model.objects.filter(pk__in=[i for i in ids if i]).values_list(
            "pk", "code", "name"
        )
    }
    found.setdefault(None, ("", ""))
    return found


def is_suppressed(value: Any) -> bool:
    return value == SUPPRESSED


# --- the public list of offers ------------------------------------------------------------------


def public_offers(*, diagnosis: str | None = None, county: str | None = None):  # noqa: ANN201
    """Offers by diagnosis group and county, with their unit: no personal data."""
    offers = RehabOffer.objects.select_related("municipality").order_by(
        "county_code", "municipality__name", "name"
    )
    if diagnosis:
        offers = offers.filter(Q(**{f"serves_{diagnosis}": True}))
    if county:
        offers = offers.filter(county_code=county)
    return offers


def offer_counts() -> dict[str, int]:
    """How many offers serve each diagnosis group (one query)."""
    from django.db.models import Count

    counts = RehabOffer.objects.aggregate(
        chd=Count("pk", filter=Q(serves_chd=True)),
        copd=Count("pk", filter=Q(serves_copd=True)),
        pad=Count("pk", filter=Q(serves_pad=True)),
    )
    return {k: int(v or 0) for k, v in counts.items()}
