"""Tiny inline SVG charts: a histogram and horizontal bars. No JavaScript, no fonts to fetch.

Every piece of text is escaped here, so callers may pass raw user strings.

>>> svg = bars(["a", "<b>"], [3, 1])
>>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bars", "histogram"]

_LABEL_CHARS = 28


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def histogram(
    counts: Sequence[int],
    *,
    low: str,
    high: str,
    title: str,
    tips: Sequence[str] | None = None,
    width: int = 360,
    height: int = 120,
) -> str:
    """Vertical bars of equal width for ``counts``; ``low`` and ``high`` label the axis ends.

    ``tips`` (one per bar) become hover tooltips; the count is the default.
    """
    top = max(counts, default=0) or 1
    plot_height = height - 18
    step = width / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_short(title, 200))}">',
        f"<title>{escape(_short(title, 200))}</title>",
    ]
    for i, count in enumerate(counts):
        if not count:
            continue
        bar = max(plot_height * count / top, 1.0)
        parts.append(
            f'<rect x="{_num(i * step)}" y="{_num(plot_height - bar)}" '
            f'width="{_num(max(step - 1, 0.5))}" height="{_num(bar)}">'
            f"<title>{escape(_short(tips[i], 200)) if tips else f'{count:,}'}</title></rect>"
        )
    parts.append(
        f'<line x1="0" y1="{plot_height}" x2="{width}" y2="{plot_height}" class="axis"/>'
        f'<text x="0" y="{height - 4}">{escape(_short(low))}</text>'
        f'<text x="{width}" y="{height - 4}" text-anchor="end">{escape(_short(high))}</text>'
        "</svg>"
    )
    return "".join(parts)


def bars(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str = "top values",
    width: int = 360,
) -> str:
    """One horizontal bar per label, longest first as given, with its count."""
    row = 18
    height = row * max(len(labels), 1) + 4
    label_width = width * 0.45
    room = width - label_width - 60
    top = max(counts, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_short(title, 200))}">',
        f"<title>{escape(_short(title, 200))}</title>",
    ]
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y = i * row + 2
        length = max(room * count / top, 1.0)
        parts.append(
            f'<text x="{_num(label_width - 4)}" y="{y + 13}" text-anchor="end">'
            f"<title>{escape(_short(label, 200))}</title>{escape(_short(label))}</text>"
            f'<rect x="{_num(label_width)}" y="{y + 2}" width="{_num(length)}" height="{row - 4}"/>'
            f'<text x="{_num(label_width + length + 4)}" y="{y + 13}">{count:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
