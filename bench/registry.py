"""Registry benchmark: aweigh (SQLite, PostgreSQL, memory) against MLflow's model registry.

Every side runs the same workload (``bench/peers/workload.py``) in its own process:
aweigh's worker in ``.venv``, MLflow's script in ``.bench-venvs/mlflow`` (created here
when missing). This module starts them, prints a Markdown table with the ratio
MLflow / aweigh-sqlite, writes the raw results to ``bench/results/registry-<date>.json``,
and profiles aweigh's slowest operation once with pyinstrument.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from bench.peers import workload as wl

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PEERS = BENCH / "peers"
NETGUARD = PEERS / "netguard"
MLFLOW_VENV = ROOT / ".bench-venvs" / "mlflow"
MLFLOW_REQUIREMENTS = PEERS / "requirements-mlflow.txt"
SHARED_ADULT = Path("/work/shared/data/adult/adult_train.csv")
SIDE_TIMEOUT_S = 600
#: set on every side alike: on a shared 2-core machine a 2-thread OpenMP predict stalls
#: whenever another tenant holds a core (seen: 240 ms for a 100-row predict)
PINNED_ENV = {"OMP_NUM_THREADS": "1"}

SIDES = ("aweigh-sqlite", "aweigh-postgres", "aweigh-memory", "mlflow-sqlite")
BASELINE, PEER = "aweigh-sqlite", "mlflow-sqlite"
#: table rows: operation key -> label
ROWS = {
    "import": "import the library (cold, n=1) [c]",
    "open": "open store + migrate (cold, n=1)",
    "register": "register (fitted model + 100-row sample)",
    "register_default": "register, MLflow defaults (pip-requirement inference) [a]",
    "resolve": "resolve `name@champion`",
    "set_alias": "set_alias (move champion)",
    "alias_history": "alias_history [b]",
    "list_versions": "list versions",
    "load": "load `name@champion` (aweigh: + sha256 check)",
    "load_predict": "load + predict 100 rows",
    "predict": "predict 100 rows (already loaded)",
}
#: rows whose ratio compares MLflow's row with another aweigh row
RATIO_BASE = {"register_default": "register"}
FOOTNOTES = [
    "[a] MLflow's log_model without pip_requirements infers them in a subprocess; aweigh "
    "has no such step, so the ratio compares it with aweigh's register.",
    "[b] MLflow keeps no alias history (only the current alias), so there is no peer call.",
    "[c] On top of pandas and scikit-learn, which every side has imported already.",
]
NOT_TIMED = {"import", "open"}


class BenchError(RuntimeError):
    """A side failed; the message carries the tail of its stderr."""


# -- environment -------------------------------------------------------------------------
def adult_csv() -> Path:
    """The Adult training rows: the shared copy, else the one aweigh ships."""
    if SHARED_ADULT.is_file():
        return SHARED_ADULT
    return Path(str(resources.files("aweigh.demo") / "data" / "adult_train.csv.gz"))


def machine() -> dict[str, Any]:
    """CPU model, core counts, memory and load, read from /proc, nproc and free."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = _command(["free", "-g"])
    mem_line = next((ln for ln in free.splitlines() if ln.startswith("Mem:")), "")
    return {
        "cpu": cpu,
        "nproc": _command(["nproc"]).strip() or str(os.cpu_count()),
        "memory_total_gib": mem_line.split()[1] if mem_line else "unknown",
        "free_g": free.strip(),
        "kernel": platform.release(),
        "loadavg_start": list(os.getloadavg()),
    }


def _command(cmd: list[str]) -> str:
    """The stdout of a short command, or "" when it is missing or fails."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(dist: str) -> str | None:
    """The installed version of a distribution in this venv, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def side_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of one side: netguard on, temp files inside ``workdir``.

    Inherited MLFLOW_* variables are dropped so the peer sees only what is set here.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(
        PYTHONPATH=str(NETGUARD),
        BENCH_NETGUARD_LOG=str(workdir / "netguard.log"),
        TMPDIR=str(workdir / "tmp"),
        GIT_OPTIONAL_LOCKS="0",  # aweigh and MLflow read git state; never take its index lock
        PIP_NO_INDEX="1",
    )
    env.update(PINNED_ENV)
    env.update(extra or {})
    return env


def mlflow_env(workdir: Path) -> dict[str, str]:
    """MLflow settings: local sqlite store, no telemetry, nothing printed to stdout."""
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    return side_env(
        workdir,
        {
            "MLFLOW_TRACKING_URI": uri,
            "MLFLOW_REGISTRY_URI": uri,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",  # else `pip install --dry-run`
            "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
            "MLFLOW_PRINT_MODEL_URLS_ON_CREATION": "false",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            "GIT_PYTHON_REFRESH": "quiet",
        },
    )


def ensure_venv(venv: Path, requirements: Path) -> Path:
    """Create a peer's venv and install its pinned requirements when they changed.

    A stamp with the requirements' sha256 makes a second run skip pip entirely.
    """
    python = venv / "bin" / "python"
    stamp = venv / ".bench-requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        base = shutil.which("python3") or sys.executable
        print(f"creating {venv} with {base} -m venv", flush=True)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    print(f"installing {requirements.name} into {venv}", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True
    )
    stamp.write_text(wanted + "\n")
    return python


