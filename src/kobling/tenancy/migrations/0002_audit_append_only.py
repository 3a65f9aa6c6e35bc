"""The database itself refuses UPDATE and DELETE on the audit log, on SQLite and PostgreSQL."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kobling.tenancy.audit_guard import install_guard

    install_guard(schema_editor.connection)


def backwards(apps, schema_editor):
    from kobling.tenancy.audit_guard import remove_guard

    remove_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
