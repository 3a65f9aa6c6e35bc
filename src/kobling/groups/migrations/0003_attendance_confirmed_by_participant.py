"""The participant's answer on an attendance entry, and the links that ask for it. The row guard
is installed again: it now lets the answer (``confirmation``, ``answered_at``) be written once,
as a session's confirmation is, and covers the new columns; going back puts the guard that
refuses every change back."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from kobling.core.migration_ops import row_guards
from kobling.groups.models import ATTENDANCE_GUARD
from kobling.lib.row_guards import RowGuard, install


def _guard_without_answer(apps, schema_editor):
    # The guard as 0002 installed it: every UPDATE refused.
    install(
        schema_editor.connection,
        RowGuard(
            name=ATTENDANCE_GUARD.name,
            table=ATTENDANCE_GUARD.table,
            message=ATTENDANCE_GUARD.message,
        ),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('groups', '0002_attendance_append_only'),
        ('referrals', '0010_conversation_structured_fields'),
        ('tenancy', '0010_programme_completion_rule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Backwards this runs last, once the columns are gone (SQLite rebuilds the table).
        migrations.RunPython(migrations.RunPython.noop, _guard_without_answer),
        migrations.AddField(
            model_name='attendance',
            name='answered_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='answered'),
        ),
        migrations.AddField(
            model_name='attendance',
            name='confirmation',
            field=models.CharField(blank=True, choices=[('confirmed', 'Confirmed by the participant'), ('disputed', 'The participant says they were not there')], default='', max_length=10, verbose_name="participant's answer"),
        ),
        migrations.CreateModel(
            name='AttendanceConfirmationLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.EmailField(max_length=254, verbose_name='sent to')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='used')),
                ('attendance', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='confirmation_links', to='groups.attendance', verbose_name='attendance')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('episode', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referrals.episode', verbose_name='course')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.municipality', verbose_name='municipality')),
            ],
            options={
                'verbose_name': 'attendance confirmation link',
                'verbose_name_plural': 'attendance confirmation links',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
            },
        ),
        row_guards(ATTENDANCE_GUARD),
    ]
