"""The data viewer's column-header charts: small inline SVGs (no script, no ``style``), with the
numbers in the reader's language in their ``<title>``/``<desc>`` (``charts.py`` draws the large
profile charts of the library page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

WIDTH = 120
HEIGHT = 36
_SVG = (
    f'<svg class="mini-chart" role="img" translate="no" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
    f'height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
)


def mini_histogram(histogram: dict[str, list[Any]], title: str, number: Callable[[Any], str]) -> Markup:
    """Bars of ``counts`` over ``edges``; ``number`` formats the edges and counts."""
    counts = [int(c) for c in histogram.get("counts") or []]
    edges = list(histogram.get("edges") or [])
    if not counts or not any(counts):
        return Markup("")
    top = max(counts)
    width = WIDTH / len(counts)
    bars = []
    spans = []
    for i, count in enumerate(counts):
        low = number(edges[i]) if i < len(edges) else ""
        high = number(edges[i + 1]) if i + 1 < len(edges) else ""
        height = round(count / top * (HEIGHT - 2), 1) if count else 0
        spans.append(f"{low}–{high}: {number(count)}")
        if count:
            bars.append(
                f'<rect class="bar" x="{i * width:.1f}" y="{HEIGHT - height:.1f}" '
                f'width="{max(width - 1, 1):.1f}" height="{height}"></rect>'
            )
    return Markup(  # noqa: S704 - every interpolated value is escaped or a number
        f"{_SVG}<title>{escape(title)}</title><desc>{escape('; '.join(spans))}</desc>{''.join(bars)}</svg>"
    )


def mini_top_values(values: list[dict[str, Any]], title: str, number: Callable[[Any], str]) -> Markup:
    """One stacked bar of the most frequent values (their shares of the counted rows)."""
    rows = [(str(v.get("value")), int(v.get("count") or 0)) for v in values[:10]]
    total = sum(count for _, count in rows)
    if not rows or total == 0:
        return Markup("")
    parts = []
    x = 0.0
    for i, (value, count) in enumerate(rows):
        width = count / total * WIDTH
        parts.append(
            f'<rect class="bar shade-{i % 2}" x="{x:.1f}" y="8" '
            f'width="{max(width - 1, 0.5):.1f}" height="20">'
            f"<title>{escape(value)}: {escape(number(count))}</title></rect>"
        )
        x += width
    desc = "; ".join(f"{value}: {number(count)}" for value, count in rows)
    return Markup(  # noqa: S704 - every interpolated value is escaped or a number
        f"{_SVG}<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )
