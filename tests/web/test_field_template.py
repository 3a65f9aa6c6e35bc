"""``_field.html`` is written by ``{% form_field %}`` (kobling.core): the same HTML as the
template it replaced, for every kind of field, bound or not, valid or not."""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines
from django.utils.translation import gettext_lazy, override

OLD_FIELD = engines["django"].from_string(
    '{% load i18n kobling %}{% if field|is_choice_list %}{% include "_choices.html" %}{% else %}<div class="ds-field">\n  {% if field.field.widget.input_type == "checkbox" %}\n    <div class="ds-field">{{ field|ds }} <label class="ds-label" for="{{ field.id_for_label }}">{{ field.label }}</label></div>\n  {% else %}\n    <label class="ds-label" for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="k-muted">*</span>{% endif %}</label>\n    {% if field.help_text %}<div class="ds-paragraph k-muted" data-size="sm">{{ field.help_text }}</div>{% endif %}\n    {{ field|ds }}\n  {% endif %}\n  {% for error in field.errors %}<div class="ds-validation-message" data-color="danger" role="alert">{{ error }}</div>{% endfor %}\n</div>{% endif %}\n'
)


class Everything(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), help_text="Say <who> & why")
    note = forms.CharField(required=False, widget=forms.Textarea)
    count = forms.IntegerField(required=False, min_value=1)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(required=False, label="I <agree>")
    pick = forms.ChoiceField(choices=[("a", "A"), ("b", "B & C")])
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", "Two")], widget=forms.CheckboxSelectMultiple, required=False
    )
    radio = forms.ChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect, help_text="Pick one"
    )
    multi = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"name": "Ann", "count": "0", "agree": "on", "pick": "b", "many": ["2"], "radio": "y"},
    ],
)
@pytest.mark.parametrize("heading", [False, True])
def test_every_field_is_written_as_the_old_template_wrote_it(data, heading):
    new = engines["django"].get_template("_field.html")
    form = Everything(data)
    with override("nb"):
        for field in form:
            context = {"field": field, "heading": heading}
            assert new.render(context) == OLD_FIELD.render(context), field.name
