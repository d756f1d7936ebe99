"""What the monitor computes for one window: drift, quality and fairness payloads, and
the metric points the alert engine and ``/metrics`` read.

Each payload is plain JSON (stored as a ``MonitorRecord``) with a one-line ``summary``
that names everything that went wrong (every drifted column, every failing attribute).
A check that cannot run (no reference yet, no labels, a missing sensitive attribute)
says why in its payload instead of failing the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from aweigh.core.entities import ModelVersion
from aweigh.core.errors import InvalidInputError
from aweigh.lifecycle.monitor_window import WindowData, labelled
from aweigh.monitor.alerts import MetricPoint
from aweigh.monitor.drift.compare import compare
from aweigh.monitor.drift.sketch import WindowSketch

if TYPE_CHECKING:
    from aweigh.lifecycle.monitoring import Reference, WindowOutcome

__all__ = ["drift_payload", "fairness_payload", "metric_points", "quality_payload"]

MIN_FAIRNESS_ROWS = 30


def _class_values(version: ModelVersion, text: pa.ChunkedArray | pa.Array) -> list[Any]:
    """Output or label text read back as the model's class values (None if not a class)."""
    from aweigh.monitor.quality_labels import coerce_classes

    classes = list(version.output.classes)
    coerced = coerce_classes(text.to_numpy(zero_copy_only=False), classes)
    lookup = np.array([*classes, None, None], dtype=object)  # -2 and -1 index the Nones
    return list(lookup[coerced.codes])


# -- drift -------------------------------------------------------------------------------
def drift_payload(
    version: ModelVersion, reference: Reference, data: WindowData, *, alpha: float
) -> dict[str, Any]:
    """Feature drift against the reference, output drift against baseline traffic."""
    payload: dict[str, Any] = {
        "rows": data.rows,
        "reference": {
            "features": reference.features_source,
            "baseline_rows": reference.outputs_rows,
        },
    }
    drifted: list[str] = []
    if reference.features is None:
        payload["features"] = None
        payload["features_note"] = (
            "no reference yet: the version has no registered dataset and fewer than the "
            f"baseline's predictions so far ({reference.outputs_rows:,})"
        )
    else:
        report = compare(reference.features, data.sketch, alpha=alpha)
        payload["features"] = report.to_dict()
        drifted += report.drifted
    if reference.outputs is None:
        payload["outputs"] = None
        payload["outputs_note"] = (
            f"output drift waits for the baseline traffic ({reference.outputs_rows:,} "
            "predictions so far)"
        )
    else:
        outputs = compare(reference.outputs, data.outputs, alpha=alpha, prediction="prediction")
        payload["outputs"] = outputs.to_dict()
        drifted += [f"output:{c}" for c in outputs.drifted]
    if reference.labels is not None and reference.label_column is not None:
        payload["labels"] = _label_drift(version, reference, data, alpha)
        if payload["labels"] and payload["labels"].get("drifted"):
            drifted.append(f"label:{reference.label_column}")
    payload["drifted"] = drifted
    payload["dataset_drift"] = bool(drifted)
    if data.rows == 0:
        payload["summary"] = "no predictions in this window"
    elif drifted:
        payload["summary"] = f"drift in {len(drifted)} column(s): {', '.join(drifted)}"
    else:
        payload["summary"] = f"no drift in {data.rows:,} predictions"
    return payload


def _label_drift(
    version: ModelVersion, reference: Reference, data: WindowData, alpha: float
) -> dict[str, Any] | None:
    rows = labelled(data.table)
    column = reference.label_column
    if rows is None or rows.num_rows == 0 or column is None or reference.labels is None:
        return None
    values = rows.column("label")
    if version.output.task != "regression" and version.output.classes:
        values = pa.array([None if v is None else str(v) for v in _class_values(version, values)])
    current = WindowSketch.of(pa.table({column: values}), reference.labels.kinds)
    report = compare(reference.labels, current, alpha=alpha, label=column)
    return report.to_dict()


