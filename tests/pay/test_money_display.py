"""Money is shown with two decimals and grouped in thousands the language's way (bokmål: a
no-break space, 12 345,50), right-aligned in tables; before, amounts were printed raw
("12345.50") and left-aligned in every table."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from kobling.web.templatetags.kobling import money, num
from tests.conftest import signed_in

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "kobling" / "templates"
MONEY_NAMES = (
    r"(?:amount|rate|pay|expenses|total_amount|expenses_total|pay_amount|price\w*|cost\w*)"
)


def test_money_is_grouped_with_a_no_break_space_in_bokmal_and_a_comma_in_english():
    with translation.override("nb"):
        assert money(Decimal("12345.5")) == "12\xa0345,50"
        assert money(150) == "150,00"
        assert num(1234) == "1\xa0234"
    with translation.override("en"):
        assert money(Decimal("12345.5")) == "12,345.50"
    assert money(None) == "—"
    assert num("<5") == "<5"


@pytest.mark.django_db
def test_the_month_page_shows_amounts_grouped_and_right_aligned(world):
    world.cast.helper_a.hourly_rate = Decimal("1500.00")
    world.cast.helper_a.save()
    client = signed_in(world.cast.coordinator_a)
    client.cookies["django_language"] = "nb"
    html = client.get(reverse("web:pay_month")).content.decode()
    assert '<td class="k-hide-small k-num">1\xa0500,00</td>' in html
    assert re.search(r'<td class="k-num">\d{1,3}\xa0\d{3},\d{2}</td>', html), "total"
    assert '<th scope="col" class="k-num">' in html


def is_free_text(path: Path, name: str) -> bool:
    """A catalogue offer's ``cost`` is what joining costs in words ("Egenandel 300 kr for 12
    uker"), a text field, not an amount."""
    return path.parent.name == "catalogue" and name.endswith(".cost")


def test_every_amount_in_a_template_goes_through_money_and_no_number_cell_is_left_aligned():
    raw = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\{\{ ([\w.]+) \}\}", text):
            if is_free_text(path, match.group(1)):
                continue
            if re.search(rf"\.{MONEY_NAMES}$", match.group(1)) or match.group(1).startswith(
                "totals."
            ):
                raw.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
        assert 'class="num"' not in text, path
    assert raw == []
