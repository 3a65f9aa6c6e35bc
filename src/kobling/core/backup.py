"""Backup and restore of a Kobling instance: the database and the private file store (receipts,
grant attachments: ``MEDIA_ROOT`` on the disk, or the bucket with ``KOBLING_FILE_STORE=s3``),
with a manifest that lets a restore prove it got everything back.

A backup is a directory, or the same directory as one uncompressed ``.tar`` file:

    manifest.json         what is in it (below), with the sha256 and size of every file
    manifest.json.sha256  the manifest's own checksum
    database.dump         PostgreSQL: pg_dump's custom format
    database.sqlite3      SQLite: a copy made with SQLite's online backup API
    files/…               the file store, file by file (a bucket's objects by their keys)

The manifest also holds the row count of every table, the audit log's head (entries, last id,
last time) with a sha256 over all its entries in order (the log is append-only but not
hash-chained, so this digest is what a restore compares), the Kobling version, the applied
migrations and the time. On PostgreSQL the counts and the dump come from one snapshot
(``pg_dump --snapshot``), so they agree while the site keeps running. Files are copied after
the snapshot; receipts are only ever added, so every file the database names is there.

A restore checks every checksum before it touches anything, refuses a database that is not
empty unless told to replace it, restores the database and the files (the files it replaces are
moved aside, not deleted; a bucket must be empty, as a new one is), then compares the row counts
and the audit log with the manifest.
The commands: ``kobling backup`` and ``kobling restore`` (docs/admin-guide.md)."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
FILES_DIR = "files"
AUDIT_TABLE = "tenancy_auditentry"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why (and that nothing changed,
    where that is so)."""


@dataclass
class RestoreReport:
    """What a restore did and what it found when it compared the result with the manifest."""

    tables: int = 0
    rows: int = 0
    files: int = 0
    audit_entries: int = 0
    mismatches: list[str] = field(default_factory=list)
    media_moved_to: Path | None = None
    pending_migrations: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- small parts -------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> str:
    """Copy a file and return the sha256 of what was copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    shutil.copystat(source, target)
    return digest.hexdigest()


def object_store() -> Storage | None:
    """The private file store when it is an object store (a bucket), None when it is the disk
    (``MEDIA_ROOT``, which the backup copies as files)."""
    store = storages["private"]
    return None if isinstance(store, FileSystemStorage) else store


def _object_names(store: Storage, prefix: str = "") -> Iterator[str]:
    folders, names = store.listdir(prefix)
    for name in sorted(names):
        yield f"{prefix}{name}"
    for folder in sorted(folders):
        yield from _object_names(store, f"{prefix}{folder}/")


def _copy_object(store: Storage, name: str, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with store.open(name, "rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def kobling_version() -> str:
    try:
        return metadata.version("kobling")
    except metadata.PackageNotFoundError:
        return "unknown"


def pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore: KOBLING_PG_BIN_DIR, else PATH, else the newest
    /usr/lib/postgresql/*/bin."""
    configured = getattr(settings, "KOBLING_PG_BIN_DIR", "")
    if configured:
        path = Path(configured) / name
        if not path.is_file():
            raise BackupError(f"{name} is not in KOBLING_PG_BIN_DIR ({configured}).")
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1]
    raise BackupError(
        f"{name} was not found: install the PostgreSQL client tools or set KOBLING_PG_BIN_DIR."
    )


def _pg_command(tool: str, settings_dict: dict[str, Any], *args: str) -> tuple[list[str], dict]:
    """The command line and environment for a PostgreSQL tool against this database (password,
    SSL and service settings as Django's own ``dbshell`` passes them)."""
    backend = load_backend(settings_dict["ENGINE"])
    _psql_args, env = backend.DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    command = [pg_tool(tool), *args]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command.append(f"{option}={settings_dict[key]}")
    command.append(f"--dbname={settings_dict['NAME']}")
    return command, {**os.environ, **(env or {})}


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {(done.stderr or done.stdout).strip()}")


@contextlib.contextmanager
def _database(settings_dict: dict[str, Any], alias: str) -> Iterator[Any]:
    """A connection of its own to the database ``settings_dict`` names (not the shared one:
    backup holds a snapshot transaction, restore may target another database)."""
    backend = load_backend(settings_dict["ENGINE"])
    wrapper = backend.DatabaseWrapper(dict(settings_dict), f"{alias}-backup")
    try:
        wrapper.ensure_connection()
        yield wrapper
    finally:
        wrapper.close()


def _sqlite(path: str | Path, *, read_only: bool = True) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return sqlite3.connect(str(path))


# --- what a database holds ----------------------------------------------------------------------


