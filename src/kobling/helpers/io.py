"""Import and export of the helper register (CSV and XLSX)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    ok: bool
    created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.created,
            "dry_run": self.dry_run,
            "errors": [e.__dict__ for e in self.errors],
        }


def helpers_export(queryset, fmt: str) -> tuple[bytes, str, str]:  # noqa: ANN001
    raise RuntimeError("export not built yet")


def helpers_import(*, by, programme, filename: str, content: bytes, dry_run: bool) -> ImportReport:  # noqa: ANN001
    raise RuntimeError("import not built yet")
