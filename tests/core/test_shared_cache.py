"""The shared cache's table is made by ``migrate`` under the name the settings give it.

Django's test runner makes every cache table itself, so the suite's database always had it; a
fresh ``make run`` had only what ``migrate``'s post_migrate hook made — a table named
"shared" (the cache's alias taken as a table name) — and ``kobling demo`` stopped at "no such
table: kobling_shared_cache"."""

from __future__ import annotations

import pytest
from django.db import connection

from kobling.core.shared_cache import SHARED, TABLE, create_table, shared_cache

pytestmark = pytest.mark.django_db


def test_migrate_makes_the_shared_cache_table_by_its_configured_name():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(TABLE)}")
    assert TABLE not in connection.introspection.table_names()
    create_table(using="default")
    tables = connection.introspection.table_names()
    assert TABLE in tables and SHARED not in tables
    shared_cache().set("probe", 7)
    assert shared_cache().get("probe") == 7
    create_table(using="default")  # again: nothing to do
