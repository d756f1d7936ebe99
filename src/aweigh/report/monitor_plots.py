"""Inline SVG plots for the monitoring reports: overlaid bins, lines over time, a
reliability diagram and horizontal bars with interval whiskers.

Each function returns one ``<svg class="plot">`` element with its colours set as
attributes (no stylesheet needed), a ``<title>`` for screen readers and hover tips on
every mark. All text is escaped here, so callers pass raw user strings. Every plot draws
at least one mark of non-zero size when it has data (a browser test checks this).

>>> svg = hbars(["<b>"], [0.5], title="t")
>>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "hbars", "lines", "overlaid_bins", "reliability"]

REFERENCE = "#9db4d3"
CURRENT = "#e4572e"
DRIFTED = "#c0392b"
NORMAL = "#4c78a8"
MUTED = "#c3c8d1"
INK = "#4a5363"
AXIS = "#9aa3b2"
PALETTE = ("#4c78a8", "#e4572e", "#54a24b", "#b279a2", "#f2a541", "#72b7b2", "#9d755d")
_LABEL_CHARS = 28
_ROWS_MAX = 20  # up to this many bins get a labelled row each
_FONT = 'font-family="system-ui,sans-serif" font-size="11"'


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _open(kind: str, title: str, width: float, height: float) -> str:
    label = escape(_short(title, 200))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot plot-{kind}" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} '
        f'{_num(height)}" role="img" aria-label="{label}" {_FONT}><title>{label}</title>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(_short(text))}</text>"
    )


def _legend(items: Sequence[tuple[str, str, bool]], y: float) -> str:
    """Colour swatches with names in one row; the bool draws a dashed swatch."""
    parts, x = [], 4.0
    for name, colour, dashed in items:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(y - 4)}" x2="{_num(x + 16)}" y2="{_num(y - 4)}" '
            f'stroke="{colour}" stroke-width="3"{dash}/>'
        )
        label = _short(name, 24)
        parts.append(_text(x + 20, y, label))
        x += 28 + 6.5 * len(label)
    return "".join(parts)


def overlaid_bins(
    labels: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    title: str,
    width: int = 420,
) -> str:
    """Reference shares as wide pale bars, current shares as narrow bars on top, per bin.

    Up to 20 bins get one labelled row each, with "reference -> current" shares; more get
    columns with the first and last bin named under the axis.
    """
    top = max([*reference, *current, 0.0]) or 1.0
    tips = [
        f"{label}: reference {r:.1%}, current {c:.1%}"
        for label, r, c in zip(labels, reference, current, strict=True)
    ]
    if len(labels) <= _ROWS_MAX:
        row, label_width = 20, width * 0.38
        room = width - label_width - 72
        height = row * max(len(labels), 1) + 24
        parts = [_open("bins", title, width, height)]
        for i, (label, r, c) in enumerate(zip(labels, reference, current, strict=True)):
            y = i * row + 2
            tip = f"<title>{escape(tips[i])}</title>"
            parts.append(
                f'<text x="{_num(label_width - 4)}" y="{y + 14}" text-anchor="end" '
                f'fill="{INK}"><title>{escape(_short(label, 200))}</title>'
                f"{escape(_short(label))}</text>"
                f'<rect x="{_num(label_width)}" y="{y + 2}" width="{_num(max(room * r / top, 1))}"'
                f' height="{row - 4}" fill="{REFERENCE}">{tip}</rect>'
                f'<rect x="{_num(label_width)}" y="{y + 6}" width="{_num(max(room * c / top, 1))}"'
                f' height="{row - 12}" fill="{CURRENT}">{tip}</rect>'
                + _text(label_width + room * max(r, c) / top + 4, y + 14, f"{r:.0%}\u2192{c:.0%}")
            )
        parts.append(
            _legend([("reference", REFERENCE, False), ("current", CURRENT, False)], height - 4)
        )
        parts.append("</svg>")
        return "".join(parts)
    height, plot_height = 170, 124
    step = width / len(labels)
    parts = [_open("bins", title, width, height)]
    for i, (r, c) in enumerate(zip(reference, current, strict=True)):
        x = i * step
        tip = f"<title>{escape(tips[i])}</title>"
        ref_h, cur_h = max(plot_height * r / top, 1.0), max(plot_height * c / top, 1.0)
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(plot_height - ref_h)}" width="{_num(max(step - 1, 1))}"'
            f' height="{_num(ref_h)}" fill="{REFERENCE}">{tip}</rect>'
            f'<rect x="{_num(x + step * 0.25)}" y="{_num(plot_height - cur_h)}" '
            f'width="{_num(max(step * 0.5 - 0.5, 0.5))}" height="{_num(cur_h)}" '
            f'fill="{CURRENT}">{tip}</rect>'
        )
    parts.append(
        f'<line x1="0" y1="{plot_height}" x2="{width}" y2="{plot_height}" stroke="{AXIS}"/>'
        + _text(0, plot_height + 14, labels[0])
        + _text(width, plot_height + 14, labels[-1], anchor="end")
        + _legend([("reference", REFERENCE, False), ("current", CURRENT, False)], height - 4)
        + "</svg>"
    )
    return "".join(parts)


def hbars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    lows: Sequence[float | None] | None = None,
    highs: Sequence[float | None] | None = None,
    colours: Sequence[str] | None = None,
    rule: float | None = None,
    rule_label: str = "",
    scale_max: float | None = None,
    texts: Sequence[str] | None = None,
    width: int = 460,
) -> str:
    """One horizontal bar per label, with an optional (low, high) whisker and a vertical
    rule (a threshold). A missing value draws no bar, only its label and text."""
    row, label_width = 20, width * 0.36
    room = width - label_width - 64
    finite = [v for v in [*values, *(highs or ()), rule] if v is not None and math.isfinite(v)]
    scale = scale_max or max([*finite, 0.0]) or 1.0
    top_pad = 14 if rule is not None else 2
    height = row * max(len(labels), 1) + top_pad + 4

    def x_of(value: float) -> float:
        return label_width + room * min(max(value, 0.0), scale) / scale

    parts = [_open("hbars", title, width, height)]
    for i, label in enumerate(labels):
        y = i * row + top_pad
        value = values[i]
        colour = colours[i] if colours else NORMAL
        text = texts[i] if texts else ("\u2013" if value is None else f"{value:.3g}")
        parts.append(
            f'<text x="{_num(label_width - 4)}" y="{y + 14}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(_short(label, 200))}</title>{escape(_short(label))}</text>"
        )
        end = label_width
        if value is not None and math.isfinite(value):
            length = max(x_of(value) - label_width, 1.0)
            end = label_width + length
            parts.append(
                f'<rect x="{_num(label_width)}" y="{y + 3}" width="{_num(length)}" '
                f'height="{row - 6}" fill="{colour}"><title>{escape(_short(label, 200))}: '
                f"{escape(text)}</title></rect>"
            )
        low = lows[i] if lows else None
        high = highs[i] if highs else None
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            x1, x2, mid = x_of(low), x_of(high), y + row / 2
            end = max(end, x2)
            parts.append(
                f'<path d="M{_num(x1)} {_num(mid)}H{_num(x2)}M{_num(x1)} {_num(mid - 5)}'
                f'V{_num(mid + 5)}M{_num(x2)} {_num(mid - 5)}V{_num(mid + 5)}" '
                f'stroke="{INK}" stroke-width="1.5" fill="none"><title>interval '
                f"{low:.3g} to {high:.3g}</title></path>"
            )
        parts.append(_text(end + 4, y + 14, text))
    if rule is not None and math.isfinite(rule):
        x = x_of(rule)
        parts.append(
            f'<line x1="{_num(x)}" y1="10" x2="{_num(x)}" y2="{_num(height)}" stroke="{INK}" '
            f'stroke-dasharray="3 3"><title>{escape(rule_label)}</title></line>'
            + _text(x, 9, rule_label, anchor="middle")
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    """One line: ``ys[i]`` at ``xs[i]``; a ``None`` breaks the line."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    colour: str = NORMAL
    dashed: bool = False


