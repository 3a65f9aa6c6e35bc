"""Writes of the rehabilitation register: offers, the register's fields of a course, and the
denominators' CSV import (all or nothing, with a report per row)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.lib.errors import ConflictError
from kobling.referrals.models import Episode
from kobling.rehab.choices import AgeBand, DiagnosisGroup, Sex
from kobling.rehab.models import UNIT_STAFF_ROLES, Denominator, RehabCourse, RehabOffer
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, ProgrammeKind
from kobling.tenancy.models import Municipality, User

OFFER_FIELDS = (
    "name",
    "serves_chd",
    "serves_copd",
    "serves_pad",
    "setting",
    "format",
    "length_weeks",
    "sessions_per_week",
    "capacity",
    "takes_new_patients",
    "county_code",
    "place",
)
COURSE_FIELDS = ("diagnosis", "icd10", "index_event", "index_date", "referral_date", "offer")


def _unknown(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})


def offer_save(
    *,
    by: User,
    municipality: Municipality,
    data: dict[str, Any],
    offer: RehabOffer | None = None,
    expected_version: int | None = None,
) -> RehabOffer:
    """Create an offer of ``municipality`` or change ``offer`` (its unit's managers only; a
    change based on an old version is refused)."""
    if not by.is_manager_of(municipality.pk):
        raise PermissionDenied(_("Only the unit's coordinators manage its offers."))
    _unknown(data, OFFER_FIELDS)
    with transaction.atomic():
        if offer is None:
            target = RehabOffer(municipality=municipality)
            before: dict[str, Any] = {}
        else:
            target = RehabOffer.objects.select_for_update().get(pk=offer.pk)
            if target.municipality_id != municipality.pk:
                raise PermissionDenied
            if expected_version is not None and target.version != expected_version:
                raise ConflictError(
                    _(
                        "This offer was changed by someone else while you were looking at it. "
                        "Reload to see the latest version; nothing was saved."
                    )
                )
            before = {name: getattr(target, name) for name in data}
            target.version += 1
        for name, value in data.items():
            setattr(target, name, value.strip() if isinstance(value, str) else value)
        target.full_clean()
        target.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE if offer is None else AuditAction.UPDATE,
            obj=target,
            changes={
                name: [before.get(name), getattr(target, name)]
                for name in data
                if before.get(name) != getattr(target, name)
            },
        )
    return target


def rehab_course_register(
    *, by: User | None, episode: Episode, data: dict[str, Any]
) -> RehabCourse:
    """Record the register's fields of a rehabilitation course (a course of a rehabilitation
    programme): diagnosis group, ICD-10 code, index event and date, referral date, offer. The
    unit's staff (clinicians, coordinators) only; one per course."""
    if by is not None and episode.municipality_id not in by.municipality_ids(*UNIT_STAFF_ROLES):
        raise PermissionDenied(_("Only the unit's staff record its rehabilitation courses."))
    _unknown(data, COURSE_FIELDS)
    if episode.programme.kind != ProgrammeKind.REHABILITATION:
        raise ValidationError(_("Only a course of a rehabilitation programme is registered here."))
    offer = data.get("offer")
    if offer is not None and offer.municipality_id != episode.municipality_id:
        raise ValidationError({"offer": _("Choose one of the unit's own offers.")})
    with transaction.atomic():
        if RehabCourse.objects.filter(episode=episode).exists():
            raise ValidationError(_("This course is registered already."))
        course = RehabCourse(municipality_id=episode.municipality_id, episode=episode, **data)
        course.full_clean()
        course.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=course,
            changes={"diagnosis": course.diagnosis, "episode": episode.pk},
        )
    return course


# --- the denominators' import ---------------------------------------------------------------

DENOMINATOR_COLUMNS = ("unit", "diagnosis", "period", "sex", "age_band", "eligible")
PERIOD = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
MAX_BYTES = 2_000_000


