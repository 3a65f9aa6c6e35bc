"""The database itself refuses UPDATE and DELETE on the audit log, on SQLite and PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kobling.lib.row_guards import install
    from kobling.tenancy.audit_guard import AUDIT_GUARD

    install(schema_editor.connection, AUDIT_GUARD)


def backwards(apps, schema_editor):
    from kobling.lib.row_guards import remove
    from kobling.tenancy.audit_guard import AUDIT_GUARD

    remove(schema_editor.connection, AUDIT_GUARD)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
