"""``kobling national import-units FILE --kind KIND [--valid-from DATE] [--dry-run] [--json]``
imports an SSB classification file (KLASS CSV; see kobling.national.io) into the unit register,
all or nothing, and prints a row report. ``kobling national load-snapshot`` imports the shipped
2024 snapshot files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kobling.national import io
from kobling.national.choices import UnitKind


class Command(BaseCommand):
    help = "National unit register: import-units FILE --kind KIND, or load-snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-units", help="import a KLASS CSV file")
        imp.add_argument("file", type=Path)
        imp.add_argument("--kind", required=True, choices=UnitKind.values)
        imp.add_argument("--valid-from", type=dt.date.fromisoformat, default=None)
        imp.add_argument("--source", default="", help="where the file came from (stored)")
        imp.add_argument("--dry-run", action="store_true", help="check and report; save nothing")
        imp.add_argument("--json", action="store_true", help="print the report as JSON")
        sub.add_parser("load-snapshot", help="import the shipped 2024 snapshot")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "load-snapshot":
            counts = io.load_snapshot()
            for kind, c in counts.items():
                self.stdout.write(f"{kind}: {c}")
            return
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        report = io.units_import(
            data=path.read_bytes(),
            kind=str(options["kind"]),
            by=None,
            source=str(options["source"] or f"{path.name}"),
            valid_from=options["valid_from"],  # type: ignore[arg-type]
            dry_run=bool(options["dry_run"]),
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            for message in report.errors:
                self.stderr.write(message)
            for row in report.rows:
                if row.errors:
                    self.stderr.write(
                        f"line {row.line} ({row.code or '-'}): {'; '.join(row.errors)}"
                    )
            counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts().items()))
            if report.ok:
                verb = "Checked (dry run)" if options["dry_run"] else "Imported"
                self.stdout.write(f"{verb}: {counts or 'nothing'}")
        if not report.ok:
            raise CommandError("Nothing was imported: the file has errors (see above).")
