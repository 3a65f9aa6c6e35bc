"""The database refuses to change or delete a grant decision: a correction is a new one."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.grants.models import DECISION_GUARD


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial")]
    operations = [row_guards(DECISION_GUARD)]
