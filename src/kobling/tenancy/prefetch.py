"""``prefetch_related`` for lists without a queryset built per row.

Django's prefetch of a to-many relation (``referral.target_groups``, ``referral.decisions``) runs
one query for all rows — and then, for *each row*, builds a related manager, a queryset filtered
to that row and a clone of its SQL query, only to store the row's results in it. On a 25- or
50-row list with seven such relations that is 200–350 querysets, which cost more than the
queries themselves (issue 16's load: ~8 ms of a 35 ms referral list).

:func:`prefetch_lists` does the same queries and stores each row's results in a queryset that
is a shallow copy of one built for the first row, whose SQL is built only if someone chains on
it (``referral.decisions.filter(...)``, ``.update()``, ``.first()``): then it is built for *its*
row, exactly as Django would have. Reading it (iterating, ``len``, ``count()``, ``exists()``,
``bool``, indexing) uses the stored rows and builds nothing.

Only the simple, common case is taken — one level (``"decisions"``), a to-many relation
(reverse foreign key or many-to-many), optionally with ``Prefetch(queryset=...)`` that has no
prefetches of its own, no ``to_attr`` — and everything else is left to Django, unchanged.
:class:`kobling.tenancy.scoping.ScopedQuerySet` uses it for every list of a tenant's records."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.contrib.contenttypes.fields import ReverseGenericManyToOneDescriptor
from django.db.models import Prefetch, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import ReverseManyToOneDescriptor

_classes: dict[type, type] = {}


class _Prefetched:
    """Mixed into the relation's queryset class: the rows are there, the SQL is not yet."""

    _light_factory: Callable[[], QuerySet]
    _plain: type

    def _materialise(self) -> None:
        real = self._light_factory()
        real_query = real.query  # applies Django's deferred relation filter
        self._hints = real._hints
        self._db = real._db
        self._sticky_filter = real._sticky_filter
        self._known_related_objects = real._known_related_objects
        self._query = real_query

    @property
    def query(self):  # noqa: ANN201 - QuerySet.query
        if self._query is None:
            self._materialise()
        return QuerySet.query.fget(self)

    @query.setter
    def query(self, value) -> None:  # noqa: ANN001
        QuerySet.query.fset(self, value)

    def _clone(self):  # noqa: ANN202 - QuerySet._clone
        # What chains on it is an ordinary queryset of the relation (its SQL is built by now).
        clone = super()._clone()
        clone.__class__ = self._plain
        return clone

    def __reduce_ex__(self, protocol):  # noqa: ANN001, ANN204
        # Pickled (a cached model instance) as the plain queryset Django would have made.
        real = self._light_factory()
        real._result_cache = self._result_cache
        real._prefetch_done = True
        return (_itself, (real,))


def _itself(value: Any) -> Any:
    return value


def _light_class(cls: type) -> type:
    light = _classes.get(cls)
    if light is None:
        light = _classes[cls] = type(
            f"Prefetched{cls.__name__}", (_Prefetched, cls), {"_plain": cls}
        )
    return light


def _relation_queryset(instance: Any, name: str, queryset: QuerySet | None) -> QuerySet:
    """The queryset Django's prefetch would have stored on ``instance`` (built on demand)."""
    manager = getattr(instance, name)
    base = queryset if queryset is not None else super(type(manager), manager).get_queryset()
    return manager._apply_rel_filters(base)


def _simple(lookup: str | Prefetch, model: type) -> Prefetch | None:
    prefetch = lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)
    if prefetch.to_attr or LOOKUP_SEP in prefetch.prefetch_through:
        return None
    if prefetch.queryset is not None and prefetch.queryset._prefetch_related_lookups:
        return None
    descriptor = getattr(model, prefetch.prefetch_through, None)
    if not isinstance(descriptor, ReverseManyToOneDescriptor) or isinstance(
        descriptor, ReverseGenericManyToOneDescriptor
    ):
        return None
    return prefetch


def prefetch_lists(instances: list[Any], lookups: Iterable[str | Prefetch]) -> list[Any]:
    """Prefetch the simple to-many ``lookups`` on ``instances``; return the lookups left for
    :func:`django.db.models.prefetch_related_objects` (in their order)."""
    lookups = list(lookups)
    if not instances or len({type(i) for i in instances}) != 1:
        return lookups
    model = type(instances[0])
    rest = []
    for lookup in lookups:
        prefetch = _simple(lookup, model)
        if prefetch is None or any(
            prefetch.prefetch_to in getattr(i, "_prefetched_objects_cache", ()) for i in instances
        ):
            rest.append(lookup)
            continue
        _prefetch_one(instances, prefetch)
    return rest


def _prefetch_one(instances: list[Any], prefetch: Prefetch) -> None:
    name = prefetch.prefetch_through
    first = instances[0]
    manager = getattr(first, name)
    rel_qs, rel_obj_attr, instance_attr, _single, cache_name, _is_descriptor = (
        manager.get_prefetch_querysets(
            instances, [prefetch.queryset] if prefetch.queryset is not None else None
        )
    )
    by_instance: dict[Any, list[Any]] = {}
    for related in rel_qs:
        by_instance.setdefault(rel_obj_attr(related), []).append(related)
    template = _relation_queryset(first, name, prefetch.queryset)
    light = _light_class(type(template))
    state = dict(template.__dict__)
    state.update(_query=None, _deferred_filter=None, _prefetch_done=True)
    for instance in instances:
        qs = light.__new__(light)
        qs.__dict__.update(state)
        qs._result_cache = by_instance.get(instance_attr(instance), [])
        qs._light_factory = partial(_relation_queryset, instance, name, prefetch.queryset)
        if not hasattr(instance, "_prefetched_objects_cache"):
            instance._prefetched_objects_cache = {}
        instance._prefetched_objects_cache[cache_name] = qs
