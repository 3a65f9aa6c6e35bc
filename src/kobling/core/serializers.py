"""Serializers for many rows built once per response, not once per row.

Building a DRF serializer (``get_fields``: the model's fields mapped, the declared ones
deep-copied) costs more than representing a row with it, so a serializer that picks a shape per
row, or nests another through a method field, keeps one instance of each shape on itself. A list
has one child serializer for all its rows (``many=True``), so that is one per shape per response.
Measured on the referrals, pairings and helpers lists (docs/performance.md)."""

from __future__ import annotations

import copy
import datetime as dt
import operator
from collections.abc import Callable, Mapping
from types import FunctionType
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings


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

    # (The docstring above is the schema's description of every serializer without its own:
    # say more in comments and methods' docstrings.)

    def get_fields(self) -> dict[str, serializers.Field]:
        prototype = _PROTOTYPES.get(type(self))
        if prototype is None:
            prototype = _PROTOTYPES[type(self)] = super().get_fields()  # type: ignore[misc]
        return {name: _copy(field) for name, field in prototype.items()}

    def to_representation(self, instance: Any) -> Any:  # noqa: ANN401
        """DRF's output, planned once per instance: DRF asks each field, for every row, how to
        read its value (``Field.get_attribute``: the source path, a mapping or not, a callable or
        not, the missing-value rules) and then converts it. Where the answer follows from the
        model alone — a plain column, a foreign key shown as its id, a path through objects, a
        method field — the plan reads the value directly, converts text and integers only when
        they are not ``str``/``int`` already and reads the time zone once; every other field is
        asked exactly as DRF asks it. The same output, key for key and in the same order
        (``tests/core/test_serializers.py``); ~⅓ of the referral list's representation
        (docs/performance.md)."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = _plan(self)
        model, steps = plan
        if model is None or type(instance) is not model:
            return super().to_representation(instance)  # type: ignore[misc]
        ret: dict[str, Any] = {}
        for name, field, read, convert in steps:
            if read is not None:
                attribute = read(instance)
                if attribute is not _ASK and not callable(attribute):
                    ret[name] = None if attribute is None else convert(attribute)
                    continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        return ret


def _copy(field: serializers.Field) -> serializers.Field:
    """A field of the prototype for one serializer. DRF deep-copies a field by building it
    again from its arguments (a choice field works out its choices again); a plain field's own
    state is its attributes, which binding sets on the copy, so a shallow copy is the same
    field. What holds other fields (a nested serializer, a list's child, a to-many relation's
    child) is deep-copied as DRF does: binding it binds its children to it."""
    if isinstance(field, serializers.BaseSerializer) or any(
        name in field.__dict__ for name in ("child", "child_relation", "fields")
    ):
        return copy.deepcopy(field)
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


_Step = tuple[str, serializers.Field, Callable[[Any], Any] | None, Callable[[Any], Any]]


def _text(value: Any) -> Any:  # noqa: ANN401
    return value if type(value) is str else str(value)


def _integer(value: Any) -> Any:  # noqa: ANN401
    return value if type(value) is int else int(value)


def _itself(value: Any) -> Any:  # noqa: ANN401
    return value


def _datetime(field: serializers.DateTimeField) -> Callable[[Any], Any]:
    """``field.to_representation`` for an aware datetime in ISO 8601 with the field's default
    time zone, read once per plan (DRF reads the request's current zone for every value);
    anything else is left to the field."""
    if (
        type(field).enforce_timezone is not serializers.DateTimeField.enforce_timezone
        or type(field).default_timezone is not serializers.DateTimeField.default_timezone
        or hasattr(field, "timezone")
        or str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() != ISO_8601
    ):
        return field.to_representation
    zone = field.default_timezone()
    if zone is None:
        return field.to_representation
    to_representation = field.to_representation

    def convert(value: Any) -> Any:  # noqa: ANN401
        if type(value) is not dt.datetime or value.utcoffset() is None:
            return to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _plan(serializer: serializers.BaseSerializer) -> tuple[type | None, list[_Step]]:
    """Per readable field: its name, the field, a direct reader (or None: ask the field) and
    the conversion of a value that is not None."""
    meta = getattr(serializer, "Meta", None)
    model = getattr(meta, "model", None)
    steps: list[_Step] = []
    for field in serializer._readable_fields:  # type: ignore[attr-defined]
        read, convert = _direct(field, model) if model is not None else (None, None)
        steps.append((field.field_name, field, read, convert or field.to_representation))
    return model, steps


def _direct(field: serializers.Field, model: type) -> tuple[Any, Any]:
    """A reader that gives what ``field.get_attribute`` gives for an instance of ``model``
    (or ``_ASK``: then the field is asked), with the conversion of a value that is not None;
    or ``(None, None)`` where the field must always be asked."""
    kind = type(field)
    if (
        kind.get_attribute is serializers.SerializerMethodField.get_attribute
        and kind.to_representation is serializers.SerializerMethodField.to_representation
    ):
        # The method is looked up once, not for every row.
        return _itself, getattr(field.parent, field.method_name)
    attrs = field.source_attrs
    try:
        model_field = model._meta.get_field(attrs[0]) if len(attrs) == 1 else None
    except FieldDoesNotExist:
        model_field = None
    if model_field is not None and (model_field.many_to_one or model_field.one_to_one):
        # A foreign key shown as its id: DRF reads ``serializable_value`` (the ``<name>_id``
        # column) into a PKOnlyObject and writes its pk.
        if (
            model_field.concrete
            and kind.get_attribute is relations.RelatedField.get_attribute
            and kind.to_representation is relations.PrimaryKeyRelatedField.to_representation
            and kind.use_pk_only_optimization
            is relations.PrimaryKeyRelatedField.use_pk_only_optimization
            and field.pk_field is None
        ):
            return operator.attrgetter(model_field.attname), _itself
        return None, None
    if not attrs or kind.get_attribute is not serializers.Field.get_attribute:
        return None, None
    if model_field is None:
        read = _path(tuple(attrs))  # a path, a property or a method
    elif model_field.concrete and not model_field.is_relation:
        read = operator.attrgetter(attrs[0])
    else:
        return None, None  # a to-many relation: its manager
    convert = kind.to_representation
    if convert is serializers.DateTimeField.to_representation:
        return read, _datetime(field)
    if convert is serializers.CharField.to_representation:
        return read, _text
    if convert is serializers.IntegerField.to_representation:
        return read, _integer
    return read, field.to_representation


# A reader's answer that the field must be asked after all (DRF's rules for a missing value,
# a mapping, a callable that is not a plain method).
_ASK = object()
# Whether a method (a function defined on a class) takes no arguments: DRF asks
# ``inspect.signature`` for every row; the answer is the function's.
_NO_ARGUMENTS: dict[Any, bool] = {}


def _path(attrs: tuple[str, ...]) -> Callable[[Any], Any]:
    """``rest_framework.fields.get_attribute(instance, attrs)`` for objects along the path,
    calling methods that take no arguments; ``_ASK`` for anything else."""

    def read(instance: Any) -> Any:  # noqa: ANN401
        value = instance
        for attr in attrs:
            if isinstance(value, Mapping):
                return _ASK
            try:
                value = getattr(value, attr)
            except ObjectDoesNotExist:
                return None
            except (KeyError, AttributeError):
                return _ASK
            if callable(value):
                function = getattr(value, "__func__", None)
                if type(function) is not FunctionType:
                    return _ASK
                plain = _NO_ARGUMENTS.get(function)
                if plain is None:
                    plain = _NO_ARGUMENTS[function] = is_simple_callable(value)
                if not plain:
                    return _ASK
                try:
                    value = value()
                except (AttributeError, KeyError):
                    return _ASK
        return value

    return read


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
