"""Lists of checkboxes and radio buttons are Designsystemet fields in a fieldset (one template,
_choices.html), and languages are chosen with checkboxes: the size-6 <select multiple> was hard
to use (ctrl-click, two rows visible in a field-sized box), and the checkbox lists of the
contact form were drawn over the fields and the Save button below them."""

from __future__ import annotations

import re

import pytest

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PAGES = ["/kontakter/ny/", "/henvisninger/ny/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_checkbox_and_radio_button_is_a_design_system_input(cast, path):
    html = signed_in(cast.coordinator_a).get(path).content.decode()
    inputs = re.findall(r'<input type="(?:checkbox|radio)"[^>]*>', html)
    assert inputs
    plain = [i for i in inputs if not re.search(r'class="[^"]*\bds-input\b', i)]
    assert plain == []
    # Each is a field of its own with a label next to it, never wrapped in one.
    assert not re.search(r"<label[^>]*>\s*<input", html)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/kontakter/ny/", "languages"),
        ("/henvisninger/ny/", "person_languages"),
        ("/henvisninger/ny/", "languages"),
    ],
)
def test_languages_are_checkboxes_in_a_fieldset(cast, path, name):
    html = signed_in(cast.coordinator_a).get(path).content.decode()
    assert not re.search(r"<select[^>]*multiple", html)
    fieldset = re.search(
        rf'<fieldset class="ds-fieldset k-choices" id="id_{name}".*?</fieldset>', html, re.S
    )
    assert fieldset, name
    assert "<legend" in fieldset.group(0)
    assert fieldset.group(0).count(f'type="checkbox" name="{name}"') > 10


def test_a_chosen_language_stays_ticked_when_the_form_comes_back_with_errors(cast):
    response = signed_in(cast.coordinator_a).post("/kontakter/ny/", {"languages": ["nb", "so"]})
    html = response.content.decode()
    ticked = re.findall(r'<input type="checkbox" name="languages" value="(\w+)"[^>]*checked', html)
    assert sorted(ticked) == ["nb", "so"]
