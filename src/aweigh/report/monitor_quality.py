"""The quality part of a monitoring report, from a list of ``QualityWindow.to_dict()``.

Each (version, segment) pair is one line over time: realised metrics (from labels) as
solid lines, estimated ones (confidence-based, before labels) dashed, so the two can be
read against each other. Label coverage gets its own plot, the reliability diagram pools
each version's calibration bins over all its windows (count-weighted), and a table lists
every window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.report import monitor_plots as plots
from aweigh.report.monitor_page import as_float, figure, fmt, page, pct, stamp, text, wide

__all__ = ["quality_sections", "render_quality_html"]

#: Plotted in this order when present; any other numeric metric follows.
METRIC_ORDER = (
    "accuracy", "f1", "precision", "recall", "roc_auc", "log_loss", "brier", "ece",
    "mae", "rmse", "mape", "r2",
)  # fmt: skip
_NOT_METRICS = {
    "n", "mape_excluded", "calibration", "reasons", "n_labeled", "se", "interval_95", "method",
}  # fmt: skip
_RANGE_01 = {"accuracy", "f1", "precision", "recall", "roc_auc", "ece"}
_MAX_SERIES = 7
_MAX_RELIABILITY = 6
_FIX = "pass a list of QualityWindow.to_dict() (or that JSON loaded back)"


def _windows(windows: Any) -> list[Mapping[str, Any]]:
    if isinstance(windows, Mapping) and isinstance(windows.get("windows"), list):
        windows = windows["windows"]
    if not isinstance(windows, list):
        raise InvalidInputError(f"Quality windows must be a JSON list; {_FIX}.")
    for i, item in enumerate(windows):
        if not isinstance(item, Mapping):
            raise InvalidInputError(f"Quality window #{i + 1} is not an object; {_FIX}.")
        if _moment(item.get("start")) is None:
            raise InvalidInputError(
                f"Quality window #{i + 1} has no readable 'start' time (got "
                f"{str(item.get('start'))[:60]!r}); give an ISO 8601 time or epoch seconds."
            )
    return sorted(windows, key=lambda w: _moment(w.get("start")) or 0.0)


def _moment(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 string, a datetime or a number."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return as_float(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _when(seconds: float, span: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%d" if span >= 2 * 86_400 else "%Y-%m-%d %H:%M")


def _segment(window: Mapping[str, Any]) -> str:
    segment = window.get("segment")
    if isinstance(segment, Mapping):
        return ", ".join(f"{k}={v}" for k, v in segment.items())
    return "" if segment in (None, "") else str(segment)


def _series_key(window: Mapping[str, Any]) -> str:
    version = window.get("version")
    name = "all versions" if version is None else f"v{version}"
    segment = _segment(window)
    return f"{name} {segment}" if segment else name


def _value(value: Any) -> float | None:
    if isinstance(value, Mapping):
        for key in ("value", "estimate", "mean"):
            if key in value:
                return as_float(value[key])
        return None
    return as_float(value)


def _metrics(window: Mapping[str, Any], estimated: bool) -> Mapping[str, Any]:
    keys = ("estimated", "estimated_metrics") if estimated else ("metrics", "realised")
    for key in keys:
        if isinstance(window.get(key), Mapping):
            found: Mapping[str, Any] = window[key]
            return found
    return {}


def _metric_names(windows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: list[str] = []
    for window in windows:
        for estimated in (False, True):
            for name, value in _metrics(window, estimated).items():
                if name not in _NOT_METRICS and _value(value) is not None and name not in seen:
                    seen.append(name)
    order = {name: i for i, name in enumerate(METRIC_ORDER)}
    return sorted(seen, key=lambda n: (order.get(n, len(order)), n))


def _groups(windows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for window in windows:
        groups.setdefault(_series_key(window), []).append(window)
    return groups


def _coverage(window: Mapping[str, Any]) -> float | None:
    coverage = as_float(window.get("coverage"))
    if coverage is None:
        n, labelled = as_float(window.get("n")), as_float(window.get("n_labeled"))
        if n and labelled is not None:
            coverage = labelled / n
    return coverage


def _metric_plot(name: str, groups: Mapping[str, Sequence[Mapping[str, Any]]], span: str) -> str:
    series, tips = [], []
    for i, (key, items) in enumerate(list(groups.items())[:_MAX_SERIES]):
        colour = plots.PALETTE[i % len(plots.PALETTE)]
        xs = [_moment(w.get("start")) or 0.0 for w in items]
        for estimated in (False, True):
            ys = [_value(_metrics(w, estimated).get(name)) for w in items]
            if all(y is None for y in ys):
                continue
            label = f"{key} {'estimated' if estimated else 'realised'}"
            series.append(plots.Series(label, xs, ys, colour=colour, dashed=estimated))
            tips.append(
                [
                    f"{label} {name} {fmt(y)} ({w.get('start')}, n={w.get('n', '?')})"
                    for w, y in zip(items, ys, strict=True)
                ]
            )
    if not series:
        return ""
    y_range = (0.0, 1.0) if name in _RANGE_01 else None
    labels = _x_labels(groups)
    svg = plots.lines(
        series, title=f"{name} over time ({span})", x_labels=labels, y_range=y_range, tips=tips
    )
    kinds = "realised (solid) and estimated (dashed)" if len(series) > len(groups) else "realised"
    return figure(f"{name}: {kinds}", svg)


def _x_labels(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[str, str]:
    moments = [_moment(w.get("start")) or 0.0 for items in groups.values() for w in items]
    low, high = min(moments), max(moments)
    return _when(low, high - low), _when(high, high - low)


def _coverage_plot(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    series = [
        plots.Series(
            key,
            [_moment(w.get("start")) or 0.0 for w in items],
            [_coverage(w) for w in items],
            colour=plots.PALETTE[i % len(plots.PALETTE)],
        )
        for i, (key, items) in enumerate(list(groups.items())[:_MAX_SERIES])
    ]
    series = [s for s in series if any(y is not None for y in s.ys)]
    if not series:
        return ""
    svg = plots.lines(
        series,
        title="label coverage over time (share of predictions with a label)",
        x_labels=_x_labels(groups),
        y_range=(0.0, 1.0),
    )
    return figure("label coverage: share of predictions with a label", svg)


def _calibration_bins(window: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for source in (window, _metrics(window, False)):
        for key in ("reliability", "calibration"):
            bins = source.get(key)
            if isinstance(bins, Mapping):
                bins = bins.get("bins")
            if isinstance(bins, list):
                return [b for b in bins if isinstance(b, Mapping)]
    return []


def _reliability(windows: Sequence[Mapping[str, Any]]) -> list[str]:
    by_version: dict[str, dict[tuple[Any, Any], list[float]]] = {}
    for window in windows:
        version = window.get("version")
        key = "all versions" if version is None else f"v{version}"
        pooled = by_version.setdefault(key, {})
        for b in _calibration_bins(window):
            count = as_float(b.get("count")) or 0.0
            predicted, observed = as_float(b.get("mean_predicted")), as_float(b.get("observed"))
            if count <= 0 or predicted is None or observed is None:
                continue
            acc = pooled.setdefault((b.get("low"), b.get("high")), [0.0, 0.0, 0.0])
            acc[0] += predicted * count
            acc[1] += observed * count
            acc[2] += count
    out = []
    for key, pooled in list(by_version.items())[:_MAX_RELIABILITY]:
        cells = [v for _, v in sorted(pooled.items(), key=lambda kv: as_float(kv[0][0]) or 0.0)]
        if not cells:
            continue
        svg = plots.reliability(
            [c[0] / c[2] for c in cells],
            [c[1] / c[2] for c in cells],
            [int(c[2]) for c in cells],
            title=f"reliability of {key} (all windows pooled)",
        )
        out.append(figure(f"reliability of {key}, all windows", svg))
    return out


def _delay(window: Mapping[str, Any]) -> str:
    delay = window.get("label_delay_s")
    seconds = as_float(delay.get("p50")) if isinstance(delay, Mapping) else None
    if seconds is None:
        return fmt(None)
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} d"
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def _table(windows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    shown = list(names[:4])
    head = (
        "<tr><th>start (UTC)</th><th>end</th><th>version</th>"
        "<th class='text'>segment</th><th>predictions</th><th>labelled</th><th>coverage</th>"
        + "".join(f"<th>{text(n)}</th><th>{text(n)} (est.)</th>" for n in shown)
        + "<th>label delay p50</th><th>invalid labels</th><th>unknown labels</th></tr>"
    )
    rows = []
    for w in windows:
        realised, estimated = _metrics(w, False), _metrics(w, True)
        cells = "".join(
            f"<td>{fmt(_value(realised.get(n)))}</td><td>{fmt(_value(estimated.get(n)))}</td>"
            for n in shown
        )
        rows.append(
            f"<tr><td>{stamp(w.get('start'))}</td><td>{stamp(w.get('end'))}</td>"
            f"<td>{fmt(w.get('version'))}</td>"
            f"<td class='text'>{text(_segment(w))}</td><td>{fmt(w.get('n'))}</td>"
            f"<td>{fmt(w.get('n_labeled'))}</td><td>{pct(_coverage(w))}</td>{cells}"
            f"<td>{_delay(w)}</td><td>{fmt(w.get('invalid_labels'))}</td>"
            f"<td>{fmt(w.get('unknown_labels'))}</td></tr>"
        )
    return wide(f"<table class='quality'>{head}{''.join(rows)}</table>")


def _summary(windows: Sequence[Mapping[str, Any]], groups: Mapping[str, Any], first: str) -> str:
    if not windows:
        return '<div class="summary" id="quality-summary">No quality windows to show.</div>'
    latest = []
    for key, items in groups.items():
        last = items[-1]
        realised = _value(_metrics(last, False).get(first)) if first else None
        estimated = _value(_metrics(last, True).get(first)) if first else None
        latest.append(
            f"<li>{text(key)}: {text(first)} {fmt(realised)} realised, {fmt(estimated)} "
            f"estimated, coverage {pct(_coverage(last))} (window {stamp(last.get('start'))})</li>"
        )
    return (
        f'<div class="summary" id="quality-summary"><b>{len(windows)} windows</b> from '
        f"{stamp(windows[0].get('start'))} to {stamp(windows[-1].get('end'))} UTC; latest:"
        f"<ul>{''.join(latest)}</ul></div>"
    )


def quality_sections(windows: Any) -> list[str]:
    """The quality report's HTML parts: summary, metric and coverage plots, table."""
    items = _windows(windows)
    groups = _groups(items)
    names = _metric_names(items)
    parts = ["<h2 id='quality'>Quality over time</h2>"]
    parts.append(_summary(items, groups, names[0] if names else ""))
    if not items:
        return parts
    first, last = _moment(items[0].get("start")) or 0.0, _moment(items[-1].get("start")) or 0.0
    span = f"{_when(first, last - first)} to {_when(last, last - first)}"
    plots_html = [_metric_plot(name, groups, span) for name in names]
    plots_html.append(_coverage_plot(groups))
    parts.append(f"<div class='plots'>{''.join(p for p in plots_html if p)}</div>")
    diagrams = _reliability(items)
    if diagrams:
        parts.append(f"<h3>Calibration</h3><div class='plots'>{''.join(diagrams)}</div>")
    parts += ["<h3>Windows</h3>", _table(items, names)]
    return parts


def render_quality_html(windows: Any, *, title: str = "Quality report") -> str:
    """One self-contained page for quality windows: metrics over time, coverage, reliability."""
    return page(title, "aweigh live quality report", quality_sections(windows))
