"""A data quality profile as one self-contained HTML page.

The page has inline CSS and inline SVG charts (a histogram per number or datetime
column, bars of the top values per categorical column), no JavaScript and no links to
fetch, so it opens offline; a Content-Security-Policy forbids scripts as a second guard.
Every string that comes from the data (title, column names, values, types) is escaped.

The renderer reads plain data: a profile object's ``to_dict()`` or that dictionary
loaded from JSON (it uses its ``summary`` part), so it needs nothing from the module
that computed the profile.

>>> page = render_profile_html({"summary": {"rows": 0, "columns": 0,
...     "column_profiles": []}}, title="<empty>")
>>> page.startswith("<!doctype html>") and "&lt;empty&gt;" in page
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.report import _svg

__all__ = ["render_profile_html"]

_TOP_SHOWN = 10
_TEXT_CHARS = 80
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2430}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{margin-top:2rem;font-size:1.2rem}
h3{margin:0 0 .3rem;font-size:1.05rem;word-break:break-all}
.sub{color:#5b6575;margin:0 0 1.2rem}
table{border-collapse:collapse;margin:.4rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e7ee;text-align:right;vertical-align:top}
th{background:#f4f6f9;font-weight:600}
td.name,th.name,td.text{text-align:left;word-break:break-all;max-width:28rem}
table.kv th{text-align:left}
.flag{display:inline-block;padding:0 .4rem;margin:0 .15rem .1rem 0;border-radius:.6rem;
font-size:.8rem;background:#e8edf5;color:#33415c}
.flag-leakage,.flag-all_missing,.flag-constant,.flag-invalid{background:#fde2e1;color:#8a1c1c}
.flag-near_constant,.flag-outliers,.flag-non_finite,.flag-missing{background:#fff1d6;color:#7a4b00}
.warn{border-left:4px solid #c0392b;background:#fdf1f0;padding:.5rem .8rem;margin:.8rem 0}
section.column{border:1px solid #e3e7ee;border-radius:6px;padding:.8rem 1rem;margin:1rem 0;
display:grid;grid-template-columns:380px 1fr;gap:1rem}
.chart rect{fill:#4c78a8}.chart text{font-size:11px;fill:#4a5363}
.chart line.axis{stroke:#9aa3b2}
.muted{color:#7b8493}
"""


def _data(profile: Any) -> Mapping[str, Any]:
    if callable(getattr(profile, "summary", None)):
        data: Any = {"summary": profile.summary()}  # skips serialising the sketches
    else:
        data = profile
    if not isinstance(data, Mapping) or not isinstance(data.get("summary"), Mapping):
        raise InvalidInputError(
            "render_profile_html needs a Profile or the dictionary of Profile.to_dict() "
            f"(with its 'summary'). Got {type(profile).__name__} instead."
        )
    summary: Mapping[str, Any] = data["summary"]
    if not isinstance(summary.get("column_profiles"), list):
        raise InvalidInputError("The profile summary needs a 'column_profiles' list.")
    return summary


def _text(value: Any, limit: int = _TEXT_CHARS) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return escape(text)


def _fmt(value: Any) -> str:
    if value is None:
        return '<span class="muted">\u2013</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return escape(f"{value:.4g}")
    return _text(value)


def _pct(share: Any) -> str:
    if not isinstance(share, int | float) or isinstance(share, bool):
        return _fmt(None)
    if 0 < share < 0.001:
        return "&lt;0.1%"
    return f"{share * 100:.1f}%"


def _flags(flags: Any) -> str:
    if not isinstance(flags, list):
        return ""
    return "".join(
        f'<span class="flag flag-{escape(str(f))}">{escape(str(f).replace("_", " "))}</span>'
        for f in flags
    )


def _edge(value: float, kind: str) -> str:
    if kind == "datetime":
        try:
            return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M")
        except (OverflowError, OSError, ValueError):
            pass
    return f"{value:.4g}"


def _chart(column: Mapping[str, Any]) -> str:
    kind = str(column.get("kind", ""))
    name = str(column.get("name", ""))
    histogram = column.get("histogram")
    if isinstance(histogram, Mapping) and histogram.get("counts"):
        counts = [int(c) for c in histogram["counts"]]
        low, high = float(histogram["low"]), float(histogram["high"])
        width = (high - low) / len(counts)
        tips = [
            f"[{_edge(low + i * width, kind)}, {_edge(low + (i + 1) * width, kind)}): {c:,}"
            for i, c in enumerate(counts)
        ]
        return _svg.histogram(
            counts,
            low=_edge(low, kind),
            high=_edge(high, kind),
            title=f"histogram of {name}",
            tips=tips,
        )
    top = column.get("top") or []
    if top:
        shown = top[:_TOP_SHOWN]
        return _svg.bars(
            [str(value) for value, _ in shown],
            [int(count) for _, count in shown],
            title=f"most frequent values of {name}",
        )
    return '<p class="muted">no values to plot</p>'


