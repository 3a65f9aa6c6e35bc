"""`kobling backup <dir-or-file>`: the database and the file store, with a manifest and
checksums (kobling.core.backup; docs/admin-guide.md, "Backup and restore")."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kobling.core.backup import BackupError, backup_create


def size_text(path: Path) -> str:
    total = (
        path.stat().st_size
        if path.is_file()
        else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    )
    return f"{total / 1_000_000:.1f} MB"


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump on PostgreSQL, the online backup API on SQLite) and "
        "MEDIA_ROOT, with a manifest of checksums, row counts and the audit log's head. The "
        "target is an existing directory (a new backup directory is made in it), a new "
        "directory, or a new .tar file."
    )

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("destination", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        started = time.monotonic()
        try:
            path = backup_create(options["destination"], using=options["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {path} ({size_text(path)}, {seconds:.1f} s).")
        )
