"""A paginator that counts a plainer queryset than the one it pages.

Django's ``Paginator`` counts the list it pages: for a queryset annotated with subqueries that
means building and compiling them once more just to count the rows (the database drops them,
the CPU has spent the time). A list whose annotations and joins do not change which rows there
are hands the plain queryset to count."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """Pages ``object_list`` and counts ``count_queryset`` — the same rows, without the
    annotations (and to-one joins) that only add columns."""

    def __init__(self, object_list: Any, per_page: int, *, count_queryset: QuerySet, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.count_queryset = count_queryset

    @cached_property
    def count(self) -> int:
        return self.count_queryset.count()
