"""The progress chart of an assignment: the scale value at each meeting (a range drawn as a bar
from its lower to its upper value, joined at the middle) against the target band. Server-side
inline SVG like the dashboards' charts: presentation attributes only, no script, every text
escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString

from kobling.core import svg

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
    parts: list[str] = []
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
    return svg.chart(title, HEIGHT, parts)


COLOURS = ("#1e5a8c", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#555555")


def lines_over_time(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> SafeString:
    """Several counts over the quarters, one line each, with a legend."""
    top = max([v for _name, values in series for v in values] + [1])
    n = max(len(labels), 1)
    step = (WIDTH - LEFT - RIGHT) / n
    legend = 18 * len(series)
    height = HEIGHT + legend
    plot = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot * (1 - value / top)

    parts = [
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" font-size="11" text-anchor="end" fill="#444">'
        f"{top}</text>",
    ]
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{LEFT + step * (i + 0.5):.1f}" y="{HEIGHT - 10}" font-size="10" '
            f'text-anchor="middle" fill="#444">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{LEFT + step * (i + 0.5):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        ly = HEIGHT + 14 * k + 4
        parts.append(
            f'<rect x="{LEFT}" y="{ly}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{LEFT + 18}" y="{ly + 6}" font-size="11" fill="#222">{escape(name)}</text>'
        )
    return svg.chart(title, height, parts)
