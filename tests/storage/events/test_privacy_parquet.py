"""Erasure, retention and consent on disk: atomic rewrites, crashes, live traffic, old files."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aweigh.core.errors import StoreError
from aweigh.storage.events import Event, ParquetEventLog, _segments, parquet
from aweigh.storage.events.model import EVENT_SCHEMA, events_to_table, table_to_events
from tests.storage.events.helpers import (
    T0,
    adult_rows,
    batches,
    customers,
    feedback_for,
    predictions,
    token_for,
)

TOKENS = [token_for(c) for c in customers(12)]
ALICE, BOB = TOKENS[0], TOKENS[1]
ERASED_AT = T0 + timedelta(days=30)


@pytest.fixture(scope="module")
def rows(adult_train: pd.DataFrame) -> list[dict[str, Any]]:
    return adult_rows(adult_train, 400)


@pytest.fixture
def open_log(tmp_path: Path) -> Iterator[Callable[..., ParquetEventLog]]:
    logs: list[ParquetEventLog] = []

    def open_log(**options: Any) -> ParquetEventLog:
        options.setdefault("flush_interval_s", 60)
        log = ParquetEventLog(options.pop("root", tmp_path / "events"), **options)
        logs.append(log)
        return log

    yield open_log
    for log in logs:
        log.close()


def write(log: ParquetEventLog, events: list[Event]) -> None:
    for batch in batches(events):
        log.append(batch)
    log.flush()


def segments(root: Path) -> dict[Path, pa.Table]:
    return {p: pq.read_table(p) for p in sorted(root.glob("model=*/date=*/*.parquet"))}


def subjects_left(log: ParquetEventLog) -> set[str | None]:
    return {
        r["subject_id"] for r in log.query("SELECT DISTINCT subject_id FROM events").to_pylist()
    }


def daily_traffic(rows: list[dict[str, Any]], days: int = 4) -> list[Event]:
    """Adult predictions of 12 customers, 50 a day (about 4 of Alice's a day)."""
    return predictions(
        rows[: days * 50], start=T0, step=timedelta(minutes=28.8), subjects=TOKENS, seed=7
    )


# -- atomic rewrites and crashes -----------------------------------------------------------
def crash_between_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """The third segment rewrite dies before it starts (the process lost its disk)."""
    real = _segments.rewrite_segment
    calls = []

    def dying(path: Path, remove: Callable[[pa.Table], pa.Array]) -> _segments.Rewrite:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(5, "Input/output error", str(path))
        return real(path, remove)

    monkeypatch.setattr(_segments, "rewrite_segment", dying)


def crash_inside_a_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """The third segment write dies half-way through its temporary file."""
    real = _segments.write_segment
    calls = []

    def torn(table: pa.Table, path: Path) -> None:
        calls.append(path)
        if len(calls) < 3:
            return real(table, path)
        tmp = path.with_name(f".{path.name}.deadbeef.tmp")
        pq.write_table(table, tmp)
        tmp.write_bytes(tmp.read_bytes()[: tmp.stat().st_size // 2])  # a torn file
        raise OSError(28, "No space left on device", str(tmp))

    monkeypatch.setattr(_segments, "write_segment", torn)


@pytest.mark.parametrize("crash", [crash_between_segments, crash_inside_a_write])
def test_a_crash_mid_erasure_leaves_every_segment_whole_old_or_whole_new(
    open_log: Callable[..., ParquetEventLog],
    tmp_path: Path,
    rows: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    crash: Callable[[pytest.MonkeyPatch], None],
) -> None:
    log = open_log()
    traffic = daily_traffic(rows, days=6)
    for day in range(6):  # two segments a day
        write(log, traffic[day * 50 : day * 50 + 25])
        write(log, traffic[day * 50 + 25 : day * 50 + 50])
    root = tmp_path / "events"
    before = segments(root)
    assert len(before) == 12
    crash(monkeypatch)

    with pytest.raises(StoreError, match=r"did not finish.*run the erasure again"):
        log.erase_subject(ALICE, now=ERASED_AT)

    old_or_new = 0
    for path, old in before.items():
        new = old.filter(pc.not_equal(old.column("subject_id"), ALICE))
        if not path.exists():
            assert new.num_rows == 0
            continue
        now = pq.read_table(path)  # readable: never torn
        assert now.equals(old) or now.equals(new)
        old_or_new += now.equals(new) and not now.equals(old)
    assert 0 < old_or_new < len(before)
    torn = list(root.rglob(".*.tmp"))
    assert len(torn) == (crash is crash_inside_a_write)  # hidden: no query ever reads it
    assert log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"] > 0

    monkeypatch.undo()
    still = sum(t.column("subject_id").to_pylist().count(ALICE) for t in segments(root).values())
    outcome = log.erase_subject(ALICE, now=ERASED_AT)  # run again: it finishes

    assert ALICE not in subjects_left(log)
    assert outcome.events_removed == still > 0
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]  # swept
    others = log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"]
    assert others == sum(e.subject_id != ALICE for e in traffic)


def test_erasure_rewrites_segments_in_place_and_deletes_emptied_ones(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    log = open_log()
    write(log, daily_traffic(rows, days=2))
    write(log, predictions(rows[:5], start=T0 + timedelta(days=5), subjects=[ALICE]))
    root = tmp_path / "events"
    before = segments(root)

    outcome = log.erase_subject(ALICE, now=ERASED_AT)

    after = segments(root)
    assert (outcome.segments_rewritten, outcome.segments_deleted) == (3, 1)  # 3 days, +1
    assert sorted(after) == sorted(p for p in before if "2026-03-06" not in str(p))
    assert not (root / "model=adult" / "date=2026-03-06").exists()  # the emptied day is gone
    for path, table in after.items():
        assert ALICE not in table.column("subject_id").to_pylist()
        assert table.schema.equals(before[path].schema)
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


# -- racing with live traffic ------------------------------------------------------------------
@pytest.mark.parametrize("writer", ["the same log", "another log on the folder"])
def test_events_appended_during_an_erasure_never_bring_the_subject_back(
    open_log: Callable[..., ParquetEventLog],
    rows: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    writer: str,
) -> None:
    admin = open_log(flush_interval_s=0.02)
    server = admin if writer == "the same log" else open_log(flush_interval_s=0.02)
    write(admin, daily_traffic(rows, days=4))
    appended: list[Event] = []
    stop = threading.Event()

    def traffic() -> None:
        i = 0
        while not stop.is_set():
            batch = predictions(
                rows[i % 300 : i % 300 + 4],
                prefix=f"live{i}",
                start=T0 + timedelta(hours=i % 48),
                subjects=[ALICE, BOB],
                seed=i,
            )
            server.append(batch)
            appended.extend(batch)
            i += 1
            time.sleep(0.001)

    during: list[int] = []
    real = _segments.rewrite_segment

    def slow(path: Path, remove: Callable[[pa.Table], pa.Array]) -> _segments.Rewrite:
        during.append(len(appended))
        time.sleep(0.03)  # traffic keeps flowing while each segment is rewritten
        return real(path, remove)

    monkeypatch.setattr(_segments, "rewrite_segment", slow)
    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while server.stats().written < 200 + 40 and time.monotonic() < deadline:
            time.sleep(0.01)  # live events of Alice are on disk before the erasure
        outcome = admin.erase_subject(ALICE, now=ERASED_AT)
        after = len(appended)
        time.sleep(0.1)  # and some more after it
    finally:
        stop.set()
        thread.join()
    server.flush()
    admin.flush()

    assert during[-1] > during[0], "traffic flowed during the erasure"
    assert len(appended) > after
    assert ALICE not in subjects_left(admin)
    live_bob = admin.query(
        "SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM events "
        "WHERE subject_id = ? AND starts_with(request_id, 'live')",
        [BOB],
    ).to_pylist()[0]
    assert live_bob["n"] == live_bob["d"] == sum(e.subject_id == BOB for e in appended)
    assert outcome.events_removed > sum(e.subject_id == ALICE for e in daily_traffic(rows, 4))
    assert server.stats().dropped == 0


def test_a_writer_waits_while_maintenance_holds_the_folder_lock(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    root = tmp_path / "events"
    server = open_log()
    write(server, predictions(rows[:10]))  # the folder and its lock file exist
    lock = _segments.FolderLock(root / _segments.LOCK_NAME)

    with lock.exclusive() as held:
        server.append(predictions(rows[10:20], prefix="held"))
        server.flush(timeout_s=0.3)
        written_while_held = server.stats().written
    server.flush()

    assert held
    assert written_while_held == 10
    assert server.stats().written == 20


# -- the spool and the register -----------------------------------------------------------------
def test_erasure_removes_the_subject_from_spool_files_that_cannot_be_replayed(
    open_log: Callable[..., ParquetEventLog],
    tmp_path: Path,
    rows: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(table: pa.Table, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(parquet, "write_segment", full)  # the writer cannot write segments
    log = open_log()
    traffic = daily_traffic(rows, days=2)
    write(log, traffic)
    assert log.stats().spooled == len(traffic)
    spool = tmp_path / "events" / "_spool"
    (spooled,) = spool.glob("*.jsonl")
    with spooled.open("ab") as f:  # a torn last line that still names Alice
        f.write(b'{"kind":"prediction","request_id":"torn","subject_id":"' + ALICE.encode())

    outcome = log.erase_subject(ALICE, now=ERASED_AT)

    alice = sum(e.subject_id == ALICE for e in traffic)
    assert outcome.spool_removed == outcome.events_removed == alice
    text = b"".join(p.read_bytes() for p in spool.glob("*.jsonl"))
    assert ALICE.encode() not in text
    assert len(text.splitlines()) == len(traffic) - alice
    monkeypatch.undo()  # the disk has room again
    log.flush()
    assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [
        {"n": len(traffic) - alice}
    ]
    assert ALICE not in subjects_left(log)


def test_the_register_keeps_only_the_token_and_time_and_screens_later_replays(
    open_log: Callable[..., ParquetEventLog],
    tmp_path: Path,
    rows: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "events"

    def full(table: pa.Table, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(parquet, "write_segment", full)
    down = open_log()  # a server whose storage is down: Alice's events wait in its spool
    write(down, predictions(rows[:20], subjects=[ALICE, BOB]))
    down.close()
    monkeypatch.undo()
    (spooled,) = (root / "_spool").glob("*.jsonl")
    busy = os.open(spooled, os.O_RDONLY)
    fcntl.flock(busy, fcntl.LOCK_EX)  # as if another live process were replaying it now
    try:
        outcome = open_log().erase_subject(ALICE, now=ERASED_AT)
    finally:
        os.close(busy)

    register = root / "_erasures" / "subjects.jsonl"
    (line,) = register.read_bytes().splitlines()
    assert orjson.loads(line) == {"subject": ALICE, "erased_at": ERASED_AT.isoformat()}
    assert os.stat(register).st_mode & 0o077 == 0
    assert outcome.spool_removed == 0  # the file was busy

    later = open_log()  # the next process replays the spool file
    later.flush()

    assert subjects_left(later) == {BOB}
    assert later.stats().erased == 10


# -- segments written before consent fields existed -------------------------------------------
def old_segment(root: Path, events: list[Event]) -> Path:
    """A segment as aweigh wrote it before ``purposes`` and ``child`` (schema 1)."""
    table = events_to_table(events).drop_columns(["purposes", "child"])
    table = table.replace_schema_metadata({b"aweigh.events.schema": b"1"})
    path = root / "model=adult" / f"date={events[0].ts.date()}" / "00000000T000000Z-old.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    return path


def test_old_segments_without_consent_columns_still_read(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    root = tmp_path / "events"
    old_segment(root, predictions(rows[:10], subjects=[ALICE, BOB]))
    log = open_log()

    only_old = log.query("SELECT * FROM events")
    write(log, predictions(rows[10:20], start=T0 + timedelta(days=1), purposes=[("training",)]))
    mixed = log.query("SELECT purposes, child FROM events ORDER BY ts").to_pylist()

    assert only_old.column_names == [*EVENT_SCHEMA.names[:6], "date", *EVENT_SCHEMA.names[6:]]
    assert only_old.column("purposes").null_count == only_old.column("child").null_count == 10
    assert mixed[:10] == [{"purposes": None, "child": None}] * 10
    assert mixed[10:] == [{"purposes": ["training"], "child": None}] * 10


def test_erasure_and_export_work_on_old_segments_and_keep_their_schema(
    open_log: Callable[..., ParquetEventLog],
    tmp_path: Path,
    rows: list[dict[str, Any]],
    adult_train: pd.DataFrame,
) -> None:
    shown = predictions(rows[:10], subjects=[ALICE, BOB])
    path = old_segment(tmp_path / "events", shown)
    log = open_log()
    write(log, feedback_for(shown, list(adult_train["income"].head(10))))

    exported = log.export_training()
    outcome = log.erase_subject(ALICE, now=ERASED_AT)

    assert (exported.rows, exported.excluded_no_consent) == (0, 10)  # no recorded consent
    assert outcome.events_removed == 10  # 5 predictions and the 5 labels joined to them
    table = pq.read_table(path)
    assert "purposes" not in table.column_names
    assert table_to_events(table) == [e for e in table_to_events(table) if e.subject_id == BOB]
    assert table.num_rows == 5


# -- retention ------------------------------------------------------------------------------------
def test_retention_deletes_day_folders_and_rewrites_the_boundary_day_in_place(
    open_log: Callable[..., ParquetEventLog], tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    root = tmp_path / "events"
    log = open_log()
    events = predictions(rows[:240], start=T0 - timedelta(days=10), step=timedelta(hours=1))
    for day in batches(events, 24):  # one flush per day: two segments on the boundary day
        write(log, list(day))
    boundary = root / "model=adult" / "date=2026-02-24"
    names = sorted(p.name for p in boundary.iterdir())
    log.erase_subject(token_for("CUST-000042"), now=T0 - timedelta(days=200))  # long ago

    outcome = log.apply_retention({}, timedelta(days=5, hours=6), now=T0)

    days = sorted(p.name for p in (root / "model=adult").iterdir())
    assert days == [f"date=2026-02-{d}" for d in range(24, 29)] + ["date=2026-03-01"]
    assert sorted(p.name for p in boundary.iterdir()) == names
    assert outcome.partitions_deleted == 5  # 19 to 23 February
    assert (outcome.segments_rewritten, outcome.segments_deleted) == (1, 0)  # 1 of 2 older
    assert not [p for p in root.rglob("*") if p.name.startswith(".") and "lock" not in p.name]
    assert (root / "_erasures" / "subjects.jsonl").read_bytes() == b""  # the old record pruned
    assert [d.to_dict() for d in outcome.dropped][-1] == {
        "model": "adult",
        "date": "2026-02-24",
        "events": 6,
        "whole": False,
    }
    assert outcome.to_dict()["events_removed"] == outcome.events_removed == 12 + 4 * 24 + 6
    first = log.query("SELECT min(ts) AS t FROM events").to_pylist()[0]["t"]
    assert first == T0 - timedelta(days=5, hours=6)
    assert isinstance(outcome.dropped[0].date, date)
