"""Writes: importing public-health-profile categories and storing an uploaded status set. Both
are all or nothing: the file is validated completely (kobling.profiles.io) and only a clean file
is saved, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.profiles import io
from kobling.profiles.models import ProfileCategory, ProfileIndicator, StatusSet, UnitStatus
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

MAX_IMPORT_BYTES = 10 * 1024 * 1024


@dataclass
class ImportReport:
    """What an import did (or, with problems, why it did nothing)."""

    ok: bool
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    indicators: int = 0
    problems: list[io.Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "indicators": self.indicators,
            "problems": [p.as_dict() for p in self.problems],
        }


def _require_analyst(by: Any) -> None:
    # None is the system (commands, the demo loader).
    if by is not None and not getattr(by, "is_analyst", False):
        raise ValidationError(_("Only the national analyst can do this."))


def profiles_import(
    *,
    data: bytes,
    period: str,
    source: str = "",
    by: Any = None,
    filename: str = "PROFILES.csv",
    dry_run: bool = False,
) -> ImportReport:
    """Import PROFILES.csv (``unit_code,indicator,category``) as the profiles of ``period``.
    Indicators are created as needed (named after their code); a unit's category on an
    indicator of that period is created or replaced. Every row is validated first; with any
    problem nothing is saved and the report lists them all."""
    _require_analyst(by)
    period = (period or "").strip()
    source = (source or "").strip()
    if not period:
        raise ValidationError({"period": _("Give the period (profile edition), e.g. 2016.")})
    if len(period) > 20:
        raise ValidationError({"period": _("At most 20 characters.")})
    if len(source) > 200:
        raise ValidationError({"source": _("At most 200 characters.")})
    if len(data) > MAX_IMPORT_BYTES:
        return ImportReport(
            ok=False,
            dry_run=dry_run,
            problems=[io.Problem(filename, None, "", "", _("The file is larger than 10 MB."))],
        )
    rows, problems = io.parse_profiles(data, name=filename)
    if problems:
        return ImportReport(ok=False, dry_run=dry_run, problems=problems)
    report = ImportReport(ok=True, dry_run=dry_run, rows=len(rows))
    now = timezone.now()
    with transaction.atomic():
        codes = sorted({r.indicator for r in rows})
        report.indicators = len(codes)
        indicators = {
            i.code: i
            for i in ProfileIndicator.objects.select_for_update().filter(
                period=period, code__in=codes
            )
        }
        for code in codes:
            if code not in indicators:
                indicator = ProfileIndicator(code=code, name=code, period=period, source=source)
                indicator.full_clean()
                indicator.save()
                indicators[code] = indicator
        existing = {
            (c.indicator_id, c.unit_code): c
            for c in ProfileCategory.objects.filter(indicator__in=list(indicators.values()))
        }
        new: list[ProfileCategory] = []
        changed: list[ProfileCategory] = []
        for row in rows:
            indicator = indicators[row.indicator]
            current = existing.get((indicator.pk, row.unit_code))
            if current is None:
                new.append(
                    ProfileCategory(
                        indicator=indicator,
                        unit_code=row.unit_code,
                        category=row.category,
                        imported_at=now,
                        source=source,
                    )
                )
            elif current.category != row.category or current.source != source:
                current.category, current.source, current.imported_at = row.category, source, now
                changed.append(current)
            else:
                report.unchanged += 1
        ProfileCategory.objects.bulk_create(new, batch_size=1000)
        ProfileCategory.objects.bulk_update(
            changed, ["category", "source", "imported_at"], batch_size=1000
        )
        report.created, report.updated = len(new), len(changed)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            object_type="profiles.profilecategory",
            object_repr=f"{filename} ({period})"[:200],
            changes={
                "period": period,
                "source": source,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "dry_run": dry_run,
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


def status_set_create(
    *, data: bytes, name: str, source: str = "", by: Any = None, filename: str = "STATUS.csv"
) -> StatusSet:
    """Store an uploaded STATUS.csv (``unit_code,has_scheme``) as a named status set. Raises
    :class:`kobling.profiles.io.DataError` listing every problem; nothing is saved then."""
    _require_analyst(by)
    name = (name or "").strip() or filename
    if len(data) > MAX_IMPORT_BYTES:
        raise io.DataError(
            [io.Problem(filename, None, "", "", _("The file is larger than 10 MB."))]
        )
    status, problems = io.parse_status(data, name=filename)
    if problems:
        raise io.DataError(problems)
    if not status:
        raise io.DataError([io.Problem(filename, None, "", "", _("The file has no units."))])
    with transaction.atomic():
        status_set = StatusSet(name=name[:200], source=source[:200], created_by=by)
        status_set.full_clean()
        status_set.save()
        UnitStatus.objects.bulk_create(
            [
                UnitStatus(status_set=status_set, unit_code=code, has_scheme=has)
                for code, has in sorted(status.items())
            ],
            batch_size=1000,
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=status_set,
            changes={"units": len(status), "with_scheme": sum(status.values())},
        )
    return status_set
