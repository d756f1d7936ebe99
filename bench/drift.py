"""Drift benchmark: aweigh's one-pass sketches and ``compare`` against Evidently and NannyML.

``python -m bench drift [--quick]`` (or ``python -m bench.drift [--sizes 10000,100000]
[--skip-evidently] [--skip-nannyml] [--skip-electricity] [--json]``).

Synthetic windows (``bench/peers/drift_data.py``): 20 numeric and 5 categorical
columns, drift injected into 5 numeric and 1 categorical column, the reference and
the current window of the same size, 10k, 100k and 1M rows (``--quick``: 10k and
100k). Every tool judges the same values at its default thresholds:

- ``aweigh``: reads the current window from an event log (Parquet segments in
  aweigh's event schema, inputs as JSON text), sketches it in one pass
  (``WindowSketch``) and compares it with the reference's sketch. The reference
  sketch is made from an in-memory table in the same process and timed apart: in
  production it is made once, when a version is registered. "aweigh all-in" adds it,
  and is what the peers' ratios divide by. ``aweigh-parquet`` is aweigh on the peers'
  terms: both windows from the Parquet files (read timed apart, not in its figure),
  both sketched, compared.
- ``nannyml-ks-chi2`` and ``nannyml-js``: ``UnivariateDriftCalculator`` with
  Kolmogorov-Smirnov + chi-square, and with Jensen-Shannon, with NannyML's defaults:
  10 chunks per window, thresholds from the spread over the reference's chunks; a
  column drifted when any of its chunks alerts. ``nannyml-ks-chi2-1chunk``: the whole
  window as one chunk, the same comparison as aweigh's; timed, but its verdicts are
  degenerate (one reference chunk gives a threshold of 0), so the table leaves them out.
- ``evidently``: ``Report([DataDriftPreset()])`` (its default per-column methods).

The peers read a Parquet file of plain columns with pandas; that read is timed apart
and not in their figures. Each run is its own process (bench-only venvs for the
peers, created from ``bench/peers/requirements-drift-*.txt`` when missing), so runs
never share memory: peak memory is the process's own high-water mark (``VmHWM``; the
``wait4`` maximum RSS is kept beside it), which includes the data the process holds.
The data is made and written by a child process too, so this one stays small. CPU
seconds are the process's own (every thread); the machine's cores are shared, so both
wall and CPU are shown.

Also runs aweigh (and the peers) over the Electricity data in consecutive 4-week
windows against the first 4 weeks, and prints where drift is detected over time.
Results go to ``bench/results/drift-<date>[-quick].json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
RESULTS = ROOT / "bench" / "results"
VENVS = {
    "evidently": ROOT / ".bench-venvs" / "evidently",
    "nannyml": ROOT / ".bench-venvs" / "nannyml",
}
REQUIREMENTS = {name: PEERS / f"requirements-drift-{name}.txt" for name in VENVS}
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
TIMEOUT_S = 360  # Evidently at 1M rows takes minutes: allowed once, then "timed out"
REPEAT_BUDGET_S = 30.0  # a side repeats (up to REPEATS) while its runs took less than this
REPEATS = 3
TARGET_S = 3.0
TARGET_RATIO = 10.0
BASELINE = "aweigh all-in"
#: no progress bars, no usage telemetry (NannyML sends usage events to a web service)
QUIET_ENV = {"TQDM_DISABLE": "1", "DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1"}
#: sides timed only: their verdicts are not meaningful (see the module notes)
NO_VERDICT = frozenset({"nannyml-ks-chi2-1chunk"})
#: side -> (venv name or None for .venv, script in bench/peers or module, extra config)
SIDES: dict[str, tuple[str | None, str, dict[str, Any]]] = {
    "aweigh": (None, "bench.peers.drift_aweigh", {}),
    "aweigh-parquet": (None, "bench.peers.drift_aweigh", {"source": "parquet"}),
    "nannyml-ks-chi2": ("nannyml", "drift_nannyml.py", {"method": "ks_chi2"}),
    "nannyml-js": ("nannyml", "drift_nannyml.py", {"method": "jensen_shannon"}),
    "nannyml-ks-chi2-1chunk": ("nannyml", "drift_nannyml.py", {"method": "ks_chi2", "chunks": 1}),
    "evidently": ("evidently", "drift_evidently.py", {}),
}


# -- running one side in its own process -------------------------------------------------
def spawn(python: Path, script: str, cfg: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run one side once; its result line plus wall, CPU and peak RSS of the whole process.

    ``os.wait4`` gives the resource usage of exactly this child, so runs never share a
    peak. A run past TIMEOUT_S is killed and comes back with ``timed_out``.
    """
    from bench.registry import side_env

    workdir.mkdir(parents=True, exist_ok=True)
    env = side_env(workdir, QUIET_ENV)
    target = [str(PEERS / script)] if script.endswith(".py") else ["-m", script]
    cmd = [str(python), *target, json.dumps(cfg)]
    out_path, err_path = workdir / "stdout.txt", workdir / "stderr.txt"
    started = time.perf_counter()
    timed_out = False
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > TIMEOUT_S:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    process = {
        "process_wall_s": time.perf_counter() - started,
        "process_cpu_s": usage.ru_utime + usage.ru_stime,
        "ru_maxrss_mb": usage.ru_maxrss / 1024,
    }
    if timed_out:
        return {"timed_out": True, "error": f"timed out after {TIMEOUT_S} s", **process}
    lines = [ln for ln in out_path.read_text().splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(err_path.read_text(errors="replace").splitlines()[-15:])
        return {"error": f"exit {proc.returncode}: {tail}", **process}
    result: dict[str, Any] = json.loads(lines[-1])
    # the child's own VmHWM: ru_maxrss also counts what the child shared with this
    # process between fork and exec (kept small anyway: the data is made in a child)
    peak = result.get("peak_self_mb") or process["ru_maxrss_mb"]
    return {**result, **process, "peak_mb": peak}


def run_side(
    name: str, python: Path, cfg: dict[str, Any], workdir: Path, repeats: int
) -> dict[str, Any]:
    """Up to ``repeats`` runs of one side (fewer once they took REPEAT_BUDGET_S); medians."""
    _, script, extra = SIDES[name]
    runs: list[dict[str, Any]] = []
    spent = 0.0
    for number in range(repeats):
        print(f"  {name} run {number + 1} ...", file=sys.stderr, flush=True)
        run = spawn(python, script, {**cfg, **extra}, workdir / f"{name}-{number}")
        runs.append(run)
        spent += run["process_wall_s"]
        if "error" in run or spent > REPEAT_BUDGET_S:
            break
    good = [r for r in runs if "error" not in r]
    if not good:
        return {
            "error": runs[-1]["error"],
            "timed_out": runs[-1].get("timed_out", False),
            "runs": runs,
        }
    return {**summarise(good), "runs": runs}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds per step, median peak, and the (first run's) verdicts."""
    steps = sorted({s for r in runs for s in r["steps"]})
    median = {
        step: {
            k: statistics.median(r["steps"][step][k] for r in runs if step in r["steps"])
            for k in ("wall_s", "cpu_s")
        }
        for step in steps
    }
    first = runs[0]
    return {
        "steps": median,
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "process_cpu_s": statistics.median(r["process_cpu_s"] for r in runs),
        "drifted": first["drifted"],
        "scores": first.get("scores", {}),
        "versions": first.get("versions", {}),
        "network_attempts": sorted({a for r in runs for a in r.get("network_attempts", [])}),
        "repeats": len(runs),
    }


def totals(name: str, result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The rows a side contributes to the table: name -> wall and CPU seconds."""
    steps = result["steps"]

    def add(*names: str) -> dict[str, float]:
        return {k: sum(steps[n][k] for n in names if n in steps) for k in ("wall_s", "cpu_s")}

    if name == "aweigh":
        return {
            "aweigh": add("read", "sketch", "compare"),
            "aweigh all-in": add("read", "sketch", "compare", "reference_sketch"),
        }
    if name == "aweigh-parquet":  # like the peers: their read is not in their figures
        return {name: add("sketch", "compare", "reference_sketch")}
    return {name: add("compare")}


# -- one size ----------------------------------------------------------------------------
def run_size(
    rows: int, pythons: dict[str, Path | None], tmp: Path, notes: list[str]
) -> dict[str, Any]:
    """Make the windows of ``rows`` rows, write them, and run every side on them."""
    from bench.peers import drift_data as dd

    print(f"\n== {rows:,} rows per window: making the data ...", file=sys.stderr, flush=True)
    folder = tmp / f"rows-{rows}"
    folder.mkdir()
    made = subprocess.run(
        [sys.executable, "-m", "bench.peers.drift_data", str(rows), str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    segments = int(made.stdout.split()[-1])
    cfg = {
        "rows": rows,
        "reference": str(folder / "reference.parquet"),
        "current": str(folder / "current.parquet"),
        "events": str(folder / "events"),
        "model": dd.MODEL,
        "dtypes": dd.DTYPES,
        "numeric": list(dd.NUMERIC),
        "categorical": list(dd.CATEGORICAL),
    }
    results: dict[str, Any] = {}
    for name, (venv, _, _) in SIDES.items():
        python = pythons.get(venv or "aweigh")
        if python is None:
            continue
        repeats = REPEATS if (venv is None or rows <= 100_000) else 1
        result = run_side(name, python, cfg, folder / "runs", repeats)
        results[name] = result
        if "error" in result:
            notes.append(f"{rows:,} rows: {name} {result['error'].splitlines()[0]}")
    return {"rows": rows, "segments": segments, "results": results}


def score(drifted: list[str]) -> tuple[int, int]:
    """(true positives of the drifted columns, false positives of the others)."""
    from bench.peers.drift_data import DRIFTED

    found = set(drifted)
    return len(found & set(DRIFTED)), len(found - set(DRIFTED))


def table(size: dict[str, Any]) -> str:
    """Markdown: one row per tool at one size, with the ratio to aweigh all-in."""
    from bench.peers.drift_data import COLUMNS, DRIFTED

    negatives = len(COLUMNS) - len(DRIFTED)
    rows: list[tuple[str, dict[str, Any], dict[str, float] | None]] = []
    for name, result in size["results"].items():
        if "error" in result:
            rows.append((name, result, None))
            continue
        for label, figures in totals(name, result).items():
            rows.append((label, result, figures))
    base = next((f for label, _, f in rows if label == BASELINE and f), None)
    lines = [
        f"| tool | wall s | CPU s | peak MB | true pos. (of {len(DRIFTED)}) "
        f"| false pos. (of {negatives}) | wall / aweigh all-in | CPU / aweigh all-in |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, result, found_figures in rows:
        if found_figures is None:
            what = "timed out" if result.get("timed_out") else "failed"
            lines.append(f"| {label} | {what} | | | | | | |")
            continue
        figures = found_figures
        tp, fp = score(result["drifted"])
        found = ("—", "—") if label in NO_VERDICT else (str(tp), str(fp))
        wall = cpu = "—"
        if base and not label.startswith("aweigh"):
            wall = _ratio(figures["wall_s"] / base["wall_s"])
            cpu = _ratio(figures["cpu_s"] / base["cpu_s"])
        lines.append(
            f"| {label} | {figures['wall_s']:.3f} | {figures['cpu_s']:.3f} "
            f"| {result['peak_mb']:.0f} | {found[0]} | {found[1]} | {wall} | {cpu} |"
        )
    return "\n".join(lines)


def _ratio(value: float) -> str:
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def breakdown(size: dict[str, Any]) -> str:
    """One line: aweigh's steps and the peers' read times (not in their figures)."""
    parts = []
    for name, result in size["results"].items():
        if "error" in result:
            continue
        steps = result["steps"]
        text = ", ".join(f"{s} {v['wall_s']:.3f}" for s, v in steps.items())
        parts.append(f"{name}: {text}")
    return "wall s per step — " + "; ".join(parts)


def verdicts(sizes: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, PASS or FAIL."""
    from bench.peers.drift_data import COLUMNS, DRIFTED

    out = []
    for size in sizes:
        rows = size["rows"]
        aweigh = size["results"].get("aweigh")
        if aweigh is None or "error" in aweigh:
            out.append(f"FAIL: aweigh did not run at {rows:,} rows")
            continue
        tp, fp = score(aweigh["drifted"])
        ok = tp == len(DRIFTED) and fp == 0
        out.append(
            f"{'PASS' if ok else 'FAIL'}: {rows:,} rows: aweigh caught {tp} of {len(DRIFTED)} "
            f"drifted columns, {fp} false positives of {len(COLUMNS) - len(DRIFTED)}"
        )
        figures = totals("aweigh", aweigh)
        if rows == 1_000_000:
            wall = figures["aweigh"]["wall_s"]
            out.append(
                f"{'PASS' if wall <= TARGET_S else 'FAIL'}: 1,000,000 rows x 25 columns read "
                f"from the event log, sketched and compared in {wall:.2f} s (<= {TARGET_S:g} s)"
            )
            peers = {
                n: totals(n, r)[n]["wall_s"]
                for n, r in size["results"].items()
                if not n.startswith("aweigh") and "error" not in r
            }
            if peers:
                fastest = min(peers, key=lambda n: peers[n])
                ratio = peers[fastest] / figures[BASELINE]["wall_s"]
                out.append(
                    f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}: the fastest peer at 1M "
                    f"rows ({fastest}) takes {ratio:.1f}x aweigh all-in's wall time "
                    f"(>= {TARGET_RATIO:g}x)"
                )
                tables = size["results"].get("aweigh-parquet")
                if tables and "error" not in tables:
                    own = totals("aweigh-parquet", tables)["aweigh-parquet"]["wall_s"]
                    out.append(
                        f"NOTE: on the peers' terms (both windows from Parquet, reads not "
                        f"counted) aweigh takes {own:.2f} s: {fastest} takes "
                        f"{peers[fastest] / own:.1f}x that"
                    )
    for size in sizes:
        for name, result in size["results"].items():
            if result.get("network_attempts"):
                out.append(f"WARNING: {name} tried the network: {result['network_attempts'][:3]}")
    return out


# -- entry point ---------------------------------------------------------------------------
def _peer_python(name: str, notes: list[str]) -> Path | None:
    """The peer's venv python, created when missing; None (with a note) if that fails."""
    from bench.registry import ensure_venv

    try:
        with contextlib.redirect_stdout(sys.stderr):
            return ensure_venv(VENVS[name], REQUIREMENTS[name])
    except (OSError, subprocess.CalledProcessError) as exc:
        notes.append(f"{name} skipped: its venv could not be created or installed ({exc}).")
        return None


def main(
    *,
    quick: bool = False,
    sizes: tuple[int, ...] | None = None,
    skip_evidently: bool = False,
    skip_nannyml: bool = False,
    skip_electricity: bool = False,
    as_json: bool = False,
    command: str = "python -m bench drift",
) -> int:
    """Run the drift benchmark; return a process exit status."""
    from bench.peers import drift_data as dd
    from bench.registry import machine

    started = datetime.now(UTC)
    notes: list[str] = []
    chosen = sizes or (QUICK_SIZES if quick else SIZES)
    pythons: dict[str, Path | None] = {"aweigh": Path(sys.executable)}
    for peer, skip in (("nannyml", skip_nannyml), ("evidently", skip_evidently)):
        pythons[peer] = None if skip else _peer_python(peer, notes)
        if skip:
            notes.append(f"{peer} skipped: --skip-{peer}.")
    done: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for rows in chosen:
            done.append(run_size(rows, pythons, Path(tmp), notes))
        electricity = None
        if not skip_electricity:
            from bench.peers import drift_electricity

            electricity = drift_electricity.run(pythons, Path(tmp) / "electricity", notes)
    info: dict[str, Any] = {
        "benchmark": "drift",
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {**machine(), "loadavg_end": list(os.getloadavg())},
        "workload": {**dd.describe(), "sizes": list(chosen)},
        "timeout_s": TIMEOUT_S,
        "sizes": done,
        "verdicts": verdicts(done),
        "electricity": electricity,
        "notes": notes,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y-%m-%d") + ("-quick" if quick else "")
    out = RESULTS / f"drift-{stamp}.json"
    out.write_text(json.dumps(info, indent=2) + "\n")
    if as_json:
        print(json.dumps(info, indent=2))
        return 0 if all(not v.startswith("FAIL") for v in info["verdicts"]) else 1
    for size in done:
        print(f"\n### {size['rows']:,} rows per window (reference and current), 25 columns\n")
        print(table(size))
        print(f"\n{breakdown(size)}")
    print()
    print("\n".join(info["verdicts"] + notes))
    if electricity is not None:
        from bench.peers import drift_electricity

        print()
        print(drift_electricity.timeline(electricity))
    print(f"\nraw results: {out.relative_to(ROOT)}")
    return 0 if all(not v.startswith("FAIL") for v in info["verdicts"]) else 1


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k rows only")
    parser.add_argument("--sizes", help="comma-separated rows per window (e.g. 10000,100000)")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--skip-nannyml", action="store_true")
    parser.add_argument("--skip-electricity", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    return main(
        quick=args.quick,
        sizes=sizes,
        skip_evidently=args.skip_evidently,
        skip_nannyml=args.skip_nannyml,
        skip_electricity=args.skip_electricity,
        as_json=args.json,
        command=" ".join(["python -m bench.drift", *(argv or sys.argv[1:])]),
    )


if __name__ == "__main__":
    sys.exit(cli())
