"""The database refuses to change or delete a session (only the confirmation is written once)."""

from django.db import migrations

from kobling.followup.models import SESSION_GUARD
from kobling.core.migration_ops import row_guards


class Migration(migrations.Migration):
    dependencies = [("followup", "0011_sessions_and_notices_on_the_course")]
    operations = [row_guards(SESSION_GUARD)]
