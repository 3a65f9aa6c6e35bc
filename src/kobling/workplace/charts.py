"""The progress chart of an assignment: the scale value at each meeting (a range drawn as a bar
from its lower to its upper value, joined at the middle) against the target band. Server-side
inline SVG drawn with the shared chart parts of :mod:`kobling.core.charts` (where the line chart
over quarters also lives): presentation attributes only, no script, every text escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString

from kobling.core.charts import close, svg_open

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 34, 16, 14, 30
LINE = "#1e5a8c"
TARGET = "#cfe8d4"


@dataclass(frozen=True)
class Point:
    label: str
    low: int
    high: int | None = None


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (10 - value) / 9


def scale_progress(
    title: str, points: Sequence[Point], target_low: int | None, target_high: int | None
) -> SafeString:
    n = max(len(points), 1)
    step = (WIDTH - LEFT - RIGHT) / n
    parts = [svg_open(title, WIDTH, HEIGHT)]
    if target_low is not None:
        top, bottom = _y(target_high or target_low) - 4, _y(target_low) + 4
        parts.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{bottom - top:.1f}" fill="{TARGET}"/>'
        )
    for value in range(1, 11):
        y = _y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e3e6ea" stroke-width="1"/>'
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#444">{value}</text>'
        )
    previous: tuple[float, float] | None = None
    for i, point in enumerate(points):
        x = LEFT + step * (i + 0.5)
        high = point.high or point.low
        mid = _y((point.low + high) / 2)
        if previous is not None:
            parts.append(
                f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{x:.1f}" '
                f'y2="{mid:.1f}" stroke="{LINE}" stroke-width="2"/>'
            )
        if high != point.low:
            parts.append(
                f'<line x1="{x:.1f}" y1="{_y(high):.1f}" x2="{x:.1f}" y2="{_y(point.low):.1f}" '
                f'stroke="{LINE}" stroke-width="6" stroke-linecap="round"/>'
            )
        parts.append(f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="4" fill="{LINE}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 10}" font-size="11" text-anchor="middle" '
            f'fill="#444">{escape(point.label)}</text>'
        )
        previous = (x, mid)
    return close(parts)
