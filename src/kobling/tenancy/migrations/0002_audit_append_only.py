"""The database itself refuses UPDATE and DELETE on the audit log, on SQLite and PostgreSQL."""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON tenancy_auditentry BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON tenancy_auditentry BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION tenancy_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON tenancy_auditentry FOR EACH ROW EXECUTE FUNCTION tenancy_audit_append_only();",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON tenancy_auditentry FOR EACH STATEMENT EXECUTE FUNCTION tenancy_audit_append_only();",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON tenancy_auditentry;",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON tenancy_auditentry;",
    "DROP FUNCTION IF EXISTS tenancy_audit_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
