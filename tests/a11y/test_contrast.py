"""Colour contrast of every tag, badge and chip style, computed from the stylesheets (WCAG 2.1
relative luminance), so that a theme update or a new data-color cannot bring back a label that
is hard to read (an activity tag at /kontakter/ny/ was measured at 2.3:1). Normal text needs
4.5:1 (WCAG 1.4.3). axe checks only what a crawled page shows; this checks every style the
templates use, in every state the stylesheet gives them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kobling.profiles.views import COLOURS, TEXT_ON

ROOT = Path(__file__).resolve().parents[2] / "src" / "kobling"
THEME = ROOT / "static" / "kobling" / "vendor" / "designsystemet-theme.css"
KOBLING_CSS = ROOT / "static" / "kobling" / "kobling.css"
TEMPLATES = ROOT / "templates"
COMPONENTS = ("ds-tag", "ds-badge", "ds-chip", "ds-alert")


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def light_theme() -> dict[str, str]:
    css = THEME.read_text(encoding="utf-8")
    block = re.search(r":root,\[data-color-scheme=light\]\{([^{}]*)\}", css).group(1)
    return dict(re.findall(r"(--ds-color-[a-z0-9-]+):(#[0-9a-fA-F]{3,6})", block))


def colours_used() -> set[str]:
    """Every data-color a tag, badge, chip or alert gets in a template (also inside {% if %})."""
    used = {"accent"}  # no data-color: the theme's default
    for path in TEMPLATES.rglob("*.html"):
        for element in re.findall(r"<[a-z]+[^<>]*?(?:\{%[^%]*%\}[^<>]*?)*>", path.read_text()):
            if any(c in element for c in COMPONENTS) and "data-color=" in element:
                expression = element.split("data-color=", 1)[1][:300]
                used |= set(
                    re.findall(r"\b(accent|neutral|success|warning|danger|info)\b", expression)
                )
    return used


THEME_COLOURS = light_theme()
USED = sorted(colours_used())


def test_the_templates_use_only_colours_the_theme_defines():
    assert {"warning", "danger", "success", "info", "neutral"} <= set(USED)
    for colour in USED:
        assert f"--ds-color-{colour}-text-default" in THEME_COLOURS, colour


@pytest.mark.parametrize("colour", USED)
@pytest.mark.parametrize(
    ("text", "background", "where"),
    [
        ("text-default", "surface-tinted", "tag, chip"),
        ("text-default", "surface-hover", "tag or chip under the pointer"),
        ("text-default", "background-tinted", "alert"),
        ("text-default", "background-default", "page"),
        ("text-subtle", "background-default", "muted text"),
        ("base-contrast-default", "base-default", "badge, checked chip, button"),
        ("base-contrast-default", "base-hover", "checked chip under the pointer"),
    ],
)
def test_every_tag_badge_and_chip_colour_reads_at_4_5_to_1(colour, text, background, where):
    fg = THEME_COLOURS[f"--ds-color-{colour}-{text}"]
    bg = THEME_COLOURS[f"--ds-color-{colour}-{background}"]
    ratio = contrast(fg, bg)
    assert ratio >= 4.5, f"{where} ({colour}): {fg} on {bg} is {ratio:.2f}:1"


def test_kobling_css_sets_no_colour_pair_below_4_5_to_1():
    """Our own stylesheet takes colours from the theme; a rule that sets both a text and a
    background colour as hex must still read."""
    css = KOBLING_CSS.read_text(encoding="utf-8")
    for rule in re.findall(r"\{([^{}]*)\}", css):
        fg = re.search(r"(?<!-)color:\s*(#[0-9a-fA-F]{3,6})", rule)
        bg = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})", rule)
        if fg and bg:
            assert contrast(fg.group(1), bg.group(1)) >= 4.5, rule


def test_the_header_text_reads_on_the_header_colour():
    ratio = contrast(
        THEME_COLOURS["--ds-color-accent-base-contrast-default"],
        THEME_COLOURS["--ds-color-accent-base-default"],
    )
    assert ratio >= 4.5, ratio


@pytest.mark.parametrize("category", list(COLOURS))
def test_the_profile_chart_labels_read_on_their_bars(category):
    assert contrast(TEXT_ON[category], COLOURS[category]) >= 4.5, category
