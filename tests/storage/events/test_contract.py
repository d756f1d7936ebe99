"""The event log contract, run on every backend: memory and Parquet on local disk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events import EventLog, MemoryEventLog, ParquetEventLog
from aweigh.storage.events._sql import VIEW_SCHEMA
from aweigh.storage.events.model import table_to_events
from tests.storage.events.helpers import (
    T0,
    adult_rows,
    as_stored,
    batches,
    feedback_for,
    predictions,
)


@pytest.fixture(scope="module")
def rows(adult_train: pd.DataFrame) -> list[dict[str, Any]]:
    return adult_rows(adult_train, 1000)


@pytest.fixture(scope="module")
def incomes(adult_train: pd.DataFrame) -> list[str]:
    return list(adult_train["income"].head(1000))


class EventLogContract:
    """Behaviour every event log has; subclasses provide the ``log`` fixture."""

    @pytest.fixture
    def log(self) -> Iterator[EventLog]:
        raise NotImplementedError

    def write(self, log: EventLog, events: list[Any], size: int = 64) -> None:
        for batch in batches(events, size):
            log.append(batch)
        log.flush(timeout_s=30)

    def test_appended_predictions_come_back_from_sql_after_flush(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        events = predictions(rows, rows_per_request=4)
        self.write(log, events)

        table = log.query("SELECT * FROM events ORDER BY ts, row")

        assert table.num_rows == 1000
        assert table_to_events(table) == [as_stored(e) for e in events]

    def test_inputs_output_and_label_are_json_text_sql_can_read(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:10]))

        answer = log.query(
            "SELECT json_extract_string(output, '$') AS output, "
            "CAST(inputs ->> 'age' AS INTEGER) AS age, proba[2] AS p FROM events ORDER BY ts"
        ).to_pylist()

        assert [a["age"] for a in answer] == [r["age"] for r in rows[:10]]
        assert {a["output"] for a in answer} <= {"<=50K", ">50K"}
        assert all(0 <= a["p"] <= 1 for a in answer)

    def test_feedback_joins_predictions_by_request_id(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown = predictions(rows)
        self.write(log, shown)
        self.write(log, feedback_for(shown[:600], incomes[:600]))

        answer = log.query(
            """
            SELECT count(*) AS labelled, avg(CAST(p.output = f.label AS DOUBLE)) AS accuracy
            FROM events p JOIN events f USING (request_id, row)
            WHERE p.kind = 'prediction' AND f.kind = 'feedback'
            """
        ).to_pylist()[0]

        hits = sum(e.output == y for e, y in zip(shown[:600], incomes[:600], strict=True))
        assert answer["labelled"] == 600
        assert answer["accuracy"] == pytest.approx(hits / 600)

    def test_model_and_date_columns_come_from_the_partitions(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        midnight = T0.replace(hour=23, minute=0)
        hourly = timedelta(minutes=6)  # 20 events per model: 10 on each side of midnight
        self.write(log, predictions(rows[:20], model="adult", start=midnight, step=hourly))
        self.write(log, predictions(rows[20:40], model="churn.v2", start=midnight, step=hourly))

        answer = log.query(
            "SELECT model, date, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"
        ).to_pylist()

        day, next_day = T0.date(), T0.date() + timedelta(days=1)
        assert answer == [
            {"model": "adult", "date": day, "n": 10},
            {"model": "adult", "date": next_day, "n": 10},
            {"model": "churn.v2", "date": day, "n": 10},
            {"model": "churn.v2", "date": next_day, "n": 10},
        ]
        assert isinstance(answer[0]["date"], date)

    def test_stats_count_appended_and_written_events(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:300]))

        stats = log.stats()

        assert (stats.appended, stats.written, stats.queue_depth) == (300, 300, 0)
        assert (stats.spooled, stats.dropped, stats.replayed) == (0, 0, 0)
        assert stats.segments >= 1
        assert stats.last_error is None

    def test_an_empty_log_answers_with_no_rows_and_every_column(self, log: EventLog) -> None:
        table = log.query("SELECT * FROM events")

        assert table.num_rows == 0
        assert table.column_names == VIEW_SCHEMA.names
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 0}]

    def test_the_view_has_the_same_columns_before_and_after_writing(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        before = log.query("DESCRIBE events").to_pylist()
        self.write(log, predictions(rows[:5]))
        after = log.query("DESCRIBE events").to_pylist()

        assert [(c["column_name"], c["column_type"]) for c in before] == [
            (c["column_name"], c["column_type"]) for c in after
        ]

    def test_query_binds_parameters(self, log: EventLog, rows: list[dict[str, Any]]) -> None:
        self.write(log, predictions(rows[:50], model="adult"))
        self.write(log, predictions(rows[:20], model="other"))

        answer = log.query("SELECT count(*) AS n FROM events WHERE model = ?", ["other"])

        assert answer.to_pylist() == [{"n": 20}]

    def test_query_frame_returns_a_dataframe(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:30]))

        frame = log.query_frame("SELECT request_id, latency_ms FROM events")

        assert isinstance(frame, pd.DataFrame)
        assert len(frame) == 30

    @pytest.mark.parametrize(
        "sql",
        [
            "DROP TABLE x",
            "COPY (SELECT * FROM events) TO 'events.csv'",
            "COPY events TO 'out.parquet' (FORMAT parquet)",
            "CREATE TABLE t AS SELECT 1",
            "ATTACH 'other.duckdb'",
            "INSTALL httpfs",
            "SET enable_external_access = true",
            "SELECT 1; DROP VIEW events",
        ],
    )
    def test_query_refuses_statements_that_are_not_read_only(self, log: EventLog, sql: str) -> None:
        with pytest.raises(InvalidInputError, match=r"read-only|exactly one"):
            log.query(sql)
        assert log.query("SELECT count(*) AS n FROM events").num_rows == 1

    @pytest.mark.parametrize(
        ("sql", "problem"),
        [
            ("SELEC * FROM events", "does not parse"),
            ("SELECT * FROM events WHERE", "does not parse"),
            ("SELECT no_such_column FROM events", "no_such_column"),
            ("SELECT * FROM no_such_table", "no_such_table"),
            ("", "non-empty"),
        ],
    )
    def test_malformed_sql_is_invalid_input(self, log: EventLog, sql: str, problem: str) -> None:
        with pytest.raises(InvalidInputError, match=problem):
            log.query(sql)

    def test_queries_cannot_read_files_outside_the_log(self, log: EventLog) -> None:
        with pytest.raises(InvalidInputError, match=r"disabled|Permission"):
            log.query("SELECT * FROM read_csv('/etc/passwd')")

    def test_append_accepts_an_empty_batch_and_never_raises_on_garbage(self, log: EventLog) -> None:
        log.append([])
        log.append(None)  # type: ignore[arg-type]
        log.append([1, "two", None])  # type: ignore[list-item]
        log.flush(timeout_s=30)

        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 0}]
        assert log.stats().last_error is not None

    def test_close_writes_what_is_queued(self, log: EventLog, rows: list[dict[str, Any]]) -> None:
        for batch in batches(predictions(rows[:200])):
            log.append(batch)

        log.close()

        assert log.stats().written == 200
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 200}]


class TestMemoryEventLog(EventLogContract):
    @pytest.fixture
    def log(self) -> Iterator[EventLog]:
        log = MemoryEventLog()
        yield log
        log.close()


class TestParquetEventLog(EventLogContract):
    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[EventLog]:
        log = ParquetEventLog(tmp_path / "events", flush_interval_s=30)
        yield log
        log.close()
