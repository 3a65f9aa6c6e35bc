"""The database refuses to change or delete a provider visit entry."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.lib.row_guards import RowGuard
from kobling.providers.models import VISIT_GUARD

# The guard as it was then, every UPDATE refused: the model's guard now lets the participant's
# answer be written once (0004), and its columns do not exist yet here — SQLite checks every
# trigger when a later migration rebuilds any table.
PLAIN_GUARD = RowGuard(
    name=VISIT_GUARD.name, table=VISIT_GUARD.table, message=VISIT_GUARD.message
)


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [row_guards(PLAIN_GUARD)]
