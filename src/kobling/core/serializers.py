"""Serializers for many rows built once per response, not once per row.

Building a DRF serializer (``get_fields``: the model's fields mapped, the declared ones
deep-copied) costs more than representing a row with it, so a serializer that picks a shape per
row, or nests another through a method field, keeps one instance of each shape on itself. A list
has one child serializer for all its rows (``many=True``), so that is one per shape per response.
Measured on the referrals, pairings and helpers lists (docs/performance.md)."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def represent(
    owner: serializers.BaseSerializer,
    shape: type[serializers.BaseSerializer],
    instance: Any,  # noqa: ANN401
    *,
    context: dict[str, Any] | None = None,
) -> Any:  # noqa: ANN401
    """``shape(instance, context=owner.context).data``, with the ``shape`` serializer built once
    per ``owner`` (and context: pass ``context`` only when it differs from the owner's)."""
    cache: dict[Any, serializers.BaseSerializer] = owner.__dict__.setdefault("_shapes", {})
    key = (shape, None if context is None else id(context))
    built = cache.get(key)
    if built is None:
        built = cache[key] = shape(context=owner.context if context is None else context)
    return built.to_representation(instance)


_PROTOTYPES: dict[type, dict[str, serializers.Field]] = {}


class FieldsOnceMixin:
    """A ModelSerializer whose field set is worked out once per class and process, then
    deep-copied for each instance. ``ModelSerializer.get_fields`` maps every model field to a
    serializer field (``build_field``) each time a serializer is built — per response, and for
    every nested shape — although the result depends on the class alone; copying the finished
    fields costs a fraction of it (~3 ms of a 15–25 ms API list, docs/performance.md). Only for
    serializers whose fields do not depend on the request: one that varies its fields by user
    changes ``self.fields`` after construction (that works on the copy) or does not use this."""

    def get_fields(self) -> dict[str, serializers.Field]:
        prototype = _PROTOTYPES.get(type(self))
        if prototype is None:
            prototype = _PROTOTYPES[type(self)] = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(prototype)


# The largest value a primary key column holds (PostgreSQL's bigint, SQLite's INTEGER).
LARGEST_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id given as input: a positive integer no larger than a key column holds, so an id
    such as ``99999999999999999999`` is a 400 with the field's error, not an ``OverflowError``
    from the database driver (a 500)."""
    return serializers.IntegerField(min_value=1, max_value=LARGEST_ID, **kwargs)


def enum_field(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose enum is documented in place rather than as a named component: many
    models have a ``status`` (pairings, runs, proposals, referrals…) with their own values, and
    named enums would collide in the schema. ``allOf`` keeps drf-spectacular's enum
    post-processing away from it; a choice list with ``""`` also accepts the empty string. A
    class, not an instance annotation: DRF copies fields by re-creating them."""
    values = [str(value) for value, _label in choices if value != ""]
    schema: dict[str, Any] = {"allOf": [{"type": "string", "enum": values}]}
    if any(value == "" for value, _label in choices):
        schema = {"oneOf": [schema, {"type": "string", "maxLength": 0}]}
    field_class = extend_schema_field(schema)(type("EnumField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)
