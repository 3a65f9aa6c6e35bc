"""The database refuses to change or delete key-log lines and incident notes: a correction is a
new entry."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.partners.models import INCIDENT_GUARD, KEY_LOG_GUARD


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_premises_bookings_meetings")]
    operations = [row_guards(KEY_LOG_GUARD), row_guards(INCIDENT_GUARD)]
