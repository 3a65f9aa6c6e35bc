"""Importing the unit register from SSB classification files (KLASS CSV export).

Accepted layout (what KLASS's "Last ned" / the KLASS API ``.csv`` give): one header line, then one
row per unit, fields separated by ``;`` (``,`` is accepted too), optionally quoted, in UTF-8 (with
or without BOM) or Windows-1252. Columns are found by header name, in any order, case-insensitive:

- ``code`` (required) — municipality 4 digits, city district 6 digits, county 2 digits,
  county sports council any short code (ours are ``IK`` + county code);
- ``name`` (required);
- ``parentCode`` (optional) — the county of a sports council, the municipality of a district;
  for a health trust, hospital or rehabilitation institution it is required: its county;
- ``healthRegion`` — required for a health trust, hospital or rehabilitation institution: its
  regional health authority (``HSO``, ``HV``, ``HMN``, ``HN``); ignored for the other kinds;
- ``validFrom`` / ``validTo`` (optional, ``YYYY-MM-DD``; ``validTo`` is exclusive, as in KLASS);
  without ``validFrom`` the ``--valid-from`` given to the import is used;
- ``level``, ``shortName``, ``presentationName``, ``notes`` and anything else are ignored.

Lines starting with ``#`` before the header are comments (our snapshots use them for the source).

All or nothing: every row is checked first; if any row is wrong nothing is saved and the report
names each bad row. Otherwise each row creates a unit version, updates the same version, or —
when the code is already open under an older version with another name or county — closes that
version the day the new one starts. Open versions of the same kind missing from the file are
closed on the file's earliest start date, since the new classification no longer has them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kobling.national.choices import HEALTH_KINDS, HealthRegion, UnitKind
from kobling.national.models import Unit
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

DATA_DIR = Path(__file__).parent / "data"
SNAPSHOT_FILES = {
    UnitKind.COUNTY: "counties-2024.csv",
    UnitKind.MUNICIPALITY: "municipalities-2024.csv",
    UnitKind.DISTRICT: "oslo-districts-2024.csv",
    UnitKind.SPORTS_COUNCIL: "sports-councils-2024.csv",
    UnitKind.HEALTH_TRUST: "health-trusts-2024.csv",
    UnitKind.HOSPITAL: "hospitals-2024.csv",
    UnitKind.REHAB_INSTITUTION: "rehab-institutions-2024.csv",
}
SNAPSHOT_DATE = dt.date(2024, 1, 1)
MAX_BYTES = 5_000_000
COUNTY_CODE = re.compile(r"^\d{2}$")

CODE_PATTERNS = {
    UnitKind.MUNICIPALITY: re.compile(r"^\d{4}$"),
    UnitKind.DISTRICT: re.compile(r"^\d{6}$"),
    UnitKind.COUNTY: re.compile(r"^\d{2}$"),
    UnitKind.SPORTS_COUNCIL: re.compile(r"^[A-Za-z0-9-]{2,12}$"),
    UnitKind.HEALTH_TRUST: re.compile(r"^[A-Za-z0-9-]{2,12}$"),
    UnitKind.HOSPITAL: re.compile(r"^[A-Za-z0-9-]{2,12}$"),
    UnitKind.REHAB_INSTITUTION: re.compile(r"^[A-Za-z0-9-]{2,12}$"),
}


@dataclass
class RowReport:
    line: int
    code: str = ""
    name: str = ""
    action: str = ""  # created / updated / unchanged / renamed / closed
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    rows: list[RowReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the file as a whole
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.errors for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            if row.action:
                counts[row.action] = counts.get(row.action, 0) + 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "saved": self.saved,
            "errors": self.errors,
            "counts": self.counts(),
            "rows": [
                {
                    "line": r.line,
                    "code": r.code,
                    "name": r.name,
                    "action": r.action,
                    "errors": r.errors,
                }
                for r in self.rows
                if r.errors or r.action not in ("", "unchanged")
            ],
        }


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _date(value: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _county_of(kind: str, code: str, parent: str) -> str:
    if kind == UnitKind.COUNTY:
        return code
    if kind == UnitKind.SPORTS_COUNCIL or kind in HEALTH_KINDS:
        return parent[:2] if parent else ""
    return code[:2]


@dataclass
class ParsedRow:
    line: int
    code: str
    name: str
    county_code: str
    valid_from: dt.date
    valid_to: dt.date | None
    health_region: str = ""


def parse_units(
    data: bytes, *, kind: str, valid_from: dt.date | None = None
) -> tuple[list[ParsedRow], ImportReport]:
    """Read and check a classification file. Returns the rows and a report whose ``ok`` says
    whether every row is fine."""
    report = ImportReport(kind=kind)
    if kind not in UnitKind.values:
        report.errors.append(_("Unknown kind of unit: %(kind)s.") % {"kind": kind})
        return [], report
    if len(data) > MAX_BYTES:
        report.errors.append(_("The file is too large."))
        return [], report
    text = _decode(data)
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip >= len(lines):
        report.errors.append(_("The file is empty."))
        return [], report
    header_line = lines[skip]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines[skip:])), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    columns = {name: i for i, name in enumerate(header)}
    missing = [c for c in ("code", "name") if c not in columns]
    if missing:
        report.errors.append(_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)})
        return [], report

    def cell(values: list[str], name: str) -> str:
        i = columns.get(name.lower())
        return values[i].strip() if i is not None and i < len(values) else ""

    rows: list[ParsedRow] = []
    seen: dict[tuple[str, dt.date | None], int] = {}
    pattern = CODE_PATTERNS[kind]
    for offset, values in enumerate(reader, start=skip + 2):
        if not any(v.strip() for v in values):
            continue
        row = RowReport(line=offset, code=cell(values, "code"), name=cell(values, "name"))
        report.rows.append(row)
        if not row.code:
            row.errors.append(_("The code is missing."))
        elif not pattern.match(row.code):
            row.errors.append(
                _("“%(code)s” is not a valid code for this kind of unit.") % {"code": row.code}
            )
        if not row.name:
            row.errors.append(_("The name is missing."))
        elif len(row.name) > 120:
            row.errors.append(_("The name is longer than 120 characters."))
        try:
            start = _date(cell(values, "validFrom")) or valid_from
            end = _date(cell(values, "validTo"))
        except ValueError as bad:
            row.errors.append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": bad})
            continue
        if start is None:
            row.errors.append(_("No validFrom date, and none was given for the import."))
            continue
        if end is not None and end <= start:
            row.errors.append(_("validTo must be after validFrom."))
        region = cell(values, "healthRegion").upper()
        if kind in HEALTH_KINDS:
            if region not in HealthRegion.values:
                row.errors.append(
                    _("“%(value)s” is not a health region; use one of %(codes)s.")
                    % {"value": region, "codes": ", ".join(HealthRegion.values)}
                )
            county = cell(values, "parentCode")
            if not COUNTY_CODE.match(county):
                row.errors.append(_("parentCode must be the county's two-digit code."))
        else:
            region = ""
        key = (row.code, start)
        if key in seen:
            row.errors.append(
                _("The code %(code)s appears twice (also on line %(line)s).")
                % {"code": row.code, "line": seen[key]}
            )
        seen[key] = offset
        if not row.errors:
            rows.append(
                ParsedRow(
                    line=offset,
                    code=row.code,
                    name=row.name,
                    county_code=_county_of(kind, row.code, cell(values, "parentCode")),
                    valid_from=start,
                    valid_to=end,
                    health_region=region,
                )
            )
    if not report.rows:
        report.errors.append(_("The file has no rows."))
    return rows, report


def units_import(
    *,
    data: bytes,
    kind: str,
    by: Any,
    source: str = "",
    valid_from: dt.date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one classification file as unit versions of ``kind`` (all or nothing; see the
    module docstring). Audited with the counts."""
    rows, report = parse_units(data, kind=kind, valid_from=valid_from)
    if not report.ok:
        return report
    by_line = {r.line: r for r in report.rows}
    with transaction.atomic():
        existing = {
            (u.code, u.valid_from): u for u in Unit.objects.select_for_update().filter(kind=kind)
        }
        open_by_code = {u.code: u for u in existing.values() if u.valid_to is None}
        earliest = min(r.valid_from for r in rows)
        in_file = {r.code for r in rows}
        for parsed in rows:
            row = by_line[parsed.line]
            same = existing.get((parsed.code, parsed.valid_from))
            if same is not None:
                changed = (
                    same.name != parsed.name
                    or same.valid_to != parsed.valid_to
                    or same.county_code != parsed.county_code
                    or same.health_region != parsed.health_region
                )
                if changed:
                    same.name, same.valid_to = parsed.name, parsed.valid_to
                    same.county_code = parsed.county_code
                    same.health_region = parsed.health_region
                    same.source = source or same.source
                    same.save()
                row.action = "updated" if changed else "unchanged"
                continue
            older = open_by_code.get(parsed.code)
            if older is not None and older.valid_from < parsed.valid_from:
                if (older.name, older.county_code, older.health_region) == (
                    parsed.name,
                    parsed.county_code,
                    parsed.health_region,
                ):
                    row.action = "unchanged"  # the same unit, still valid: keep one version
                    continue
                older.valid_to = parsed.valid_from
                older.save(update_fields=["valid_to"])
                row.action = "renamed"
            else:
                row.action = "created"
            Unit.objects.create(
                kind=kind,
                code=parsed.code,
                name=parsed.name,
                county_code=parsed.county_code,
                health_region=parsed.health_region,
                valid_from=parsed.valid_from,
                valid_to=parsed.valid_to,
                source=source[:200],
            )
        for code, unit in sorted(open_by_code.items()):
            if code not in in_file and unit.valid_from < earliest:
                unit.valid_to = earliest
                unit.save(update_fields=["valid_to"])
                report.rows.append(RowReport(line=0, code=code, name=unit.name, action="closed"))
        report.saved = not dry_run
        if dry_run:
            transaction.set_rollback(True)
        else:
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                object_type="national.unit",
                object_repr=f"import {kind} ({source})"[:200],
                changes={"counts": report.counts()},
            )
    return report


def snapshot_bytes(kind: str) -> bytes:
    return (DATA_DIR / SNAPSHOT_FILES[kind]).read_bytes()


def load_snapshot(*, by: Any = None) -> dict[str, dict[str, int]]:
    """Import every shipped snapshot file (idempotent)."""
    result = {}
    for kind, filename in SNAPSHOT_FILES.items():
        report = units_import(
            data=snapshot_bytes(kind), kind=kind, by=by, source=f"Kobling snapshot {filename}"
        )
        if not report.ok:  # pragma: no cover - the shipped files are tested
            raise ValueError(report.as_json())
        result[str(kind)] = report.counts()
    return result
