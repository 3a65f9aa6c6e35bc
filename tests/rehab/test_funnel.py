"""The funnel plot on the monitoring page: drawn from the rows as the user sees them (a
suppressed rate is not a point), the national rate and both pairs of limits, flagged units
marked, and a table beside it with the same figures. Numbers from tests/rehab/builders.py:
nationally 11 of 32 eligible started in 2025Q1 (34.4 %); Hospital H 8 of 20 (40.0 %)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kobling.rehab.charts import UnitPoint, funnel
from tests.conftest import signed_in
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build(cast)


def _page(user, **params):
    response = signed_in(user).get(reverse("web:rehab_participation"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_units_staff_see_their_unit_on_the_funnel_plot(cast, world):
    html = _page(world.h.clinician, diagnosis="chd", period="2025Q1")
    start = html.index('<figure class="k-figure" data-chart="funnel">')
    figure = html[start : html.index("</figure>", start)]
    assert figure.count("<circle") == 1  # H001, inside the limits
    assert "<polygon" not in figure
    assert figure.count("<polyline") == 4  # 95 % and 99.8 %, low and high
    assert "Haukeland sykehus" in figure
    # The table beside it: p = 34.4 %, n = 20 → 34.4 ± 1.96·√(.344·.656/20) and ± 3.09·…
    assert "13.6–55.2" in html and "1.6–67.2" in html
    assert "34.4 %" in html  # the national rate in the caption
    # Drawn once, in the page's body: the document title is plain text.
    assert html.count('data-chart="funnel"') == 1
    title = html[html.index("<title>") + 7 : html.index("</title>")]
    assert "<" not in title and "funnel" not in title.lower()


def test_no_point_for_a_suppressed_rate(cast, world):
    # The analyst sees H001 and H002 with their started counts hidden (<5): nothing to draw.
    html = _page(cast.analyst, diagnosis="chd", period="2025Q1")
    assert 'data-chart="funnel"' not in html
    assert "no funnel plot" in html or "ingen traktplott" in html.lower()


def test_without_a_period_the_page_asks_for_one(cast, world):
    html = _page(world.h.clinician, diagnosis="chd")
    assert 'data-chart="funnel"' not in html


def test_a_flagged_unit_is_a_red_diamond_and_the_limits_narrow():
    svg = str(
        funnel(
            "Traktplott <test>",
            [
                UnitPoint("Inne", 40, 30.0, ""),
                UnitPoint("Høy", 200, 60.0, "high_998"),
            ],
            30.0,
        )
    )
    assert svg.count("<circle") == 1 and svg.count("<polygon") == 1
    assert "Traktplott &lt;test&gt;" in svg and "<test>" not in svg
    assert "<script" not in svg and "style=" not in svg
    # The 95 % upper limit: its first point (smallest n) lies above its last (largest n), i.e.
    # a smaller y in SVG coordinates.
    upper = re.findall(r'<polyline points="([^"]+)"', svg)[1]
    ys = [float(p.split(",")[1]) for p in upper.split()]
    assert ys[0] < ys[-1]
