"""The drift part of a monitoring report, from ``DriftReport.to_dict()``.

A summary that names every drifted column (a report never hides one behind a share), an
overview plot of each column's effect against its threshold, the table of results
sorted by how far each effect is past its threshold, and per column the reference and
current distributions overlaid (from the result's ``detail`` bins).

Results are ranked by ``effect / threshold`` rather than by the raw effect: methods
measure effects on different scales (a KS distance, a PSI, a normalised Wasserstein), and
the ratio to each one's own threshold (the result's margin, with the effect less its
sketch error as the decision uses it) is what makes them comparable. Drifted columns
always come first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.report import monitor_plots as plots
from aweigh.report.monitor_page import as_float, figure, fmt, need_mapping, page, text, wide

__all__ = ["drift_sections", "render_drift_html"]

#: the ``column`` of results about all features together (a domain classifier, PCA)
MULTIVARIATE = "*"
_OVERVIEW_MAX = 40  # non-drifted columns shown in the overview plot (all drifted ones are)
_FIX = "pass DriftReport.to_dict() (or that JSON loaded back)"


def _results(report: Any) -> list[Mapping[str, Any]]:
    data = need_mapping(report, "The drift report", _FIX)
    results = data.get("results")
    if not isinstance(results, list):
        raise InvalidInputError(f"The drift report has no 'results' list; {_FIX}.")
    for i, item in enumerate(results):
        if not isinstance(item, Mapping) or "column" not in item:
            raise InvalidInputError(
                f"Drift result #{i + 1} is not an object with a 'column'; {_FIX}."
            )
    return results


def _ratio(result: Mapping[str, Any]) -> float:
    """The result's margin: ``(effect - approx_error) / threshold``, above 1 when drifted."""
    effect, threshold = as_float(result.get("effect")), as_float(result.get("threshold"))
    if effect is None:
        return -math.inf
    effect -= as_float(result.get("approx_error")) or 0.0
    if threshold is None or threshold <= 0:
        return effect
    return effect / threshold


