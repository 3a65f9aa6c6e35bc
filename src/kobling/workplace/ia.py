"""IA statistics per municipality and quarter: typed one quarter at a time, or imported from a
CSV file as the labour and welfare service reports them — all or nothing, with a report row by
row. A quarter already there is replaced by the import (its version goes up)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.workplace.models import IA_MEASURES, IAFigures, is_staff
from kobling.workplace.services import ONLY_STAFF

if TYPE_CHECKING:
    from kobling.tenancy.models import Municipality, User

COLUMNS = ("year", "quarter", *IA_MEASURES)


@dataclass
class ImportReport:
    rows: list[tuple[int, str]] = field(default_factory=list)  # (line, "ok" or the errors)
    saved: int = 0

    @property
    def ok(self) -> bool:
        return all(message == "ok" for _line, message in self.rows)


def figures_save(
    *, by: User, municipality: Municipality, values: dict[str, Any], source: str = "typed"
) -> IAFigures:
    """One quarter's figures, new or replacing the quarter's earlier ones."""
    if not is_staff(by, municipality.pk):
        raise PermissionDenied(ONLY_STAFF)
    with transaction.atomic():
        row = (
            IAFigures.objects.select_for_update()
            .filter(municipality=municipality, year=values["year"], quarter=values["quarter"])
            .first()
        )
        action = AuditAction.UPDATE if row else AuditAction.CREATE
        row = row or IAFigures(municipality=municipality)
        for name in COLUMNS:
            setattr(row, name, values[name])
        row.source = source
        if row.pk:
            row.version += 1
        row.full_clean()
        row.save()
        audit_log(user=by, action=action, obj=row, changes={n: values[n] for n in COLUMNS})
    return row


def _parse(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=";,")
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def figures_import(*, by: User, municipality: Municipality, content: bytes) -> ImportReport:
    """All rows are checked; if any fails nothing is saved, and the report says why per line."""
    if not is_staff(by, municipality.pk):
        raise PermissionDenied(ONLY_STAFF)
    report = ImportReport()
    try:
        rows = _parse(content)
    except (UnicodeDecodeError, csv.Error):
        raise ValidationError(_("The file is not a CSV file in UTF-8.")) from None
    if not rows:
        raise ValidationError(_("The file has no rows."))
    missing = [c for c in COLUMNS if c not in (rows[0].keys() or ())]
    if missing:
        raise ValidationError(
            _("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    parsed: list[dict[str, int]] = []
    seen: set[tuple[int, int]] = set()
    for line, raw in enumerate(rows, start=2):
        values: dict[str, int] = {}
        errors: list[str] = []
        for name in COLUMNS:
            cell = (raw.get(name) or "").strip()
            if not cell.isdigit():
                errors.append(_("%(column)s is not a whole number") % {"column": name})
            else:
                values[name] = int(cell)
        if not errors:
            candidate = IAFigures(municipality=municipality, **values)
            try:
                candidate.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                errors += [f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()]
            key = (values["year"], values["quarter"])
            if key in seen:
                errors.append(_("the quarter is in the file twice"))
            seen.add(key)
        report.rows.append((line, "; ".join(errors) if errors else "ok"))
        parsed.append(values)
    if not report.ok:
        return report
    with transaction.atomic():
        for values in parsed:
            figures_save(by=by, municipality=municipality, values=values, source="import")
    report.saved = len(parsed)
    return report
