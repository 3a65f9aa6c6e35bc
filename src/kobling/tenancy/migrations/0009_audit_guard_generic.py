"""The audit log's triggers, as first written by hand, replaced by the shared row guard
(kobling.lib.row_guards): the same refusals, one mechanism for every guarded table."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kobling.lib.row_guards import install
    from kobling.tenancy.audit_guard import AUDIT_GUARD

    if schema_editor.connection.vendor == "postgresql":
        # The hand-written function and the triggers that use it.
        schema_editor.execute("DROP FUNCTION IF EXISTS tenancy_audit_append_only() CASCADE")
    install(schema_editor.connection, AUDIT_GUARD)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0008_programme_version")]
    # Backwards there is nothing to undo: 0002 now installs the same guard.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