# -- quality -----------------------------------------------------------------------------
def _segment_bins(reference: Reference, segments: Sequence[str]) -> dict[str, list[float]]:
    """Quartile bins from the reference for numeric segment columns (age -> 4 bands)."""
    bins: dict[str, list[float]] = {}
    features = reference.features
    if features is None:
        return bins
    for name in segments:
        if name not in features.columns or features.kinds.get(name) != "numeric":
            continue
        quantiles = features[name].quantiles
        if quantiles is None or quantiles.n == 0:
            continue
        cuts = sorted({float(q) for q in quantiles.quantiles([0.25, 0.5, 0.75])})
        bins[name] = [-math.inf, *cuts, math.inf]
    return bins


def _traffic(table: pa.Table | None, rows: int) -> dict[str, Any]:
    if table is None or rows == 0:
        return {"requests": 0, "latency_p50_ms": None, "latency_p99_ms": None}
    latency = table.column("latency_ms").drop_null().to_numpy()
    if len(latency) == 0:
        return {"requests": rows, "latency_p50_ms": None, "latency_p99_ms": None}
    p50, p99 = np.percentile(latency, [50, 99])
    return {"requests": rows, "latency_p50_ms": float(p50), "latency_p99_ms": float(p99)}


def quality_payload(
    version: ModelVersion,
    data: WindowData,
    *,
    segments: Sequence[str],
    reference: Reference,
) -> dict[str, Any]:
    """Realised quality from the labels that came (however late), estimated quality (CBPE)
    from every prediction's probabilities, per segment when configured."""
    from aweigh.monitor.quality import quality_windows
    from aweigh.monitor.quality_calibration import Calibration

    task = "regression" if version.output.task == "regression" else "classification"
    payload: dict[str, Any] = {
        "rows": data.rows,
        "task": task,
        "traffic": _traffic(data.table, data.rows),
    }
    if data.table is None or data.rows == 0:
        payload.update(overall=None, segments=[], summary="no predictions in this window")
        return payload
    classes = list(version.output.classes) if task == "classification" else None
    frame = data.table.rename_columns(
        [c.removeprefix("input.") for c in data.table.column_names]
    ).to_pandas()
    common: dict[str, Any] = {
        "task": task,
        "classes": classes,
        "window": 10 * 365 * 86_400,  # one slot: the window was cut already
    }
    if classes and len(classes) >= 2:
        common["calibration"] = Calibration.identity(classes)
    overall = quality_windows(frame, by=(), **common)
    payload["overall"] = overall[0].to_dict() if overall else None
    present = [s for s in segments if s in frame.columns]
    missing = [s for s in segments if s not in frame.columns]
    payload["segments"] = []
    if present:
        bins = _segment_bins(reference, present)
        by_segment = quality_windows(frame, by=tuple(present), segment_bins=bins, **common)
        payload["segments"] = [w.to_dict() for w in by_segment]
    if missing:
        payload["segments_missing"] = missing
    payload["summary"] = _quality_summary(payload["overall"], task)
    return payload


def _quality_summary(overall: Mapping[str, Any] | None, task: str) -> str:
    if not overall:
        return "no predictions in this window"
    labelled_rows = overall.get("n_labeled") or overall.get("n_labelled") or 0
    metrics = overall.get("metrics") or {}
    estimated = overall.get("estimated") or {}
    parts = [f"{overall.get('n', 0):,} predictions, {labelled_rows:,} labelled"]
    key = "accuracy" if task == "classification" else "mae"
    if metrics.get(key) is not None:
        parts.append(f"{key} {metrics[key]:.3f}")
    if estimated.get(key) is not None:
        parts.append(f"estimated {key} {estimated[key]:.3f}")
    return ", ".join(parts)


