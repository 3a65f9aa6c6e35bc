"""The funnel plot of the monitoring page: each unit's participation rate (y) against its
eligible count (x), the national rate as a line, and the 95 % and 99.8 % limits around it
(:func:`kobling.rehab.calc.funnel_limits`) narrowing as the count grows; units outside them are
drawn as flagged. Inside the shared chart frame of :mod:`kobling.core.charts`. Only rows whose rate
is shown (after suppression) are drawn — the caller gives those."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kobling.core import charts
from kobling.rehab.calc import Z95, Z998, funnel_limits

HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 40
POINT, FLAGGED = "#1e5a8c", "#c9282d"
LIMIT_95, LIMIT_998, NATIONAL = "#6b7785", "#9aa5b1", "#1a1a1a"
STEPS = 60


@dataclass(frozen=True)
class UnitPoint:
    label: str
    eligible: int
    rate: float  # percent
    flag: str  # calc.funnel_flag's value; "" inside the limits


def _ceil_to(value: float, step: float) -> float:
    return max(step, math.ceil(value / step) * step)


def funnel(title: str, points: Sequence[UnitPoint], national_rate: float) -> SafeString:
    """``national_rate`` and every point's rate in percent."""
    p = national_rate / 100
    x_max = _ceil_to(max([pt.eligible for pt in points] + [10]) * 1.1, 10)
    x_min = max(1.0, min([pt.eligible for pt in points] + [x_max]) / 2)
    widest = funnel_limits(p, max(1, int(x_min)), Z998)[1] * 100 if 0 < p < 1 else national_rate
    y_max = min(100.0, _ceil_to(max([pt.rate for pt in points] + [widest, national_rate]), 10))
    width, plot_h = charts.WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(n: float) -> float:
        return LEFT + width * n / x_max

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - min(rate, y_max) / y_max)

    parts = [
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{LEFT + width}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y(0):.1f}" stroke="#888"/>',
    ]
    for tick in range(0, int(y_max) + 1, 10 if y_max <= 50 else 20):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#444">{tick} %</text>'
        )
    for i in range(5):
        n = x_max * i / 4
        parts.append(
            f'<text x="{x(n):.1f}" y="{y(0) + 16:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#444">{charts.text(formats.localize(round(n)))}</text>'
        )
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{y(national_rate):.1f}" x2="{x(x_max):.1f}" '
        f'y2="{y(national_rate):.1f}" stroke="{NATIONAL}" stroke-width="2"/>'
    )
    if 0 < p < 1:
        for z, colour, dash in ((Z95, LIMIT_95, "6 3"), (Z998, LIMIT_998, "2 3")):
            ns = [x_min + (x_max - x_min) * i / STEPS for i in range(STEPS + 1)]
            for side in (0, 1):
                line = " ".join(
                    f"{x(n):.1f},{y(funnel_limits(p, n, z)[side] * 100):.1f}" for n in ns
                )
                parts.append(
                    f'<polyline points="{line}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
                )
    for pt in points:
        colour = FLAGGED if pt.flag else POINT
        cx, cy = x(pt.eligible), y(pt.rate)
        if pt.flag:  # a diamond as well as a colour: flagged is not told by colour alone
            parts.append(
                f'<polygon points="{cx:.1f},{cy - 7:.1f} {cx + 7:.1f},{cy:.1f} {cx:.1f},'
                f'{cy + 7:.1f} {cx - 7:.1f},{cy:.1f}" fill="{colour}"/>'
            )
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}"/>')
        parts.append(
            f'<text x="{cx + 9:.1f}" y="{cy + 4:.1f}" font-size="11" fill="#222">'
            f"{charts.text(pt.label)}</text>"
        )
    x_title = charts.text(_("Eligible (persons)"))
    y_title = charts.text(_("Participation (%)"))
    parts.append(
        f'<text x="{LEFT + width / 2:.1f}" y="{HEIGHT - 6}" font-size="12" text-anchor="middle" '
        f'fill="#222">{x_title}</text>'
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
        f'fill="#222" transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{y_title}</text>'
    )
    return charts.chart(title, HEIGHT, parts)
