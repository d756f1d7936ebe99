"""The page shell and cell formatting shared by the monitoring reports.

One stylesheet, a Content-Security-Policy that allows no script and no fetch (the page
opens offline and a hostile string cannot run), and small helpers that escape every
value they print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from aweigh.core.errors import InvalidInputError

__all__ = ["as_float", "figure", "fmt", "need_mapping", "page", "pct", "stamp", "text", "wide"]

_TEXT_CHARS = 80
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2430}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{margin-top:2rem;font-size:1.25rem}
h3{margin:0 0 .3rem;font-size:1.05rem;word-break:break-all}
.sub{color:#5b6575;margin:0 0 1.2rem}
table{border-collapse:collapse;margin:.4rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e7ee;text-align:right;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td{white-space:nowrap}
td.name,th.name,td.text,th.text{text-align:left;white-space:normal;overflow-wrap:break-word;
min-width:5rem;max-width:30rem}
td.reason{min-width:18rem}.wide{overflow-x:auto;max-width:100%}
table.kv th{text-align:left}
tr.bad td{background:#fdf1f0}
.summary{border-left:4px solid #4c78a8;background:#f3f6fb;padding:.6rem .9rem;margin:.8rem 0}
.summary.alarm{border-left-color:#c0392b;background:#fdf1f0}
.summary ul{margin:.3rem 0 0;padding-left:1.2rem}
.tag{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;
background:#e8edf5;color:#33415c}
.tag.bad{background:#fde2e1;color:#8a1c1c}.tag.ok{background:#e3f4e1;color:#1f5d1a}
.tag.muted{background:#eef0f3;color:#6b7483}
section.card{border:1px solid #e3e7ee;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
section.card.bad{border-color:#e8a39b}
.grid{display:grid;grid-template-columns:auto minmax(0,1fr);gap:1rem;align-items:start}
.plots{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}
figure.figure{margin:.3rem 0}figure.figure figcaption{font-size:.85rem;font-weight:600;
color:#4a5363;margin:0 0 .25rem}
.muted{color:#7b8493}
"""


def text(value: Any, limit: int = _TEXT_CHARS) -> str:
    """``value`` as escaped text, cut to ``limit`` characters."""
    out = str(value)
    if len(out) > limit:
        out = out[: limit - 1] + "\u2026"
    return escape(out)


def as_float(value: Any) -> float | None:
    """A finite number as float, anything else (None, NaN, text, bool) as None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: numbers to ``digits`` significant digits, None as a dash, text escaped."""
    if value is None:
        return '<span class="muted">\u2013</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return '<span class="muted">\u2013</span>'
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return escape(f"{value:.{digits}g}")
    return text(value)


def pct(share: Any) -> str:
    """A share in [0, 1] as a percentage cell."""
    number = as_float(share)
    if number is None:
        return fmt(None)
    if 0 < number < 0.001:
        return "&lt;0.1%"
    return f"{number * 100:.1f}%"


def stamp(value: Any) -> str:
    """An ISO 8601 time as ``2026-11-29 14:00`` (in UTC); anything else as escaped text."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return text(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M")
    return fmt(value)


def figure(caption: str, svg: str) -> str:
    """A plot with a visible caption above it."""
    return f'<figure class="figure"><figcaption>{text(caption, 200)}</figcaption>{svg}</figure>'


def wide(table: str) -> str:
    """A table that scrolls sideways instead of squeezing its columns."""
    return f'<div class="wide">{table}</div>'


def need_mapping(value: Any, what: str, fix: str) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an ``InvalidInputError`` saying what was expected."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must be a JSON object; {fix}. Got {type(value).__name__}.")
    return value


def page(title: str, subtitle: str, body: Sequence[str]) -> str:
    """A complete, self-contained HTML document around ``body`` parts."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(title, 200)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{text(title, 200)}</h1><p class='sub'>{text(subtitle, 200)}</p>",
        *body,
        "</body></html>",
    ]
    return "\n".join(parts)
