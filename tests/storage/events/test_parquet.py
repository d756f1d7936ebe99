"""What only the Parquet event log does: folders, atomic segments, the spool, its limits."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aweigh.core.clock import ManualClock
from aweigh.core.errors import ConfigError
from aweigh.storage.events import ParquetEventLog, parquet
from aweigh.storage.events._spool import Claim
from aweigh.storage.events.model import EVENT_SCHEMA
from aweigh.storage.events.parquet import query_folder
from tests.storage.events.helpers import T0, adult_rows, batches, predictions

SEGMENT_NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{32}\.parquet$")


@pytest.fixture(scope="module")
def rows(adult_train: pd.DataFrame) -> list[dict[str, Any]]:
    return adult_rows(adult_train, 1000)


@pytest.fixture
def open_log(tmp_path: Path) -> Iterator[Callable[..., ParquetEventLog]]:
    """Opens logs on ``tmp_path/events`` (a long interval: only flush() writes) and closes them."""
    logs: list[ParquetEventLog] = []

    def open_log(**options: Any) -> ParquetEventLog:
        options.setdefault("flush_interval_s", 60)
        log = ParquetEventLog(options.pop("root", tmp_path / "events"), **options)
        logs.append(log)
        return log

    yield open_log
    for log in logs:
        log.close()


@pytest.fixture
def failing_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Every segment write fails as on a full disk, until the returned function is called."""

    def full(table: pa.Table, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(parquet, "write_segment", full)
    return monkeypatch.undo


def count(log: ParquetEventLog) -> tuple[int, int]:
    """Rows in the log, and distinct (request_id, row) pairs among them."""
    answer = log.query(
        "SELECT count(*) AS n, count(DISTINCT (request_id, row)) AS d FROM events"
    ).to_pylist()[0]
    return answer["n"], answer["d"]


def spool_files(root: Path) -> list[Path]:
    return sorted((root / "_spool").glob("*.jsonl"))


def append_all(log: ParquetEventLog, events: list[Any], size: int = 64) -> None:
    for batch in batches(events, size):
        log.append(batch)


def test_segments_land_in_model_and_date_folders_as_zstd_parquet(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    log = open_log(clock=ManualClock(T0))
    append_all(log, predictions(rows[:100], model="adult"))
    append_all(log, predictions(rows[:50], model="churn", start=T0.replace(day=2)))
    log.flush()

    root = tmp_path / "events"
    files = sorted(p.relative_to(root).parent.as_posix() for p in root.rglob("*.parquet"))
    assert files == ["model=adult/date=2026-03-01", "model=churn/date=2026-03-02"]
    segment = next((root / "model=adult" / "date=2026-03-01").iterdir())
    assert SEGMENT_NAME.match(segment.name), segment.name
    assert segment.name.startswith("20260301T120000000000Z-")
    assert pq.read_schema(segment).equals(EVENT_SCHEMA)
    assert pq.ParquetFile(segment).metadata.row_group(0).column(0).compression == "ZSTD"
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]
    assert log.stats().segments == 2


def test_each_flush_writes_one_segment_per_partition(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    log = open_log()
    for start in range(0, 300, 100):
        append_all(log, predictions(rows[start : start + 100], prefix=f"flush{start}"), size=16)
        log.flush()

    assert len(list((tmp_path / "events").rglob("*.parquet"))) == 3
    assert count(log) == (300, 300)


def test_the_writer_flushes_by_itself_every_interval(
    open_log: Callable[..., ParquetEventLog], rows: list[dict[str, Any]]
) -> None:
    log = open_log(flush_interval_s=0.05)
    append_all(log, predictions(rows[:100]))

    deadline = time.monotonic() + 10
    while log.stats().written < 100 and time.monotonic() < deadline:
        time.sleep(0.02)

    assert log.stats().written == 100


def test_max_batch_waiting_events_wake_the_writer_before_the_interval(
    open_log: Callable[..., ParquetEventLog], rows: list[dict[str, Any]]
) -> None:
    log = open_log(flush_interval_s=3600, max_batch=100)
    append_all(log, predictions(rows[:256]))

    deadline = time.monotonic() + 10
    while log.stats().written < 100 and time.monotonic() < deadline:
        time.sleep(0.02)

    assert log.stats().written >= 100


def test_a_failed_write_spools_and_a_later_flush_replays_without_loss_or_duplicates(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    tmp_path: Path,
    rows: list[dict[str, Any]],
) -> None:
    log = open_log()
    append_all(log, predictions(rows[:500], prefix="early"))
    log.flush()

    stats = log.stats()
    assert (stats.spooled, stats.written, stats.dropped) == (500, 0, 0)
    assert "No space left on device" in (stats.last_error or "")
    assert spool_files(tmp_path / "events")
    assert count(log) == (0, 0)

    failing_disk()  # the disk has room again
    append_all(log, predictions(rows[500:], prefix="late"))
    log.flush()

    stats = log.stats()
    assert (stats.written, stats.replayed, stats.dropped) == (1000, 500, 0)
    assert count(log) == (1000, 1000)
    assert spool_files(tmp_path / "events") == []


def test_a_full_queue_spools_instead_of_dropping(
    open_log: Callable[..., ParquetEventLog], rows: list[dict[str, Any]]
) -> None:
    log = open_log(max_queue=10)
    append_all(log, predictions(rows), size=5)

    stats = log.stats()
    assert stats.queue_depth <= 10
    assert stats.spooled >= 990
    assert stats.dropped == 0

    log.flush()

    assert log.stats().written == 1000
    assert count(log) == (1000, 1000)


def test_a_spool_left_by_a_previous_process_is_replayed_at_start(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    tmp_path: Path,
    rows: list[dict[str, Any]],
) -> None:
    first = open_log()
    append_all(first, predictions(rows[:300]))
    first.close()  # storage was down the whole time: everything is in the spool
    (left,) = spool_files(tmp_path / "events")
    with left.open("ab") as spool:
        spool.write(b'{"kind":"prediction","request_id":"torn-by-a-cr')  # a torn last line
    failing_disk()

    second = open_log()
    second.flush()

    stats = second.stats()
    assert (stats.replayed, stats.written, stats.dropped) == (300, 300, 1)
    assert "could not be read" in (stats.last_error or "")
    assert count(second) == (300, 300)
    assert spool_files(tmp_path / "events") == []


def test_a_replay_interrupted_after_its_segments_does_not_duplicate(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    rows: list[dict[str, Any]],
) -> None:
    first = open_log()
    append_all(first, predictions(rows[:200]))
    first.close()
    failing_disk()

    def crash(self: Claim) -> None:
        raise OSError("the process died before removing the spool file")

    monkeypatch.setattr(Claim, "remove", crash)
    second = open_log()
    second.flush()
    second.close()  # its segments are written, the spool file is still there
    monkeypatch.undo()

    third = open_log()
    third.flush()

    assert count(third) == (200, 200)


def test_events_appended_after_close_are_spooled_for_the_next_process(
    open_log: Callable[..., ParquetEventLog], rows: list[dict[str, Any]]
) -> None:
    first = open_log()
    first.close()
    append_all(first, predictions(rows[:100]))
    assert first.stats().spooled == 100

    second = open_log()
    second.flush()

    assert count(second) == (100, 100)


@pytest.mark.parametrize("model", ["../../etc", "a/b", "..", ".", "/abs/path", "x\\y", "ünï code"])
def test_a_hostile_model_name_cannot_write_outside_root(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, model: str
) -> None:
    root = tmp_path / "deep" / "events"
    log = open_log(root=root)
    log.append(predictions([{"x": 1}, {"x": 2}], model=model))
    log.flush()

    outside = [p for p in tmp_path.rglob("*") if p.is_file() and root not in p.parents]
    assert outside == []
    (segment,) = root.rglob("*.parquet")
    assert segment.parent.parent.parent == root
    assert log.query("SELECT DISTINCT model FROM events").to_pylist() == [{"model": model}]


def test_appending_never_raises_even_when_writing_and_spooling_both_fail(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    tmp_path: Path,
    rows: list[dict[str, Any]],
) -> None:
    not_a_folder = tmp_path / "spool-is-a-file"
    not_a_folder.write_text("")
    log = open_log(spool_dir=not_a_folder, max_queue=100)

    append_all(log, predictions(rows[:500]))  # 100 queue, 400 cannot spool
    log.flush()  # the 100 cannot be written nor spooled either

    stats = log.stats()
    assert (stats.appended, stats.written, stats.spooled, stats.dropped) == (500, 0, 0, 500)
    assert stats.last_error is not None


def test_append_costs_microseconds(
    open_log: Callable[..., ParquetEventLog], rows: list[dict[str, Any]]
) -> None:
    log = open_log()
    calls = batches(predictions(rows), 64)

    started = time.perf_counter()
    for batch in calls:
        log.append(batch)
    per_call = (time.perf_counter() - started) / len(calls)

    assert per_call < 1e-3  # generous for a busy CI machine; the benchmark measures it


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"flush_interval_s": 0}, "'flush_interval_s' parameter"),
        ({"max_queue": 0}, "'max_queue' parameter"),
        ({"max_batch": 1.5}, "'max_batch' parameter"),
    ],
)
def test_bad_parameters_are_refused(tmp_path: Path, options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        ParquetEventLog(tmp_path, **options)


def test_a_root_duckdb_would_read_as_a_wildcard_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="wildcard"):
        ParquetEventLog(tmp_path / "events[1]")


