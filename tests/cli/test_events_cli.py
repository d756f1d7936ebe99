"""``aweigh events query``: SQL over the event log, read without disturbing a server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aweigh.storage.events import Event, ParquetEventLog
from tests.cli._support import assert_error, invoke, invoke_json, invoke_ok


def _log_events(home: Path) -> None:
    log = ParquetEventLog(home / "events")
    now = datetime.now(UTC)
    log.append(
        [
            Event(
                kind="prediction",
                request_id=f"r{i}",
                model="income",
                version=1,
                ts=now,
                inputs={"age": 30 + i},
                output=">50K" if i % 2 else "<=50K",
                latency_ms=1.5,
            )
            for i in range(10)
        ]
    )
    log.append(
        [Event(kind="feedback", request_id="r1", model="income", version=1, ts=now, label=">50K")]
    )
    log.close()


def test_queries_events_as_json_csv_and_a_table(cli_home: Path) -> None:
    _log_events(cli_home)
    rows = invoke_json(
        "events", "query", "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind"
    )
    assert rows == [{"kind": "feedback", "n": 1}, {"kind": "prediction", "n": 10}]
    csv = invoke_ok(
        "events", "query", "SELECT request_id FROM events WHERE kind = 'feedback'", "--csv"
    ).stdout
    assert csv.splitlines() == ["request_id", "r1"]
    table = invoke_ok("events", "query", "SELECT model, version FROM events LIMIT 1").stdout
    assert "income" in table
    assert "1 row(s)" in table


def test_an_empty_event_log_answers_with_no_rows(cli_home: Path) -> None:
    assert invoke_json("events", "query", "SELECT * FROM events") == []


def test_bad_or_writing_sql_is_refused(cli_home: Path) -> None:
    _log_events(cli_home)
    for sql in (
        "SELEC * FROM events",
        "DROP TABLE events",
        "COPY events TO '/tmp/x.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT 1; SELECT 2",
        "",
    ):
        assert_error(invoke("events", "query", sql), "invalid_input")
