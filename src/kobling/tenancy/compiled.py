"""A query every request runs, compiled to SQL once per process.

Django compiles a queryset to SQL each time it is evaluated. For the few queries that every
signed-in request runs with a different value and nothing else changed (the user's memberships,
staff links and authenticators in :attr:`kobling.tenancy.models.User._links`), compiling a
four-part ``UNION ALL`` costs more Python than running it (issue 16's load: ~7 % of a web
process's CPU).

:class:`CompiledQuery` builds the queryset once per database alias with a marker value, finds
where the marker landed among the SQL's parameters, and from then on runs the same SQL with the
caller's value in those places, through Django's cursor (so query logging, the test suite's
query counts and execute wrappers see it as any other). Only for querysets whose rows need no
conversion from the database (``values_list`` of integers and text): they come back as the
database driver gives them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# A value no real key has: where it shows up among the compiled SQL's parameters, the caller's
# value goes.
MARKER = -7_318_265_401


class CompiledQuery:
    """``build(value)`` returns the queryset for ``value``; :meth:`rows` runs it for a value."""

    def __init__(self, build: Callable[[Any], QuerySet]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}

    def compile(self, using: str = "default") -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
        """The SQL, its parameters with the marker, and the marker's positions among them."""
        compiled = self._compiled.get(using)
        if compiled is None:
            query = self._build(MARKER).query
            sql, params = query.get_compiler(using=using).as_sql()
            places = tuple(i for i, p in enumerate(params) if p == MARKER)
            if not places:
                raise ValueError("the marker value is not among the query's parameters")
            compiled = self._compiled[using] = (sql, tuple(params), places)
        return compiled

    def rows(self, value: Any, using: str = "default") -> list[tuple[Any, ...]]:  # noqa: ANN401
        sql, params, places = self.compile(using)
        bound = list(params)
        for i in places:
            bound[i] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            return cursor.fetchall()
