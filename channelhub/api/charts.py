"""Server-rendered SVG charts for the console's analytics pages: series in, SVG text out.

Pure functions (no I/O, no template), so a page embeds the string inline and a test parses
it. No chart library is vendored: the console needs two chart kinds (lines over time, bars
per group) with axes and labels, which is less code than adapting a JavaScript library to
render without a browser. Every label is XML-escaped; colours come from a fixed palette so
the same group keeps its colour on every page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 56, 120, 28, 40


def _nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 x a power of ten at or above ``value`` (1 when all zero)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _frame(width: int, height: int, title: str, top: float) -> list[str]:
    plot_h = height - _PAD_TOP - _PAD_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f'<text x="{_PAD_LEFT}" y="16" font-size="13" font-family="sans-serif">'
        f"{escape(title)}</text>",
    ]
    for i in range(5):  # horizontal grid with its values
        y = _PAD_TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(
            f'<line x1="{_PAD_LEFT}" y1="{y:.1f}" x2="{width - _PAD_RIGHT}" y2="{y:.1f}" '
            f'stroke="#ddd"/><text x="{_PAD_LEFT - 6}" y="{y + 4:.1f}" font-size="10" '
            f'text-anchor="end" font-family="sans-serif">{value:g}</text>'
        )
    return parts


def _legend(parts: list[str], names: Sequence[str], width: int) -> None:
    for i, name in enumerate(names):
        y = _PAD_TOP + 14 * i
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{width - _PAD_RIGHT + 8}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{width - _PAD_RIGHT + 22}" y="{y + 9}" font-size="10" '
            f'font-family="sans-serif">{escape(name)}</text>'
        )


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    width: int = 720,
    height: int = 280,
) -> str:
    """One polyline per series over the shared x ``labels`` (e.g. days); y from 0."""
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    plot_w = width - _PAD_LEFT - _PAD_RIGHT
    plot_h = height - _PAD_TOP - _PAD_BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    parts = _frame(width, height, title, top)
    every = max(1, len(labels) // 8)  # at most about 8 x labels
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{_PAD_LEFT + i * step:.1f}" y="{height - _PAD_BOTTOM + 16}" '
                f'font-size="10" text-anchor="middle" font-family="sans-serif">'
                f"{escape(label)}</text>"
            )
    for index, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{_PAD_LEFT + i * step:.1f},{_PAD_TOP + plot_h * (1 - v / top):.1f}"
            for i, v in enumerate(values)
        )
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
    _legend(parts, list(series), width)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Mapping[str, float], *, title: str, width: int = 720, height: int = 280) -> str:
    """One vertical bar per group (e.g. units per warehouse), in the order given."""
    top = _nice_max(max(bars.values(), default=0))
    plot_w = width - _PAD_LEFT - _PAD_RIGHT
    plot_h = height - _PAD_TOP - _PAD_BOTTOM
    slot = plot_w / max(len(bars), 1)
    parts = _frame(width, height, title, top)
    for i, (name, value) in enumerate(bars.items()):
        h = plot_h * max(value, 0) / top
        x = _PAD_LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{_PAD_TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(name)}: {value:g}</title>'
            f'</rect><text x="{x + slot * 0.35:.1f}" y="{height - _PAD_BOTTOM + 16}" '
            f'font-size="10" text-anchor="middle" font-family="sans-serif">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
