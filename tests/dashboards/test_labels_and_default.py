"""The dashboard opens the user's own programme with data (not the first by name, an empty one),
names the measures as the instrument register does in the active language, and writes numbers
in the active locale in the charts as in the tables ("0.0" stood beside "0,0")."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kobling.dashboards.refresh import refresh_municipality
from kobling.dashboards.selectors import build_report
from tests import factories as f
from tests.conftest import signed_in
from tests.dashboards.builders import build_year

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1


@pytest.fixture
def built(cast):
    build_year(cast.programme_a, YEAR)
    refresh_municipality(cast.a.pk)
    return cast


def test_the_dashboard_opens_the_programme_with_data_not_the_first_by_name(built):
    empty = f.ProgrammeFactory(municipality=built.a, name="Aaa frisklivsresept")
    assert empty.pk > built.programme_a.pk or empty.name < built.programme_a.name
    response = signed_in(built.coordinator_a).get(reverse("web:dashboard_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:dashboard", args=[built.programme_a.pk]))


def test_an_explicit_choice_still_wins(built):
    empty = f.ProgrammeFactory(municipality=built.a, name="Aaa frisklivsresept")
    url = reverse("web:dashboard_home") + f"?programme={empty.pk}"
    response = signed_in(built.coordinator_a).get(url)
    assert response["Location"].startswith(reverse("web:dashboard", args=[empty.pk]))


def test_measures_are_named_from_the_instruments_in_the_active_language(built):
    with translation.override("nb"):
        names = [
            row[0] for row in build_report(built.programme_a, YEAR).table("effectiveness").rows
        ]
    assert "Minutter moderat aktivitet per uke" in names
    assert "Egenvurdert helse" in names
    assert not {"Weekly minutes of activity", "Self-rated health", "Mastery"} & set(names)
    with translation.override("en"):
        names = [
            row[0] for row in build_report(built.programme_a, YEAR).table("effectiveness").rows
        ]
    assert "Weekly minutes of moderate activity" in names


def test_chart_figures_use_the_decimal_comma_in_bokmal(built):
    client = signed_in(built.coordinator_a)
    client.cookies["django_language"] = "nb"
    url = reverse("web:dashboard", args=[built.programme_a.pk]) + f"?year={YEAR}"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    figures = re.findall(r'fill="#222">([^<]*)</text>', html)
    assert figures, "no chart figures"
    assert not [x for x in figures if re.fullmatch(r"\d+\.\d+", x)], figures
    assert any(re.fullmatch(r"\d+,\d+", x) for x in figures), figures
