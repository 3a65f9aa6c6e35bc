"""Server-rendered inline SVG charts (CSP-safe: no inline styles, no scripts; presentation
attributes only). Each function takes already-suppressed cells: a suppressed or missing value is
drawn as a gap, never as a bar of its true height."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString

from kobling.core import svg

WIDTH = svg.WIDTH
BAR = "#1e5a8c"
MUTED = "#9aa5b1"


def _num(cell: Any) -> float | None:
    return float(cell) if isinstance(cell, int | float) or hasattr(cell, "as_tuple") else None


def _label(cell: Any) -> str:
    """A bar's figure as the tables show it: numbers in the active locale ("2,5" in bokmål)."""
    if cell is None:
        return "–"
    return escape(formats.localize(cell) if _num(cell) is not None else str(cell))


def bars(title: str, labels: Sequence[str], values: Sequence[Any]) -> SafeString:
    """Horizontal bars (a funnel, a distribution)."""
    row, left, right = 26, 190, 60
    height = row * len(labels) + 10
    top = max([_num(v) or 0 for v in values] + [1])
    parts: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        n = _num(value)
        width = 0 if n is None else (WIDTH - left - right) * n / top
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="#222">{escape(label)}</text>'
        )
        fill = BAR if n is not None else MUTED
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{left + width + 6:.1f}" y="{y + 17}" font-size="13" '
            f'fill="#222">{_label(value)}</text>'
        )
    return svg.chart(title, height, parts)


def columns(title: str, labels: Sequence[str], values: Sequence[Any]) -> SafeString:
    """Vertical columns over time (months)."""
    height, bottom, top_pad, left = 200, 24, 18, 10
    n = max(len(labels), 1)
    step = (WIDTH - 2 * left) / n
    top = max([_num(v) or 0 for v in values] + [1])
    plot = height - bottom - top_pad
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - left}" y2="{height - bottom}" '
        f'stroke="#888" stroke-width="1"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step
        v = _num(value)
        h = 0 if v is None else plot * v / top
        if v is not None:
            parts.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>'
            )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{height - bottom - h - 4:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#222">{_label(value)}</text>'
        )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle" fill="#444">{escape(label)}</text>'
        )
    return svg.chart(title, height, parts)
