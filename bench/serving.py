"""Serving benchmark: aweigh's inference server against a bare baseline, MLServer and BentoML.

Two models trained on scikit-learn's breast_cancer data (30 float features), saved once
as joblib files that every server loads (aweigh serves the same bytes from a temporary
registry): ``light`` (StandardScaler + LogisticRegression) and ``heavy``
(HistGradientBoostingClassifier, 200 iterations). Each server runs in its own process
tree pinned to CPU 1 (``taskset -c 1``); the load generator, Debian's ``wrk`` with one
Lua script per protocol carrying the same row, is pinned to CPU 0. Every row is a short
warm-up, then a timed run at concurrency 1 and 32. Servers:

- ``baseline``: a bare Starlette app on uvicorn calling ``model.predict`` per request
  (``bench/peers/serving_baseline.py``, in ``.venv``);
- ``aweigh``: ``aweigh serve`` with batching off/on and the event log off/on;
- ``mlserver``: MLServer 1.7.1 + mlserver-sklearn with adaptive batching, sent V2
  requests both as one FP64 tensor and with the pandas codec (``.bench-venvs/mlserver``);
- ``bentoml``: BentoML with ``@bentoml.api(batchable=True)``
  (``bench/peers/bentoml_service.py``, ``.bench-venvs/bentoml``).

It also reads each server's idle RSS, the idle RSS of ``aweigh serve`` with the demo
model loaded, runs the event-log microbenchmark (``bench/event_log.py``), profiles the
aweigh server under load with py-spy, checks the targets of issue 3, prints the tables
and writes the raw results to ``bench/results/serving-<date>.json``. A peer that cannot
be installed, does not start or crashes is recorded with the reason; the rest goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.registry import NETGUARD, ensure_venv, machine

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS = BENCH / "peers"
RESULTS = BENCH / "results"
VENVS = ROOT / ".bench-venvs"
PEER_VENVS = {
    "mlserver": (VENVS / "mlserver", PEERS / "requirements-mlserver.txt"),
    "bentoml": (VENVS / "bentoml", PEERS / "requirements-bentoml.txt"),
}
SERVER_CPU, CLIENT_CPU = "1", "0"
MODELS = ("light", "heavy")
CONCURRENCY = (1, 32)
#: (timed seconds, warm-up seconds) of every wrk run
FULL_RUN, QUICK_RUN = (20, 2), (5, 1)
#: py-spy samples native stacks, pausing the server each time: 25 Hz keeps it near full
#: speed (100 Hz cut the heavy model's req/s by two thirds)
PROFILE_S, PROFILE_RATE = 12, 25
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 20
WRK_TIMEOUT = "10s"
BATCH = {"max_batch_size": 32, "max_batch_time_s": 0.005}  # the peers' batching settings
DEMO_RSS_LIMIT_MB = 250
#: a timed run during which other processes took more than this share of the server's
#: CPU is run again (at most twice per row, RETRIES in all, none after RETRY_UNTIL_S
#: into the benchmark); the quietest attempt is kept
MAX_OTHERS_PERCENT = 10.0
RETRIES, RETRIES_PER_ROW, RETRY_UNTIL_S = 6, 2, 15 * 60
EVENTS_TARGET = 50_000
#: set on every side alike (see BENCHMARKS.md): one OpenMP thread; no per-call
#: "X does not have valid feature names" warnings printed by scikit-learn (the V2
#: tensor request hands MLServer's model a bare array)
PINNED_ENV = {"OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore::UserWarning"}
AWEIGH_ROWS = {
    "aweigh batching off, events off": ("--no-batching", "--no-events"),
    "aweigh batching off, events on": ("--no-batching", "--events"),
    "aweigh batching on, events off": ("--batching", "--no-events"),
    "aweigh batching on, events on": ("--batching", "--events"),
}
AWEIGH_MAIN = "aweigh batching on, events on"
PROFILED = AWEIGH_MAIN


class ServerError(RuntimeError):
    """A server did not install, start, answer or stay up; the message says why."""


# -- the workload --------------------------------------------------------------------------
@dataclass
class Workload:
    """The two model files, the row every request carries, and aweigh's temporary home."""

    paths: dict[str, Path]
    sha256: dict[str, str]
    columns: list[str]
    row: list[float]
    expected: dict[str, int]
    home: Path
    info: dict[str, Any] = field(default_factory=dict)


def build_workload(workdir: Path) -> Workload:
    """Fit both models once, save them with joblib and register the same files in aweigh."""
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import aweigh

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    models = {
        "light": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "heavy": HistGradientBoostingClassifier(max_iter=200, random_state=0),
    }
    paths, digests, expected = {}, {}, {}
    home = workdir / "aweigh-home"
    registry = aweigh.connect(home=home, user="bench")
    registered = {}
    row = features.iloc[[0]]
    for name, model in models.items():
        model.fit(features, target)
        path = workdir / f"{name}.joblib"
        joblib.dump(model, path)
        paths[name] = path
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        expected[name] = int(model.predict(row)[0])
        version = registry.register(path, name, sample=features.head(100))
        registered[name] = {"ref": version.ref, "sha256": version.sha256}
        if version.sha256 != digests[name]:
            raise ServerError(f"aweigh stored {name} with another sha256 than the file")
    return Workload(
        paths=paths,
        sha256=digests,
        columns=[str(c) for c in features.columns],
        row=[float(v) for v in row.iloc[0]],
        expected=expected,
        home=home,
        info={
            "data": "sklearn.datasets.load_breast_cancer (569 rows, 30 float features)",
            "light": "make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))",
            "heavy": "HistGradientBoostingClassifier(max_iter=200, random_state=0), "
            f"{models['heavy'].n_iter_} trees fitted",
            "row": "load_breast_cancer row 0, sent as one row per request",
            "expected_labels": expected,
            "bytes": {n: p.stat().st_size for n, p in paths.items()},
            "sha256": digests,
            "registered": registered,
        },
    )


def aweigh_body(w: Workload, model: str) -> bytes:
    """aweigh's records API (and the baseline's): one row as an object of columns."""
    return json.dumps({"instances": [dict(zip(w.columns, w.row, strict=True))]}).encode()


def v2_tensor_body(w: Workload, model: str) -> bytes:
    """Open Inference Protocol: one FP64 tensor of shape [1, 30] (MLServer's numpy codec)."""
    tensor = {"name": "input-0", "shape": [1, len(w.row)], "datatype": "FP64", "data": w.row}
    return json.dumps({"inputs": [tensor]}).encode()


def v2_pandas_body(w: Workload, model: str) -> bytes:
    """Open Inference Protocol with MLServer's pandas codec: one [1] tensor per column."""
    inputs = [
        {"name": c, "shape": [1], "datatype": "FP64", "data": [v]}
        for c, v in zip(w.columns, w.row, strict=True)
    ]
    return json.dumps({"parameters": {"content_type": "pd"}, "inputs": inputs}).encode()


def bentoml_body(w: Workload, model: str) -> bytes:
    """BentoML's JSON: the API's argument ``rows`` as a [1, 30] array."""
    return json.dumps({"rows": [w.row]}).encode()


