"""The frame every server-rendered chart shares: an inline ``<svg>`` that is CSP-safe (no inline
styles, no scripts; presentation attributes only), with its title for screen readers, and the
rule that every text in it is escaped. The dashboards', the workplace's and the rehabilitation
register's charts draw inside it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640


def chart(title: str, height: float, parts: Iterable[str], *, width: int = WIDTH) -> SafeString:
    """``parts`` (SVG elements whose texts the caller escaped with :func:`text`) in a chart of
    ``width`` × ``height`` user units that scales to its container, titled ``title``."""
    head = (
        f'<svg class="k-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height:g}" width="100%" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 — every text is escaped


def text(value: object) -> str:
    """A text for inside a chart, escaped."""
    return escape(str(value))