def ranked(results: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drifted first, then by effect relative to its threshold, largest first."""
    return sorted(results, key=lambda r: (not r.get("drifted"), -_ratio(r)))


def _label(result: Mapping[str, Any]) -> str:
    column = str(result.get("column"))
    kind = result.get("kind")
    if column == MULTIVARIATE:
        return f"all features ({str(result.get('method', kind)).replace('_', ' ')})"
    return f"{column} ({kind})" if kind in ("prediction", "label") else column


def _bin_label(item: Mapping[str, Any], i: int) -> str:
    for key in ("label", "bin", "category", "value", "name"):
        if key in item:
            return str(item[key])
    low, high = item.get("low"), item.get("high")
    if low is not None or high is not None:
        return f"[{fmt(low)}, {fmt(high)})"
    return f"bin {i + 1}"


def _share(item: Mapping[str, Any], side: str) -> float | None:
    for key in (side, f"{side}_share", side[:3]):
        if key in item:
            return as_float(item[key])
    return None


def _edges_labels(edges: Sequence[Any], count: int) -> list[str] | None:
    numbers = [as_float(e) for e in edges]
    if len(numbers) != count + 1 or any(n is None for n in numbers):
        return None
    return [f"[{numbers[i]:.4g}, {numbers[i + 1]:.4g})" for i in range(count)]


def bins_of(detail: Any) -> tuple[list[str], list[float], list[float]] | None:
    """(labels, reference shares, current shares) from a result's ``detail``, or None.

    Accepts a list of bin objects (``{"label", "reference", "current"}``) under ``bins``,
    or parallel lists ``reference``/``current`` named by ``labels``/``categories``/``bins``
    or delimited by ``edges``.
    """
    if not isinstance(detail, Mapping):
        return None
    items = detail.get("bins")
    if isinstance(items, list) and items and all(isinstance(b, Mapping) for b in items):
        labels = [_bin_label(b, i) for i, b in enumerate(items)]
        ref = [_share(b, "reference") for b in items]
        cur = [_share(b, "current") for b in items]
    else:
        ref_raw, cur_raw = detail.get("reference"), detail.get("current")
        if not isinstance(ref_raw, list) or not isinstance(cur_raw, list):
            return None
        if len(ref_raw) != len(cur_raw) or not ref_raw:
            return None
        ref, cur = [as_float(v) for v in ref_raw], [as_float(v) for v in cur_raw]
        named = next(
            (
                detail[k]
                for k in ("labels", "categories", "bins")
                if isinstance(detail.get(k), list)
            ),
            None,
        )
        if named is not None and len(named) == len(ref):
            labels = [str(v) for v in named]
        elif isinstance(detail.get("edges"), list):
            labels = _edges_labels(detail["edges"], len(ref)) or []
        else:
            labels = [f"bin {i + 1}" for i in range(len(ref))]
        if len(labels) != len(ref):
            return None
    if any(v is None for v in ref) or any(v is None for v in cur):
        return None
    return labels, [float(v or 0.0) for v in ref], [float(v or 0.0) for v in cur]


def _summary(results: Sequence[Mapping[str, Any]], data: Mapping[str, Any]) -> str:
    names = []
    for r in results:
        if r.get("drifted") and r.get("column") != MULTIVARIATE and str(r["column"]) not in names:
            names.append(str(r["column"]))
    for name in data.get("drifted") or []:  # the report's own list, in case it holds more
        if str(name) not in names and name != MULTIVARIATE:
            names.append(str(name))
    together = [_label(r) for r in results if r.get("drifted") and r.get("column") == MULTIVARIATE]
    columns = data.get("columns")
    if isinstance(columns, list):
        checked = len(columns)
    else:
        checked = len({str(r.get("column")) for r in results} - {MULTIVARIATE})
    rows = f"{fmt(data.get('n_reference'))} reference rows, {fmt(data.get('n_current'))} current"
    also = "".join(f"<li class='drifted-check'>{text(t, 200)}</li>" for t in together)
    if not names and not together:
        return (
            f'<div class="summary" id="drift-summary"><b>No drift</b> in {checked} columns '
            f"checked ({rows}).</div>"
        )
    items = "".join(f'<li class="drifted-column">{text(n, 200)}</li>' for n in names)
    return (
        f'<div class="summary alarm" id="drift-summary"><b>{len(names)} of {checked} '
        f"columns drifted</b> ({rows}):<ul>{items}{also}</ul></div>"
    )


def _overview(results: Sequence[Mapping[str, Any]]) -> str:
    shown = [r for r in results if r.get("drifted")]
    rest = [r for r in results if not r.get("drifted") and as_float(r.get("effect")) is not None]
    shown += rest[:_OVERVIEW_MAX]
    shown = [r for r in shown if as_float(r.get("effect")) is not None]
    if not shown:
        return ""
    ratios = [max(_ratio(r), 0.0) for r in shown]
    note = ""
    if len(rest) > _OVERVIEW_MAX:
        note = (
            f'<p class="muted">{len(rest) - _OVERVIEW_MAX} more columns without drift are in '
            "the table below.</p>"
        )
    svg = plots.hbars(
        [f"{_label(r)} \u00b7 {r.get('method')}" for r in shown],
        ratios,
        title="effect relative to its threshold, per column",
        colours=[plots.DRIFTED if r.get("drifted") else plots.NORMAL for r in shown],
        rule=1.0,
        rule_label="threshold",
        scale_max=max([*ratios, 1.2]) * 1.05,
        texts=[f"{fmt(r.get('effect'), 3)} / {fmt(r.get('threshold'), 3)}" for r in shown],
        width=560,
    )
    caption = "effect over threshold per check: past the dashed line means drifted"
    return f"<h3>Effect / threshold</h3>{figure(caption, svg)}{note}"


def _table(results: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th class='name'>column</th><th>kind</th><th>method</th><th>statistic</th>"
        "<th>effect</th><th>threshold</th><th>p-value</th><th>rows (ref / cur)</th>"
        "<th>drifted</th><th class='text'>reason</th></tr>"
    )
    rows = []
    for r in results:
        bad = bool(r.get("drifted"))
        effect_name = text(str(r.get("effect_name") or "effect").replace("_", " "))
        row_class = " class='bad'" if bad else ""
        verdict = '<span class="tag bad">drift</span>' if bad else '<span class="tag ok">no</span>'
        rows.append(
            f"<tr{row_class}><td class='name'>{text(r.get('column'))}</td>"
            f"<td>{fmt(r.get('kind'))}</td><td>{fmt(r.get('method'))}</td>"
            f"<td>{fmt(r.get('statistic'))}</td>"
            f"<td title='{effect_name}'>{fmt(r.get('effect'))}</td>"
            f"<td>{fmt(r.get('threshold'))}</td><td>{fmt(r.get('p_value'), 3)}</td>"
            f"<td>{fmt(r.get('n_reference'))} / {fmt(r.get('n_current'))}</td>"
            f"<td>{verdict}</td><td class='text reason'>{text(r.get('reason', ''), 300)}</td></tr>"
        )
    return wide(f"<table class='drift'>{head}{''.join(rows)}</table>")


def _plot(results: Sequence[Mapping[str, Any]], name: str) -> str:
    """The first distribution a column's results can draw: bins, missing shares or, for
    the multivariate checks, the features that tell reference and current apart."""
    for result in results:
        bins = bins_of(result.get("detail"))
        if bins is not None:
            labels, ref, cur = bins
            return plots.overlaid_bins(
                labels, ref, cur, title=f"reference and current distribution of {name}"
            )
    for result in results:
        detail = result.get("detail")
        if not isinstance(detail, Mapping):
            continue
        p0, p1 = as_float(detail.get("reference_share")), as_float(detail.get("current_share"))
        if p0 is not None and p1 is not None:
            return plots.overlaid_bins(
                ["missing", "present"], [p0, 1 - p0], [p1, 1 - p1],
                title=f"missing share of {name}",
            )  # fmt: skip
        top = detail.get("top_features")
        if isinstance(top, list) and top and all(isinstance(t, Mapping) for t in top):
            return plots.hbars(
                [str(t.get("column")) for t in top],
                [as_float(t.get("importance")) for t in top],
                title=f"features that tell reference and current apart ({result.get('method')})",
            )
    return '<p class="muted">no distribution detail to plot</p>'


def _checks(results: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th class='text'>check</th><th>effect</th><th>threshold</th><th>p-value</th>"
        "<th>rows (ref / cur)</th><th class='text'>reason</th></tr>"
    )
    rows = [
        f"<tr><td class='text'>{text(r.get('method'))}</td><td>{fmt(r.get('effect'))}</td>"
        f"<td>{fmt(r.get('threshold'))}</td><td>{fmt(r.get('p_value'), 3)}</td>"
        f"<td>{fmt(r.get('n_reference'))} / {fmt(r.get('n_current'))}</td>"
        f"<td class='text'>{text(r.get('reason', ''), 300)}</td></tr>"
        for r in results
    ]
    return wide(f"<table class='checks'>{head}{''.join(rows)}</table>")


def _card(results: Sequence[Mapping[str, Any]]) -> str:
    name = str(results[0].get("column"))
    title = _label(results[0])
    bad = " bad" if any(r.get("drifted") for r in results) else ""
    tag = '<span class="tag bad">drift</span>' if bad else '<span class="tag ok">no drift</span>'
    return (
        f'<section class="card{bad}"><h3>{text(title, 200)} {tag}</h3>'
        f'<div class="grid"><div>{_plot(results, name)}</div>{_checks(results)}</div></section>'
    )


def _by_column(results: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Results grouped by column (multivariate checks each on their own), in rank order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for result in results:
        column = str(result.get("column"))
        key = f"{column}\0{result.get('method')}" if column == MULTIVARIATE else column
        groups.setdefault(key, []).append(result)
    return list(groups.values())


def drift_sections(report: Any) -> list[str]:
    """The drift report's HTML parts (summary, overview plot, table, one card per column)."""
    results = ranked(_results(report))
    data: Mapping[str, Any] = report
    parts = ["<h2 id='drift'>Drift</h2>", _summary(results, data)]
    if data.get("summary"):
        parts.append(f"<p class='muted'>{text(data['summary'], 2000)}</p>")
    parts += [_overview(results), "<h3>Results</h3>", _table(results), "<h3>Distributions</h3>"]
    parts += [_card(group) for group in _by_column(results)]
    return parts


def render_drift_html(report: Any, *, title: str = "Drift report") -> str:
    """One self-contained page for ``DriftReport.to_dict()``: summary, table, plots."""
    return page(title, "aweigh drift report: reference vs current", drift_sections(report))