# -- processes -----------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def side_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A server's environment: netguard on, temp files in ``workdir``, pinned settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWEIGH_", "MLSERVER_", "BENTOML_", "PYTHON"))
    }
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(
        PYTHONPATH=str(NETGUARD),
        BENCH_NETGUARD_LOG=str(workdir / "netguard.log"),
        TMPDIR=str(workdir / "tmp"),
        PIP_NO_INDEX="1",
        GIT_OPTIONAL_LOCKS="0",
    )
    env.update(PINNED_ENV)
    env.update(extra or {})
    return env


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (read from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        for child in parents.get(frontier.pop(), []):
            found.append(child)
            frontier.append(child)
    return found


def rss_mb(pid: int) -> dict[str, Any]:
    """VmRSS of ``pid`` and all its descendants, in MB (1 MB = 2**20 bytes)."""
    processes: list[dict[str, Any]] = []
    for p in [pid, *children(pid)]:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{p}/status").read_text()
            kb = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
            processes.append({"pid": p, "rss_mb": round(kb / 1024, 1), "cmd": cmd.strip()})
    total = round(sum(float(p["rss_mb"]) for p in processes), 1)
    return {"total_mb": total, "processes": processes}


def cpu_busy_ticks() -> dict[str, int]:
    """user + nice + system ticks of each CPU, and its steal ticks, from /proc/stat."""
    out: dict[str, int] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(v) for v in values]
            out[name] = ticks[0] + ticks[1] + ticks[2]
            out[name + "_steal"] = ticks[7] if len(ticks) > 7 else 0
    return out


def tree_ticks(pid: int) -> int:
    """utime + stime ticks of ``pid`` and its descendants (all their threads)."""
    total = 0
    for p in [pid, *children(pid)]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


@dataclass
class CpuWatch:
    """How much of the server's and the client's CPU other processes took during a run.

    Server CPU: its busy ticks minus the server tree's own ticks (plus steal). Client CPU:
    its busy ticks minus wrk's (this process's waited-for children) and this process's.
    """

    pid: int
    start: dict[str, int] = field(default_factory=cpu_busy_ticks)
    server: int = 0
    own: float = 0.0
    began: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.server = tree_ticks(self.pid)
        self.own = _own_cpu_s()

    def finish(self) -> dict[str, float]:
        end, hz = cpu_busy_ticks(), os.sysconf("SC_CLK_TCK")
        elapsed = max(time.monotonic() - self.began, 1e-6) * hz
        server_cpu, client_cpu = f"cpu{SERVER_CPU}", f"cpu{CLIENT_CPU}"
        used = tree_ticks(self.pid) - self.server
        others = end[server_cpu] - self.start[server_cpu] - used
        others += end[server_cpu + "_steal"] - self.start[server_cpu + "_steal"]
        client_used = (_own_cpu_s() - self.own) * hz
        client_others = end[client_cpu] - self.start[client_cpu] - client_used
        client_others += end[client_cpu + "_steal"] - self.start[client_cpu + "_steal"]
        return {
            "server_cpu_used_percent": round(100 * used / elapsed, 1),
            "server_cpu_others_percent": round(max(others, 0) / elapsed * 100, 1),
            "client_cpu_used_percent": round(100 * client_used / elapsed, 1),
            "client_cpu_others_percent": round(max(client_others, 0) / elapsed * 100, 1),
        }


def _own_cpu_s() -> float:
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class RetryBudget:
    """Re-runs of disturbed rows: at most ``left`` of them, and none after ``until``."""

    left: int = RETRIES
    until: float = field(default_factory=lambda: time.monotonic() + RETRY_UNTIL_S)

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() > self.until:
            return False
        self.left -= 1
        return True


@dataclass
class Server:
    """A server process tree pinned to SERVER_CPU, its log and readiness URLs."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    ready_paths: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    start_s: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the process group and wait until every readiness URL answers 200."""
        started = time.perf_counter()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, *self.cmd],
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        pending = list(self.ready_paths)
        while pending:
            self.check_alive()
            if time.monotonic() > deadline:
                raise ServerError(f"not ready within {START_TIMEOUT_S} s ({pending[0]})")
            if http(self.base + pending[0], timeout=2)[0] == 200:
                pending.pop(0)
                continue
            time.sleep(0.25)
        self.start_s = time.perf_counter() - started
        return self.start_s

    def check_alive(self) -> None:
        """Raise ServerError with the log's tail when the server has exited."""
        if self.process is not None and self.process.poll() is not None:
            raise ServerError(f"exited with status {self.process.returncode}: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        """The last lines of the server's log, on one line."""
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace").strip().splitlines()[-lines:]
            return " | ".join(ln.strip() for ln in text)
        return ""

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it and any descendant left."""
        if self.process is None or self.process.poll() is not None:
            return
        pids = children(self.process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        time.sleep(0.5)
        for pid in pids:  # workers that left the group (setsid) would survive killpg
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start ``server``; stop it on the way out, whatever happened."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


def http(url: str, body: bytes | None = None, timeout: float = 10) -> tuple[int, bytes]:
    """One request (POST when ``body`` is given); (status, body), status 0 when it failed."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        return 0, str(exc).encode()


# -- wrk -----------------------------------------------------------------------------------
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> dict[str, Any]:
    """Requests, req/s, latency percentiles (ms) and errors from ``wrk --latency`` output."""
    out: dict[str, Any] = {"non_2xx": 0, "socket_errors": 0}
    for line in text.splitlines():
        line = line.strip()
        if match := re.match(r"(50|75|90|99)%\s+(\S+)$", line):
            out[f"p{match.group(1)}_ms"] = _ms(match.group(2))
        elif match := re.match(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", line):
            out["mean_ms"], out["max_ms"] = _ms(match.group(1)), _ms(match.group(3))
        elif match := re.match(r"(\d+) requests in ([\d.]+)(\w+),", line):
            out["requests"] = int(match.group(1))
            out["seconds"] = _ms(match.group(2) + match.group(3)) / 1000
        elif match := re.match(r"Non-2xx or 3xx responses: (\d+)", line):
            out["non_2xx"] = int(match.group(1))
        elif match := re.match(r"Socket errors: (.*)", line):
            out["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", match.group(1)))
            out["socket_error_detail"] = match.group(1)
        elif match := re.match(r"Requests/sec:\s+([\d.]+)", line):
            out["rps"] = float(match.group(1))
    missing = [k for k in ("rps", "p50_ms", "p99_ms", "requests") if k not in out]
    if missing:
        raise ServerError(f"could not read {missing} from wrk's output: {text[-400:]!r}")
    return out


def lua_script(path: Path, body: bytes) -> Path:
    """A wrk script that POSTs ``body`` as JSON on every request."""
    literal = json.dumps(body.decode())  # a JSON string literal is a valid Lua literal here
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {literal}\n"
    )
    return path


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run pinned to CLIENT_CPU: one thread, ``connections`` keep-alive connections."""
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    cmd += ["--timeout", WRK_TIMEOUT, "--latency", "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise ServerError(f"wrk failed (exit {done.returncode}): {done.stderr[-300:]}")
    result = parse_wrk(done.stdout)
    result["raw"] = done.stdout
    return result


# -- aweigh's /metrics ---------------------------------------------------------------------
def scrape(base: str) -> dict[str, float]:
    """The aweigh samples this benchmark reads: batch sizes per model and event counts."""
    status, body = http(base + "/metrics")
    if status != 200:
        return {}
    wanted = ("aweigh_batch_size_rows_sum", "aweigh_batch_size_rows_count", "aweigh_events_total")
    out: dict[str, float] = {}
    for line in body.decode().splitlines():
        if line.startswith(wanted):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def metrics_delta(before: dict[str, float], after: dict[str, float], model: str) -> dict[str, Any]:
    """Mean rows per predict call of ``model`` and events appended/written/dropped in a run."""

    def delta(prefix: str, label: str = "") -> float:
        keys = [k for k in after if k.startswith(prefix) and label in k]
        return sum(after[k] - before.get(k, 0.0) for k in keys)

    label = f'model="{model}"'
    calls = delta("aweigh_batch_size_rows_count", label)
    rows = delta("aweigh_batch_size_rows_sum", label)
    out: dict[str, Any] = {"predict_calls": calls, "mean_batch_rows": rows / calls if calls else 0}
    for outcome in ("appended", "written", "spooled", "dropped"):
        out[f"events_{outcome}"] = delta("aweigh_events_total", f'outcome="{outcome}"')
    return out


# -- the servers ---------------------------------------------------------------------------
@dataclass
class Variant:
    """A table row family: what is sent to a server, and where."""

    label: str
    path: Callable[[str], str]
    body: Callable[[Workload, str], bytes]
    predicted: Callable[[bytes], Any]


@dataclass
class Spec:
    """How to start one server and the variants it is measured with."""

    name: str
    kind: str  # "baseline", "aweigh" or "peer"
    make: Callable[[Path], Server]
    variants: list[Variant]
    settings: dict[str, Any]


def _v1_label(body: bytes) -> Any:
    return json.loads(body)["predictions"][0]


def _v2_label(body: bytes) -> Any:
    return json.loads(body)["outputs"][0]["data"][0]


def _bento_label(body: bytes) -> Any:
    return json.loads(body)[0]


V1 = Variant("", lambda m: f"/v1/models/{m}/predict", aweigh_body, _v1_label)


def baseline_spec(w: Workload) -> Spec:
    """The bare Starlette app, in .venv."""

    def make(workdir: Path) -> Server:
        port = free_port()
        models = [f"--model={n}={p}" for n, p in w.paths.items()]
        cmd = [sys.executable, str(PEERS / "serving_baseline.py"), "--port", str(port), *models]
        return Server(
            "baseline", cmd, side_env(workdir), workdir, port, ["/healthz"], workdir / "log"
        )

    settings = {"server": "uvicorn (uvloop, httptools), access log off", "predict": "inline"}
    return Spec("baseline", "baseline", make, [V1], settings)


def aweigh_spec(w: Workload, name: str, flags: tuple[str, ...]) -> Spec:
    """``aweigh serve`` on the workload's home, with batching and events as ``flags`` say."""
    from aweigh.settings import Settings

    def make(workdir: Path) -> Server:
        port = free_port()
        env = side_env(workdir, {"AWEIGH_HOME": str(w.home), "AWEIGH_USER": "bench"})
        cmd = [sys.executable, "-m", "aweigh", "serve", "--port", str(port), *flags]
        return Server(name, cmd, env, workdir, port, ["/readyz"], workdir / "log")

    defaults = Settings.model_fields
    settings = {
        "flags": " ".join(flags),
        "max_batch_size": defaults["max_batch_size"].default,
        "max_wait_ms": defaults["max_wait_ms"].default,
        "compute_threads": defaults["compute_threads"].default,
        "model_threads": defaults["model_threads"].default,
        "log_level": "info (default: JSON access log on stderr, to a file)",
        "events": f"Parquet under {w.home.name}/events" if "--events" in flags else "off",
    }
    return Spec(name, "aweigh", make, [V1], settings)