def ensure_pyinstrument() -> bool:
    """Install pyinstrument into this venv when it is missing; False when that fails."""
    if importlib.util.find_spec("pyinstrument") is not None:
        return True
    print("installing pyinstrument into .venv for the profile", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pyinstrument"])
    importlib.invalidate_caches()
    return done.returncode == 0 and importlib.util.find_spec("pyinstrument") is not None


@contextlib.contextmanager
def postgres(notes: list[str]) -> Iterator[tuple[str, str] | None]:
    """A throwaway PostgreSQL (URL, server version), or None with a note why not."""
    from aweigh.testing.postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        notes.append("aweigh-postgres skipped: no PostgreSQL server binaries (initdb) found.")
        yield None
        return
    if importlib.util.find_spec("psycopg") is None:
        notes.append("aweigh-postgres skipped: psycopg is not installed (aweigh[postgres]).")
        yield None
        return
    server = PostgresServer(bindir)
    try:
        server.start()
        url = server.create_database("aweigh_bench")
    except (OSError, subprocess.SubprocessError) as exc:
        server.stop()
        notes.append(f"aweigh-postgres skipped: the server did not start ({exc}).")
        yield None
        return
    try:
        yield url, _command([str(bindir / "postgres"), "--version"]).strip()
    finally:
        server.stop()


# -- running the sides -------------------------------------------------------------------
def run_side(cmd: list[str], env: dict[str, str], name: str) -> dict[str, Any]:
    """Run one side's process and parse the JSON line it prints last."""
    print(f"running {name} ...", flush=True)
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SIDE_TIMEOUT_S
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.splitlines()[-30:])
        raise BenchError(f"{name} failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_aweigh(
    side: str, store_url: str, config: dict[str, Any], profile: tuple[str, Path] | None = None
) -> dict[str, Any]:
    """Run aweigh's worker on one store, in a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{side}-") as tmp:
        workdir = Path(tmp)
        url = store_url.replace("{workdir}", str(workdir))
        cfg = {**config, "side": side, "store_url": url, "workdir": str(workdir)}
        cmd = [sys.executable, "-m", "bench.aweigh_registry"]
        if profile is not None:
            cmd += ["--profile", profile[0], "--profile-out", str(profile[1])]
        return run_side([*cmd, json.dumps(cfg)], side_env(workdir), side)


def run_mlflow(python: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Run the MLflow script in its venv, in a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as tmp:
        workdir = Path(tmp)
        cfg = {**config, "side": PEER, "workdir": str(workdir)}
        cmd = [str(python), str(PEERS / "mlflow_registry.py"), json.dumps(cfg)]
        return run_side(cmd, mlflow_env(workdir), PEER)


# -- reporting ---------------------------------------------------------------------------
def _cell(stats: dict[str, float] | None, op: str) -> str:
    """A table cell: median (p95) ms, or the single sample of a cold operation."""
    if stats is None:
        return "n/a"
    if op in NOT_TIMED:
        return f"{stats['median_ms']:.0f}"
    return f"{stats['median_ms']:.2f} ({stats['p95_ms']:.2f})"


def _rate(per_s: float) -> str:
    """Ops/s with two decimals below 10, whole numbers above."""
    return f"{per_s:.0f}" if per_s >= 10 else f"{per_s:.2f}"


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """MLflow / aweigh-sqlite for the median and p95 of every operation both sides ran."""
    if BASELINE not in results or PEER not in results:
        return {}
    out: dict[str, dict[str, float]] = {}
    for op in ROWS:
        peer = results[PEER]["ops"].get(op)
        base = results[BASELINE]["ops"].get(RATIO_BASE.get(op, op))
        if peer and base and base["median_ms"] > 0 and base["p95_ms"] > 0:
            out[op] = {
                "median": peer["median_ms"] / base["median_ms"],
                "p95": peer["p95_ms"] / base["p95_ms"],
            }
    return out


def table(results: dict[str, dict[str, Any]], ratio: dict[str, dict[str, float]]) -> str:
    """The Markdown table: median (p95) in ms per side, and the median ratio."""
    head = ["operation", *SIDES, f"{PEER} / {BASELINE}"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for op, label in ROWS.items():
        cells = [_cell(results.get(s, {}).get("ops", {}).get(op), op) for s in SIDES]
        if op in RATIO_BASE:
            cells[:3] = ["—"] * 3
        r = ratio.get(op)
        lines.append("| " + " | ".join([label, *cells, f"{r['median']:.1f}x" if r else "—"]) + " |")
    return "\n".join(lines)


def throughput_table(results: dict[str, dict[str, Any]]) -> str:
    """Ops/s of each timed loop (sequential, one client)."""
    lines = ["| operation | " + " | ".join(SIDES) + " |", "|---|" + "---:|" * len(SIDES)]
    for op, label in ROWS.items():
        if op in NOT_TIMED:
            continue
        cells = []
        for side in SIDES:
            stats = results.get(side, {}).get("ops", {}).get(op)
            cells.append(_rate(stats["ops_per_s"]) if stats else "n/a")
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def checks(results: dict[str, dict[str, Any]]) -> list[str]:
    """Problems worth a warning: sides that predicted differently, blocked network calls."""
    problems = []
    predicted = {s: json.dumps(r["checks"]["predictions"]) for s, r in results.items()}
    if len(set(predicted.values())) > 1:
        problems.append(f"sides predicted different labels: {predicted}")
    for side, result in results.items():
        if result.get("network_attempts"):
            problems.append(f"{side} tried the network: {result['network_attempts'][:5]}")
    return problems


# -- entry point -------------------------------------------------------------------------
def main(
    *,
    quick: bool = False,
    skip_mlflow: bool = False,
    skip_postgres: bool = False,
    profile: bool = True,
    command: str = "python -m bench registry",
) -> int:
    """Run the registry benchmark; return a process exit status."""
    counts = wl.scaled_counts(0.1) if quick else dict(wl.COUNTS)
    config = {"data": str(adult_csv()), "counts": counts}
    started = datetime.now(UTC)
    notes: list[str] = []
    info: dict[str, Any] = {
        "benchmark": "registry",
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "versions": {
            "python": platform.python_version(),
            **{d: _version(d) for d in ("aweigh", "scikit-learn", "numpy", "pandas")},
            **{d: _version(d) for d in ("sqlalchemy", "alembic", "psycopg")},
        },
        "environment": PINNED_ENV,
        "workload": {
            "data": config["data"],
            "rows": wl.TRAIN_ROWS,
            "features": wl.FEATURES,
            "model": f"HistGradientBoostingClassifier(max_iter={wl.MAX_ITER})",
            "sample_rows": wl.SAMPLE_ROWS,
            "counts": {op: {"timed": n, "warmup": w} for op, (n, w) in counts.items()},
        },
    }
    results: dict[str, dict[str, Any]] = {}
    mlflow_python = None if skip_mlflow else ensure_venv(MLFLOW_VENV, MLFLOW_REQUIREMENTS)
    try:
        results["aweigh-memory"] = run_aweigh("aweigh-memory", "memory://", config)
        sqlite_url = "sqlite:///{workdir}/aweigh.db"
        results["aweigh-sqlite"] = run_aweigh("aweigh-sqlite", sqlite_url, config)
        if skip_postgres:
            notes.append("aweigh-postgres skipped: --skip-postgres.")
        else:
            with postgres(notes) as pg:
                if pg is not None:
                    results["aweigh-postgres"] = run_aweigh("aweigh-postgres", pg[0], config)
                    info["versions"]["postgresql"] = pg[1]
        if mlflow_python is not None:
            results[PEER] = run_mlflow(mlflow_python, config)
            info["versions"]["mlflow"] = results[PEER]["versions"]["mlflow"]
            info["versions"]["mlflow_python"] = results[PEER]["versions"]["python"]
        else:
            notes.append("mlflow-sqlite skipped: --skip-mlflow.")
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 1

    stamp = started.strftime("%Y-%m-%d") + ("-quick" if quick else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if profile:
        try:
            info["profile"] = profile_slowest(results, config, RESULTS / f"registry-{stamp}")
        except BenchError as exc:
            notes.append(f"profile skipped: {exc}")
    info["machine"]["loadavg_end"] = list(os.getloadavg())
    ratio = ratios(results)
    problems = checks(results)
    info.update(results=results, ratios=ratio, notes=notes, problems=problems)
    out = RESULTS / f"registry-{stamp}.json"
    out.write_text(json.dumps(info, indent=2) + "\n")

    print()
    print("Median (p95) in ms per call; ratio = MLflow median / aweigh-sqlite median.\n")
    print(table(results, ratio))
    print()
    print("\n".join(FOOTNOTES))
    print("\nThroughput (ops/s, one client, sequential):\n")
    print(throughput_table(results))
    for line in notes + [f"WARNING: {p}" for p in problems]:
        print(line)
    if "profile" in info:
        print(f"\nprofile of aweigh-sqlite {info['profile']['op']}: {info['profile']['file']}")
    print(f"raw results: {out.relative_to(ROOT)}")
    return 1 if problems else 0


def profile_slowest(
    results: dict[str, dict[str, Any]], config: dict[str, Any], prefix: Path
) -> dict[str, Any]:
    """Profile aweigh-sqlite's slowest timed operation once with pyinstrument."""
    if BASELINE not in results:
        return {"skipped": "aweigh-sqlite did not run"}
    if not ensure_pyinstrument():
        return {"skipped": "pyinstrument could not be installed"}
    timed = {op: s for op, s in results[BASELINE]["ops"].items() if op not in NOT_TIMED}
    slowest = max(timed, key=lambda op: timed[op]["median_ms"])
    path = prefix.with_name(f"{prefix.name}-profile-{slowest}.txt")
    run_aweigh(BASELINE, "sqlite:///{workdir}/aweigh.db", config, profile=(slowest, path.resolve()))
    return {"op": slowest, "file": str(path.relative_to(ROOT))}
