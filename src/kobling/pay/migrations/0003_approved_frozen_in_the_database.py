"""The database refuses to change or delete approved timesheets, their lines and approved expenses."""

from django.db import migrations

from kobling.pay.models import ROW_GUARDS
from kobling.core.migration_ops import row_guards


class Migration(migrations.Migration):
    dependencies = [("pay", "0002_expense_episode")]
    operations = [row_guards(*ROW_GUARDS)]