def mlserver_spec(w: Workload, python: Path) -> Spec:
    """MLServer + mlserver-sklearn with adaptive batching, both models in one server."""

    def make(workdir: Path) -> Server:
        repo = workdir / "models"
        port, grpc, metrics = free_port(), free_port(), free_port()
        repo.mkdir(parents=True, exist_ok=True)
        settings: dict[str, Any] = {"http_port": port, "grpc_port": grpc, "metrics_port": metrics}
        settings |= {"host": "127.0.0.1", "debug": False, "load_models_at_startup": True}
        (repo / "settings.json").write_text(json.dumps(settings, indent=2))
        for name, path in w.paths.items():
            (repo / name).mkdir(exist_ok=True)
            model = {
                "name": name,
                "implementation": "mlserver_sklearn.SKLearnModel",
                "max_batch_size": BATCH["max_batch_size"],
                "max_batch_time": BATCH["max_batch_time_s"],
                "parameters": {"uri": str(path)},
            }
            (repo / name / "model-settings.json").write_text(json.dumps(model, indent=2))
        cmd = [str(python.parent / "mlserver"), "start", str(repo)]
        ready = [f"/v2/models/{n}/ready" for n in MODELS]
        return Server("mlserver", cmd, side_env(workdir), workdir, port, ready, workdir / "log")

    infer = "/v2/models/{}/infer"
    variants = [
        Variant("mlserver (V2 tensor)", infer.format, v2_tensor_body, _v2_label),
        Variant("mlserver (V2 pandas codec)", infer.format, v2_pandas_body, _v2_label),
    ]
    settings = {
        "max_batch_size": BATCH["max_batch_size"],
        "max_batch_time_s": BATCH["max_batch_time_s"],
        "parallel_workers": "default (1 inference worker process)",
    }
    return Spec("mlserver", "peer", make, variants, settings)


