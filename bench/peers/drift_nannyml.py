"""The NannyML side of the drift benchmark (runs in ``.bench-venvs/nannyml``).

``python bench/peers/drift_nannyml.py '<config json>'``: reads the reference and the
current window from Parquet files of plain columns with pandas (timed apart), then
runs ``UnivariateDriftCalculator`` with its defaults: ``fit`` on the reference,
``calculate`` on the current window. ``config["method"]`` picks the methods:
``ks_chi2`` (Kolmogorov-Smirnov for numeric columns, chi-square for categorical ones)
or ``jensen_shannon`` (both kinds).

NannyML's default thresholds come from the spread of the method's values over the
reference's chunks (an alert above their mean + 3 sd; chi-square alone alerts at
p < 0.05), and its default chunker cuts each period into 10 chunks. So by default each
window is 10 chunks and a column counts as drifted when any of its chunks alerts (what
a NannyML user sees: an alert); ``alerting_chunks`` says how many did.
``config["chunks"] = 1`` makes the whole window one chunk: the same comparison as
aweigh's, timed, but its verdicts are degenerate (one reference chunk has a spread of
0, so the KS and JS thresholds are 0 and every numeric column alerts).

With ``config["mode"] == "electricity"`` it reads the Electricity CSV instead, fits
on the first window in weekly chunks and calculates the later weeks.
"""

from __future__ import annotations

import warnings
from typing import Any

from drift_common import Clock, config, emit, rss_mb, versions

METHODS = {
    "ks_chi2": (["kolmogorov_smirnov"], ["chi2"]),
    "jensen_shannon": (["jensen_shannon"], ["jensen_shannon"]),
}


def calculator(cfg: dict[str, Any], **chunking: int) -> Any:
    import nannyml as nml

    continuous, categorical = METHODS[cfg["method"]]
    return nml.UnivariateDriftCalculator(
        column_names=[*cfg["numeric"], *cfg["categorical"]],
        treat_as_categorical=list(cfg["categorical"]),
        continuous_methods=continuous,
        categorical_methods=categorical,
        **chunking,
    )


def verdicts(cfg: dict[str, Any], frame: Any, row: int) -> tuple[list[str], dict[str, float]]:
    """The columns with an alert in one chunk (a row of ``to_df()``), and their values."""
    continuous, categorical = METHODS[cfg["method"]]
    drifted, scores = [], {}
    for column in [*cfg["numeric"], *cfg["categorical"]]:
        method = (continuous if column in cfg["numeric"] else categorical)[0]
        scores[column] = float(frame[(column, method, "value")].iloc[row])
        if bool(frame[(column, method, "alert")].iloc[row]):
            drifted.append(column)
    return drifted, scores


def synthetic(cfg: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import pandas as pd

    reference = clock.run("read", lambda: pd.read_parquet(cfg["reference"]))
    current = clock.run("read", lambda: pd.read_parquet(cfg["current"]))
    before = rss_mb()
    chunking = {"chunk_number": int(cfg["chunks"])} if cfg.get("chunks") else {}

    def compare() -> Any:
        calc = calculator(cfg, **chunking)
        calc.fit(reference)
        return calc.calculate(current)

    frame = clock.run("compare", compare).filter(period="analysis").to_df()
    found: dict[str, int] = {}
    scores: dict[str, list[float]] = {}
    for row in range(len(frame)):
        drifted, values = verdicts(cfg, frame, row)
        for column in drifted:
            found[column] = found.get(column, 0) + 1
        for column, value in values.items():
            scores.setdefault(column, []).append(value)
    return {
        "rss_before_compare_mb": before,
        "drifted": list(found),
        "alerting_chunks": found,
        "chunks": len(frame),
        "scores": scores,
    }


def electricity(cfg: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Weekly chunks (the reference's 4 give the thresholds); a 4-week window drifted
    in a column when any of its weeks alerts."""
    import pandas as pd

    data = clock.run("read", lambda: pd.read_csv(cfg["csv"]))
    for name in cfg["categorical"]:
        data[name] = data[name].astype(str)
    size = cfg["window"]
    week = size // 4
    reference, analysis = data.iloc[:size], data.iloc[size:].reset_index(drop=True)

    def compare() -> Any:
        calc = calculator(cfg, chunk_size=week)
        calc.fit(reference)
        return calc.calculate(analysis)

    frame = clock.run("compare", compare).filter(period="analysis").to_df()
    starts = frame[("chunk", "chunk", "start_index")]
    windows: dict[int, dict[str, Any]] = {}
    for row in range(len(frame)):
        drifted, scores = verdicts(cfg, frame, row)
        start = (int(starts.iloc[row]) + size) // size * size
        window = windows.setdefault(
            start,
            {"start": start, "end": min(len(data), start + size), "drifted": [], "scores": {}},
        )
        window["drifted"] = [
            *window["drifted"],
            *(c for c in drifted if c not in window["drifted"]),
        ]
        for column, value in scores.items():
            window["scores"].setdefault(column, []).append(value)
    return {"windows": list(windows.values())}


def main() -> None:
    cfg = config()
    clock = Clock()
    import nannyml  # noqa: F401  (the import is not timed)

    warnings.filterwarnings("ignore")  # NannyML warns about one-chunk periods
    run = electricity if cfg.get("mode") == "electricity" else synthetic
    result = run(cfg, clock)
    emit(
        {
            "steps": clock.steps,
            **result,
            "versions": versions("nannyml", "pandas", "numpy", "scipy", "pyarrow"),
        }
    )


if __name__ == "__main__":
    main()