def lines(
    series: Sequence[Series],
    *,
    title: str,
    x_labels: tuple[str, str],
    y_range: tuple[float, float] | None = None,
    tips: Sequence[Sequence[str]] | None = None,
    width: int = 560,
    height: int = 200,
) -> str:
    """Lines with a dot per point over a shared x axis (time), y ticks at the ends and middle.

    ``x_labels`` name the left and right ends of the x axis; ``tips`` (per series, per
    point) become hover tips on the dots.
    """
    left, right, top, bottom = 44.0, 10.0, 8.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x in s.xs]
    ys = [y for s in series for y in s.ys if y is not None and math.isfinite(y)]
    x_min, x_max = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if y_range is None:
        y_min, y_max = (min(ys), max(ys)) if ys else (0.0, 1.0)
        pad = (y_max - y_min) * 0.1 or abs(y_max) * 0.1 or 1.0
        y_min, y_max = y_min - pad, y_max + pad
    else:
        y_min, y_max = y_range

    def px(x: float) -> float:
        return left + (plot_w * (x - x_min) / (x_max - x_min) if x_max > x_min else plot_w / 2)

    def py(y: float) -> float:
        clipped = min(max(y, y_min), y_max)
        return top + plot_h * (1 - (clipped - y_min) / (y_max - y_min or 1.0))

    parts = [_open("lines", title, width, height)]
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        y = py(tick)
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(width - right)}" y2="{_num(y)}" '
            f'stroke="#e3e7ee"/>' + _text(left - 4, y + 4, f"{tick:.3g}", anchor="end")
        )
    base = top + plot_h
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(base)}" x2="{_num(width - right)}" '
        f'y2="{_num(base)}" stroke="{AXIS}"/>'
        + _text(left, base + 14, x_labels[0])
        + _text(width - right, base + 14, x_labels[1], anchor="end")
    )
    for n, s in enumerate(series):
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        path, pen_down = [], False
        for x, value in zip(s.xs, s.ys, strict=True):
            if value is None or not math.isfinite(value):
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_num(px(x))} {_num(py(value))}")
            pen_down = True
        if path:
            parts.append(
                f'<path d="{"".join(path)}" fill="none" stroke="{s.colour}" stroke-width="2"'
                f"{dash}><title>{escape(_short(s.name, 200))}</title></path>"
            )
        for i, (x, value) in enumerate(zip(s.xs, s.ys, strict=True)):
            if value is None or not math.isfinite(value):
                continue
            tip = tips[n][i] if tips else f"{s.name}: {value:.4g}"
            fill = "#fff" if s.dashed else s.colour
            parts.append(
                f'<circle cx="{_num(px(x))}" cy="{_num(py(value))}" r="3" fill="{fill}" '
                f'stroke="{s.colour}" stroke-width="1.5"><title>{escape(_short(tip, 200))}'
                "</title></circle>"
            )
    parts.append(_legend([(s.name, s.colour, s.dashed) for s in series], height - 4))
    parts.append("</svg>")
    return "".join(parts)