def _tables(cursor: Any, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    return [row[0] for row in cursor.fetchall()]


def _audit_head(cursor: Any) -> dict[str, Any]:
    """The audit log's entries in id order, as one sha256, with its head."""
    digest = hashlib.sha256()
    entries, last = 0, None
    cursor.execute(f'SELECT * FROM "{AUDIT_TABLE}" ORDER BY id')  # noqa: S608 - a constant
    while rows := cursor.fetchmany(2000):
        for row in rows:
            line = json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False)
            digest.update(line.encode() + b"\n")
            entries += 1
            last = row
    names = [column[0] for column in cursor.description or ()]
    head = dict(zip(names, last, strict=False)) if last is not None else {}
    return {
        "entries": entries,
        "last_id": head.get("id"),
        "last_at": str(head["at"]) if head.get("at") is not None else None,
        "sha256": digest.hexdigest(),
        "hash_chained": False,
    }


def _facts(cursor: Any, vendor: str) -> dict[str, Any]:
    """Row counts of every table, the audit log's head and the applied migrations."""
    tables = _tables(cursor, vendor)
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    migrations: list[str] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    audit = _audit_head(cursor) if AUDIT_TABLE in tables else None
    return {"tables": counts, "audit_log": audit, "migrations": migrations}


# --- backup ------------------------------------------------------------------------------------


def _dump_postgresql(settings_dict: dict[str, Any], alias: str, out: Path) -> dict[str, Any]:
    with _database(settings_dict, alias) as db, db.cursor() as cursor:
        # One snapshot for the dump and the counts, so they agree while the site runs.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            command, env = _pg_command(
                "pg_dump",
                settings_dict,
                "--format=custom",
                f"--file={out}",
                f"--snapshot={snapshot}",
            )
            _run(command, env)
            facts = _facts(cursor, "postgresql")
            cursor.execute("SELECT current_setting('server_version')")
            facts["server_version"] = cursor.fetchone()[0]
        finally:
            cursor.execute("ROLLBACK")
    return facts


def _dump_sqlite(alias: str, out: Path) -> dict[str, Any]:
    connection = connections[alias]
    connection.ensure_connection()
    copy = _sqlite(out, read_only=False)
    try:
        connection.connection.backup(copy)
        # A standalone file: no -wal beside it when it is read.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    with contextlib.closing(_sqlite(out)) as db:
        facts = _facts(db.cursor(), "sqlite")
    facts["server_version"] = sqlite3.sqlite_version
    return facts


def _entry(root: Path, path: Path, sha256: str) -> dict[str, Any]:
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": sha256,
        "size": path.stat().st_size,
    }


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    (directory / MANIFEST).write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (directory / MANIFEST_SUM).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")


