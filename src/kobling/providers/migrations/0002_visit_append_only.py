"""The database refuses to change or delete a provider visit entry."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.providers.models import VISIT_GUARD


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [row_guards(VISIT_GUARD)]
