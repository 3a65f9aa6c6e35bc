"""Template filters for the rows of a list page: the same text as Django's own ways, without
their per-row cost (a list renders them 50 times a request).

* ``{{ obj|display:"status" }}`` is ``{{ obj.get_status_display }}``. Django's method builds a
  dict of the field's choices on every call, hashing (so translating) every lazy label:
  for a field of eight choices, eight translations to show one. The filter keeps the dict per
  field (its labels still lazy, so each request shows its own language) and translates one.
* ``{{ obj.pk|pk_url:"web:referral_detail" }}`` is ``{% url "web:referral_detail" obj.pk %}``
  for a view whose only argument is an integer id: the URL is reversed once per view (and script
  prefix and URL configuration) and the id put in its place.
* ``shown(value)`` and ``date_shown(value, format)`` are ``{{ value }}`` and
  ``{{ value|date:format }}`` for a row written in Python (a list's ``<tr>`` written by a tag of
  its app: each ``{{ a.b.c }}`` in a template tries a dict lookup, an attribute and a call per
  step, and a 50-row list has some 600 of them).
* ``{% form_field %}`` is ``_field.html`` (a form field as Designsystemet's field: label,
  help text, the widget with ``ds-input``, errors): that template is included once per field
  on some 200 pages, a list's filter form ten to fifteen times a request.
* ``{% figures_table table %}`` is a figures table (``dashboards/_table.html``, 18 on a
  dashboard); ``{{ rows|table_body }}`` its ``<tr>``s:
  the first cell a row heading, the others numbers grouped the language's way (``number``),
  a dash for none. A dashboard shows some 300 cells; as template tags they were a third of
  its rendering.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms, template
from django.conf import settings
from django.db.models import Model
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, numberformat
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

register = template.Library()

_CHOICES: dict[tuple[type[Model], str], tuple[str, dict[Any, Any]]] = {}
_URLS: dict[tuple[str, str, Any], tuple[str, str] | None] = {}
# An id no table reaches and no URL contains otherwise: where it lands in the reversed URL is
# where a row's id goes.
_SENTINEL = 918273645546372819


def choice_label(obj: Model, name: str) -> str:
    """What ``obj.get_<name>_display()`` returns."""
    key = (type(obj), name)
    known = _CHOICES.get(key)
    if known is None:
        field = obj._meta.get_field(name)
        choices = dict(make_hashable(field.flatchoices))  # type: ignore[union-attr]
        known = _CHOICES[key] = (field.attname, choices)  # type: ignore[union-attr]
    attname, choices = known
    value = getattr(obj, attname)
    return force_str(choices.get(make_hashable(value), value), strings_only=True)


@register.filter
def posted(request: Any, name: Any) -> str:
    """What the user sent in ``name`` (a form written by hand, not a Django form), so a page
    shown again after a refusal keeps their input: ``{{ request|posted:"comment" }}``."""
    if getattr(request, "method", None) != "POST":
        return ""
    return request.POST.get(str(name), "")


@register.filter
def display(obj: Model, name: str) -> str:
    """``obj.get_<name>_display()``, with the field's choices looked up once per process."""
    return choice_label(obj, name)


def _where() -> tuple[str, str]:
    """What a reversed address depends on besides the view: the script prefix and the URL
    configuration (the request's own, else the settings' — a test may change either)."""
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


@functools.lru_cache(maxsize=512)
def _address(viewname: str, prefix: str, urlconf: str) -> str:
    return reverse(viewname, urlconf=urlconf)


def address(viewname: str) -> str:
    """``reverse(viewname)`` for a view without arguments, worked out once per view, script
    prefix and URL configuration (the menu asks for the same thirty on every page)."""
    return _address(viewname, *_where())


def pk_url(pk: Any, viewname: str) -> str:
    """``reverse(viewname, args=[pk])`` for an integer ``pk``."""
    if type(pk) is not int:
        return reverse(viewname, args=[pk])
    key = (viewname, *_where())
    parts = _URLS.get(key, False)
    if parts is False:
        url = reverse(viewname, args=[_SENTINEL])
        pieces = url.split(str(_SENTINEL))
        parts = _URLS[key] = (pieces[0], pieces[1]) if len(pieces) == 2 else None
    if parts is None:
        return reverse(viewname, args=[pk])
    return f"{parts[0]}{pk}{parts[1]}"


register.filter("pk_url", pk_url)


