"""The database refuses to change or delete an attendance entry."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.groups.models import ATTENDANCE_GUARD


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [row_guards(ATTENDANCE_GUARD)]
