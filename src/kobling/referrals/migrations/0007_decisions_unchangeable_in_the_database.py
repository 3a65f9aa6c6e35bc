"""The database refuses to change or delete a decision."""

from django.db import migrations

from kobling.referrals.models import DECISION_GUARD
from kobling.core.migration_ops import row_guards


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_benefit_checks")]
    operations = [row_guards(DECISION_GUARD)]