# -- fairness ----------------------------------------------------------------------------
def fairness_payload(
    version: ModelVersion, data: WindowData, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Per-group rates, gaps and the four-fifths rule for the configured attributes."""
    from aweigh.monitor.fairness import fairness_table

    sensitive = [str(s) for s in options.get("sensitive", ())]
    payload: dict[str, Any] = {"rows": data.rows, "sensitive": sensitive}
    table = data.table
    if table is None or data.rows < MIN_FAIRNESS_ROWS:
        payload["report"] = None
        payload["summary"] = f"too few predictions to judge fairness ({data.rows:,})"
        return payload
    columns = {c.removeprefix("input."): table.column(c) for c in table.column_names}
    missing = [s for s in sensitive if s not in columns]
    present = [s for s in sensitive if s in columns]
    payload["missing_attributes"] = missing
    if not present:
        payload["report"] = None
        payload["summary"] = f"sensitive attribute(s) {', '.join(missing)} not in the events"
        return payload
    positive = options.get("positive")
    classes = list(version.output.classes)
    if positive is None and len(classes) == 2:
        positive = classes[1]
    y_pred = _class_values(version, table.column("output"))
    y_true = _class_values(version, table.column("label"))
    attributes = {s: columns[s].to_pylist() for s in present}
    try:
        report = fairness_table(
            y_true,
            y_pred,
            attributes,
            positive=positive,
            min_group_size=int(options.get("min_group_size", 30)),
            n_boot=int(options.get("n_boot", 500)),
        )
    except InvalidInputError as exc:
        payload["report"] = None
        payload["summary"] = f"fairness not computed: {exc.message}"
        return payload
    payload["report"] = report.to_dict()
    payload["summary"] = report.summary + (
        f" (missing attribute(s): {', '.join(missing)})" if missing else ""
    )
    return payload


# -- metric points -----------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def metric_points(outcome: WindowOutcome) -> list[MetricPoint]:
    """The numbers of a window's records as metric series (``drift.column.age.effect``,
    ``quality.accuracy``, ``fairness.sex.demographic_parity_difference``, ...)."""
    points: list[MetricPoint] = []
    ts = outcome.end

    def add(metric: str, value: Any, **labels: str) -> None:
        number = _number(value)
        if number is not None:
            points.append(MetricPoint(outcome.model, outcome.version, metric, number, ts, labels))

    for record in outcome.records:
        payload = record.payload
        if record.kind == "drift":
            drifted = list(payload.get("drifted", ()))
            add("drift.dataset", bool(drifted), columns=", ".join(drifted))
            add("drift.drifted_columns", len(drifted))
            for section in ("features", "outputs", "labels"):
                report = payload.get(section) or {}
                for result in report.get("results", ()):
                    name = f"drift.column.{result['column']}"
                    if result.get("method") == "missing_share":
                        name += ".missing"
                    add(f"{name}.effect", result.get("effect"))
                    add(f"{name}.drifted", bool(result.get("drifted")))
        elif record.kind == "quality":
            overall = payload.get("overall") or {}
            for key, value in (overall.get("metrics") or {}).items():
                add(f"quality.{key}", value)
            for key, value in (overall.get("estimated") or {}).items():
                add(f"quality.estimated.{key}", value)
            add("quality.coverage", overall.get("coverage"))
            traffic = payload.get("traffic") or {}
            add("serving.requests", traffic.get("requests"))
            add("serving.latency_p99_ms", traffic.get("latency_p99_ms"))
        elif record.kind == "fairness":
            report = payload.get("report") or {}
            for attribute in report.get("attributes", ()):
                name = attribute.get("attribute")
                for key in (
                    "demographic_parity_difference",
                    "demographic_parity_ratio",
                    "equalized_odds_difference",
                ):
                    value = attribute.get(key)
                    add(
                        f"fairness.{name}.{key}",
                        value.get("value") if isinstance(value, dict) else value,
                    )
                add(f"fairness.{name}.four_fifths", attribute.get("four_fifths"))
    return points