def test_partition_values_are_the_name_itself_when_safe() -> None:
    assert parquet.partition_value("churn-v2.1_x") == "churn-v2.1_x"
    assert "/" not in parquet.partition_value("a/b")
    assert parquet.partition_value("..") == "%2E%2E"
    long = parquet.partition_value("é" * 300)
    assert len(long) < 200
    assert long != parquet.partition_value("é" * 301)


def test_the_spool_holds_one_private_json_line_per_event(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    tmp_path: Path,
    rows: list[dict[str, Any]],
) -> None:
    log = open_log()
    append_all(log, predictions(rows[:10]))
    log.flush()

    (spool,) = spool_files(tmp_path / "events")
    lines = spool.read_bytes().splitlines()
    assert len(lines) == 10
    assert os.stat(spool).st_mode & 0o077 == 0  # private to the owner


def test_query_folder_reads_segments_without_replaying_the_spool(
    open_log: Callable[..., ParquetEventLog],
    failing_disk: Callable[[], None],
    tmp_path: Path,
    rows: list[dict[str, Any]],
) -> None:
    root = tmp_path / "events"
    assert query_folder(root, "SELECT count(*) AS n FROM events").to_pylist() == [{"n": 0}]
    down = open_log()
    append_all(down, predictions(rows[:40], prefix="spooled"))
    down.close()  # storage was down: these 40 wait in root/_spool
    failing_disk()
    up = open_log(spool_dir=tmp_path / "another-spool")
    append_all(up, predictions(rows[40:100]))
    up.flush()

    answer = query_folder(root, "SELECT count(*) AS n FROM events WHERE model = ?", ["adult"])

    assert answer.to_pylist() == [{"n": 60}]
    assert len(spool_files(root)) == 1
