"""Rows the database itself refuses to change: triggers on SQLite and PostgreSQL that refuse
UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), generated from one declaration per table.

The models refuse these changes too; the triggers are for every other path — raw SQL, a stray
queryset ``update()``, a console session, another program on the same database. Both databases
raise an integrity error, so the same tests hold on both.

A guard is installed and removed by migrations (reversibly) and lifted only around ``flush``
(:func:`lift_all` / :func:`put_back`), which is refused in production.

SQLite drops a table's triggers when a migration rebuilds the table (Django does that for most
column changes), and a guard that lists columns covers only the columns that existed when it was
installed: :func:`problems` says so, and ``tests/core/test_row_guards.py`` fails until the
migration that changed the table installs the guard again.

Framework-free: ``connection`` is anything with ``vendor`` and ``cursor()`` (Django's
connection wrappers and schema editors' connections)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RowGuard:
    """What the database refuses on one table.

    ``frozen_when`` is an SQL condition on ``OLD`` (the stored row) under which the row is
    frozen; empty means every row, always. A frozen row cannot be deleted, and an UPDATE of it is
    refused when it changes any column but those in ``may_change``: (column, SQL condition on
    ``OLD`` under which that column may still change) — e.g. a session's confirmation, which is
    written once. ``message`` is the error text (English, for logs; no quotes)."""

    name: str
    table: str
    message: str
    frozen_when: str = ""
    may_change: tuple[tuple[str, str], ...] = ()

    @property
    def function(self) -> str:
        return f"{self.table}_guard"

    def trigger_names(self, vendor: str) -> tuple[str, ...]:
        if vendor == "postgresql":
            return (f"{self.name}_no_update_delete", f"{self.name}_no_truncate")
        return (f"{self.name}_no_update", f"{self.name}_no_delete")


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _columns(connection: Any, table: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA table_info({_q(table)})")
            return [row[1] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _changed(vendor: str, column: str) -> str:
    # Null-safe comparison: a NULL written over a value (or the reverse) is a change.
    operator = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return f"NEW.{_q(column)} {operator} OLD.{_q(column)}"


def _update_refused(guard: RowGuard, vendor: str, columns: list[str]) -> str:
    frozen = f"({guard.frozen_when})" if guard.frozen_when else ""
    if not guard.may_change:
        return frozen or "1 = 1"
    free = {column for column, _ in guard.may_change}
    changes = [_changed(vendor, c) for c in columns if c not in free]
    changes += [f"({_changed(vendor, c)} AND NOT ({when}))" for c, when in guard.may_change]
    changed = "(" + " OR ".join(changes) + ")"
    return f"{frozen} AND {changed}" if frozen else changed


def install_sql(guard: RowGuard, vendor: str, columns: list[str]) -> list[str]:
    """The statements that install ``guard`` on a table with these columns."""
    refuse_update = _update_refused(guard, vendor, columns)
    refuse_delete = guard.frozen_when or "1 = 1"
    table, message = _q(guard.table), guard.message.replace("'", "")
    if vendor == "sqlite":
        on_update, on_delete = guard.trigger_names(vendor)
        raise_ = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        return [
            f"DROP TRIGGER IF EXISTS {on_update}",
            f"CREATE TRIGGER {on_update} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN {refuse_update} {raise_}",
            f"DROP TRIGGER IF EXISTS {on_delete}",
            f"CREATE TRIGGER {on_delete} BEFORE DELETE ON {table} FOR EACH ROW "
            f"WHEN {refuse_delete} {raise_}",
        ]
    if vendor == "postgresql":
        on_rows, on_truncate = guard.trigger_names(vendor)
        # 23000: an integrity error, as SQLite's RAISE(ABORT) gives.
        raise_ = f"RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'"
        return [
            f"""CREATE OR REPLACE FUNCTION {guard.function}() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN {raise_}; END IF;
  IF TG_OP = 'UPDATE' THEN
    IF {refuse_update} THEN {raise_}; END IF;
    RETURN NEW;
  END IF;
  IF {refuse_delete} THEN {raise_}; END IF;
  RETURN OLD;
END; $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS {on_rows} ON {table}",
            f"CREATE TRIGGER {on_rows} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {guard.function}()",
            f"DROP TRIGGER IF EXISTS {on_truncate} ON {table}",
            f"CREATE TRIGGER {on_truncate} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {guard.function}()",
        ]
    return []


def install(connection: Any, guard: RowGuard) -> None:
    """Install (or re-install, for the table's current columns) the guard."""
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    statements = install_sql(guard, connection.vendor, _columns(connection, guard.table))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: Any, guard: RowGuard) -> None:
    table = _q(guard.table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in guard.trigger_names("sqlite"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name in guard.trigger_names("postgresql"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {guard.function}()")


def _installed_sql(connection: Any, guard: RowGuard) -> dict[str, str]:
    """Trigger name → its SQL (on PostgreSQL the function's, which holds the conditions)."""
    names = list(guard.trigger_names(connection.vendor))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [guard.table],
            )
            return {name: sql for name, sql in cursor.fetchall() if name in names}
        cursor.execute(
            "SELECT t.tgname, pg_get_functiondef(t.tgfoid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = %s AND NOT t.tgisinternal",
            [guard.table],
        )
        return {name: sql for name, sql in cursor.fetchall() if name in names}


def problems(connection: Any, guard: RowGuard) -> list[str]:
    """What is wrong with the guard as installed: a missing trigger, or a column of the table
    that a column-listing guard does not cover (added after it was installed)."""
    if connection.vendor not in {"sqlite", "postgresql"}:
        return []
    installed = _installed_sql(connection, guard)
    found = [
        f"{guard.table}: trigger {name} is missing"
        for name in guard.trigger_names(connection.vendor)
        if name not in installed
    ]
    if guard.may_change and installed:
        sql = " ".join(installed.values())
        free = {column for column, _ in guard.may_change}
        found += [
            f"{guard.table}: column {column} is not guarded (install the guard again)"
            for column in _columns(connection, guard.table)
            if column not in free and f"NEW.{_q(column)}" not in sql
        ]
    return found


def lift_all(connection: Any) -> list[str]:
    """Drop every trigger of the schema and return the statements that put them back (for
    ``flush``, which must empty the guarded tables)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
            return [sql for _name, sql in triggers]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema() ORDER BY t.tgname"
            )
            triggers = cursor.fetchall()
            for name, table, _sql in triggers:
                cursor.execute(f"DROP TRIGGER IF EXISTS {_q(name)} ON {_q(table)}")
            return [sql for _name, _table, sql in triggers]
    return []


def put_back(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
