"""The database row guards (kobling.lib.row_guards) as a mechanism: every guard is installed
and covers every column, flush still empties the guarded tables, and a guard comes off and back
on with its migration. The refusals themselves are tested where the data lives (tests/pay,
tests/followup, tests/quality, tests/referrals, tests/tenancy/test_audit.py)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kobling.followup.models import SESSION_GUARD
from kobling.grants.models import DECISION_GUARD as GRANT_DECISION_GUARD
from kobling.groups.models import ATTENDANCE_GUARD
from kobling.lib.row_guards import problems
from kobling.partners.models import INCIDENT_GUARD, KEY_LOG_GUARD
from kobling.pay import models as pay_models
from kobling.providers import models as provider_models
from kobling.quality import models as quality_models
from kobling.referrals.models import DECISION_GUARD
from kobling.support.models import ENTRY_GUARD as SUPERVISION_ENTRY_GUARD
from kobling.support.models import POOL_GUARD as SUPERVISION_POOL_GUARD
from kobling.tenancy.audit import audit_log
from kobling.tenancy.audit_guard import AUDIT_GUARD
from kobling.tenancy.models import AuditEntry

ALL_GUARDS = (
    AUDIT_GUARD,
    SESSION_GUARD,
    ATTENDANCE_GUARD,
    DECISION_GUARD,
    GRANT_DECISION_GUARD,
    KEY_LOG_GUARD,
    INCIDENT_GUARD,
    *pay_models.ROW_GUARDS,
    *quality_models.ROW_GUARDS,
    *provider_models.ROW_GUARDS,
    SUPERVISION_ENTRY_GUARD,
    SUPERVISION_POOL_GUARD,
)


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))


def migrate_all():
    migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_every_guard_is_installed_and_covers_every_column():
    # Fails when a migration rebuilt a guarded table (SQLite drops its triggers) or added a
    # column: install the guard again in that migration (core.migration_ops.row_guards).
    assert [p for guard in ALL_GUARDS for p in problems(connection, guard)] == []


@pytest.mark.django_db(transaction=True)
def test_flush_empties_guarded_tables_and_puts_the_guards_back(cast):
    audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    assert [p for guard in ALL_GUARDS for p in problems(connection, guard)] == []


@pytest.mark.django_db(transaction=True)
def test_the_guard_migration_is_reversible():
    try:
        migrate(("referrals", "0006_benefit_checks"))
        assert problems(connection, DECISION_GUARD)  # gone
        migrate(("referrals", "0007_decisions_unchangeable_in_the_database"))
        assert problems(connection, DECISION_GUARD) == []
    finally:
        migrate_all()
    assert [p for guard in ALL_GUARDS for p in problems(connection, guard)] == []
