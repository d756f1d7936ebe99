"""A process killed with SIGKILL loses at most what it appended since its last flush."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aweigh.storage.events import ParquetEventLog

CHILD = """
import sys, time
from datetime import UTC, datetime
from aweigh.storage.events import Event, ParquetEventLog

log = ParquetEventLog(sys.argv[1], flush_interval_s=0.2)
start = datetime(2026, 3, 1, tzinfo=UTC)
appended = 0
last_flush = time.monotonic()
while True:
    log.append([
        Event(kind="prediction", request_id=f"r{appended + i}", model="crash", version=1,
              ts=start, inputs={"age": 39, "workclass": "State-gov", "n": appended + i},
              output="<=50K", proba=(0.8, 0.2), latency_ms=1.0)
        for i in range(64)
    ])
    appended += 64
    if time.monotonic() - last_flush >= 0.2:
        log.flush()
        print(appended, flush=True)
        last_flush = time.monotonic()
"""


@pytest.mark.slow
def test_kill_9_loses_at_most_what_was_appended_since_the_last_flush(tmp_path: Path) -> None:
    root = tmp_path / "events"
    flushed: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        lines = child.stdout
        reader = threading.Thread(
            target=lambda: flushed.extend(int(line) for line in lines if line.endswith(b"\n"))
        )
        reader.start()
        deadline = time.monotonic() + 60
        while not flushed and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        if flushed:
            time.sleep(2.0)
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join()
        errors = child.stderr.read().decode(errors="replace")
    assert flushed, f"the child never flushed: {errors}"
    assert child.returncode == -signal.SIGKILL
    assert len(flushed) >= 3

    log = ParquetEventLog(root, flush_interval_s=60)  # replays whatever the child spooled
    try:
        log.flush()
        (answer,) = log.query(
            "SELECT count(*) AS n, count(DISTINCT request_id) AS d, "
            "max(CAST(inputs ->> 'n' AS BIGINT)) AS last FROM events"
        ).to_pylist()
    finally:
        log.close()

    assert answer["n"] == answer["d"], "no event is written twice"
    assert answer["n"] >= flushed[-1], "everything flushed before the kill is on disk"
    assert answer["last"] + 1 == answer["n"], "the events on disk are a prefix: no gaps"