def backup_create(destination: Path, *, using: str = "default") -> Path:
    """Back up the database ``using`` and MEDIA_ROOT. ``destination``: an existing directory
    (the backup is a new directory in it, named by the time), a new directory, or a new
    ``.tar`` file. Returns the backup's path. Nothing is left behind when it fails."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"Backups are made of PostgreSQL and SQLite databases, not {vendor}.")
    now = timezone.now().astimezone(dt.UTC)
    destination = Path(destination)
    as_tar = destination.suffix == ".tar"
    if as_tar:
        if destination.exists():
            raise BackupError(f"{destination} already exists.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=".kobling-backup-", dir=destination.parent))
    else:
        if destination.is_dir():
            destination = destination / f"kobling-backup-{now:%Y%m%dT%H%M%SZ}"
        if destination.exists():
            raise BackupError(f"{destination} already exists.")
        destination.mkdir(parents=True)
        directory = destination
    try:
        dump = directory / DUMP_NAMES[vendor]
        if vendor == "postgresql":
            facts = _dump_postgresql(connection.settings_dict, using, dump)
        else:
            facts = _dump_sqlite(using, dump)
        entries = [_entry(directory, dump, _sha256(dump))]
        store = object_store()
        if store is not None:
            for name in _object_names(store):
                copy = directory / FILES_DIR / name
                entries.append(_entry(directory, copy, _copy_object(store, name, copy)))
        else:
            media = Path(settings.MEDIA_ROOT)
            for path in _files_under(media):
                copy = directory / FILES_DIR / path.relative_to(media)
                entries.append(_entry(directory, copy, _copy(path, copy)))
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "kobling_version": kobling_version(),
            "database": {
                "vendor": vendor,
                "file": dump.name,
                "server_version": facts["server_version"],
            },
            "migrations": facts["migrations"],
            "tables": facts["tables"],
            "audit_log": facts["audit_log"],
            "file_store": "object_store" if store is not None else "disk",
            "files": entries,
        }
        _write_manifest(directory, manifest)
        if as_tar:
            with tarfile.open(destination, "w") as archive:
                for path in sorted(directory.rglob("*")):
                    if path.is_file():
                        archive.add(path, arcname=path.relative_to(directory).as_posix())
            shutil.rmtree(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        if as_tar:
            destination.unlink(missing_ok=True)
        raise
    return destination


# --- checking a backup ---------------------------------------------------------------------------


@contextlib.contextmanager
def opened(source: Path) -> Iterator[Path]:
    """The backup as a directory (a .tar is unpacked into a temporary one, safely)."""
    source = Path(source)
    if source.is_dir():
        yield source
        return
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise BackupError(f"{source} is neither a backup directory nor a backup .tar file.")
    with tempfile.TemporaryDirectory(prefix="kobling-restore-") as tmp:
        with tarfile.open(source) as archive:
            archive.extractall(tmp, filter="data")
        yield Path(tmp)


def backup_verify(directory: Path) -> dict[str, Any]:
    """The manifest, once every file is there with its size and checksum. Raises BackupError
    listing every damaged or missing file."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{directory} has no {MANIFEST}: it is not a Kobling backup.")
    problems = []
    raw = manifest_path.read_bytes()
    sum_path = directory / MANIFEST_SUM
    if not sum_path.is_file():
        problems.append(f"{MANIFEST_SUM} is missing")
    elif sum_path.read_text(encoding="utf-8").split()[0] != hashlib.sha256(raw).hexdigest():
        problems.append(f"{MANIFEST}: checksum differs")
    if not problems:
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        for entry in manifest["files"]:
            path = directory / entry["path"]
            if not path.is_file():
                problems.append(f"{entry['path']}: missing")
            elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
                problems.append(f"{entry['path']}: checksum differs")
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise BackupError(
            f"The backup is damaged; nothing was restored ({len(problems)} problem(s)):\n{listed}"
        )
    return manifest


# --- restore -----------------------------------------------------------------------------------


