"""The database refuses to change or delete a line of supervision received or of the pool's
ledger: a correction is a new line."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.support.models import ENTRY_GUARD, POOL_GUARD


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [row_guards(ENTRY_GUARD), row_guards(POOL_GUARD)]
