"""The base of every FilterSet, and filter forms that show what the list applies.

``BaseFilterSet`` refuses a number that no database column can hold with a 400: django-filter's
``NumberFilter`` is a bare ``DecimalField``, and a lookup on a foreign key (``programme_id``)
passes ``99999999999999999999`` straight to the driver, where SQLite raises ``OverflowError``
(a 500). Every FilterSet of the project, and those DRF builds from ``filterset_fields``
(``FilterBackend``), start from it.

A list filter that is not chosen applies nothing, so its form must say "All" for it — never
Django's "---------" placeholder, never a select with no empty choice (the browser then shows
the first real choice, e.g. "High", while the list shows everyone, and pressing "Show" quietly
applies it), never "Unknown" for a yes/no filter. ``explicit_all`` puts that right on any form
whose optional fields filter a list; ``ListFilterSet`` applies it to every FilterSet form.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceIterator as FilterModelChoiceIterator
from django_filters.rest_framework import DjangoFilterBackend

from kobling.core.months import parse_month
from kobling.tenancy.models import Municipality, Programme

ALL = _("All")
PLACEHOLDER = "---------"


def _all_label(current: object) -> object:
    # Keep a label that already says what the empty choice means ("All mine"); replace the
    # placeholder and a missing one.
    return ALL if current is None or str(current) == PLACEHOLDER else current


def explicit_all(form: forms.BaseForm) -> forms.BaseForm:
    """Give every optional choice field of a filter form an explicit, first "All" choice that is
    what the list applies when nothing is chosen; tell the user that choosing none of a
    multiple choice means all. Required fields are left alone: their view must show the value
    it applies."""
    for field in form.fields.values():
        if field.required:
            continue
        if isinstance(field, forms.NullBooleanField):
            # NullBooleanSelect renders an unset value as "unknown", which filters nothing.
            field.widget.choices = [("unknown", ALL), ("true", _("Yes")), ("false", _("No"))]
        elif isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
            if not field.help_text:
                field.help_text = _("None chosen: all.")
        elif isinstance(field, forms.ModelChoiceField) or hasattr(field, "empty_label"):
            field.empty_label = _all_label(field.empty_label)
            # django-filter's choices are an iterator bound to the class's field (a form's
            # fields are copies): bind them afresh so that they read this label.
            raw = getattr(field.choices, "choices", None)
            if raw is not None and not isinstance(field, forms.ModelChoiceField):
                field.choices = raw
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)
            if choices and choices[0][0] == "":
                choices[0] = ("", _all_label(choices[0][1]))
            else:
                choices.insert(0, ("", ALL))
            field.choices = choices
    return form


def bounded_numbers(filterset: django_filters.FilterSet, form: forms.BaseForm) -> None:
    """Give every number filter of ``filterset`` the range of the widest integer column, so an
    id (or amount) beyond it is a field error instead of a database error."""
    low, high = connection.ops.integer_field_range("BigIntegerField")
    for name, filter_ in filterset.filters.items():
        field = form.fields.get(name)
        if isinstance(filter_, django_filters.NumberFilter) and field is not None:
            # form.fields are the form's own copies: the class's filters are not touched.
            field.validators = [*field.validators, MinValueValidator(low), MaxValueValidator(high)]


class BaseFilterSet(django_filters.FilterSet):
    """The base of every FilterSet (list pages, API-only lists, ``filterset_fields``)."""

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            bounded_numbers(self, super().form)
        return self._form


def asks_to_filter(filterset_class: type[django_filters.FilterSet], params: QueryDict) -> bool:
    """Whether a request's ``params`` could change what ``filterset_class`` lets through: a
    parameter named after one of its filters (or a sub-widget's ``<name>_<suffix>``), a required
    filter, or a FilterSet that filters or builds its filters its own way. Without any of them
    the FilterSet lets the whole queryset through and no form can be invalid."""
    if (
        filterset_class.filter_queryset is not django_filters.FilterSet.filter_queryset
        or filterset_class.__init__ is not django_filters.FilterSet.__init__
    ):
        return True
    names = filterset_class.base_filters
    if any(filter_.extra.get("required") for filter_ in names.values()):
        return True
    return any(key.startswith(name) for key in params for name in names)


class FilterBackend(DjangoFilterBackend):
    """DRF's filter backend, building ``filterset_fields`` FilterSets on ``BaseFilterSet``.

    A list asked for without a filter parameter (most API reads: ``?page=2&page_size=25``) is
    not filtered at all, so the FilterSet and its form (every field, the model choices' querysets,
    the validators) are not built for it: ~1 ms of every API list (docs/performance.md)."""

    filterset_base = BaseFilterSet

    def filter_queryset(self, request, queryset, view):  # noqa: ANN001, ANN201
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not asks_to_filter(filterset_class, request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


def visible_municipalities(request):  # noqa: ANN001, ANN201
    """A filter's choice of municipality: those the user may see (none without a request)."""
    return Municipality.objects.visible_to(request.user) if request else Municipality.objects.none()


def visible_programmes(request):  # noqa: ANN001, ANN201
    """A filter's choice of programme: those the user may see, with their municipality (the
    choice's label names it)."""
    if request is None:
        return Programme.objects.none()
    return Programme.objects.visible_to(request.user).select_related("municipality")


class _ReadAsList(forms.models.ModelChoiceIterator):
    def __iter__(self):  # noqa: ANN204
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # Django reads the choices with ``.iterator()``, which on PostgreSQL opens a
        # server-side cursor (DECLARE, FETCH, CLOSE) for a handful of rows; a plain read is one
        # round trip, and kept for a second look within the same form.
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceIterator(FilterModelChoiceIterator, _ReadAsList):
    """django-filter's choice iterator (its "null" choice included), reading the choices in
    one plain query."""


def listed_model_choices(form: forms.BaseForm) -> None:
    """Read the model choices of a filter form (django-filter's fields) in one plain query each."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and hasattr(field, "null_label"):
            field.iterator = ListedModelChoiceIterator
            field.widget.choices = field.choices


class ListFilterSet(BaseFilterSet):
    """The FilterSet of a list page (and its API): its form says "All" for what is not chosen,
    and reads each model choice in one plain query (the form is rendered on every request of
    the list; its widgets are written by the project's form renderer,
    ``kobling.core.form_renderer``)."""

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            explicit_all(super().form)
            listed_model_choices(self._form)
        return self._form


class MonthField(forms.CharField):
    """A list filter's ``YYYY-MM`` → the first day of the month (future months allowed: a filter just finds
    nothing there)."""

    def to_python(self, value: str | None) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_month(text, allow_future=True)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["month"]) from None


class MonthFilter(django_filters.Filter):
    field_class = MonthField
