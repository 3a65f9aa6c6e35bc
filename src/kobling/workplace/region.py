"""IA figures across the region: one measure, every municipality of a health region
(``Municipality.region``), quarter by quarter, with the region's total.

Every IA measure counts persons (on sick leave, in vocational rehabilitation, applying for a
grant), so the figures of *other* municipalities leave their unit and go through the small-cell
rule (lib.suppression): 1–4 is "<5"; in each quarter the other municipalities' cells are
suppressed as a group (rule 2), and the region's total is hidden too when it would give away a
single hidden cell (total − own − the shown others). The viewer's own municipality is shown as
it is, as on its own page. A fixed number of queries however many municipalities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kobling.lib.suppression import SUPPRESSED, hidden, suppress, suppress_group
from kobling.tenancy.choices import UnitKind
from kobling.tenancy.models import Municipality, Region
from kobling.workplace.models import IA_MEASURES, STAFF_ROLES, IAFigures


@dataclass
class RegionRow:
    municipality: Municipality
    own: bool
    cells: list[Any]


@dataclass
class RegionFigures:
    region: Region
    measure: str
    measure_label: str
    quarters: list[str]
    rows: list[RegionRow] = field(default_factory=list)
    totals: list[Any] = field(default_factory=list)


def measure_labels() -> dict[str, str]:
    names = {f.name: str(f.verbose_name) for f in IAFigures._meta.fields}
    return {m: names[m] for m in IA_MEASURES}


def regions_for(user: Any) -> list[Region]:
    """The regions of the municipalities where the user is on the programme's staff."""
    ids = user.municipality_ids(*STAFF_ROLES)
    return list(Region.objects.filter(units__pk__in=sorted(ids)).distinct().order_by("code"))


def region_figures(user: Any, region: Region, measure: str) -> RegionFigures:
    if measure not in IA_MEASURES:
        raise ValueError(measure)
    own_ids = user.municipality_ids(*STAFF_ROLES)
    municipalities = list(
        Municipality.objects.filter(region=region, kind=UnitKind.MUNICIPALITY).order_by("name")
    )
    rows = IAFigures.objects.filter(municipality__in=municipalities).values_list(
        "municipality_id", "year", "quarter", measure
    )
    values: dict[tuple[int, str], int] = {}
    quarters: set[tuple[int, int]] = set()
    for municipality_id, year, quarter, value in rows:
        quarters.add((year, quarter))
        values[(municipality_id, f"{year}-{quarter}")] = value
    labels = [f"{y}-{q}" for y, q in sorted(quarters)]
    result = RegionFigures(
        region=region,
        measure=measure,
        measure_label=measure_labels()[measure],
        quarters=labels,
        rows=[RegionRow(m, m.pk in own_ids, []) for m in municipalities],
    )
    for label in labels:
        present = [r for r in result.rows if (r.municipality.pk, label) in values]
        others = [r for r in present if not r.own]
        shown = suppress_group([values[(r.municipality.pk, label)] for r in others])
        cells = {r.municipality.pk: cell for r, cell in zip(others, shown, strict=True)}
        for r in present:
            if r.own:
                cells[r.municipality.pk] = values[(r.municipality.pk, label)]
        for r in result.rows:
            r.cells.append(cells.get(r.municipality.pk))
        total = sum(values[(r.municipality.pk, label)] for r in present) if present else None
        lone_hidden = sum(1 for cell in shown if hidden(cell)) == 1
        result.totals.append(SUPPRESSED if lone_hidden else suppress(total))
    return result


def as_json(figures: RegionFigures) -> dict[str, Any]:
    return {
        "region": {
            "id": figures.region.pk,
            "code": figures.region.code,
            "name": figures.region.name,
        },
        "measure": figures.measure,
        "quarters": figures.quarters,
        "municipalities": [
            {
                "id": r.municipality.pk,
                "name": r.municipality.name,
                "own": r.own,
                "values": r.cells,
            }
            for r in figures.rows
        ],
        "totals": figures.totals,
        "suppressed_as": SUPPRESSED,
    }


def chart_series(figures: RegionFigures) -> list[tuple[str, list[Any]]]:
    series = [(r.municipality.name, r.cells) for r in figures.rows]
    return [*series, (_("The region, total"), figures.totals)]
