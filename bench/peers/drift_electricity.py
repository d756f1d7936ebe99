"""Drift over time on real data: the Electricity (ELEC2) series in consecutive 4-week windows.

The 45,312 rows are half-hours of the NSW/Victoria electricity market from 7 May 1996
on (row order is time order, ``/work/shared/data/SOURCES.md``). Each window holds 4
weeks (1,344 rows; the last one the 960 rows left); the reference is the first
window, and every later window is compared with it by aweigh (in this process) and by
the peers (in their venvs, same windows). Features: the prices, demands and the
transfer (numeric), ``period`` (numeric, the half-hour of the day: uniform in every
window, a negative control), ``day`` (categorical, the weekday: also uniform in every
full window) and ``class`` (categorical, the label: UP or DOWN). ``date`` is left out:
it is a clock and differs in every window by construction.

Known change to look for: until row 17,424 ``vicprice``, ``vicdemand`` and
``transfer`` hold one constant filler value (Victoria's data starts later), so from the
window that contains row 17,424 on, those three should drift against the reference.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

CSV = Path("/work/shared/data/electricity/electricity.csv")
WINDOW = 4 * 7 * 48
NUMERIC = ["nswprice", "nswdemand", "vicprice", "vicdemand", "transfer", "period"]
CATEGORICAL = ["day", "class"]
VICTORIA_STARTS = 17_424
FIRST_DAY = datetime(1996, 5, 7)


def load() -> Any:
    """The features as an Arrow table (``day`` as text, so it is a category)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(CSV)
    columns = {name: pc.cast(table.column(name), pa.float64()) for name in NUMERIC}
    columns["day"] = pc.cast(table.column("day"), pa.string())
    columns["class"] = pc.cast(table.column("class"), pa.string())
    return pa.table(columns)


def windows(rows: int, size: int = WINDOW) -> list[tuple[int, int]]:
    """Consecutive ``[start, end)`` row ranges of ``size`` rows (the last may be shorter)."""
    return [(start, min(rows, start + size)) for start in range(0, rows, size)]


def day_of(row: int) -> str:
    """The calendar day of a row, one row per half-hour from 7 May 1996 (approximate:
    the series has a few gaps and repeats, see SOURCES.md)."""
    return f"{FIRST_DAY + timedelta(minutes=30 * row):%Y-%m-%d}"


def run_aweigh(table: Any) -> dict[str, Any]:
    """aweigh's verdict per window against the first, and the time all of it took."""
    from bench.peers.drift_aweigh import compare_sketches, sketch_table

    kinds = dict.fromkeys(NUMERIC, "float") | dict.fromkeys(CATEGORICAL, "category")
    spans = windows(table.num_rows)
    started = time.perf_counter()
    reference = sketch_table(table.slice(0, WINDOW))
    verdicts = []
    for start, end in spans[1:]:
        drifted, scores = compare_sketches(
            reference, sketch_table(table.slice(start, end - start)), kinds
        )
        verdicts.append({"start": start, "end": end, "drifted": drifted, "scores": scores})
    return {"windows": verdicts, "wall_s": time.perf_counter() - started}


def run(pythons: dict[str, Path | None], workdir: Path, notes: list[str]) -> dict[str, Any]:
    """aweigh and every available peer over the Electricity windows."""
    from bench.drift import SIDES, spawn

    print("\n== Electricity: 4-week windows against the first ...", file=sys.stderr, flush=True)
    table = load()
    out: dict[str, Any] = {
        "csv": str(CSV),
        "rows": table.num_rows,
        "window_rows": WINDOW,
        "numeric": NUMERIC,
        "categorical": CATEGORICAL,
        "tools": {},
    }
    try:
        out["tools"]["aweigh"] = run_aweigh(table)
    except Exception as exc:  # a failing side is reported, the others still run
        notes.append(f"electricity: aweigh failed: {type(exc).__name__}: {exc}")
    cfg = {
        "mode": "electricity",
        "csv": str(CSV),
        "window": WINDOW,
        "numeric": NUMERIC,
        "categorical": CATEGORICAL,
    }
    for name, (venv, script, extra) in SIDES.items():
        python = pythons.get(venv) if venv else None
        if python is None or "chunks" in extra:
            continue
        result = spawn(python, script, {**cfg, **extra}, workdir / name)
        if "error" in result:
            notes.append(f"electricity: {name} {result['error'].splitlines()[0]}")
            continue
        out["tools"][name] = result
    return out


def timeline(result: dict[str, Any]) -> str:
    """A compact grid per tool: one row per feature, one character per window."""
    spans = windows(result["rows"], result["window_rows"])[1:]
    features = [*result["numeric"], *result["categorical"]]
    width = max(len(f) for f in features)
    switch = next(i for i, (s, e) in enumerate(spans) if s <= VICTORIA_STARTS < e)
    lines = [
        f"Electricity: {len(spans)} windows of {result['window_rows']:,} rows (4 weeks) "
        f"against the first ({day_of(0)} to {day_of(result['window_rows'])}); "
        "# = drift detected, . = none;",
        f"window {switch + 1} holds row {VICTORIA_STARTS:,} ({day_of(VICTORIA_STARTS)}), where "
        "Victoria's real data starts (vicprice, vicdemand, transfer were constants before).",
    ]
    ticks = "".join("|" if i % 5 == 0 else " " for i in range(len(spans)))
    for tool, data in result["tools"].items():
        per = {w["start"]: set(w["drifted"]) for w in data["windows"]}
        lines.append(f"\n{tool}:")
        lines.append(f"{'':>{width}}  {ticks}  (| every 5th window: {_tick_days(spans)})")
        for feature in features:
            marks = "".join("#" if feature in per.get(start, set()) else "." for start, _ in spans)
            count = marks.count("#")
            lines.append(f"{feature:>{width}}  {marks}  {count}/{len(spans)}")
    return "\n".join(lines)


def _tick_days(spans: list[tuple[int, int]]) -> str:
    return ", ".join(day_of(start) for i, (start, _) in enumerate(spans) if i % 5 == 0)