def reliability(
    predicted: Sequence[float],
    observed: Sequence[float],
    counts: Sequence[int],
    *,
    title: str,
    size: int = 240,
) -> str:
    """Observed rate against mean predicted probability per bin, with the diagonal of
    perfect calibration; dot area grows with the bin's count."""
    pad, bottom = 34.0, 30.0
    side = size - pad - 8
    top_count = max(counts, default=0) or 1

    def px(v: float) -> float:
        return pad + side * min(max(v, 0.0), 1.0)

    def py(v: float) -> float:
        return 8 + side * (1 - min(max(v, 0.0), 1.0))

    parts = [_open("reliability", title, size, size + bottom - 8)]
    parts.append(
        f'<rect x="{_num(pad)}" y="8" width="{_num(side)}" height="{_num(side)}" fill="none" '
        f'stroke="{AXIS}"/><line x1="{_num(px(0))}" y1="{_num(py(0))}" x2="{_num(px(1))}" '
        f'y2="{_num(py(1))}" stroke="{AXIS}" stroke-dasharray="4 3"><title>perfect '
        "calibration</title></line>"
        + _text(pad, 8 + side + 13, "0")
        + _text(pad + side, 8 + side + 13, "1", anchor="end")
        + _text(pad - 4, 8 + side, "0", anchor="end")
        + _text(pad - 4, 16, "1", anchor="end")
        + _text(pad + side / 2, 8 + side + 26, "mean predicted", anchor="middle")
        + f'<text x="12" y="{_num(8 + side / 2)}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 12 {_num(8 + side / 2)})">observed</text>'
    )
    points = [
        (p, o, c)
        for p, o, c in zip(predicted, observed, counts, strict=True)
        if c and math.isfinite(p) and math.isfinite(o)
    ]
    if points:
        path = "".join(
            f"{'L' if i else 'M'}{_num(px(p))} {_num(py(o))}" for i, (p, o, _) in enumerate(points)
        )
        parts.append(f'<path d="{path}" fill="none" stroke="{NORMAL}" stroke-width="2"/>')
    for p, o, c in points:
        radius = 2.5 + 4.5 * math.sqrt(c / top_count)
        parts.append(
            f'<circle cx="{_num(px(p))}" cy="{_num(py(o))}" r="{_num(radius)}" '
            f'fill="{NORMAL}" fill-opacity="0.75"><title>predicted {p:.3f}, observed '
            f"{o:.3f}, {c:,} rows</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
