"""The database refuses to change or delete a submitted self-assessment and its answers."""

from django.db import migrations

from kobling.quality.models import ROW_GUARDS
from kobling.core.migration_ops import row_guards


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [row_guards(*ROW_GUARDS)]
