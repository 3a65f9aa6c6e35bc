"""The session list in bokmål: the edit button says what it does ("Rett opp", with the session's
date for screen readers; it said only "Rett"), and month abbreviations are lower case with a
full stop as Norwegian writes them ("des.", not "Des")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import dateformat, translation

from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "kobling" / "templates"


def test_the_correct_button_says_rett_opp_and_which_session(cast):
    helper = f.make_active(cast.helper_a)
    pairing = s.active_pair(s.waiting(cast.programme_a, first_name="Per"), helper)
    session = s.log(pairing, days_ago=3)
    client = signed_in(cast.contact_user_a)
    client.cookies["django_language"] = "nb"
    html = client.get(f"/par/{pairing.pk}/okter/").content.decode()
    with translation.override("nb"):
        day = dateformat.format(session.date, "j. N Y")
        month = dateformat.format(session.date, "N")
    assert f'>Rett opp<span class="ds-sr-only"> økta {day}</span></a>' in html
    assert month == month.lower() and f"{month.capitalize()} " not in html.replace(day, "")


def test_month_abbreviations_in_templates_are_the_lower_case_norwegian_ones():
    with translation.override("nb"):
        assert dateformat.format(dt.date(2025, 12, 3), "D j. N") == "ons 3. des."
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # "M" is "Des" (title case) in bokmål; "N" is "des.".
        assert '|date:"D j. M' not in text and '|date:"j. M' not in text, path