def _overview(summary: Mapping[str, Any]) -> list[str]:
    rows = [
        ("Rows", _fmt(summary.get("rows"))),
        ("Columns", _fmt(summary.get("columns"))),
    ]
    duplicates = summary.get("duplicates")
    if duplicates is not None:
        prefix = "" if summary.get("duplicates_exact", True) else "at least "
        share = _pct(summary.get("duplicate_share"))
        rows.append(("Duplicate rows", f"{prefix}{_fmt(duplicates)} ({share})"))
    if summary.get("label") is not None:
        rows.append(("Label", _text(summary["label"])))
    out = ['<table class="kv">']
    out += [f"<tr><th>{k}</th><td class='text'>{v}</td></tr>" for k, v in rows]
    out.append("</table>")
    balance = summary.get("label_balance")
    if isinstance(balance, list) and balance:
        out.append("<h2>Label balance</h2>")
        shares = [(str(value), float(share)) for value, share in balance]
        out.append(
            _svg.bars(
                [f"{value} ({share * 100:.1f}%)" for value, share in shares],
                [round(share * 10_000) for _, share in shares],
                title="label balance (shares in basis points)",
            )
        )
    suspects = summary.get("leakage_suspects") or []
    if suspects:
        names = ", ".join(f"<b>{_text(n)}</b>" for n in suspects)
        out.append(
            f'<div class="warn">Possible label leakage: {names} alone predict the label '
            "almost perfectly. Check that they are known at prediction time.</div>"
        )
    return out


def _table(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    head = (
        "<tr><th>#</th><th class='name'>column</th><th>kind</th><th>missing</th>"
        "<th>distinct</th><th>min</th><th>max</th><th>mean</th><th>std</th><th>median</th>"
        "<th>outliers</th><th>leakage</th><th class='name'>flags</th></tr>"
    )
    out = ["<table class='stats'>", head]
    for i, column in enumerate(columns):
        distinct = _fmt(column.get("distinct"))
        if not column.get("distinct_exact", True):
            distinct = "\u2248" + distinct
        outliers = column.get("outliers")
        median = (column.get("quantiles") or {}).get("p50")
        leakage = column.get("leakage")
        out.append(
            f"<tr><td>{i + 1}</td>"
            f"<td class='name'><a href='#col-{i}'>{_text(column.get('name'))}</a></td>"
            f"<td>{_text(column.get('kind'))}</td><td>{_pct(column.get('missing_share'))}</td>"
            f"<td>{distinct}</td><td>{_fmt(column.get('min'))}</td>"
            f"<td>{_fmt(column.get('max'))}</td><td>{_fmt(column.get('mean'))}</td>"
            f"<td>{_fmt(column.get('std'))}</td><td>{_fmt(median)}</td>"
            f"<td>{_pct(outliers.get('share')) if isinstance(outliers, Mapping) else _fmt(None)}"
            f"</td><td>{_fmt(None) if leakage is None else f'{float(leakage):.2f}'}</td>"
            f"<td class='name'>{_flags(column.get('flags'))}</td></tr>"
        )
    out.append("</table>")
    return out


def _chart_or_refuse(column: Mapping[str, Any]) -> str:
    try:
        return _chart(column)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
        raise InvalidInputError(
            f"The profile summary of column {str(column.get('name'))[:80]!r} has a malformed "
            f"histogram or top values ({exc!r}); render the output of Profile.to_dict()."
        ) from exc


def _section(i: int, column: Mapping[str, Any]) -> str:
    facts = [
        ("kind", _text(column.get("kind"))),
        ("type", _text(column.get("dtype"))),
        ("rows", _fmt(column.get("rows"))),
        ("missing", f"{_fmt(column.get('missing'))} ({_pct(column.get('missing_share'))})"),
    ]
    if column.get("invalid"):
        facts.append(("invalid", _fmt(column.get("invalid"))))
    if column.get("non_finite"):
        facts.append(("\u00b1inf", _fmt(column.get("non_finite"))))
    quantiles = column.get("quantiles") or {}
    facts += [(key, _fmt(value)) for key, value in quantiles.items()]
    outliers = column.get("outliers")
    if isinstance(outliers, Mapping):
        fences = f"outside [{_fmt(outliers.get('low'))}, {_fmt(outliers.get('high'))}]"
        facts.append(("IQR outliers", f"{_fmt(outliers.get('count'))} {fences}"))
    length = column.get("length")
    if isinstance(length, Mapping):
        facts.append(("length", f"{_fmt(length.get('min'))} to {_fmt(length.get('max'))}"))
    top = column.get("top") or []
    if top and column.get("kind") in ("categorical", "boolean"):
        exact = "" if column.get("top_exact", True) else " (at least)"
        facts += [
            (f"#{n + 1}", f"{_text(value)}: {_fmt(count)}{exact}")
            for n, (value, count) in enumerate(top[:_TOP_SHOWN])
        ]
    rows = "".join(f"<tr><th>{k}</th><td class='text'>{v}</td></tr>" for k, v in facts)
    return (
        f'<section class="column" id="col-{i}"><div><h3>{_text(column.get("name"), 200)}</h3>'
        f"<div>{_flags(column.get('flags'))}</div>{_chart_or_refuse(column)}</div>"
        f'<table class="kv">{rows}</table></section>'
    )


def render_profile_html(profile: Any, *, title: str) -> str:
    """One HTML page for a profile: overview, a stats table with flags, a plot per column."""
    summary = _data(profile)
    columns = [c for c in summary["column_profiles"] if isinstance(c, Mapping)]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title, 200)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_text(title, 200)}</h1><p class='sub'>aweigh data quality profile</p>",
        *_overview(summary),
        "<h2>Columns</h2>",
        *_table(columns),
        "<h2>Distributions</h2>",
        *(_section(i, column) for i, column in enumerate(columns)),
        "</body></html>",
    ]
    return "\n".join(parts)
