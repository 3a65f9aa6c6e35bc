"""Filter forms that show what the list applies.

A list filter that is not chosen applies nothing, so its form must say "All" for it — never
Django's "---------" placeholder, never a select with no empty choice (the browser then shows
the first real choice, e.g. "High", while the list shows everyone, and pressing "Show" quietly
applies it), never "Unknown" for a yes/no filter. ``explicit_all`` puts that right on any form
whose optional fields filter a list; ``ListFilterSet`` applies it to every FilterSet form.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

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


class ListFilterSet(django_filters.FilterSet):
    """The FilterSet of a list page (and its API): its form says "All" for what is not chosen."""

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            explicit_all(super().form)
        return self._form
