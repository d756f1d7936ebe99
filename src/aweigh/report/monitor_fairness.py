"""The fairness part of a monitoring report, from ``FairnessReport.to_dict()``.

A verdict that names every attribute failing the four-fifths rule and every flagged
group, then per attribute (and intersection): the gaps between groups with their
intervals, a bar plot per metric with the bootstrap interval as a whisker and the
overall rate as a dashed rule, and the table of groups. Groups below the minimum size
are drawn grey and marked "too small": they are shown, not judged. The flat records of
``FairnessReport.rows()`` are accepted too (they carry no gaps, so only groups show).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.report import monitor_plots as plots
from aweigh.report.monitor_page import as_float, figure, fmt, page, pct, text, wide

__all__ = ["fairness_sections", "render_fairness_html"]

METRICS = (
    ("selection_rate", "selection rate"),
    ("tpr", "true positive rate"),
    ("fpr", "false positive rate"),
    ("precision", "precision"),
)
GAPS = (
    ("demographic_parity_difference", "demographic parity difference"),
    ("demographic_parity_ratio", "demographic parity ratio"),
    ("equalized_odds_difference", "equalized odds difference"),
    ("tpr_difference", "TPR difference"),
    ("fpr_difference", "FPR difference"),
)
_FIX = "pass FairnessReport.to_dict() or FairnessReport.rows() (or that JSON loaded back)"


def estimate(item: Mapping[str, Any], name: str) -> tuple[float | None, float | None, float | None]:
    """(value, low, high) of a metric stored as ``{"value", "low", "high"}``, as a number
    with ``name_low``/``name_high`` (the flat rows) or with a ``name_ci`` pair."""
    raw = item.get(name)
    if isinstance(raw, Mapping):
        return as_float(raw.get("value")), as_float(raw.get("low")), as_float(raw.get("high"))
    low, high = as_float(item.get(f"{name}_low")), as_float(item.get(f"{name}_high"))
    ci = item.get(f"{name}_ci")
    if isinstance(ci, list | tuple) and len(ci) == 2:
        low, high = as_float(ci[0]), as_float(ci[1])
    return as_float(raw), low, high


def _from_rows(rows: Sequence[Any]) -> dict[str, Any]:
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "attribute" not in row or "group" not in row:
            raise InvalidInputError(
                f"Fairness row #{i + 1} is not an object with 'attribute' and 'group'; {_FIX}."
            )
    return {"groups": list(rows), "attributes": []}


def _report(report: Any) -> Mapping[str, Any]:
    if isinstance(report, list):
        return _from_rows(report)
    if not isinstance(report, Mapping):
        raise InvalidInputError(
            f"The fairness report must be a JSON object; {_FIX}. Got {type(report).__name__}."
        )
    groups = report.get("groups")
    if not isinstance(groups, list):
        raise InvalidInputError(f"The fairness report has no 'groups' list; {_FIX}.")
    for i, group in enumerate(groups):
        if not isinstance(group, Mapping) or "attribute" not in group:
            raise InvalidInputError(
                f"Fairness group #{i + 1} is not an object with an 'attribute'; {_FIX}."
            )
    if not isinstance(report.get("attributes", []), list):
        raise InvalidInputError(f"The fairness report's 'attributes' must be a list; {_FIX}.")
    return report


def group_label(group: Mapping[str, Any]) -> str:
    """``Female`` or ``Female & Black`` for an intersection."""
    value = group.get("group")
    if isinstance(value, list | tuple):
        return " & ".join(str(v) for v in value)
    return str(value)


def _by_attribute(groups: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for group in groups:
        out.setdefault(str(group.get("attribute")), []).append(group)
    return out


def _interval(item: Mapping[str, Any], name: str, percent: bool = False) -> str:
    value, low, high = estimate(item, name)

    def show(number: float) -> str:
        return pct(number) if percent else fmt(number, 3)

    if value is None:
        return fmt(None)
    if low is None or high is None:
        return show(value)
    return f"{show(value)} <span class='muted'>[{show(low)}, {show(high)}]</span>"


def _summary(report: Mapping[str, Any], attributes: Sequence[Mapping[str, Any]]) -> str:
    groups = [g for g in report["groups"] if isinstance(g, Mapping)]
    failing = [a for a in attributes if a.get("four_fifths") is False]
    flagged = [g for g in groups if g.get("flagged")]
    problems = [
        f"<li class='failing'><b>{text(a.get('attribute'))}</b> fails the four-fifths rule "
        f"(ratio {_interval(a, 'demographic_parity_ratio')})</li>"
        for a in failing
    ]
    problems += [
        f"<li class='flagged'><b>{text(g.get('attribute'))}={text(group_label(g))}</b> "
        f"flagged: selection rate {_interval(g, 'selection_rate', True)}, TPR "
        f"{_interval(g, 'tpr', True)}</li>"
        for g in flagged
    ]
    small = sum(bool(g.get("too_small")) for g in groups)
    facts = (
        f"{fmt(report.get('n'))} rows, {fmt(report.get('n_labeled'))} labelled, "
        f"{len(groups)} groups ({small} too small to judge)"
    )
    if problems:
        head = "<b>Fairness: FAIL</b>"
    elif report.get("passed") is None and attributes:
        head = "<b>Fairness not judged</b>: no attribute has two groups large enough"
    else:
        head = "<b>Fairness: pass</b>" if attributes else "<b>Fairness per group</b>"
    alarm = " alarm" if problems else ""
    items = f"<ul>{''.join(problems)}</ul>" if problems else ""
    return f'<div class="summary{alarm}" id="fairness-summary">{head} ({facts}).{items}</div>'


def _gaps(attribute: Mapping[str, Any]) -> str:
    verdict = attribute.get("four_fifths")
    if verdict is True:
        tag = '<span class="tag ok">passes</span>'
    elif verdict is False:
        tag = '<span class="tag bad">fails</span>'
    else:
        tag = '<span class="tag muted">not judged</span>'
    rows = [f"<tr><th>four-fifths rule</th><td class='text'>{tag}</td></tr>"]
    rows += [
        f"<tr><th>{label}</th><td class='text'>{_interval(attribute, name)}</td></tr>"
        for name, label in GAPS
        if name in attribute
    ]
    judged = (
        f"{fmt(attribute.get('judged'))} of {fmt(attribute.get('groups'))} groups judged"
        if "judged" in attribute
        else ""
    )
    return f"<table class='kv gaps'>{''.join(rows)}</table><p class='muted'>{judged}</p>"


def _colour(group: Mapping[str, Any]) -> str:
    if group.get("too_small"):
        return plots.MUTED
    return plots.DRIFTED if group.get("flagged") else plots.NORMAL


def _plots(groups: Sequence[Mapping[str, Any]], overall: Mapping[str, Any] | None) -> str:
    out = []
    labels = [group_label(g) + (" (too small)" if g.get("too_small") else "") for g in groups]
    for name, label in METRICS:
        values = [estimate(g, name) for g in groups]
        if all(v[0] is None for v in values):
            continue
        rule = estimate(overall, name)[0] if overall else None
        svg = plots.hbars(
            labels,
            [v[0] for v in values],
            lows=[v[1] for v in values],
            highs=[v[2] for v in values],
            colours=[_colour(g) for g in groups],
            rule=rule,
            rule_label="overall" if rule is not None else "",
            scale_max=1.0,
            texts=[fmt(v[0], 3) if v[0] is not None else "\u2013" for v in values],
            title=f"{label} per group with its interval",
            width=420,
        )
        out.append(figure(f"{label}: whisker = interval, dashed = overall", svg))
    return f"<div class='plots'>{''.join(out)}</div>"


def _table(groups: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th class='text'>group</th><th>rows</th><th>labelled</th>"
        + "".join(f"<th>{label}</th>" for _, label in METRICS)
        + "<th>p (selection)</th><th>p (TPR)</th><th>verdict</th></tr>"
    )
    rows = []
    for g in groups:
        if g.get("too_small"):
            verdict = '<span class="tag muted">too small</span>'
        elif g.get("flagged"):
            verdict = '<span class="tag bad">flagged</span>'
        else:
            verdict = '<span class="tag ok">ok</span>'
        cells = "".join(f"<td>{_interval(g, name)}</td>" for name, _ in METRICS)
        row_class = " class='bad'" if g.get("flagged") else ""
        rows.append(
            f"<tr{row_class}><td class='text'>{text(group_label(g), 120)}</td>"
            f"<td>{fmt(g.get('n'))}</td><td>{fmt(g.get('n_labeled'))}</td>{cells}"
            f"<td>{fmt(g.get('p_selection'), 3)}</td><td>{fmt(g.get('p_tpr'), 3)}</td>"
            f"<td>{verdict}</td></tr>"
        )
    return wide(f"<table class='fairness'>{head}{''.join(rows)}</table>")


def fairness_sections(report: Any) -> list[str]:
    """The fairness report's HTML parts: verdict, then gaps, plots and table per attribute."""
    data = _report(report)
    attributes = [a for a in data.get("attributes", []) if isinstance(a, Mapping)]
    gaps = {str(a.get("attribute")): a for a in attributes}
    overall = data.get("overall") if isinstance(data.get("overall"), Mapping) else None
    parts = ["<h2 id='fairness'>Fairness</h2>", _summary(data, attributes)]
    if data.get("settings"):
        settings = data["settings"]
        if isinstance(settings, Mapping):
            parts.append(
                "<p class='muted'>"
                + ", ".join(f"{text(k)} {fmt(v)}" for k, v in settings.items())
                + "</p>"
            )
    for name, groups in _by_attribute(data["groups"]).items():
        bad = " bad" if name in gaps and gaps[name].get("four_fifths") is False else ""
        parts.append(f"<section class='card{bad}'><h3>{text(name, 200)}</h3>")
        if name in gaps:
            parts.append(_gaps(gaps[name]))
        parts += [_plots(groups, overall), _table(groups), "</section>"]
    return parts


def render_fairness_html(report: Any, *, title: str = "Fairness report") -> str:
    """One self-contained page for ``FairnessReport.to_dict()``: verdict, gaps, group plots."""
    return page(title, "aweigh fairness report", fairness_sections(report))
