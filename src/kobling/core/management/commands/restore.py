"""`kobling restore <backup>`: checks the backup's checksums, restores the database and the file
store, and compares the result with the manifest (kobling.core.backup; docs/admin-guide.md)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kobling.core.backup import BackupError, backup_restore, backup_verify, opened


class Command(BaseCommand):
    help = (
        "Restore a backup made by `kobling backup` (a directory or .tar file). Every checksum "
        "is checked before anything is touched. A database that is not empty is replaced only "
        "with --force or when you confirm. Stop the web and worker processes first."
    )

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("backup", type=Path)
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that is not empty without asking.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check the backup's checksums; restore nothing.",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never ask; refuse a database that is not empty unless --force.",
        )

    def _confirm(self, question: str) -> bool:
        answer = input(f"{question} Type 'yes' to go on: ")
        return answer.strip().lower() == "yes"

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        started = time.monotonic()
        try:
            if options["check"]:
                with opened(options["backup"]) as directory:
                    manifest = backup_verify(directory)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"The backup is whole: {len(manifest['files'])} files, made "
                        f"{manifest['created_at']} by Kobling {manifest['kobling_version']}."
                    )
                )
                return
            report = backup_restore(
                options["backup"],
                using=options["database"],
                force=options["force"],
                confirm=self._confirm if options["interactive"] else None,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Restored {report.tables} tables ({report.rows} rows, {report.audit_entries} audit "
            f"entries) and {report.files} files in {seconds:.1f} s."
        )
        if report.media_moved_to:
            self.stdout.write(
                f"The files that were in MEDIA_ROOT were moved to {report.media_moved_to}; "
                "delete them when you no longer need them."
            )
        if report.pending_migrations:
            self.stdout.write(
                f"The backup is from an older Kobling: run `kobling migrate` "
                f"({report.pending_migrations} migration(s) to apply)."
            )
        if not report.ok:
            listed = "\n".join(f"  - {m}" for m in report.mismatches)
            raise CommandError(f"The restored data differs from the backup's manifest:\n{listed}")
        self.stdout.write(
            self.style.SUCCESS("Row counts of every table and the audit log match the backup.")
        )
