"""Microbenchmark: sustained prediction events per second into the Parquet event log.

Appends N realistic prediction events (UCI Adult rows as inputs, 14 features each)
in batches like a server would (64 per call), and measures:

- throughput: events per second from the first append until the final flush has
  written everything to Parquet;
- the cost of one append call (p50, p99, max), the request path's whole price;
- bytes on disk per event.

The producer backs off while more than half of ``max_queue`` events wait, the way
a server's own pace would, so the number measured is what the writer sustains and
nothing is spooled; ``--no-pace`` appends flat out (the queue then overflows to the
spool and the final flush replays it).

    .venv/bin/python bench/event_log.py [--events 500000] [--batch 64] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from aweigh.storage.events import Event, ParquetEventLog

TARGET_EVENTS_PER_S = 50_000
ADULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adult" / "adult_train.csv"


def adult_rows() -> list[dict[str, Any]]:
    if ADULT.exists():
        frame = pd.read_csv(ADULT)
    else:  # pragma: no cover - a checkout without the shared data
        from aweigh.demo import load_adult

        frame = load_adult("train")
    return frame.drop(columns=["income"]).to_dict("records")


def build_events(n: int, rows: list[dict[str, Any]], seed: int = 42) -> list[Event]:
    rng = random.Random(seed)
    start = datetime.now(UTC)
    events = []
    for i in range(n):
        p = rng.random()
        events.append(
            Event(
                kind="prediction",
                request_id=f"bench-{i:09d}",
                model="adult",
                version=1,
                ts=start + timedelta(microseconds=i * 20),
                inputs=rows[i % len(rows)],
                output=">50K" if p > 0.5 else "<=50K",
                proba=(1.0 - p, p),
                latency_ms=round(rng.uniform(0.5, 20.0), 3),
                subject_id=f"subject-{i % 5000}",
            )
        )
    return events


def run(n: int, batch: int, flush_interval_s: float, max_queue: int, pace: bool) -> dict[str, Any]:
    rows = adult_rows()
    started = time.perf_counter()
    events = build_events(n, rows)
    build_s = time.perf_counter() - started
    calls = [events[i : i + batch] for i in range(0, n, batch)]
    costs_ns: list[int] = []
    high_water = max_queue // 2
    with tempfile.TemporaryDirectory(prefix="aweigh-bench-events-") as folder:
        root = Path(folder) / "events"
        log = ParquetEventLog(root, flush_interval_s=flush_interval_s, max_queue=max_queue)
        clock = time.perf_counter_ns
        first = time.perf_counter()
        for k, call in enumerate(calls):
            if pace and k % 16 == 0:
                while log.stats().queue_depth > high_water:
                    time.sleep(0.001)
            t = clock()
            log.append(call)
            costs_ns.append(clock() - t)
        appended_s = time.perf_counter() - first
        log.flush()
        total_s = time.perf_counter() - first
        stats = log.stats()
        log.close()
        size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        segments = len(list(root.rglob("*.parquet")))
    costs_us = sorted(c / 1000 for c in costs_ns)
    rate = stats.written / total_s
    return {
        "events": n,
        "batch": batch,
        "flush_interval_s": flush_interval_s,
        "max_queue": max_queue,
        "paced": pace,
        "seconds": round(total_s, 3),
        "append_phase_seconds": round(appended_s, 3),
        "events_per_s": round(rate),
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "meets_target": rate >= TARGET_EVENTS_PER_S,
        "append_p50_us": round(statistics.median(costs_us), 2),
        "append_p99_us": round(costs_us[int(len(costs_us) * 0.99) - 1], 2),
        "append_max_us": round(costs_us[-1], 2),
        "build_event_us": round(build_s / n * 1e6, 2),
        "bytes_per_event": round(size / max(stats.written, 1), 1),
        "segments": segments,
        "written": stats.written,
        "spooled": stats.spooled,
        "replayed": stats.replayed,
        "dropped": stats.dropped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=64, help="events per append call")
    parser.add_argument("--flush-interval", type=float, default=1.0)
    parser.add_argument("--max-queue", type=int, default=100_000)
    parser.add_argument("--no-pace", action="store_true", help="append flat out")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.events, args.batch, args.flush_interval, args.max_queue, not args.no_pace)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['events']:,} events in batches of {result['batch']}: "
            f"{result['events_per_s']:,} events/s sustained to Parquet "
            f"(target {TARGET_EVENTS_PER_S:,}: {'met' if result['meets_target'] else 'MISSED'})\n"
            f"append call: p50 {result['append_p50_us']} µs, p99 {result['append_p99_us']} µs, "
            f"max {result['append_max_us']} µs\n"
            f"on disk: {result['bytes_per_event']} bytes/event in {result['segments']} segments; "
            f"spooled {result['spooled']:,}, dropped {result['dropped']:,}\n"
            f"(building one Event costs {result['build_event_us']} µs, not counted above)"
        )
    return 0 if result["dropped"] == 0 and result["written"] == result["events"] else 1


if __name__ == "__main__":
    sys.exit(main())
