"""Helpers for the tests that run the real server: ``aweigh serve`` as a subprocess.

Each server gets its own home (registry, artifacts, events), a free loopback port and
a log file. ``running_server`` always stops the process (SIGTERM, then SIGKILL) and
prints the tail of its log, which pytest shows when the test fails.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

import aweigh

AWEIGH = Path(sys.executable).with_name("aweigh")
USER = "test"
READY_TIMEOUT_S = 45.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server: no AWEIGH_* from outside, its own home and user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWEIGH_")}
    env.update({"AWEIGH_HOME": str(home), "AWEIGH_USER": USER, "PYTHONUNBUFFERED": "1"})
    # One OpenMP thread per process: on a shared 2-core machine, OpenMP's spinning
    # threads make a HistGradientBoosting predict many times slower when cores are busy.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra or {})
    return env


@dataclass
class Server:
    """One ``aweigh serve`` process."""

    home: Path
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S, *, consecutive: int = 1) -> Any:
        """Poll GET /readyz until it answers 200 (``consecutive`` times in a row)."""
        deadline = time.monotonic() + timeout_s
        last: str = "no answer yet"
        streak = 0
        body: Any = None
        # A new connection per poll, so each of several uvicorn workers may be asked.
        with httpx.Client(
            base_url=self.url, timeout=2.0, headers={"Connection": "close"}
        ) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise AssertionError(
                        f"the server exited with status {self.proc.returncode} before it was "
                        f"ready:\n{self.log_tail()}"
                    )
                try:
                    response = client.get("/readyz")
                except httpx.TransportError as exc:
                    last, streak = repr(exc), 0
                else:
                    last = f"{response.status_code} {response.text[:500]}"
                    if response.status_code == 200:
                        streak += 1
                        body = response.json()
                        if streak >= consecutive:
                            return body
                        continue
                    streak = 0
                time.sleep(0.05)
        raise AssertionError(
            f"the server was not ready after {timeout_s} s (last /readyz: {last}):\n"
            f"{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 15.0) -> int:
        """SIGTERM, wait up to ``timeout_s``, then SIGKILL; the exit status.

        Whatever is left of the server's own process group (uvicorn workers whose
        parent was killed, say) is killed too.
        """
        try:
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
                try:
                    return self.proc.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            return self.proc.wait(10)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: pgid == pid

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def start_server(
    home: Path,
    *,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    log_name: str = "server.log",
    port: int | None = None,
) -> Server:
    """Start ``aweigh serve`` on a free port (not waiting for it to be ready)."""
    port = port or free_port()
    log_path = home.parent / f"{home.name}-{log_name}"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(AWEIGH), "serve", "--port", str(port), "--log-level", "info", *args],
            env=server_env(home, env),
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(home, port, proc, log_path)


@contextlib.contextmanager
def running_server(
    home: Path,
    *,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    log_name: str = "server.log",
    consecutive: int = 1,
) -> Iterator[Server]:
    """A ready server that is always stopped afterwards (its log tail is printed)."""
    server = start_server(home, args=args, env=env, log_name=log_name)
    try:
        server.wait_ready(consecutive=consecutive)
        yield server
    finally:
        status = server.stop()
        print(f"--- {server.log_path.name} (exit status {status}) ---\n{server.log_tail()}")


# -- models -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Trained:
    """The models every test registers, trained once with seed 42."""

    adult: Any
    adult_features: pd.DataFrame
    cancer: Any
    cancer_other: Any
    cancer_features: pd.DataFrame


def train_models(adult_train: pd.DataFrame) -> Trained:
    """Train with one OpenMP thread: its spinning threads crawl when other processes share
    the cores (HistGradientBoosting took 40 s instead of 2 s on a busy 2-core machine)."""
    import sklearn.ensemble  # noqa: F401  # load the OpenMP runtime first, so the limit reaches it
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(adult_train)


def _train(adult_train: pd.DataFrame) -> Trained:
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = adult_train.drop(columns=["income"])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            )
        ],
        remainder="passthrough",
    )
    adult = Pipeline(
        [
            ("features", encode),
            ("model", HistGradientBoostingClassifier(max_iter=50, random_state=42)),
        ]
    ).fit(features, adult_train["income"])

    cancer_data = load_breast_cancer(as_frame=True)
    cancer = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=42))
    cancer.fit(cancer_data.data, cancer_data.target)
    other = make_pipeline(
        StandardScaler(), LogisticRegression(C=0.05, max_iter=5000, random_state=42)
    )
    other.fit(cancer_data.data, cancer_data.target)
    return Trained(adult, features, cancer, other, cancer_data.data)


@contextlib.contextmanager
def registry_at(home: Path) -> Iterator[aweigh.Registry]:
    """A registry on ``home`` (the one a server started there will read)."""
    home.mkdir(parents=True, exist_ok=True)
    previous = getattr(aweigh, "_default", None)
    registry = aweigh.connect(home=home, user=USER)
    registry.record_git = False  # no ``git`` calls from the tests
    try:
        yield registry
    finally:
        registry.store.close()
        if getattr(aweigh, "_default", None) is registry:
            aweigh._default = previous  # leave the process-wide default registry as it was


def slow_model(seconds: float) -> Any:
    """A Python callable model that sleeps per call (defined locally: pickled by value)."""

    def slow(frame: pd.DataFrame) -> np.ndarray:
        time.sleep(seconds)
        return np.zeros(len(frame))

    return slow


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes None, numpy scalars Python values."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: [_plain(v) for v in frame[c].tolist()] for c in frame.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


# -- the event log on disk ---------------------------------------------------------------
def events_on_disk(events_root: Path) -> tuple[list[dict[str, Any]], int, int]:
    """Every event that reached disk: Parquet segments plus spool lines.

    Returns (events as dicts with ``kind``, ``request_id``, ``row``, ``model``, segment
    count, spool line count). Segments are read with DuckDB over
    ``<events>/*/*/*.parquet`` with hive partitioning (``model=``, ``date=``).
    """
    import duckdb

    found: list[dict[str, Any]] = []
    segments = len(list(events_root.glob("*/*/*.parquet")))
    spooled = 0
    if segments:
        pattern = str(events_root / "*" / "*" / "*.parquet").replace("'", "''")
        with duckdb.connect() as conn:
            table = conn.sql(
                'SELECT kind, request_id, "row", model FROM read_parquet('
                f"'{pattern}', hive_partitioning = true, union_by_name = true)"
            ).to_arrow_table()
        found.extend(table.to_pylist())
    spool = events_root / "_spool"
    for path in sorted(spool.glob("*.jsonl")) if spool.is_dir() else []:
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:  # a torn last line after kill -9
                continue
            found.append({k: item.get(k) for k in ("kind", "request_id", "row", "model")})
            spooled += 1
    return found, segments, spooled


def which_promtool() -> str | None:
    return shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