def bentoml_spec(w: Workload, python: Path) -> Spec:
    """BentoML serving bench/peers/bentoml_service.py (one batchable API per model)."""

    def make(workdir: Path) -> Server:
        port = free_port()
        env = side_env(
            workdir,
            {
                "BENTOML_HOME": str(workdir / "bentoml-home"),
                "BENTOML_DO_NOT_TRACK": "True",
                "BENCH_MODEL_LIGHT": str(w.paths["light"]),
                "BENCH_MODEL_HEAVY": str(w.paths["heavy"]),
            },
        )
        cmd = [str(python.parent / "bentoml"), "serve", "bentoml_service:BreastCancer"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--working-dir", str(PEERS)]
        return Server("bentoml", cmd, env, workdir, port, ["/readyz"], workdir / "log")

    variant = Variant("bentoml", lambda m: f"/{m}", bentoml_body, _bento_label)
    settings: dict[str, Any] = {"batchable": True, "max_batch_size": 32, "workers": 1}
    settings["max_latency_ms"] = 10_000
    return Spec("bentoml", "peer", make, [variant], settings)


# -- measuring one server ------------------------------------------------------------------
def measure(
    spec: Spec,
    w: Workload,
    workdir: Path,
    run: tuple[int, int],
    models: tuple[str, ...],
    profile_to: Path | None,
    budget: RetryBudget,
) -> dict[str, Any]:
    """Start one server, check its answers, warm it up, read its RSS, run wrk, stop it.

    A timed run during which other processes took more than MAX_OTHERS_PERCENT of the
    server's CPU is run again while ``budget`` allows; the quieter attempt is kept.
    """
    timed_s, warm_s = run
    out: dict[str, Any] = {"server": spec.name, "kind": spec.kind, "settings": spec.settings}
    out["rows"] = rows = []
    server = spec.make(workdir)
    print(f"starting {spec.name} ...", flush=True)
    try:
        with running(server):
            out["start_s"] = round(server.start_s, 2)
            scripts = {}
            for variant in spec.variants:
                for model in models:
                    body = variant.body(w, model)
                    status, answer = http(server.base + variant.path(model), body)
                    if status != 200:
                        raise ServerError(f"{variant.path(model)} answered {status}: {answer!r}")
                    label = variant.predicted(answer)
                    if label != w.expected[model]:
                        raise ServerError(f"{model} predicted {label}, not {w.expected[model]}")
                    slug = re.sub(r"\W+", "-", f"{spec.name}-{variant.label}-{model}")
                    scripts[variant.label, model] = lua_script(workdir / f"{slug}.lua", body)
                    out.setdefault("answers", {})[f"{variant.label or spec.name}/{model}"] = answer[
                        :300
                    ].decode(errors="replace")
            for (label, model), script in scripts.items():  # warm every path, then idle
                url = server.base + next(v for v in spec.variants if v.label == label).path(model)
                wrk(url, script, max(CONCURRENCY), warm_s)
            time.sleep(1.0)
            assert server.process is not None
            out["rss_idle"] = rss_mb(server.process.pid)
            for variant in spec.variants:
                for model in models:
                    url = server.base + variant.path(model)
                    script = scripts[variant.label, model]
                    for connections in CONCURRENCY:
                        row: dict[str, Any] = {}
                        discarded: list[dict[str, Any]] = []
                        while True:
                            wrk(url, script, connections, warm_s)
                            before = scrape(server.base) if spec.kind == "aweigh" else {}
                            load = os.getloadavg()[0]
                            watch = CpuWatch(server.process.pid)
                            result = wrk(url, script, connections, timed_s)
                            result["cpu"] = watch.finish()
                            server.check_alive()
                            result["loadavg_1m"] = load
                            if spec.kind == "aweigh":
                                result["aweigh"] = metrics_delta(before, scrape(server.base), model)
                            better = not row or _others(result) < _others(row)
                            if row:
                                discarded.append(result if better else row)
                            row = {
                                "server": variant.label or spec.name,
                                "model": model,
                                "concurrency": connections,
                                **(result if better else row),
                            }
                            print(f"  {_progress(row, result)}", flush=True)
                            quiet = _others(result) <= MAX_OTHERS_PERCENT
                            if quiet or len(discarded) >= RETRIES_PER_ROW or not budget.take():
                                break
                            print("    (other processes took the server's CPU: again)")
                        row["discarded_attempts"] = [
                            {k: v for k, v in d.items() if k != "raw"} for d in discarded
                        ]
                        rows.append(row)
            out["rss_after_load"] = rss_mb(server.process.pid)
            if profile_to is not None:
                out["profile"] = profile(server, scripts, spec, models, profile_to)
            server.check_alive()
    except (ServerError, OSError, subprocess.SubprocessError) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(f"  {spec.name} FAILED: {out['error']}", flush=True)
    out["log_tail"] = server.tail(25)
    out["network_attempts"] = _netguard(workdir)
    return out


def _others(result: dict[str, Any]) -> float:
    return float(result["cpu"]["server_cpu_others_percent"])


def _progress(row: dict[str, Any], attempt: dict[str, Any]) -> str:
    extra = ""
    if "aweigh" in attempt:
        extra = f", mean batch {attempt['aweigh']['mean_batch_rows']:.1f} rows"
    errors = attempt["non_2xx"] + attempt["socket_errors"]
    return (
        f"{row['server']:<32} {row['model']:<5} c={row['concurrency']:<2} "
        f"{attempt['rps']:>8.0f} req/s  p50 {attempt['p50_ms']:.2f} ms  "
        f"p99 {attempt['p99_ms']:.2f} ms  errors {errors}, others on CPU {SERVER_CPU} "
        f"{_others(attempt):.0f}%{extra}"
    )


def _netguard(workdir: Path) -> list[str]:
    log = workdir / "netguard.log"
    return log.read_text().splitlines()[:20] if log.exists() else []


# -- profiling -----------------------------------------------------------------------------
#: a sample whose innermost native frames include one of these is a thread waiting (for a
#: lock, the GIL, a queue or epoll), not running; py-spy's own idle filter keeps them
WAITING = (
    "PyThread_acquire_lock_timed",
    "pthread_cond_timedwait",
    "pthread_cond_wait",
    "take_gil",
    "epoll_wait",
    "epoll_pwait",
    "uv__io_poll",
    "sem_timedwait",
    "sem_clockwait",
    "sem_wait",
    "select",
    "poll",
    "nanosleep",
    "clock_nanosleep",
)
#: (category, pattern): a busy sample belongs to the first pattern found walking its
#: stack from the innermost frame outwards
CATEGORIES = (
    ("garbage collection", re.compile(r"^gc_collect|^gc_collect_main|^collect ")),
    ("logging (JSON access log)", re.compile(r"\(logging/|^StreamHandler")),
    ("metrics (prometheus_client)", re.compile(r"prometheus_client/")),
    ("event log (recorder, Parquet writer)", re.compile(r"storage/events/|serving/recorder")),
    (
        "model (pandas, scikit-learn, numpy)",
        re.compile(r"\((sklearn|pandas|numpy|scipy|threadpoolctl)/|_multiarray|serving/pool"),
    ),
    ("request decoding and validation", re.compile(r"serving/codec")),
    ("aweigh serving (routes, batcher, middleware)", re.compile(r"aweigh/serving/")),
    ("starlette", re.compile(r"starlette/")),
    ("uvicorn, httptools, uvloop", re.compile(r"uvicorn/|httptools|loop\.c|stream\.c|uv__")),
    ("asyncio", re.compile(r"asyncio/|_asynciomodule")),
)
#: frames every sample of a thread has (start-up and thread bootstrap): left out of the
#: inclusive listing
BOOTSTRAP = re.compile(
    r"runpy|typer/|click/|aweigh/cli/|\(threading\.py|uvicorn/(main|server|_compat)\.py|"
    r"asyncio/(runners|base_events)\.py|^0x|^_start |^__libc_start|^main \(|^Py_RunMain|"
    r"^pymain_|^_PyEval_EvalFrameDefault|^_?PyObject_|^method_vectorcall|^thread_run|"
    r"^start_thread|^clone|^pythread_wrapper|^cfunction_|^_PyFunction_|^Runner\.run|"
    r"^<module> |^uv_run |^uv__run_idle |^uv__queue_empty |^run_until_complete |^Loop__|"
    r"^run_forever |^Py_X?DECREF |^Handle__run |^loop_cb_idle_callback |^_PyEval_Vector "
)


def profile(
    server: Server,
    scripts: dict[tuple[str, str], Path],
    spec: Spec,
    models: tuple[str, ...],
    prefix: Path,
) -> dict[str, Any]:
    """py-spy (native stacks) over the server at concurrency 32, per model; summary to text."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        return {"skipped": f"{py_spy} is missing (pip install py-spy into .venv)"}
    assert server.process is not None
    out: dict[str, Any] = {}
    for model in models:
        print(f"  profiling {spec.name} ({model}, c=32) with py-spy ...", flush=True)
        raw = prefix.with_name(f"{prefix.name}-{model}.collapsed.txt")
        url = server.base + spec.variants[0].path(model)
        script = scripts[spec.variants[0].label, model]
        load = subprocess.Popen(
            [
                *("taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c32", f"-d{PROFILE_S + 4}s"),
                *("--timeout", WRK_TIMEOUT, "--latency", "-s", str(script), url),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            time.sleep(2)
            cmd = ["taskset", "-c", CLIENT_CPU, str(py_spy), "record", "--pid"]
            cmd += [
                str(server.process.pid),
                "--duration",
                str(PROFILE_S),
                "--rate",
                str(PROFILE_RATE),
            ]
            cmd += ["--native", "--threads", "--idle", "--format", "raw", "--output", str(raw)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=PROFILE_S + 60)
        finally:
            stdout, _ = load.communicate(timeout=PROFILE_S + 60)
        if done.returncode != 0 or not raw.exists():
            out[model] = {"skipped": f"py-spy failed: {done.stderr[-300:]}"}
            continue
        summary = summarise_profile(raw.read_text(), PROFILE_S * PROFILE_RATE)
        with contextlib.suppress(ServerError):
            during = parse_wrk(stdout)
            summary["wrk_during_profile"] = {k: during[k] for k in ("rps", "p50_ms", "p99_ms")}
        text = prefix.with_name(f"{prefix.name}-{model}.txt")
        text.write_text(profile_text(summary, spec.name, model))
        summary.update(collapsed=str(raw.relative_to(ROOT)), summary=str(text.relative_to(ROOT)))
        out[model] = summary
    return out


def _frame(raw: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (to/file.py)``, which merges a function's lines."""
    match = re.match(r"(.*) \((.*?)(:\d+)?\)$", raw)
    if match is None:
        return raw
    func, path = match.group(1), match.group(2)
    parts = Path(path).parts
    for anchor in ("site-packages", "src", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    return f"{func} ({'/'.join(parts[-3:])})"


def summarise_profile(collapsed: str, per_thread: int, top: int = 25) -> dict[str, Any]:
    """Busy and waiting samples per thread; busy samples by category, self and inclusive.

    ``per_thread`` is the number of samples one always-running thread would get (duration
    x rate), so ``core_percent`` is a share of the one CPU the server is pinned to.
    """
    threads: dict[str, Counter[str]] = {}
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    busy = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = stack.split(";")
        thread = re.sub(r"\s*\(?0x[0-9a-f]+\)?|\(\d+\)", "", names[0]).strip()
        frames = [_frame(f) for f in names[1:] if not f.startswith("process ")]
        waiting = any(f.startswith(WAITING) for f in frames[-4:])
        threads.setdefault(thread, Counter())["waiting" if waiting else "busy"] += count
        if waiting or not frames:
            continue
        busy += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not BOOTSTRAP.search(frame):
                inclusive[frame] += count
        categories[_category(frames)] += count

    def share(counter: Counter[str], n: int = top) -> list[dict[str, Any]]:
        return [
            {
                "frame": f,
                "samples": k,
                "percent": round(100 * k / max(busy, 1), 1),
                "core_percent": round(100 * k / per_thread, 1),
            }
            for f, k in counter.most_common(n)
        ]

    return {
        "busy_samples": busy,
        "samples_per_thread": per_thread,
        "threads": {
            t: {
                "busy_core_percent": round(100 * c["busy"] / per_thread, 1),
                "waiting_percent": round(100 * c["waiting"] / per_thread, 1),
            }
            for t, c in sorted(threads.items(), key=lambda item: -item[1]["busy"])
        },
        "categories": share(categories, len(categories)),
        "self": share(own),
        "inclusive": share(inclusive),
    }


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in CATEGORIES:
            if pattern.search(frame):
                return name
    return "other (interpreter, C)"


def profile_text(summary: dict[str, Any], server: str, model: str) -> str:
    """The profile summary as plain text."""
    lines = [
        f"py-spy record --native --threads --idle --rate {PROFILE_RATE}, {PROFILE_S} s of "
        f"`{server}` serving "
        f"the {model} model at concurrency 32 (wrk and py-spy on CPU {CLIENT_CPU}, the server "
        f"on CPU {SERVER_CPU}). Samples whose innermost frames wait (lock, GIL, queue, epoll) "
        f"are 'waiting'; the rest, {summary['busy_samples']}, are 'busy'. "
        "'% busy' is the share of busy samples; '% core' the share of one CPU's time.",
        f"wrk during the profile (py-spy pauses the process to sample it, so this is slower "
        f"than the timed run): {summary.get('wrk_during_profile')}",
        "",
        "threads (% of one core busy, % of the time waiting):",
    ]
    for thread, t in summary["threads"].items():
        lines.append(
            f"  {t['busy_core_percent']:5.1f}% busy  {t['waiting_percent']:5.1f}% waiting  {thread}"
        )
    for key, title in (
        ("categories", "busy samples by category (innermost matching frame)"),
        ("self", "self: the innermost frame of busy samples"),
        ("inclusive", "inclusive: frames on the stack of busy samples (bootstrap frames left out)"),
    ):
        lines += ["", f"{title}:", "  % busy  % core  samples  frame"]
        lines += [
            f"  {e['percent']:6.1f}  {e['core_percent']:6.1f}  {e['samples']:7d}  {e['frame']}"
            for e in summary[key]
        ]
    return "\n".join(lines) + "\n"


# -- the demo server's RSS, predict timing, event log --------------------------------------
IDLE_S = 6.0  # seconds after the warm-up burst at which "idle" RSS is read


def demo_rss(workdir: Path, warm_s: int) -> dict[str, Any]:
    """Idle RSS of ``aweigh serve`` with the demo model (``aweigh demo --rows 200`` first)."""
    from aweigh.demo.run import MODEL_NAME

    home = workdir / "demo-home"
    env = side_env(workdir, {"AWEIGH_HOME": str(home), "AWEIGH_USER": "bench"})
    print("running `aweigh demo --rows 200` for the demo model ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aweigh", "demo", "--rows", "200"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise ServerError(f"aweigh demo failed (exit {done.returncode}): {done.stderr[-500:]}")
    out: dict[str, Any] = {"demo_s": round(time.perf_counter() - started, 1)}
    port = free_port()
    cmd = [sys.executable, "-m", "aweigh", "serve", "--port", str(port)]
    server = Server("aweigh demo", cmd, env, workdir, port, ["/readyz"], workdir / "demo-log")
    body = json.dumps({"instances": demo_row(home)}).encode()
    with running(server):
        assert server.process is not None
        time.sleep(1.0)
        out["rss_loaded"] = rss_mb(server.process.pid)
        path = f"/v1/models/{MODEL_NAME}/predict"
        status, answer = http(server.base + path, body)
        if status != 200:
            raise ServerError(f"the demo model answered {status}: {answer[:300]!r}")
        warm = wrk(server.base + path, lua_script(workdir / "demo.lua", body), 32, max(warm_s, 2))
        out["warmup"] = {k: warm[k] for k in ("requests", "rps", "p50_ms", "p99_ms", "non_2xx")}
        time.sleep(1.0)
        out["rss_after_burst"] = rss_mb(server.process.pid)
        time.sleep(IDLE_S - 1.0)  # idle: the server trims its heap 2-4 s after traffic stops
        out["rss_idle"] = rss_mb(server.process.pid)
        out["models"] = json.loads(http(server.base + "/readyz")[1])["models"]
    out["network_attempts"] = _netguard(workdir)
    return out


def demo_row(home: Path) -> list[dict[str, Any]]:
    """One Adult test row with exactly the columns the registered demo model expects."""
    import aweigh
    from aweigh.demo import datasets
    from aweigh.demo.run import MODEL_NAME
    from aweigh.demo.traffic import records

    frame = datasets.load_adult("test").head(1)
    with_customers = getattr(datasets, "with_customers", None)  # ids and e-mails, if any
    if with_customers is not None:
        frame = with_customers(frame, "test")
    names = list(aweigh.connect(home=home, user="bench").resolve(MODEL_NAME).signature.names)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ServerError(f"the demo model expects columns the demo data lacks: {missing}")
    return records(frame[names] if names else frame.drop(columns=[datasets.ADULT_TARGET]))


def time_predict(paths: dict[str, str]) -> dict[str, Any]:
    """Per-call predict time of each model on one row and on 32 rows (run pinned, n=300)."""
    import joblib
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    features = load_breast_cancer(as_frame=True).data
    out: dict[str, Any] = {}
    for name, path in paths.items():
        model = joblib.load(path)
        for rows in (1, 32):
            frame = pd.DataFrame(features.head(rows))
            for method in ("predict", "predict_proba"):
                call = getattr(model, method)
                for _ in range(20):
                    call(frame)
                times = []
                for _ in range(300 if rows == 1 else 100):
                    t = time.perf_counter_ns()
                    call(frame)
                    times.append(time.perf_counter_ns() - t)
                out[f"{name} {method} {rows} row(s)"] = {
                    "median_ms": round(statistics.median(times) / 1e6, 3),
                    "p95_ms": round(sorted(times)[int(len(times) * 0.95)] / 1e6, 3),
                }
    return out


def run_time_predict(w: Workload, workdir: Path) -> dict[str, Any]:
    """``time_predict`` in its own process on SERVER_CPU, like the servers."""
    arg = json.dumps({n: str(p) for n, p in w.paths.items()})
    cmd = ["taskset", "-c", SERVER_CPU, sys.executable, "-m", "bench.serving", "--time-predict"]
    done = subprocess.run(
        [*cmd, arg], cwd=ROOT, env=side_env(workdir), capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise ServerError(f"predict timing failed: {done.stderr[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def event_log_bench(workdir: Path, quick: bool) -> dict[str, Any]:
    """``bench/event_log.py --json`` (500,000 events; 100,000 with --quick)."""
    cmd = [sys.executable, str(BENCH / "event_log.py"), "--json"]
    cmd += ["--events", "100000" if quick else "500000"]
    done = subprocess.run(
        cmd, cwd=ROOT, env=side_env(workdir), capture_output=True, text=True, timeout=600
    )
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise ServerError(f"bench/event_log.py failed (exit {done.returncode}): {done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["exit_status"] = done.returncode
    return result


# -- reporting -----------------------------------------------------------------------------
def all_rows(servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every measured row, with its ratio of req/s to the baseline's (same model and c)."""
    rows = [row for s in servers for row in s.get("rows", [])]
    base = {(r["model"], r["concurrency"]): r for r in rows if r["server"] == "baseline"}
    for row in rows:
        b = base.get((row["model"], row["concurrency"]))
        row["x_baseline"] = row["rps"] / b["rps"] if b and b["rps"] else None
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of every row, grouped by model and concurrency."""
    head = (
        "| server | model | c | req/s | p50 ms | p99 ms | errors | x baseline | mean batch "
        f"| others on CPU {SERVER_CPU} |"
    )
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for model in MODELS:
        for c in CONCURRENCY:
            for r in rows:
                if r["model"] != model or r["concurrency"] != c:
                    continue
                ratio = f"{r['x_baseline']:.2f}x" if r["x_baseline"] is not None else "—"
                batch = f"{r['aweigh']['mean_batch_rows']:.1f}" if "aweigh" in r else ""
                errors = r["non_2xx"] + r["socket_errors"]
                lines.append(
                    f"| {r['server']} | {model} | {c} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
                    f"{r['p99_ms']:.2f} | {errors} | {ratio} | {batch} | {_others(r):.0f}% |"
                )
    return "\n".join(lines)


def rss_table(servers: list[dict[str, Any]], demo: dict[str, Any] | None) -> str:
    """Idle RSS after warm-up (both models loaded), and after the timed runs."""
    lines = [
        "| server | processes | idle RSS MB (after warm-up) | RSS MB after the runs |",
        "|---|---:|---:|---:|",
    ]
    for s in servers:
        idle, after = s.get("rss_idle"), s.get("rss_after_load")
        if idle is None:
            lines.append(f"| {s['server']} | — | failed | — |")
            continue
        after_mb = f"{after['total_mb']:.0f}" if after else "—"
        lines.append(
            f"| {s['server']} | {len(idle['processes'])} | {idle['total_mb']:.0f} | {after_mb} |"
        )
    if demo and "rss_idle" in demo:
        lines.append(
            f"| aweigh serve, demo model (adult-income) | {len(demo['rss_idle']['processes'])} "
            f"| {demo['rss_idle']['total_mb']:.0f} | — |"
        )
    return "\n".join(lines)


def _find(rows: list[dict[str, Any]], server: str, model: str, c: int) -> dict[str, Any] | None:
    for r in rows:
        if r["server"] == server and r["model"] == model and r["concurrency"] == c:
            return r
    return None


def _best_peer(rows: list[dict[str, Any]], peers: set[str], model: str) -> dict[str, Any] | None:
    candidates = [r for r in rows if r["server"] in peers and r["model"] == model]
    candidates = [r for r in candidates if r["concurrency"] == max(CONCURRENCY)]
    return max(candidates, key=lambda r: r["rps"], default=None)


def check_targets(
    rows: list[dict[str, Any]],
    peers: set[str],
    demo: dict[str, Any] | None,
    events: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The targets of issue 3: one entry per check, with the figures behind it."""
    checks: list[dict[str, Any]] = []

    def add(name: str, ok: bool | None, figures: str) -> None:
        checks.append({"target": name, "result": _verdict(ok), "figures": figures})

    c = max(CONCURRENCY)
    # light model, c=32, batching and event log on
    aw, base = _find(rows, AWEIGH_MAIN, "light", c), _find(rows, "baseline", "light", c)
    peer = _best_peer(rows, peers, "light")
    if aw and peer:
        add(
            "light c=32, batching+events on: req/s >= 2x best peer",
            aw["rps"] >= 2 * peer["rps"],
            f"{aw['rps']:.0f} vs {peer['server']} {peer['rps']:.0f} "
            f"({aw['rps'] / peer['rps']:.2f}x)",
        )
    else:
        add("light c=32, batching+events on: req/s >= 2x best peer", None, "no peer row")
    if aw and base:
        add(
            "light c=32, batching+events on: req/s >= 1.0x baseline",
            aw["rps"] >= base["rps"],
            f"{aw['rps']:.0f} vs {base['rps']:.0f} ({aw['rps'] / base['rps']:.2f}x)",
        )
        add(
            "light c=32, batching+events on: p99 <= baseline's",
            aw["p99_ms"] <= base["p99_ms"],
            f"{aw['p99_ms']:.2f} ms vs {base['p99_ms']:.2f} ms",
        )
    # heavy model, c=32: batching on vs off (events on and off), vs best peer
    peer = _best_peer(rows, peers, "heavy")
    for events_on in ("on", "off"):
        on = _find(rows, f"aweigh batching on, events {events_on}", "heavy", c)
        off = _find(rows, f"aweigh batching off, events {events_on}", "heavy", c)
        tag = f"heavy c=32, events {events_on}: batching on"
        if on and off:
            add(
                f"{tag} >= 3x batching off (req/s)",
                on["rps"] >= 3 * off["rps"],
                f"{on['rps']:.0f} vs {off['rps']:.0f} ({on['rps'] / off['rps']:.2f}x)",
            )
        if on and peer:
            add(
                f"{tag} >= 2x best peer (req/s)",
                on["rps"] >= 2 * peer["rps"],
                f"{on['rps']:.0f} vs {peer['server']} {peer['rps']:.0f} "
                f"({on['rps'] / peer['rps']:.2f}x)",
            )
        if on and off and peer:
            add(
                f"{tag}: p99 lower than batching off's and the best peer's",
                on["p99_ms"] < off["p99_ms"] and on["p99_ms"] < peer["p99_ms"],
                f"{on['p99_ms']:.2f} ms vs {off['p99_ms']:.2f} ms (off), "
                f"{peer['p99_ms']:.2f} ms ({peer['server']})",
            )
    # concurrency 1: p50 within 1 ms of the baseline's, every aweigh configuration
    for model in MODELS:
        base = _find(rows, "baseline", model, 1)
        for name in AWEIGH_ROWS:
            aw = _find(rows, name, model, 1)
            if aw and base:
                diff = aw["p50_ms"] - base["p50_ms"]
                add(
                    f"{model} c=1, {name}: p50 within 1 ms of baseline's",
                    abs(diff) <= 1.0,
                    f"{aw['p50_ms']:.2f} ms vs {base['p50_ms']:.2f} ms ({diff:+.2f} ms)",
                )
    if events is not None:
        add(
            f"event log >= {EVENTS_TARGET:,} events/s to Parquet",
            events["events_per_s"] >= EVENTS_TARGET and events["dropped"] == 0,
            f"{events['events_per_s']:,} events/s, dropped {events['dropped']}",
        )
    if demo and "rss_idle" in demo:
        mb = demo["rss_idle"]["total_mb"]
        add(f"idle demo server < {DEMO_RSS_LIMIT_MB} MB RSS", mb < DEMO_RSS_LIMIT_MB, f"{mb} MB")
    return checks


def _verdict(ok: bool | None) -> str:
    return "N/A" if ok is None else ("PASS" if ok else "FAIL")


def src_digest() -> str:
    """sha256 over src/aweigh/**/*.py: which state of a tree others edit was measured."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "aweigh").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (done.stdout + done.stderr).strip().splitlines()[0]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def peer_versions(python: Path, dists: list[str]) -> dict[str, str | None]:
    """Versions of ``dists`` installed in a peer's venv."""
    code = (
        "import json, sys\nfrom importlib import metadata\nout = {}\n"
        "for d in sys.argv[1:]:\n    try: out[d] = metadata.version(d)\n"
        "    except metadata.PackageNotFoundError: out[d] = None\nprint(json.dumps(out))"
    )
    done = subprocess.run(
        [str(python), "-c", code, *dists], capture_output=True, text=True, timeout=60
    )
    result: dict[str, str | None] = json.loads(done.stdout) if done.returncode == 0 else {}
    return result


# -- the garbage-collector check (--gc-check) ----------------------------------------------
GC_MODES = {"as shipped": False, "with gc.freeze() after start-up": True}


def _gc_delta(before: dict[str, Any], after: dict[str, Any], wall_s: float) -> dict[str, Any]:
    """Collections during one run: count and time per generation, full-collection pauses."""
    out: dict[str, Any] = {}
    total = 0.0
    for gen in ("gen0", "gen1", "gen2"):
        count = after[gen]["count"] - before[gen]["count"]
        spent = after[gen]["total_s"] - before[gen]["total_s"]
        total += spent
        out[gen] = {"count": count, "total_ms": round(spent * 1000, 1)}
    pauses = after["gen2"]["durations_s"][len(before["gen2"]["durations_s"]) :]
    if pauses:
        out["gen2"]["median_ms"] = round(statistics.median(pauses) * 1000, 1)
        out["gen2"]["max_ms"] = round(max(pauses) * 1000, 1)
    out["gc_share_of_wall_percent"] = round(100 * total / wall_s, 1)
    return out


def _read_gc(path: Path, after: float = 0.0) -> dict[str, Any]:
    """The launcher's latest report (waiting for one written after ``after``)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            report: dict[str, Any] = json.loads(path.read_text())
            if report.get("time", 0) > after:
                return report
        time.sleep(0.2)
    raise ServerError(f"no GC report in {path}")


def gc_check(w: Workload, workdir: Path, run: tuple[int, int]) -> list[dict[str, Any]]:
    """aweigh (batching and events on) at c=32, as shipped and with gc.freeze(), GC timed."""
    rows: list[dict[str, Any]] = []
    for mode, freeze in GC_MODES.items():
        side = workdir / re.sub(r"\W+", "-", mode)
        side.mkdir()
        report, trigger = side / "gc.json", side / "freeze"
        port = free_port()
        env = side_env(side, {"AWEIGH_HOME": str(w.home), "AWEIGH_USER": "bench"})
        cmd = [sys.executable, str(PEERS / "serving_gcwatch.py"), str(report), str(trigger)]
        cmd += ["serve", "--port", str(port), "--batching", "--events"]
        server = Server(f"aweigh {mode}", cmd, env, side, port, ["/readyz"], side / "log")
        print(f"starting aweigh batching on, events on, {mode} ...", flush=True)
        with running(server):
            scripts = {m: lua_script(side / f"{m}.lua", aweigh_body(w, m)) for m in MODELS}
            urls = {m: server.base + V1.path(m) for m in MODELS}
            for model in MODELS:
                wrk(urls[model], scripts[model], max(CONCURRENCY), run[1])
            if freeze:
                trigger.touch()
            frozen = _read_gc(report, time.monotonic())
            for model in MODELS:
                wrk(urls[model], scripts[model], max(CONCURRENCY), run[1])
                before = _read_gc(report, time.monotonic())
                started = time.monotonic()
                result = wrk(urls[model], scripts[model], max(CONCURRENCY), run[0])
                wall = time.monotonic() - started
                after = _read_gc(report, time.monotonic())
                row: dict[str, Any] = {"mode": mode, "model": model, "concurrency": CONCURRENCY[-1]}
                row |= {k: result[k] for k in ("rps", "p50_ms", "p99_ms", "requests")}
                row["gc"] = _gc_delta(before, after, wall)
                row["frozen_objects"] = frozen.get("frozen")
                rows.append(row)
                gen2 = row["gc"]["gen2"]
                print(
                    f"  {model:<5} {row['rps']:>7.0f} req/s  p50 {row['p50_ms']:.2f} ms  p99 "
                    f"{row['p99_ms']:.2f} ms  full collections {gen2['count']} "
                    f"(median {gen2.get('median_ms', 0)} ms), GC "
                    f"{row['gc']['gc_share_of_wall_percent']}% of the wall time",
                    flush=True,
                )
    return rows


def gc_table(rows: list[dict[str, Any]]) -> str:
    """The --gc-check rows as a Markdown table."""
    lines = [
        "| aweigh (batching, events on), c=32 | model | req/s | p50 ms | p99 ms | full "
        "collections | median / max pause ms | GC % of wall time |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        gen2 = r["gc"]["gen2"]
        pause = f"{gen2.get('median_ms', 0)} / {gen2.get('max_ms', 0)}"
        lines.append(
            f"| {r['mode']} | {r['model']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {gen2['count']} | {pause} | "
            f"{r['gc']['gc_share_of_wall_percent']} |"
        )
    return "\n".join(lines)


def gc_main(*, quick: bool = False, command: str = "python -m bench serving --gc-check") -> int:
    """Run only the GC check; raw results to bench/results/serving-<date>-gc.json."""
    run = QUICK_RUN if quick else FULL_RUN
    started = datetime.now(UTC)
    info: dict[str, Any] = {
        "benchmark": "serving --gc-check",
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "run": {"timed_s": run[0], "warmup_s": run[1]},
        "versions": {"python": platform.python_version(), "aweigh": _version("aweigh")},
    }
    info["versions"]["aweigh_src_sha256"] = src_digest()
    with tempfile.TemporaryDirectory(prefix="bench-serving-gc-") as tmp:
        workdir = Path(tmp)
        w = build_workload(workdir)
        try:
            rows = gc_check(w, workdir, run)
        except (ServerError, OSError, subprocess.SubprocessError) as exc:
            print(f"GC check failed: {exc}", file=sys.stderr)
            return 1
    info["rows"] = rows
    stamp = started.strftime("%Y-%m-%d") + ("-quick" if quick else "")
    out = RESULTS / f"serving-{stamp}-gc.json"
    out.write_text(json.dumps(info, indent=2) + "\n")
    print()
    print(gc_table(rows))
    print(f"raw results: {out.relative_to(ROOT)}")
    return 0


# -- entry point ---------------------------------------------------------------------------
def main(
    *,
    quick: bool = False,
    skip_peers: bool = False,
    profile_aweigh: bool = True,
    only: list[str] | None = None,
    models: tuple[str, ...] = MODELS,
    command: str = "python -m bench serving",
) -> int:
    """Run the serving benchmark; return a process exit status (1 when a target fails)."""
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    run = QUICK_RUN if quick else FULL_RUN
    started = datetime.now(UTC)
    partial = bool(only) or skip_peers or tuple(models) != MODELS
    stamp = started.strftime("%Y-%m-%d") + ("-quick" if quick else "")
    stamp += "-partial" if partial else ""
    RESULTS.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    info: dict[str, Any] = {
        "benchmark": "serving",
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine(),
        "run": {
            "timed_s": run[0],
            "warmup_s": run[1],
            "concurrency": list(CONCURRENCY),
            "wrk": f"wrk -t1 -c<c> -d<s> --timeout {WRK_TIMEOUT} --latency -s <script>",
            "rerun_above_others_percent": MAX_OTHERS_PERCENT,
            "retries": RETRIES,
            "retries_per_row": RETRIES_PER_ROW,
            "profile": f"py-spy --native --rate {PROFILE_RATE} for {PROFILE_S} s",
        },
        "pinning": {"server_cpu": SERVER_CPU, "client_cpu": CLIENT_CPU},
        "environment": PINNED_ENV,
        "versions": {
            "python": platform.python_version(),
            **{
                d: _version(d)
                for d in ("aweigh", "uvicorn", "starlette", "uvloop", "httptools", "orjson")
            },
            **{d: _version(d) for d in ("scikit-learn", "numpy", "pandas", "joblib", "py-spy")},
            "wrk": _wrk_version(),
            "aweigh_src_sha256": src_digest(),
        },
    }
    servers: list[dict[str, Any]] = []
    demo: dict[str, Any] | None = None
    events: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        workdir = Path(tmp)
        print("training and registering the two models ...", flush=True)
        w = build_workload(workdir)
        info["workload"] = w.info
        try:
            info["predict_timing"] = run_time_predict(w, workdir)
        except ServerError as exc:
            notes.append(str(exc))
        budget = RetryBudget()
        specs = [baseline_spec(w)]
        specs += [aweigh_spec(w, name, flags) for name, flags in AWEIGH_ROWS.items()]
        specs += [] if skip_peers else peer_specs(w, info, notes)
        if only:
            specs = [s for s in specs if any(o in s.name for o in only)]
        for index, spec in enumerate(specs):
            side = workdir / f"server-{index}"
            side.mkdir()
            prefix = RESULTS / f"serving-{stamp}-profile"
            wanted = profile_aweigh and spec.name == PROFILED
            profile_to = prefix if wanted else None
            servers.append(measure(spec, w, side, run, models, profile_to, budget))
        if only is None or any("demo" in o for o in only):
            try:
                demo = demo_rss(workdir / "demo", run[1])
            except (ServerError, OSError, subprocess.SubprocessError) as exc:
                notes.append(f"demo RSS not measured: {exc}")
        try:
            print("running bench/event_log.py ...", flush=True)
            events = event_log_bench(workdir / "events", quick)
        except (ServerError, OSError, subprocess.SubprocessError, ValueError) as exc:
            notes.append(f"event-log microbenchmark failed: {exc}")
    info["machine"]["loadavg_end"] = list(os.getloadavg())
    rows = all_rows(servers)
    peers = {r["server"] for r in rows if r["server"].startswith(("mlserver", "bentoml"))}
    checks = check_targets(rows, peers, demo, events)
    for s in servers:
        if "error" in s:
            notes.append(f"{s['server']} failed: {s['error']}")
        if s.get("network_attempts"):
            notes.append(f"{s['server']} tried the network: {s['network_attempts'][:3]}")
    info.update(servers=servers, demo=demo, event_log=events, checks=checks, notes=notes)
    out = RESULTS / f"serving-{stamp}.json"
    out.write_text(json.dumps(info, indent=2, default=str) + "\n")
    print_report(info, rows, servers, demo, events, checks, notes)
    print(f"raw results: {out.relative_to(ROOT)}")
    return 1 if any(c["result"] == "FAIL" for c in checks) else 0


def peer_specs(w: Workload, info: dict[str, Any], notes: list[str]) -> list[Spec]:
    """MLServer's and BentoML's specs, building their venvs; a failed install is a note."""
    specs = []
    for peer, make in (("mlserver", mlserver_spec), ("bentoml", bentoml_spec)):
        venv, requirements = PEER_VENVS[peer]
        try:
            python = ensure_venv(venv, requirements)
        except (OSError, subprocess.SubprocessError) as exc:
            notes.append(f"{peer} skipped: could not install {requirements.name}: {exc}")
            continue
        dists = ["mlserver", "mlserver-sklearn", "uvloop"] if peer == "mlserver" else ["bentoml"]
        dists += ["uvicorn", "starlette", "scikit-learn", "numpy", "pandas", "joblib"]
        info["versions"][peer] = {"python": _peer_python(python), **peer_versions(python, dists)}
        specs.append(make(w, python))
    return specs


def _peer_python(python: Path) -> str:
    done = subprocess.run([str(python), "--version"], capture_output=True, text=True)
    return done.stdout.strip().removeprefix("Python ")


def print_report(
    info: dict[str, Any],
    rows: list[dict[str, Any]],
    servers: list[dict[str, Any]],
    demo: dict[str, Any] | None,
    events: dict[str, Any] | None,
    checks: list[dict[str, Any]],
    notes: list[str],
) -> None:
    """The tables, the per-call predict times, the event log figures and the checks."""
    print()
    print(
        f"wrk -t1 on CPU {CLIENT_CPU}, each server on CPU {SERVER_CPU}; "
        f"{info['run']['timed_s']} s per row after a {info['run']['warmup_s']} s warm-up. "
        "x baseline = req/s / the bare baseline's req/s (same model, same concurrency). "
        f"others on CPU {SERVER_CPU} = share of the server's CPU that other processes took "
        f"during the timed run (a row above {MAX_OTHERS_PERCENT:.0f}% is run again, at most "
        f"{RETRIES_PER_ROW} times, {RETRIES} in all, and the quietest attempt kept).\n"
    )
    print(table(rows))
    print("\nRSS (process tree, both models loaded):\n")
    print(rss_table(servers, demo))
    timing = info.get("predict_timing")
    if timing:
        print("\nmodel alone, one call on CPU " + SERVER_CPU + " (median ms):")
        for key, stats in timing.items():
            print(f"  {key}: {stats['median_ms']:.3f}")
    if events:
        print(
            f"\nevent log: {events['events_per_s']:,} events/s to Parquet "
            f"({events['events']:,} events), append p50 {events['append_p50_us']} µs, "
            f"p99 {events['append_p99_us']} µs, dropped {events['dropped']}"
        )
    for server in servers:
        for model, p in (server.get("profile") or {}).items():
            if "summary" in p:
                print(f"profile of {server['server']} ({model}): {p['summary']}")
    print("\nTargets (issue 3):")
    for c in checks:
        print(f"  {c['result']:<4}  {c['target']}: {c['figures']}")
    for note in notes:
        print(f"NOTE: {note}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--time-predict":
        print(json.dumps(time_predict(json.loads(sys.argv[2]))))
        sys.exit(0)
    from bench.__main__ import main as bench_main

    sys.exit(bench_main(["serving", *sys.argv[1:]]))
