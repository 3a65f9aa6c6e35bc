"""Analyst pages name public-health indicators in words, in the active language, never by their
raw code (`antibiotic_prescriptions`, `life_expectancy_men` were shown as they are); the home
tile points at the national overview instead of promising it for later."""

from __future__ import annotations

import pytest
from django.utils import translation

from kobling.profiles.choices import INDICATOR_NAMES, indicator_name
from kobling.profiles.demo import load_profiles_demo
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_comparison_page_shows_indicator_names_not_codes(cast):
    load_profiles_demo()
    client = signed_in(cast.analyst)
    html = client.get("/folkehelseprofiler/").content.decode()
    assert "Antibiotic prescriptions" in html and "Life expectancy (men)" in html
    for code in ("antibiotic_prescriptions", "life_expectancy_men", "smoking_women"):
        assert f">{code}<" not in html, code

    client.cookies["django_language"] = "nb"
    html = client.get("/folkehelseprofiler/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Antibiotikaresepter" in html and "Forventet levealder (menn)" in html


def test_every_known_indicator_has_a_bokmal_name():
    with translation.override("nb"):
        untranslated = [c for c, name in INDICATOR_NAMES.items() if str(name) == indicator_en(c)]
    assert untranslated == []


def indicator_en(code: str) -> str:
    with translation.override("en"):
        return indicator_name(code)


def test_an_unknown_indicator_keeps_its_imported_name_or_code():
    assert indicator_name("new_fhi_indicator", "Ny indikator") == "Ny indikator"
    assert indicator_name("new_fhi_indicator") == "new_fhi_indicator"


def test_the_analysts_home_links_to_the_national_overview(cast):
    html = signed_in(cast.analyst).get("/").content.decode()
    assert "arrives with the evidence module" not in html
    assert 'href="/nasjonalt/"' in html and 'href="/folkehelseprofiler/"' in html
