"""Server-rendered inline SVG charts (CSP-safe: no inline styles, no scripts; presentation
attributes only), shared by every app that draws one (dashboards, quality, workplace, the rehabilitation register's funnel plot). Each
function takes already-suppressed cells: a suppressed or missing value is drawn as a gap, never
as a bar of its true height. Every text is escaped; :func:`svg_open` starts a chart so an app's
own chart (the workplace's scale progress) is drawn the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR = "#1e5a8c"
MUTED = "#9aa5b1"
COLOURS = ("#1e5a8c", "#c0392b", "#2e7d32", "#8e44ad", "#d35400", "#555555")


def svg_open(title: str, width: int, height: float) -> str:
    """The opening of a chart: an accessible, titled ``<svg>`` (close it with ``</svg>``)."""
    return (
        f'<svg class="k-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )


def close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text is escaped by its drawer


def chart(title: str, height: float, parts: list[str], *, width: int = WIDTH) -> SafeString:
    """``parts`` (SVG elements whose texts the caller escaped, e.g. with :func:`text`) in a chart
    of ``width`` × ``height`` user units that scales to its container, titled ``title``."""
    return close([svg_open(title, width, height), *parts])


def text(value: object) -> str:
    """A text for inside a chart, escaped."""
    return escape(str(value))


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
    parts = [svg_open(title, WIDTH, height)]
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
    return close(parts)


def columns(title: str, labels: Sequence[str], values: Sequence[Any]) -> SafeString:
    """Vertical columns over time (months)."""
    height, bottom, top_pad, left = 200, 24, 18, 10
    n = max(len(labels), 1)
    step = (WIDTH - 2 * left) / n
    top = max([_num(v) or 0 for v in values] + [1])
    plot = height - bottom - top_pad
    parts = [
        svg_open(title, WIDTH, height),
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
    return close(parts)


def lines_over_time(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]]
) -> SafeString:
    """Several counts over time (quarters), one line each, with a legend. A missing or
    suppressed cell breaks the line (no point is drawn at a made-up height)."""
    plot_height, left, right, top_pad, bottom = 260, 34, 16, 14, 30
    top = max([_num(v) or 0 for _name, values in series for v in values] + [1])
    n = max(len(labels), 1)
    step = (WIDTH - left - right) / n
    height = plot_height + 18 * len(series)
    plot = plot_height - top_pad - bottom

    def y(value: float) -> float:
        return top_pad + plot * (1 - value / top)

    parts = [
        svg_open(title, WIDTH, height),
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{WIDTH - right}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" font-size="11" text-anchor="end" fill="#444">'
        f"{_label(top if top != int(top) else int(top))}</text>",
    ]
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + step * (i + 0.5):.1f}" y="{plot_height - 10}" font-size="10" '
            f'text-anchor="middle" fill="#444">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            v = _num(value)
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{left + step * (i + 0.5):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) == 1:
                x, yy = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{yy}" r="3" fill="{colour}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"/>'
                )
        ly = plot_height + 14 * k + 4
        parts.append(
            f'<rect x="{left}" y="{ly}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + 18}" y="{ly + 6}" font-size="11" fill="#222">{escape(name)}</text>'
        )
    return close(parts)
