"""`kobling backup` and `kobling restore`: the demo, with a receipt added, is backed up, restored
into a new, empty database (on PostgreSQL a database of its own, made for the test; on SQLite a
file) and compared with what was backed up — every table's row count, the audit log, every
file's checksum. A damaged backup is refused before anything is touched.

These run on whichever database the suite runs on (CI: SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kobling.core.backup import (
    BackupError,
    backup_create,
    backup_restore,
    database_facts,
    opened,
)
from kobling.demo.loader import load_demo
from kobling.helpers.models import Helper
from kobling.pay import services as pay_services
from kobling.tenancy.models import AuditEntry, User
from tests.pay import builders as b
from tests.s3 import new_bucket, object_keys, private_store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def target(tmp_path):
    """Settings of a new, empty database to restore into; dropped afterwards."""
    if connection.vendor == "sqlite":
        yield {**connection.settings_dict, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**connection.settings_dict, "NAME": name}
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def is_empty(target) -> bool:
    if connection.vendor == "sqlite":
        return not Path(target["NAME"]).exists()
    return database_facts(target)["tables"] == {}


def checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def live_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def test_the_demo_is_restored_into_an_empty_database_row_for_row_and_file_for_file(
    settings, tmp_path, target
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    helper = Helper.objects.filter(municipality__name="Fjordvik", status="active").first()
    pay_services.expense_create(
        helper=helper,
        by=coordinator,
        date=b.last_month(),
        category="equipment",
        amount="129.00",
        receipt=b.receipt(),
    )
    files = checksums(tmp_path / "media")
    assert any(path.startswith("receipts/") for path in files)
    counts = live_counts()
    last_audit = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    archive = backup_create(tmp_path / "backups" / "demo.tar")

    report = backup_restore(archive, settings_dict=target, media_root=tmp_path / "restored")
    assert report.ok, report.mismatches
    restored = database_facts(target)
    assert restored["tables"] == counts
    assert restored["audit_log"]["entries"] == counts["tenancy_auditentry"] > 0
    assert restored["audit_log"]["last_id"] == last_audit
    with opened(archive) as directory:
        manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["audit_log"] == restored["audit_log"]
    assert manifest["tables"] == counts
    assert checksums(tmp_path / "restored") == files
    assert report.files == len(files) and report.media_moved_to is None

    # Into a database that is no longer empty: refused, unless forced.
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(archive, settings_dict=target, media_root=tmp_path / "restored")
    forced = backup_restore(
        archive, settings_dict=target, media_root=tmp_path / "restored", force=True
    )
    assert forced.ok and forced.media_moved_to is not None
    assert database_facts(target)["tables"] == counts


def test_a_backup_with_one_flipped_byte_is_refused_and_nothing_is_touched(
    cast, settings, tmp_path, target
):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "receipts" / "1").mkdir(parents=True)
    (tmp_path / "media" / "receipts" / "1" / "r.pdf").write_bytes(b.pdf_bytes() * 20)
    made = backup_create(tmp_path / "backups")
    receipt = made / "files" / "receipts" / "1" / "r.pdf"
    data = bytearray(receipt.read_bytes())
    data[len(data) // 2] ^= 0x01
    receipt.write_bytes(bytes(data))

    with pytest.raises(BackupError, match=r"files/receipts/1/r\.pdf: checksum differs"):
        backup_restore(made, settings_dict=target, media_root=tmp_path / "restored")
    assert is_empty(target)
    assert not (tmp_path / "restored").exists()
    # The command says the same, and --check only checks.
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(made), "--check")


def test_the_bucket_of_an_object_store_is_backed_up_and_restored_into_a_new_empty_bucket(
    cast, settings, s3_endpoint, s3_bucket, tmp_path, target
):
    from django.core.files.base import ContentFile

    from kobling.core.uploads import private_files

    kept = {
        "receipts/1/2026/11/a.pdf": b.pdf_bytes() * 3,
        "receipts/2/2026/12/b.png": b.image_bytes("PNG"),
        "grants/1/c.pdf": b.pdf_bytes(),
    }
    for name, data in kept.items():
        assert private_files.save(name, ContentFile(data)) == name
    made = backup_create(tmp_path / "backups")
    with opened(made) as directory:
        manifest = json.loads((directory / "manifest.json").read_text())
        assert manifest["file_store"] == "object_store"
        assert checksums(directory / "files") == {
            name: hashlib.sha256(data).hexdigest() for name, data in kept.items()
        }

    # Into the bucket it came from (not empty): refused before the database is touched.
    with pytest.raises(BackupError, match="bucket is not empty"):
        backup_restore(made, settings_dict=target)
    assert is_empty(target)

    fresh = new_bucket(s3_endpoint)
    settings.STORAGES = {**settings.STORAGES, "private": private_store(s3_endpoint, fresh)}
    report = backup_restore(made, settings_dict=target)
    assert report.ok, report.mismatches
    assert report.files == 3 and report.media_moved_to is None
    assert object_keys(s3_endpoint, fresh) == sorted(kept)
    for name, data in kept.items():
        with private_files.open(name, "rb") as handle:
            assert handle.read() == data
