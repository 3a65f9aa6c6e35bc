"""core.form_renderer.PlainWidgetRenderer writes Django's plain widgets in Python: every byte
must be what Django's own templates write, for every kind of widget, value and attribute."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kobling.core.form_renderer import PlainWidgetRenderer, plain_widgets
from kobling.followup.forms import SessionCorrectForm, SessionForm

TEMPLATES = DjangoTemplates()


class Everything(forms.Form):
    text = forms.CharField(label=_("Name"), widget=forms.TextInput(attrs={"data-x": 'a"<b>'}))
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    decimal = forms.DecimalField(required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    when = forms.DateTimeField(required=False)
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    flag = forms.BooleanField(required=False)
    off = forms.CharField(widget=forms.TextInput(attrs={"disabled": False, "autofocus": True}))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    pick = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), (3, 1234), ("s", mark_safe("<b>S</b>"))]
    )
    grouped = forms.ChoiceField(choices=[("G", [("x", "X"), ("y", "Y")]), ("z", "Z")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", _("Date"))], required=False)
    radio = forms.ChoiceField(choices=[("a", "A<"), ("b", "B")], widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )


VALUES = {
    "text": 'Ola <Nordmann> & "co"',
    "number": "12",
    "decimal": "1234.5",
    "date": "2026-12-05",
    "when": "2026-12-05 10:30",
    "time": "10:30",
    "flag": "on",
    "note": "line one\n<two>",
    "pick": "3",
    "grouped": "y",
    "many": ["a", "b"],
    "radio": "a",
    "boxes": ["b"],
    "hidden": "h'1",
}


def rendered(form: forms.Form) -> list[str]:
    """Every way a page writes a field's widgets: whole, with extra attributes, and each option
    of a choice list bare and wrapped in its label."""
    out = []
    for field in form:
        out.append(str(field))
        out.append(field.as_widget(attrs={"class": "ds-input", "aria-invalid": "true"}))
        if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            for option in field:
                out += [option.tag(), option.tag(wrap_label=True), str(option)]
    return out


def both(make) -> tuple[list[str], list[str]]:  # noqa: ANN001
    return rendered(make(TEMPLATES)), rendered(make(PlainWidgetRenderer()))


@pytest.mark.parametrize(
    "make",
    [
        lambda r: Everything(renderer=r),
        lambda r: Everything(VALUES, renderer=r),
        lambda r: Everything({"text": "", "number": "x", "pick": "nope"}, renderer=r),
        lambda r: Everything(initial={"date": dt.date(2026, 1, 2), "number": 5}, renderer=r),
    ],
)
def test_every_widget_is_written_as_djangos_templates_write_it(make):
    templates, plain = both(make)
    assert plain == templates


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_session_forms_are_the_same_bytes_on_the_page(settings, language):
    settings.LANGUAGE_CODE = language
    initial = {"date": dt.date(2026, 12, 5), "minutes": 75, "status": "held", "intensity": "light"}
    bound = {"date": "2026-13-40", "minutes": "0", "status": "cancelled", "note": "<x>"}
    page = engines["django"].get_template("followup/_session_form.html")
    pairing = type("P", (), {"pk": 7})()
    for make in (
        lambda r: SessionForm(initial=initial, auto_id="s7_%s", renderer=r),
        lambda r: SessionForm(bound, auto_id="s7_%s", renderer=r),
        lambda r: SessionCorrectForm(bound, renderer=r),
    ):
        templates, plain = both(make)
        assert plain == templates
        html = [
            page.render({"pairing": pairing, "form": make(r), "next": "/x/"})
            for r in (TEMPLATES, plain_widgets)
        ]
        assert html[0] == html[1]


@pytest.mark.django_db
def test_every_form_uses_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), PlainWidgetRenderer)
    assert isinstance(SessionForm().renderer, PlainWidgetRenderer)