def number(value: Any) -> Any:
    """A count or measure grouped in thousands the active language's way (1 234), decimals as
    they are; anything that is not a number is returned unchanged (the ``num`` filter)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _numbers() -> Callable[[Any], Any]:
    """``number`` for many values in one language: the separators looked up once."""
    language = get_language()
    decimal = formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    grouping = formats.get_format("NUMBER_GROUPING", language, use_l10n=True)
    thousands = formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)

    def format_(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return value
        return numberformat.format(
            value, decimal, None, grouping, thousands, force_grouping=True, use_l10n=True
        )

    return format_


# What ``{{ value }}`` does in a template (localisation, time zone, escaping).
_CONTEXT = Context(autoescape=True)


def shown(value: Any) -> str:
    """``{{ value }}``: localised, in the current time zone, escaped."""
    if type(value) is str:
        # What conditional_escape() does with a plain string, without its lazy-argument checks.
        return SafeString(html.escape(value))
    return render_value_in_context(value, _CONTEXT)


def date_shown(value: Any, format_: str = "SHORT_DATE_FORMAT") -> str:
    """``{{ value|date:format_ }}``. A date or time is formatted once per value, format and
    language (Django's formatting parses the format anew on every call; a list shows the same
    few hundred dates request after request)."""
    if type(value) not in (dt.date, dt.datetime):
        return shown(date_filter(template_localtime(value), format_))
    value = template_localtime(value)
    return _formatted_date(value, getattr(value, "tzinfo", None), format_, get_language())


@functools.lru_cache(maxsize=8192)
def _formatted_date(value: dt.date, tzinfo: Any, format_: str, language: str | None) -> str:
    # Keyed by the value in the current time zone and that zone (aware datetimes of the same
    # instant are equal whatever their zone), the format's name and the language (month and
    # day names, and the format itself).
    return shown(date_filter(value, format_))


@register.filter
def table_body(rows: Iterable[Iterable[Any]]) -> SafeString:
    """The rows of a figures table: ``<th scope="row">`` for the first cell, ``<td
    class="k-num">`` with the number (or "–" for none) for the others."""
    out = []
    number_ = _numbers()
    for row in rows:
        out.append("<tr>")
        first = True
        for cell in row:
            if first:
                out.append(f'<th scope="row">{shown(cell)}</th>')
                first = False
            elif cell is None:
                out.append('<td class="k-num">–</td>')
            else:
                out.append(f'<td class="k-num">{shown(number_(cell))}</td>')
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every cell is escaped above


def ds(field: forms.BoundField) -> str:
    """The field's widget with Designsystemet's input class (selects and checkboxes included)."""
    widget = field.field.widget
    if isinstance(widget, forms.HiddenInput):
        return str(field)
    attrs = dict(widget.attrs)
    css = attrs.get("class", "")
    if "ds-input" not in css.split():
        attrs["class"] = f"{css} ds-input".strip()
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


def is_choice_list(field: forms.BoundField) -> bool:
    """A field shown as a list of checkboxes or radio buttons (rendered as a fieldset)."""
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)


@register.simple_tag(takes_context=True)
def form_field(context: template.Context) -> str:
    """``_field.html`` for the context's ``field``: a list of choices through ``_choices.html``
    (with the context, for its ``heading``), every other field written here."""
    field = context["field"]
    if is_choice_list(field):
        return context.template.engine.get_template("_choices.html").render(context)
    for_ = shown(field.id_for_label)
    label = shown(field.label)
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        inner = (
            f'\n    <div class="ds-field">{shown(ds(field))} <label class="ds-label" '
            f'for="{for_}">{label}</label></div>\n  '
        )
    else:
        required = ' <span class="k-muted">*</span>' if field.field.required else ""
        help_text = field.help_text
        help_html = (
            f'<div class="ds-paragraph k-muted" data-size="sm">{shown(help_text)}</div>'
            if help_text
            else ""
        )
        inner = (
            f'\n    <label class="ds-label" for="{for_}">{label}{required}</label>\n'
            f"    {help_html}\n    {shown(ds(field))}\n  "
        )
    errors = "".join(
        f'<div class="ds-validation-message" data-color="danger" role="alert">{shown(e)}</div>'
        for e in field.errors
    )
    return mark_safe(f'<div class="ds-field">\n  {inner}\n  {errors}\n</div>')  # noqa: S308


@register.simple_tag
def figures_table(table: Any) -> SafeString:
    """A table of figures (``title``, ``columns``, ``rows``, ``note``) in its scrolling wrapper:
    the columns' headings, a row heading and numbers per row (``table_body``), the note."""
    num_class = ' class="k-num"'
    headings = "".join(
        f'<th scope="col"{"" if i == 0 else num_class}>{shown(c)}</th>'
        for i, c in enumerate(table.columns)
    )
    note = (
        f'<p class="ds-paragraph k-muted" data-size="sm">{shown(table.note)}</p>'
        if table.note
        else ""
    )
    return mark_safe(  # noqa: S308 - every value is escaped by shown()
        '<div class="k-table-wrap" tabindex="0" role="region" '
        f'aria-label="{shown(gettext("Table, scrolls sideways"))}"><table class="ds-table">'
        f"<caption>{shown(table.title)}</caption><thead><tr>{headings}</tr></thead><tbody>\n"
        f"{table_body(table.rows)}\n</tbody></table></div>{note}"
    )
