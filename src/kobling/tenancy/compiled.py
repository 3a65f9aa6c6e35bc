"""Queries every request runs, compiled to SQL once per thread.

Django compiles a queryset to SQL each time it is evaluated. For the few queries that every
signed-in request runs with only one value changed — the user's memberships, staff links and
authenticators (:attr:`kobling.tenancy.models.User._links`, a four-part ``UNION ALL``), the
session row (:mod:`kobling.tenancy.sessions`) — compiling costs more Python than running the
query (issue 16's load: 1.15 ms of CPU per request for ``_links``, 0.14 ms compiled).

:class:`CompiledQuery` builds the queryset once per thread and database alias with a marker
value, finds where the marker landed among the SQL's parameters, and from then on runs the same
SQL with the caller's value in those places, through Django's cursor (so query logging, the test
suite's query counts and execute wrappers see it as any other), and passes each row through the
same converters from database values that Django's own iteration would (dates on SQLite, say).
Per thread, because a compiler and its converters belong to the thread's own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Values no real key has: where one shows up among the compiled SQL's parameters, the caller's
# value goes.
MARKER = -7_318_265_401
TEXT_MARKER = "\x00kobling-compiled-marker"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    places: tuple[int, ...]
    # (column position, converters, expression), as Django's SQLCompiler.get_converters.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    # The selected columns' attribute names (for model instances) and the model.
    names: tuple[str, ...]
    model: Any


class CompiledQuery:
    """``build(value)`` returns the queryset for ``value``; :meth:`rows` runs it for a value.
    ``marker`` is the stand-in ``build`` is called with (an integer by default; a text marker
    for text keys): it must reach the SQL as a parameter, unchanged."""

    def __init__(self, build: Callable[[Any], QuerySet], marker: Any = MARKER) -> None:  # noqa: ANN401
        self._build = build
        self._marker = marker
        self._local = threading.local()

    def compile(self, using: str = "default") -> _Compiled:
        cache: dict[str, _Compiled] = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(using)
        if compiled is None:
            queryset = self._build(self._marker)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            places = tuple(i for i, p in enumerate(params) if p == self._marker)
            if not places:
                raise ValueError("the marker value is not among the query's parameters")
            columns = [column for column, _sql, _alias in compiler.select]
            converters = tuple(
                (position, tuple(funcs), expression)
                for position, (funcs, expression) in compiler.get_converters(columns).items()
            )
            names = tuple(
                getattr(getattr(column, "target", None), "attname", alias or "")
                for column, _sql, alias in compiler.select
            )
            compiled = cache[using] = _Compiled(
                sql, tuple(params), places, converters, names, queryset.model
            )
        return compiled

    def rows(self, value: Any, using: str = "default") -> list[tuple[Any, ...]]:  # noqa: ANN401
        compiled = self.compile(using)
        bound = list(compiled.params)
        for i in compiled.places:
            bound[i] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, bound)
            rows = cursor.fetchall()
        if not compiled.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, funcs, expression in compiled.converters:
                value = row[position]
                for func in funcs:
                    value = func(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted

    def instances(self, value: Any, using: str = "default") -> list[Any]:  # noqa: ANN401
        """The rows as model instances, for a queryset of whole rows of one model (as
        ``Model.objects.filter(pk=value)`` gives them)."""
        compiled = self.compile(using)
        from_db = compiled.model.from_db
        return [from_db(using, compiled.names, row) for row in self.rows(value, using)]
