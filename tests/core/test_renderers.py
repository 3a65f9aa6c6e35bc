"""The form renderer writes the same HTML as Django's templates for a list filter's kind of
form (a second corpus beside tests/core/test_form_renderer.py), and list filter forms read
their model choices in one plain query each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from kobling.core.filters import ListFilterSet
from kobling.core.form_renderer import PlainWidgetRenderer, plain_widgets
from kobling.referrals.filtersets import ReferralFilterSet


class Everything(forms.Form):
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "x", "a": True}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    number = forms.IntegerField(required=False)
    amount = forms.DecimalField(required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"off": False}))
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(required=False)
    time = forms.TimeField(required=False)
    choice = forms.ChoiceField(
        choices=[("", "All"), ("a", gettext_lazy("Yes")), ("<b>", "Tom & Jerry"), (3, 1234)]
    )
    grouped = forms.ChoiceField(
        choices=[("", "---"), ("Group <1>", [("x", "X"), ("y", mark_safe("<i>Y</i>"))])],
        required=False,
    )
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", "Two"), ("3", "Three")], required=False
    )
    nullable = forms.NullBooleanField(required=False)
    dated = forms.TypedChoiceField(
        choices=[(dt.date(2025, 1, 2), dt.date(2025, 1, 2))], required=False
    )
    checkbox = forms.BooleanField(required=False)


DATA = {
    "text": 'a "quoted" <value>',
    "hidden": "h&",
    "number": "12",
    "amount": "1234.5",
    "password": "secret",
    "day": "2025-03-04",
    "at": "2025-03-04 10:11",
    "choice": "<b>",
    "grouped": "y",
    "many": ["1", "3"],
    "nullable": "true",
    "checkbox": "on",
}


def _html(form: forms.Form) -> list[str]:
    return [str(field) for field in form]


@pytest.mark.parametrize("data", [None, DATA, {"number": "x", "choice": "nope"}])
@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_covered_widget_is_written_as_djangos_templates_write_it(data, language):
    with override(language):
        slow = Everything(data, initial={"amount": Decimal("1234.50")}, renderer=DjangoTemplates())
        fast = Everything(data, initial={"amount": Decimal("1234.50")}, renderer=plain_widgets)
        assert _html(fast) == _html(slow)


@pytest.mark.django_db
def test_a_list_filter_form_uses_the_python_renderer(cast):
    filterset = ReferralFilterSet({}, request=None)
    assert isinstance(filterset, ListFilterSet)
    assert isinstance(filterset.form.renderer, PlainWidgetRenderer)


@pytest.mark.django_db
def test_a_list_filter_form_reads_each_model_choice_in_one_plain_query(cast, rf):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    # Several programmes: their label names the municipality, which must not cost a query each.
    f.ProgrammeFactory(municipality=cast.a, name="Second")
    f.ProgrammeFactory(municipality=cast.a, name="Third")
    request = rf.get("/henvisninger/")
    request.user = cast.admin_a
    form = ReferralFilterSet({}, request=request).form
    with CaptureQueriesContext(connection) as queries:
        html = "".join(str(field) for field in form)
    model_fields = [n for n, fl in form.fields.items() if isinstance(fl, forms.ModelChoiceField)]
    assert len(queries) == len(model_fields) == 3  # municipality, programme, target group
    assert not any("DECLARE" in q["sql"] for q in queries.captured_queries)
    assert f">Second ({cast.a.name})</option>" in html
