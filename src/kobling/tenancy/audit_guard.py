"""The database-level guard that makes the audit log append-only (SQLite and PostgreSQL).

Installed by migration; lifted only around ``flush`` (tests and wiping a development database),
which refuses to run in production."""

from __future__ import annotations

from typing import Any

SQLITE_INSTALL = [
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON tenancy_auditentry BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON tenancy_auditentry BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
]

POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION tenancy_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON tenancy_auditentry;",
    "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON tenancy_auditentry FOR EACH ROW EXECUTE FUNCTION tenancy_audit_append_only();",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON tenancy_auditentry;",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON tenancy_auditentry FOR EACH STATEMENT EXECUTE FUNCTION tenancy_audit_append_only();",
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON tenancy_auditentry;",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON tenancy_auditentry;",
]


def _statements(connection: Any, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    return []


def install_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def remove_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)


def guard_installed(connection: Any) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND name IN ('audit_no_update','audit_no_delete')"
            )
            return cursor.fetchone()[0] == 2
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger WHERE tgname IN ('audit_no_update_delete','audit_no_truncate')"
            )
            return cursor.fetchone()[0] == 2
    return False
