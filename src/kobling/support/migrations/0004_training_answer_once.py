"""The database refuses to change or delete a trainee's answer to a course form: given once."""

from django.db import migrations

from kobling.core.migration_ops import row_guards
from kobling.support.models import ANSWER_GUARD


class Migration(migrations.Migration):
    dependencies = [("support", "0003_training_answers")]
    operations = [row_guards(ANSWER_GUARD)]
