"""The Evidently side of the drift benchmark (runs in ``.bench-venvs/evidently``).

``python bench/peers/drift_evidently.py '<config json>'``: reads the reference and the
current window from Parquet files of plain columns with pandas (timed apart), then
runs ``Report([DataDriftPreset()]).run(current, reference)`` with a data definition
that names the numeric and categorical columns. Evidently picks each column's method
by itself (above 1,000 reference rows: Wasserstein distance normed by the
reference's standard deviation for numeric columns with more than 5 values, Jensen-
Shannon distance otherwise; drift when the distance is at least 0.1). The timed step
is building the datasets and the report's ``run`` (which also renders its widgets).

With ``config["mode"] == "electricity"`` it reads the Electricity CSV instead and runs
one report per later window against the first window.
"""

from __future__ import annotations

import warnings
from typing import Any

from drift_common import Clock, config, emit, rss_mb, versions


def definition(cfg: dict[str, Any]) -> Any:
    from evidently import DataDefinition

    return DataDefinition(
        numerical_columns=list(cfg["numeric"]), categorical_columns=list(cfg["categorical"])
    )


def report(cfg: dict[str, Any], reference: Any, current: Any) -> Any:
    """Run the default drift preset on two DataFrames; the snapshot."""
    from evidently import Dataset, Report
    from evidently.presets import DataDriftPreset

    schema = definition(cfg)
    ref = Dataset.from_pandas(reference, data_definition=schema)
    cur = Dataset.from_pandas(current, data_definition=schema)
    return Report([DataDriftPreset()]).run(cur, ref)


#: methods whose score is a p-value (drift when it is below the threshold); every other
#: method's score is a distance (drift when it is at least the threshold)
P_VALUE_WORDS = ("p_value", "p-value", "test")


def verdicts(snapshot: Any, columns: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The drifted columns and each column's score, method and threshold."""
    scores: dict[str, Any] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config") or {}
        column = config.get("column")
        if config.get("type", "").endswith("ValueDrift") and column in columns:
            method = str(config.get("method") or metric.get("metric_id"))
            threshold = config.get("threshold")
            value = metric["value"]
            scores[column] = {"value": value, "method": method, "threshold": threshold}
    drifted: list[str] = []
    for column, s in scores.items():
        p_value = any(w in s["method"].lower() for w in P_VALUE_WORDS)
        if s["threshold"] is None:
            continue
        if (s["value"] < s["threshold"]) if p_value else (s["value"] >= s["threshold"]):
            drifted.append(column)
    return [c for c in columns if c in drifted], scores


def counted(snapshot: Any) -> float | None:
    """Evidently's own count of drifted columns (checks :func:`verdicts`)."""
    for metric in snapshot.dict()["metrics"]:
        if str(metric.get("metric_name", "")).startswith("DriftedColumnsCount"):
            return float(metric["value"]["count"])
    return None


def synthetic(cfg: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import pandas as pd

    reference = clock.run("read", lambda: pd.read_parquet(cfg["reference"]))
    current = clock.run("read", lambda: pd.read_parquet(cfg["current"]))
    before = rss_mb()
    snapshot = clock.run("compare", lambda: report(cfg, reference, current))
    drifted, scores = verdicts(snapshot, [*cfg["numeric"], *cfg["categorical"]])
    return {
        "rss_before_compare_mb": before,
        "drifted": drifted,
        "evidently_drifted_count": counted(snapshot),
        "scores": scores,
    }


def electricity(cfg: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import pandas as pd

    data = clock.run("read", lambda: pd.read_csv(cfg["csv"]))
    for name in cfg["categorical"]:
        data[name] = data[name].astype(str)
    size = cfg["window"]
    reference = data.iloc[:size]
    windows = []
    for start in range(size, len(data), size):
        current = data.iloc[start : start + size].reset_index(drop=True)
        snapshot = clock.run("compare", lambda c=current: report(cfg, reference, c))
        drifted, scores = verdicts(snapshot, [*cfg["numeric"], *cfg["categorical"]])
        end = start + len(current)
        windows.append({"start": start, "end": end, "drifted": drifted, "scores": scores})
    return {"windows": windows}


def main() -> None:
    cfg = config()
    clock = Clock()
    import evidently  # noqa: F401  (the import is not timed)

    warnings.filterwarnings("ignore")
    run = electricity if cfg.get("mode") == "electricity" else synthetic
    result = run(cfg, clock)
    emit(
        {
            "steps": clock.steps,
            **result,
            "versions": versions("evidently", "pandas", "numpy", "scipy", "pyarrow"),
        }
    )


if __name__ == "__main__":
    main()
