"""Profile charts drawn on the server as inline SVG (no script, no external library).

Only SVG presentation attributes are used (no ``style``), so the pages keep a strict CSP. Every
chart carries a text alternative: a ``<title>`` and the numbers themselves in ``<desc>``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

WIDTH = 320
BAR_HEIGHT = 16
GAP = 4


def _number(value: Any) -> str:
    """Digits grouped by a narrow no-break space, never scientific notation (``1.49e+07`` read
    as nonsense to most readers): ``14 901 641``, ``1 044 524.9``, ``0.25``."""
    if isinstance(value, float):
        if value.is_integer() or abs(value) >= 1000:
            return f"{value:,.0f}".replace(",", "\u202f")
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", "\u202f")
    return str(value)


def _edge(edges: list[Any], i: int) -> str:
    return _number(edges[i]) if i < len(edges) else ""


def histogram_svg(histogram: dict[str, Any], title: str) -> Markup:
    """Vertical bars over ``edges`` with ``counts`` (the pipeline's profile histogram)."""
    counts = [int(c) for c in histogram.get("counts") or []]
    edges = list(histogram.get("edges") or [])
    if not counts:
        return Markup("")
    height = 120
    top = max(counts) or 1
    width = WIDTH / len(counts)
    bars = []
    for i, count in enumerate(counts):
        bar_height = round(count / top * (height - 20), 1)
        low = _number(edges[i]) if i < len(edges) else ""
        high = _number(edges[i + 1]) if i + 1 < len(edges) else ""
        bars.append(
            f'<rect class="bar" x="{i * width + 1:.1f}" y="{height - 15 - bar_height:.1f}" '
            f'width="{max(width - 2, 1):.1f}" height="{bar_height}">'
            f"<title>{escape(low)}–{escape(high)}: {count}</title></rect>"
        )
    first = escape(_number(edges[0])) if edges else ""
    last = escape(_number(edges[-1])) if edges else ""
    desc = "; ".join(f"{_edge(edges, i)}–{_edge(edges, i + 1)}: {c}" for i, c in enumerate(counts))
    return Markup(  # noqa: S704 - every interpolated value is escaped or a number
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        f"{''.join(bars)}"
        f'<text x="0" y="{height - 2}">{first}</text>'
        f'<text x="{WIDTH}" y="{height - 2}" text-anchor="end">{last}</text></svg>'
    )


def top_values_svg(values: list[dict[str, Any]], title: str) -> Markup:
    """Horizontal bars of the most frequent values with their counts."""
    rows = [(str(v.get("value")), int(v.get("count") or 0)) for v in values[:10]]
    if not rows:
        return Markup("")
    top = max(count for _, count in rows) or 1
    label_width = 120
    height = len(rows) * (BAR_HEIGHT + GAP)
    parts = []
    for i, (value, count) in enumerate(rows):
        y = i * (BAR_HEIGHT + GAP)
        shown = value if len(value) <= 18 else value[:17] + "…"
        bar = round(count / top * (WIDTH - label_width - 50), 1)
        parts.append(
            f'<text x="{label_width - 4}" y="{y + 12}" text-anchor="end">{escape(shown)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{max(bar, 1)}" height="{BAR_HEIGHT}"></rect>'
            f'<text x="{label_width + bar + 4}" y="{y + 12}">{count}</text>'
        )
    desc = "; ".join(f"{value}: {count}" for value, count in rows)
    return Markup(  # noqa: S704 - every interpolated value is escaped or a number
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        f"{''.join(parts)}</svg>"
    )
