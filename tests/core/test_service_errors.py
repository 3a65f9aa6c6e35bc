"""core.views.service_errors: a service's refusal goes to the form or, for a button without a
form, to the flash messages; anything else is not swallowed."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from kobling.core.views import service_errors
from kobling.lib.errors import ConflictError


class NoteForm(forms.Form):
    note = forms.CharField()


def bound() -> NoteForm:
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    return form


def test_nothing_refused_leaves_the_form_alone():
    form = bound()
    with service_errors(form) as outcome:
        result = 42
    assert outcome.ok and result == 42 and not form.errors


def test_a_stale_version_goes_to_the_top_of_the_form():
    form = bound()
    with service_errors(form) as outcome:
        raise ConflictError("Changed by someone else.")
    assert not outcome.ok and form.non_field_errors() == ["Changed by someone else."]


def test_a_rule_goes_next_to_its_field_and_an_unknown_field_to_the_top():
    form = bound()
    with service_errors(form) as outcome:
        raise ValidationError({"note": "Too short.", "day": "In the future."})
    assert not outcome.ok
    assert form.errors["note"] == ["Too short."]
    assert form.non_field_errors() == ["day: In the future."]


def test_for_a_button_the_refusal_is_a_flash_message():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    for refusal in (ConflictError("Reload first."), ValidationError({"x": "Not now."})):
        with service_errors(request) as outcome:
            raise refusal
        assert not outcome.ok
    assert [str(m) for m in get_messages(request)] == ["Reload first.", "Not now."]


def test_other_errors_are_not_swallowed():
    form = bound()
    with pytest.raises(KeyError), service_errors(form):
        raise KeyError("bug")
    assert not form.errors