def _code_migrations() -> set[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _target_tables(settings_dict: dict[str, Any], alias: str, vendor: str) -> list[str]:
    if vendor == "sqlite":
        if not Path(settings_dict["NAME"]).is_file():
            return []
        with contextlib.closing(_sqlite(settings_dict["NAME"])) as db:
            return _tables(db.cursor(), vendor)
    with _database(settings_dict, alias) as db, db.cursor() as cursor:
        return _tables(cursor, vendor)


def _restore_postgresql(settings_dict: dict[str, Any], alias: str, dump: Path) -> None:
    with _database(settings_dict, alias) as db, db.cursor() as cursor:
        # What a forced restore replaces: Kobling's tables and trigger functions.
        cursor.execute("BEGIN")
        for table in _tables(cursor, "postgresql"):
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute(
            "SELECT p.oid::regprocedure FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e' "
            "WHERE n.nspname = current_schema() AND d.objid IS NULL"
        )
        for (function,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
        cursor.execute("COMMIT")
    command, env = _pg_command(
        "pg_restore",
        settings_dict,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    )
    _run([*command, str(dump)], env)


def _restore_sqlite(settings_dict: dict[str, Any], alias: str, copy: Path) -> None:
    target = Path(settings_dict["NAME"])
    if alias in connections and connections[alias].settings_dict.get("NAME") == str(target):
        connections[alias].close()
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(_sqlite(copy)) as source:
        destination = _sqlite(target, read_only=False)
        try:
            source.backup(destination)
        finally:
            destination.close()


def database_facts(settings_dict: dict[str, Any], alias: str = "default") -> dict[str, Any]:
    """Row counts of every table, the audit log's head and digest, the applied migrations of
    the database ``settings_dict`` names — what a manifest records and a restore compares."""
    vendor = "sqlite" if "sqlite" in settings_dict["ENGINE"] else "postgresql"
    if vendor == "sqlite":
        with contextlib.closing(_sqlite(settings_dict["NAME"])) as db:
            return _facts(db.cursor(), vendor)
    with _database(settings_dict, alias) as db, db.cursor() as cursor:
        return _facts(cursor, vendor)


def _restore_files(directory: Path, manifest: dict[str, Any], media: Path) -> Path | None:
    """Copy the backup's files into a new directory beside MEDIA_ROOT, check them, then swap it
    in; a non-empty MEDIA_ROOT is moved aside (returned), never deleted."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    media.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{media.name}.restoring-", dir=media.parent))
    try:
        for entry in manifest["files"]:
            if not entry["path"].startswith(f"{FILES_DIR}/"):
                continue
            relative = entry["path"][len(FILES_DIR) + 1 :]
            if _copy(directory / entry["path"], staging / relative) != entry["sha256"]:
                raise BackupError(f"{entry['path']} changed while it was restored.")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    moved = None
    if media.exists():
        if any(media.iterdir()):
            moved = media.with_name(f"{media.name}.before-restore-{stamp}")
            media.rename(moved)
        else:
            media.rmdir()
    staging.rename(media)
    return moved


def _restore_objects(directory: Path, manifest: dict[str, Any], store: Storage) -> None:
    """Write the backup's files into the (empty) bucket under their own keys, each read back and
    checked against its checksum."""
    for entry in manifest["files"]:
        if not entry["path"].startswith(f"{FILES_DIR}/"):
            continue
        name = entry["path"][len(FILES_DIR) + 1 :]
        with (directory / entry["path"]).open("rb") as handle:
            saved = store.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"{name} was stored as {saved}: the bucket was not empty.")
        digest = hashlib.sha256()
        with store.open(name, "rb") as reader:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['path']} changed while it was restored.")


def _compare(manifest: dict[str, Any], facts: dict[str, Any]) -> list[str]:
    found = []
    expected, actual = manifest["tables"], facts["tables"]
    for table in sorted(set(expected) | set(actual)):
        if expected.get(table) != actual.get(table):
            found.append(
                f"table {table}: {expected.get(table)} rows in the backup, {actual.get(table)} restored"
            )
    if manifest["audit_log"] != facts["audit_log"]:
        found.append("the audit log differs from the backup's")
    return found


def backup_restore(
    source: Path,
    *,
    using: str = "default",
    settings_dict: dict[str, Any] | None = None,
    media_root: Path | None = None,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> RestoreReport:
    """Restore a backup into the database ``using`` (or the one ``settings_dict`` describes) and
    MEDIA_ROOT (or ``media_root``). Checks every checksum first and refuses a damaged backup, a
    backup from another database kind or a newer Kobling, and a database that is not empty —
    unless ``force`` or ``confirm(question)`` says yes. Then compares the restored row counts
    and audit log with the manifest (``RestoreReport.mismatches``)."""
    settings_dict = settings_dict or connections[using].settings_dict
    engine = settings_dict["ENGINE"]
    vendor = "postgresql" if "postgresql" in engine else "sqlite" if "sqlite" in engine else ""
    if not vendor:
        raise BackupError(f"Restore is into PostgreSQL or SQLite, not {engine}.")
    media = Path(media_root or settings.MEDIA_ROOT)
    with opened(source) as directory:
        manifest = backup_verify(directory)
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"This is a {manifest['database']['vendor']} backup; the database is {vendor}. "
                "Nothing was restored."
            )
        code = _code_migrations()
        newer = sorted(set(manifest["migrations"]) - code)
        if newer:
            raise BackupError(
                f"The backup was made by a newer Kobling ({manifest['kobling_version']}): "
                f"{len(newer)} migration(s) are unknown here, e.g. {newer[0]}. Install that "
                "version first. Nothing was restored."
            )
        tables = _target_tables(settings_dict, using, vendor)
        if tables and not force:
            question = (
                f"The database {settings_dict['NAME']} is not empty ({len(tables)} tables). "
                "Replace everything in it with the backup?"
            )
            if confirm is None or not confirm(question):
                raise BackupError(
                    f"The database {settings_dict['NAME']} is not empty ({len(tables)} tables); "
                    "nothing was restored. Restore into an empty database, or use --force to "
                    "replace it."
                )
        store = object_store()
        if store is not None and next(_object_names(store), None) is not None:
            raise BackupError(
                "The file store's bucket is not empty; nothing was restored. Restore into a new, "
                "empty bucket (KOBLING_S3_BUCKET), so the files there now stay as they are."
            )
        dump = directory / manifest["database"]["file"]
        if vendor == "postgresql":
            _restore_postgresql(settings_dict, using, dump)
        else:
            _restore_sqlite(settings_dict, using, dump)
        facts = database_facts(settings_dict, using)
        report = RestoreReport(
            tables=len(facts["tables"]),
            rows=sum(facts["tables"].values()),
            audit_entries=(facts["audit_log"] or {}).get("entries", 0),
            mismatches=_compare(manifest, facts),
            pending_migrations=len(code - set(facts["migrations"])),
        )
        if store is not None:
            _restore_objects(directory, manifest, store)
        else:
            report.media_moved_to = _restore_files(directory, manifest, media)
        report.files = sum(1 for e in manifest["files"] if e["path"].startswith(f"{FILES_DIR}/"))
    return report
