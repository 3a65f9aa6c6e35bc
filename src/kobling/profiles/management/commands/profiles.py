"""``kobling profiles compare --status STATUS.csv --profiles PROFILES.csv --format json|csv|table``
compares units with and without a scheme on every public-health-profile indicator (Pearson's
chi-square on the 2×3 table; see kobling.profiles.stats). ``kobling profiles import PROFILES.csv
--period 2016`` stores profile categories (all or nothing); ``kobling profiles load-demo`` loads
the shipped synthetic sample.

Exit status: 0 done (warnings about small expected counts go to stderr and do not change it),
1 the data has problems (every offending row and value is listed on stderr; nothing is computed
or saved), 2 usage (wrong arguments, a file that cannot be read). Messages are in English
whatever the site language, so scripts can rely on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from kobling.profiles import io, services
from kobling.profiles.stats import REASONS


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}", returncode=2) from exc


class Command(BaseCommand):
    help = "Public-health-profile comparison: compare, import, load-demo."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compare = sub.add_parser(
            "compare", help="compare units with and without a scheme, per indicator"
        )
        compare.add_argument("--status", required=True, type=Path, help="STATUS.csv")
        compare.add_argument("--profiles", required=True, type=Path, help="PROFILES.csv")
        compare.add_argument("--format", choices=io.FORMATS, default="table")
        imp = sub.add_parser("import", help="store PROFILES.csv (all or nothing)")
        imp.add_argument("file", type=Path)
        imp.add_argument("--period", required=True, help="profile edition, e.g. 2016")
        imp.add_argument("--source", default="", help="where the file came from (stored)")
        imp.add_argument("--dry-run", action="store_true", help="check and report; save nothing")
        imp.add_argument("--json", action="store_true", help="print the report as JSON")
        sub.add_parser("load-demo", help="load the shipped synthetic sample")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "compare":
            self._compare(options)
        elif action == "import":
            self._import(options)
        else:
            from kobling.profiles.demo import load_profiles_demo

            report = load_profiles_demo()
            self.stdout.write(
                f"Loaded the synthetic sample: {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged."
            )

    def _problems(self, problems: list[io.Problem], what: str) -> None:
        for problem in problems:
            self.stderr.write(f"error: {problem}")
        raise CommandError(f"{len(problems)} problem(s) in the input; {what}.", returncode=1)

    def _compare(self, options: dict[str, Any]) -> None:
        status_path, profiles_path = options["status"], options["profiles"]
        status_data, profiles_data = _read(status_path), _read(profiles_path)
        try:
            status, rows = io.load(
                status_data,
                profiles_data,
                status_name=status_path.name,
                profiles_name=profiles_path.name,
            )
        except io.DataError as exc:
            self._problems(exc.problems, "nothing was computed")
        results = io.compare_all(status, [(r.unit_code, r.indicator, r.category) for r in rows])
        for result in results:
            for warning in result.comparison.warnings:
                self.stderr.write(f"warning: {result.indicator}: {warning}")
            if result.comparison.reason:
                self.stderr.write(
                    f"warning: {result.indicator}: no test, {REASONS[result.comparison.reason]}"
                )
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(io.to_json(results))
        elif fmt == "csv":
            self.stdout.write(io.to_csv(results), ending="")
        else:
            self.stdout.write(io.to_table(results), ending="")

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            report = services.profiles_import(
                data=_read(path),
                period=options["period"],
                source=options["source"] or path.name,
                filename=path.name,
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        if not report.ok:
            self._problems(report.problems, "nothing was imported")
        if not options["json"]:
            verb = "Checked (dry run)" if report.dry_run else "Imported"
            self.stdout.write(
                f"{verb} {report.rows} rows on {report.indicators} indicators: "
                f"{report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged."
            )
