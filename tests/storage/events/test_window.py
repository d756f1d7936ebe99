"""Reading a window of predictions as typed feature columns with their latest labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events import Event, EventLog, MemoryEventLog, ParquetEventLog
from aweigh.storage.events.window import WindowSpec, read_window, read_window_table
from tests.storage.events.helpers import T0, adult_rows, batches, feedback_for, predictions

FEATURES = {
    "age": "int",
    "workclass": "string",
    "hours_per_week": "int",
    "education": "string",
}


@pytest.fixture(params=["memory", "parquet"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    made: EventLog
    if request.param == "memory":
        made = MemoryEventLog()
    else:
        made = ParquetEventLog(tmp_path / "events", flush_interval_s=30)
    yield made
    made.close()


def _write(log: EventLog, events: list[Event]) -> None:
    for batch in batches(events, 200):
        log.append(batch)
    log.flush(timeout_s=30)


def _adult(adult_train: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    frame = adult_train.rename(columns=lambda c: c.replace("-", "_"))
    return adult_rows(frame, n)


def test_features_come_back_typed_and_labels_joined_however_late(
    log: EventLog, adult_train: pd.DataFrame
) -> None:
    rows = _adult(adult_train, 300)
    preds = predictions(rows)
    labels = [str(x) for x in adult_train["income"].head(300)]
    late = feedback_for(preds[:100], labels[:100], delay_s=7 * 86_400)  # a week later
    _write(log, preds + late)

    table = read_window_table(log, WindowSpec(model="adult", features=FEATURES))

    assert table.num_rows == 300
    assert table.schema.field("age").type == pa.float64()
    assert table.schema.field("workclass").type == pa.string()
    by_id = {r["request_id"]: r for r in table.to_pylist()}
    first = by_id["req-0"]
    assert first["age"] == float(rows[0]["age"])
    assert first["workclass"] == rows[0]["workclass"]
    assert first["label"] == labels[0]
    assert first["label_ts"] - first["ts"] == timedelta(days=7)
    assert by_id["req-150"]["label"] is None
    assert sum(r["label"] is not None for r in by_id.values()) == 100


def test_the_latest_of_several_labels_wins(log: EventLog, adult_train: pd.DataFrame) -> None:
    preds = predictions(_adult(adult_train, 3))
    first = feedback_for(preds, ["<=50K"] * 3, delay_s=60)
    second = feedback_for(preds[:1], [">50K"], delay_s=120)
    _write(log, preds + first + second)
    table = read_window_table(log, WindowSpec(model="adult", features=FEATURES))
    labels = {r["request_id"]: r["label"] for r in table.to_pylist()}
    assert labels == {"req-0": ">50K", "req-1": "<=50K", "req-2": "<=50K"}


def test_the_window_is_bounded_by_time_version_and_model(
    log: EventLog, adult_train: pd.DataFrame
) -> None:
    rows = _adult(adult_train, 200)
    v1 = predictions(rows[:100], version=1, step=timedelta(minutes=1))
    v2 = predictions(rows[100:], version=2, step=timedelta(minutes=1), prefix="v2")
    other = predictions(rows[:50], model="other", prefix="o")
    _write(log, v1 + v2 + other)
    spec = WindowSpec(
        model="adult",
        features=FEATURES,
        version=1,
        start=T0 + timedelta(minutes=10),
        end=T0 + timedelta(minutes=20),
    )
    table = read_window_table(log, spec)
    assert table.num_rows == 10
    assert set(table.column("version").to_pylist()) == {1}


def test_a_value_of_the_wrong_type_reads_as_null_not_an_error(log: EventLog) -> None:
    ts = datetime(2026, 3, 1, tzinfo=UTC)
    events = [
        Event(kind="prediction", request_id="a", model="m", ts=ts, inputs={"age": "old"}),
        Event(kind="prediction", request_id="b", model="m", ts=ts, inputs={"age": 41}),
        Event(kind="prediction", request_id="c", model="m", ts=ts, inputs={}),
    ]
    _write(log, events)
    table = read_window_table(log, WindowSpec(model="m", features={"age": "float"}))
    ids, ages = table.column("request_id").to_pylist(), table.column("age").to_pylist()
    assert dict(zip(ids, ages, strict=True)) == {"a": None, "b": 41.0, "c": None}


def test_an_empty_log_gives_an_empty_window(log: EventLog) -> None:
    table = read_window_table(log, WindowSpec(model="adult", features=FEATURES))
    assert table.num_rows == 0
    assert "age" in table.column_names


def test_batches_stream_with_bounded_size(log: EventLog, adult_train: pd.DataFrame) -> None:
    _write(log, predictions(_adult(adult_train, 1000)))
    sizes = [b.num_rows for b in read_window(log, WindowSpec("adult", FEATURES), batch_rows=256)]
    assert sum(sizes) == 1000
    assert max(sizes) <= 2048  # DuckDB hands out whole vectors of 2,048 rows at most


def test_a_feature_named_like_an_event_column_is_prefixed(log: EventLog) -> None:
    ts = datetime(2026, 3, 1, tzinfo=UTC)
    _write(log, [Event(kind="prediction", request_id="a", model="m", ts=ts, inputs={"ts": 3})])
    table = read_window_table(log, WindowSpec(model="m", features={"ts": "int"}))
    assert table.column("feature.ts").to_pylist() == [3.0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (WindowSpec(model="m", features={}), "names no features"),
        (WindowSpec(model="m", features={"a": "vector"}), "dtype 'vector'"),
        (
            WindowSpec(model="m", features={"a": "int"}, start=datetime(2026, 1, 1)),
            "timezone-aware",
        ),
    ],
)
def test_bad_window_specs_are_refused_with_the_reason(
    log: EventLog, spec: WindowSpec, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        read_window_table(log, spec)


def test_first_keeps_the_earliest_predictions_in_time_order(
    log: EventLog, adult_train: pd.DataFrame
) -> None:
    events = predictions(_adult(adult_train, 500))
    _write(log, list(reversed(events)))
    table = read_window_table(log, WindowSpec("adult", FEATURES, first=10))
    assert sorted(table.column("request_id").to_pylist()) == sorted(f"req-{i}" for i in range(10))
