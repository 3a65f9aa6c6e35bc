"""Template filters for the rows of a list page: the same text as Django's own ways, without
their per-row cost (a list renders them 50 times a request).

* ``{{ obj|display:"status" }}`` is ``{{ obj.get_status_display }}``. Django's method builds a
  dict of the field's choices on every call, hashing (so translating) every lazy label:
  for a field of eight choices, eight translations to show one. The filter keeps the dict per
  field (its labels still lazy, so each request shows its own language) and translates one.
* ``{{ obj.pk|pk_url:"web:referral_detail" }}`` is ``{% url "web:referral_detail" obj.pk %}``
  for a view whose only argument is an integer id: the URL is reversed once per view (and script
  prefix and URL configuration) and the id put in its place.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

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
def display(obj: Model, name: str) -> str:
    """``obj.get_<name>_display()``, with the field's choices looked up once per process."""
    return choice_label(obj, name)


def pk_url(pk: Any, viewname: str) -> str:
    """``reverse(viewname, args=[pk])`` for an integer ``pk``."""
    if type(pk) is not int:
        return reverse(viewname, args=[pk])
    key = (viewname, get_script_prefix(), get_urlconf())
    parts = _URLS.get(key, False)
    if parts is False:
        url = reverse(viewname, args=[_SENTINEL])
        pieces = url.split(str(_SENTINEL))
        parts = _URLS[key] = (pieces[0], pieces[1]) if len(pieces) == 2 else None
    if parts is None:
        return reverse(viewname, args=[pk])
    return f"{parts[0]}{pk}{parts[1]}"


register.filter("pk_url", pk_url)
