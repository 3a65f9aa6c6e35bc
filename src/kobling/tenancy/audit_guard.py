"""The database-level guard that makes the audit log append-only (SQLite and PostgreSQL): every
UPDATE, DELETE and TRUNCATE is refused (the mechanism: :mod:`kobling.lib.row_guards`).

Installed by migration; lifted only around ``flush`` (tests and wiping a development database),
which refuses to run in production."""

from __future__ import annotations

from kobling.lib.row_guards import RowGuard

AUDIT_GUARD = RowGuard(name="audit", table="tenancy_auditentry", message="audit log is append-only")