@dataclass
class RowReport:
    line: int
    unit: str = ""
    diagnosis: str = ""
    period: str = ""
    action: str = ""  # created / updated / unchanged
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
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
            "saved": self.saved,
            "errors": self.errors,
            "counts": self.counts(),
            "rows": [
                {
                    "line": r.line,
                    "unit": r.unit,
                    "diagnosis": r.diagnosis,
                    "period": r.period,
                    "action": r.action,
                    "errors": r.errors,
                }
                for r in self.rows
            ],
        }


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def denominators_import(*, by: User, data: bytes, source: str = "") -> ImportReport:
    """Import eligible counts from a CSV file (``;`` or ``,``; header ``unit;diagnosis;period;
    sex;age_band;eligible``; ``unit`` is the unit's code, ``period`` e.g. ``2025Q1``). All or
    nothing: every row is checked first; if any is wrong nothing is saved and the report names
    each bad row. The national analyst imports for any unit, a unit's managers for their own.
    A cell imported again gets the new count. Audited with the counts."""
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.errors.append(_("The file is too large."))
        return report
    text = _decode(data)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        report.errors.append(_("The file is empty."))
        return report
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in DENOMINATOR_COLUMNS if c not in header]
    if missing:
        report.errors.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        return report
    at = {name: header.index(name) for name in DENOMINATOR_COLUMNS}
    units = {m.code: m for m in Municipality.objects.all()}
    allowed = None if by.is_analyst else by.municipality_ids(*MANAGER_ROLES)
    parsed: list[tuple[RowReport, dict[str, Any]]] = []
    seen: set[tuple] = set()
    for number, values in enumerate(reader, start=2):
        cell = {name: (values[i].strip() if i < len(values) else "") for name, i in at.items()}
        row = RowReport(
            line=number, unit=cell["unit"], diagnosis=cell["diagnosis"], period=cell["period"]
        )
        report.rows.append(row)
        unit = units.get(cell["unit"])
        if unit is None:
            row.errors.append(_("Unknown unit code."))
        elif allowed is not None and unit.pk not in allowed:
            row.errors.append(_("You cannot import counts for this unit."))
        if cell["diagnosis"] not in DiagnosisGroup.values:
            row.errors.append(
                _("Unknown diagnosis group; use one of %(codes)s.")
                % {"codes": ", ".join(DiagnosisGroup.values)}
            )
        period = PERIOD.match(cell["period"])
        if not period:
            row.errors.append(_("Give the period as a quarter, e.g. 2025Q1."))
        if cell["sex"] not in Sex.values:
            row.errors.append(
                _("Unknown sex; use one of %(codes)s.") % {"codes": ", ".join(Sex.values)}
            )
        if cell["age_band"] not in AgeBand.values:
            row.errors.append(
                _("Unknown age band; use one of %(codes)s.") % {"codes": ", ".join(AgeBand.values)}
            )
        if not cell["eligible"].isdigit():
            row.errors.append(_("The eligible count must be a whole number, 0 or more."))
        if row.errors:
            continue
        assert unit is not None and period is not None
        key = (unit.pk, cell["diagnosis"], int(period[1]), int(period[2]), cell["sex"])
        key = (*key, cell["age_band"])
        if key in seen:
            row.errors.append(_("The same cell appears twice in the file."))
            continue
        seen.add(key)
        parsed.append(
            (
                row,
                {
                    "municipality": unit,
                    "diagnosis": cell["diagnosis"],
                    "year": int(period[1]),
                    "quarter": int(period[2]),
                    "sex": cell["sex"],
                    "age_band": cell["age_band"],
                    "eligible": int(cell["eligible"]),
                },
            )
        )
    if not report.rows:
        report.errors.append(_("The file has no rows."))
    if not report.ok:
        return report
    now = timezone.now()
    with transaction.atomic():
        for row, values in parsed:
            eligible = values.pop("eligible")
            existing = Denominator.objects.select_for_update().filter(**values).first()
            if existing is None:
                Denominator.objects.create(
                    **values,
                    eligible=eligible,
                    source=source[:200],
                    imported_at=now,
                    imported_by=by,
                )
                row.action = "created"
            elif existing.eligible != eligible:
                existing.eligible = eligible
                existing.source = source[:200] or existing.source
                existing.imported_at, existing.imported_by = now, by
                existing.save()
                row.action = "updated"
            else:
                row.action = "unchanged"
        report.saved = True
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            object_type="rehab.denominator",
            object_repr=f"import ({source})"[:200],
            changes={"counts": report.counts()},
        )
    return report
