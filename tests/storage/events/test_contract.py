"""The event log contract, run on every backend: memory and Parquet on local disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events import (
    Event,
    EventLog,
    MemoryEventLog,
    ParquetEventLog,
    RetentionDrop,
)
from aweigh.storage.events._sql import VIEW_SCHEMA
from aweigh.storage.events.export import EXPORT_COLUMNS
from aweigh.storage.events.model import table_to_events
from tests.storage.events.helpers import (
    T0,
    adult_rows,
    as_stored,
    batches,
    customers,
    feedback_for,
    key,
    predictions,
    token_for,
)

TOKENS = [token_for(c) for c in customers(20)]
ALICE = TOKENS[2]  # the subject erased, exported or asked about in the privacy tests
CONSENTS: list[tuple[str, ...] | None] = [
    ("serving", "training", "monitoring"),
    ("serving",),
    None,
    ("serving", "training"),
    (),
]
CHILDREN: list[bool | None] = [False, None, True, False, False, True, None]
LATER = T0 + timedelta(days=30)  # an erasure time after every event of the tests
MakeLog = Callable[[], EventLog]


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

    # -- privacy: erasure ------------------------------------------------------------
    def traffic(
        self, rows: list[dict[str, Any]], incomes: list[str], n: int = 300
    ) -> tuple[list[Event], list[Event]]:
        """Adult predictions of 20 customers over 12 days, and labels for most of them.

        Every other label carries the subject token (as the server records it); the
        others are joined to their prediction only by request id.
        """
        shown = predictions(
            rows[:n],
            start=T0 - timedelta(days=12),
            step=timedelta(hours=1),
            rows_per_request=3,
            subjects=TOKENS,
            purposes=CONSENTS,
            children=CHILDREN,
        )
        labelled = shown[: n * 4 // 5]
        feedback = feedback_for(labelled[0::2], incomes[0 : len(labelled) : 2], with_subject=True)
        feedback += feedback_for(labelled[1::2], incomes[1 : len(labelled) : 2])
        return shown, feedback

    def test_erasure_removes_exactly_the_subjects_events_and_their_labels(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        self.write(log, shown)
        self.write(log, feedback)
        theirs = [e for e in shown if e.subject_id == ALICE]
        asked = {(e.request_id, e.row) for e in theirs}
        gone = theirs + [f for f in feedback if (f.request_id, f.row) in asked]

        outcome = log.erase_subject(ALICE, now=LATER)

        left = table_to_events(log.query("SELECT * FROM events"))
        assert sorted(map(key, left)) == sorted(key(e) for e in shown + feedback if e not in gone)
        assert outcome.subject == ALICE
        assert outcome.erased_at == LATER
        assert outcome.events_removed == len(gone) == 15 + 12
        assert (outcome.queue_removed, outcome.spool_removed) == (0, 0)
        assert outcome.models == ("adult",)
        assert outcome.earliest == min(e.ts for e in gone)
        assert outcome.latest == max(e.ts for e in gone)
        assert outcome.segments_rewritten + outcome.segments_deleted >= 1
        assert any("segments" in s or "flushed" in s for s in outcome.stores_searched)
        assert any("queue" in s for s in outcome.stores_searched)
        assert log.subject_events(ALICE).num_rows == 0
        receipt = orjson.loads(orjson.dumps(outcome.to_dict()))
        assert receipt["events_removed"] == 27
        assert receipt["erased_at"] == LATER.isoformat()

    def test_erasure_reaches_events_still_waiting_to_be_written(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        waiting = predictions(rows[:40], subjects=[ALICE, TOKENS[0]])
        log.flush()  # the writer's first cycle is done: what follows waits on the queue
        log.append(waiting)

        outcome = log.erase_subject(ALICE, now=LATER)
        log.flush()

        assert outcome.queue_removed == outcome.events_removed == 20
        answer = log.query("SELECT DISTINCT subject_id FROM events").to_pylist()
        assert answer == [{"subject_id": TOKENS[0]}]

    def test_erasure_leaves_exactly_the_others_for_any_assignment_of_subjects(
        self, make_log: MakeLog, rows: list[dict[str, Any]]
    ) -> None:
        @settings(max_examples=25, deadline=None)
        @given(
            owners=st.lists(st.none() | st.integers(0, 3), min_size=1, max_size=24),
            labels=st.lists(st.sampled_from(["none", "owned", "unowned"]), max_size=24),
        )
        def check(owners: list[int | None], labels: list[str]) -> None:
            subjects = [None if o is None else TOKENS[o] for o in owners]
            shown = predictions(rows[: len(owners)], subjects=subjects, step=timedelta(hours=5))
            feedback = [
                f
                for e, how in zip(shown, labels, strict=False)
                if how != "none"
                for f in feedback_for([e], [">50K"], with_subject=how == "owned")
            ]
            log = make_log()
            try:
                self.write(log, shown + feedback)
                theirs = {(e.request_id, e.row) for e in shown if e.subject_id == TOKENS[0]}
                expected = [
                    e
                    for e in shown + feedback
                    if e.subject_id != TOKENS[0] and (e.request_id, e.row) not in theirs
                ]

                outcome = log.erase_subject(TOKENS[0], now=LATER)

                left = sorted(map(key, table_to_events(log.query("SELECT * FROM events"))))
                assert left == sorted(map(key, expected))  # nothing else lost, none twice
                assert outcome.events_removed == len(shown) + len(feedback) - len(expected)
            finally:
                log.close()

        check()

    def test_erasing_a_subject_with_no_data_gives_an_outcome_of_zeros(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:30], subjects=[TOKENS[0]]))

        outcome = log.erase_subject(token_for("CUST-999999"), now=LATER)

        assert (outcome.events_removed, outcome.segments_rewritten, outcome.segments_deleted) == (
            0,
            0,
            0,
        )
        assert (outcome.spool_removed, outcome.queue_removed) == (0, 0)
        assert (outcome.models, outcome.earliest, outcome.latest) == ((), None, None)
        assert outcome.stores_searched
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 30}]

    @pytest.mark.parametrize(
        ("token", "problem"),
        [
            ("", "empty"),
            ("   ", "empty"),
            ("a" * 257, "too long: 257 characters"),
            ("../../etc/passwd", "path character"),
            ("subject/1", "path character"),
            ("subject\\1", "path character"),
            ("a..b", "path character"),
            ("abc\x00def", "NUL"),
            ("abc\ndef", "control character"),
            (" abc", "whitespace"),
            (12345, "must be a string"),
            (None, "must be a string"),
        ],
    )
    def test_a_hostile_subject_token_is_refused_and_nothing_is_erased(
        self, log: EventLog, rows: list[dict[str, Any]], token: Any, problem: str
    ) -> None:
        self.write(log, predictions(rows[:10]))

        with pytest.raises(InvalidInputError, match=problem):
            log.erase_subject(token, now=LATER)
        with pytest.raises(InvalidInputError, match=problem):
            log.subject_events(token)
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 10}]

    def test_erasure_needs_an_aware_time(self, log: EventLog) -> None:
        with pytest.raises(InvalidInputError, match="timezone-aware"):
            log.erase_subject(ALICE, now=datetime(2026, 3, 1))

    def test_events_of_an_erased_subject_stamped_before_the_erasure_are_never_written(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        log.erase_subject(ALICE, now=T0)
        late = predictions(
            rows[:4], subjects=[ALICE], start=T0 - timedelta(seconds=90), step=timedelta(minutes=1)
        )  # 2 stamped before the erasure (in flight while it ran), 2 after it (new data)

        self.write(log, late)

        left = table_to_events(log.query("SELECT * FROM events ORDER BY ts"))
        assert [e.ts for e in left] == [T0 + timedelta(seconds=30), T0 + timedelta(seconds=90)]
        assert log.stats().erased == 2

    def test_erasing_every_event_leaves_a_log_that_still_answers(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:20], subjects=[ALICE]))

        outcome = log.erase_subject(ALICE, now=LATER)

        assert outcome.events_removed == 20
        assert outcome.segments_deleted >= 1
        table = log.query("SELECT * FROM events")
        assert (table.num_rows, table.column_names) == (0, VIEW_SCHEMA.names)

    # -- privacy: access and breach questions -----------------------------------------
    def test_subject_events_are_everything_held_on_the_subject_oldest_first(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        self.write(log, shown + feedback)
        theirs = [e for e in shown if e.subject_id == ALICE]
        asked = {(e.request_id, e.row) for e in theirs}
        labels = [f for f in feedback if (f.request_id, f.row) in asked]

        table = log.subject_events(ALICE)

        assert table.column_names == VIEW_SCHEMA.names
        assert sorted(map(key, table_to_events(table))) == sorted(map(key, theirs + labels))
        assert table.column("ts").to_pylist() == sorted(table.column("ts").to_pylist())
        assert set(table.column("kind").to_pylist()) == {"prediction", "feedback"}

    def test_exposure_lists_which_subjects_data_was_held_in_a_time_range(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        other = predictions(rows[:40], model="churn", subjects=TOKENS[:3], prefix="churn")
        self.write(log, shown + feedback + other)
        start, end = T0 - timedelta(days=5), T0 - timedelta(days=2)
        owner = {(e.request_id, e.row): e.subject_id for e in shown}
        expected: dict[tuple[str, str], list[datetime]] = {}
        for e in shown + feedback + other:
            subject = e.subject_id or owner.get((e.request_id, e.row))
            if subject is not None and start <= e.ts <= end:
                expected.setdefault((subject, e.model), []).append(e.ts)

        answer = log.exposure(start, end).to_pylist()

        assert [(a["subject_id"], a["model"]) for a in answer] == sorted(expected)
        for a in answer:
            times = expected[(a["subject_id"], a["model"])]
            assert (a["first_ts"], a["last_ts"], a["events"]) == (
                min(times),
                max(times),
                len(times),
            )

    def test_exposure_of_a_range_that_ends_before_it_starts_is_refused(self, log: EventLog) -> None:
        with pytest.raises(InvalidInputError, match="starts after it ends"):
            log.exposure(T0, T0 - timedelta(days=1))

    # -- privacy: retention ------------------------------------------------------------
    def test_retention_drops_expired_days_and_trims_the_boundary_day(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        now = T0  # 2026-03-01 12:00: an injected clock
        adult = predictions(rows[:240], start=now - timedelta(days=10), step=timedelta(hours=1))
        churn = predictions(
            rows[:240], model="churn", start=now - timedelta(days=10), step=timedelta(hours=1)
        )
        self.write(log, adult + churn)
        periods = {"churn": timedelta(days=2)}
        default = timedelta(days=5, hours=6)  # adult: the cutoff falls at 06:00 of a day

        outcome = log.apply_retention(periods, default, now=now)

        kept = [e for e in adult if e.ts >= now - default]
        kept += [e for e in churn if e.ts >= now - periods["churn"]]
        left = table_to_events(log.query("SELECT * FROM events"))
        assert sorted((e.model, e.ts) for e in left) == sorted((e.model, e.ts) for e in kept)
        expected: dict[tuple[str, date], int] = {}
        for e in adult + churn:
            if e not in kept:
                expected[(e.model, e.ts.date())] = expected.get((e.model, e.ts.date()), 0) + 1
        boundary = {("adult", date(2026, 2, 24)), ("churn", date(2026, 2, 27))}
        assert outcome.dropped == tuple(
            RetentionDrop(model, day, n, whole=(model, day) not in boundary)
            for (model, day), n in sorted(expected.items())
        )
        assert outcome.events_removed == len(adult) + len(churn) - len(kept)
        assert outcome.partitions_deleted == len(expected) - 2
        assert outcome.now == now

    def test_retention_with_nothing_expired_removes_nothing(
        self, log: EventLog, rows: list[dict[str, Any]]
    ) -> None:
        self.write(log, predictions(rows[:50]))

        outcome = log.apply_retention({}, timedelta(days=90), now=T0 + timedelta(days=1))

        assert (outcome.dropped, outcome.events_removed) == ((), 0)
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 50}]

    @pytest.mark.parametrize(
        ("periods", "default", "problem"),
        [
            ({}, timedelta(0), "period default must be positive"),
            ({}, timedelta(days=-1), "period default must be positive"),
            ({"adult": timedelta(0)}, timedelta(days=90), "of model 'adult' must be positive"),
            ({"adult": timedelta(seconds=-5)}, timedelta(days=90), "must be positive"),
            ({"adult": 30}, timedelta(days=90), "must be a timedelta"),
        ],
    )
    def test_a_zero_or_negative_retention_period_is_refused_and_nothing_is_deleted(
        self,
        log: EventLog,
        rows: list[dict[str, Any]],
        periods: dict[str, Any],
        default: timedelta,
        problem: str,
    ) -> None:
        self.write(log, predictions(rows[:50]))

        with pytest.raises(InvalidInputError, match=problem):
            log.apply_retention(periods, default, now=T0 + timedelta(days=365))
        assert log.query("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 50}]

    # -- privacy: training export with consent ----------------------------------------------
    def test_training_export_keeps_consented_labelled_rows_without_children(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        self.write(log, shown + feedback)
        labelled = shown[: len(feedback)]
        consented = [e for e in labelled if e.purposes and "training" in e.purposes]

        outcome = log.export_training()

        expected = [e for e in consented if e.child is not True]
        assert outcome.table.column_names == list(EXPORT_COLUMNS)
        assert outcome.table.column("request_id").to_pylist() == [e.request_id for e in expected]
        assert outcome.rows == len(expected)
        assert outcome.excluded_no_consent == len(labelled) - len(consented)
        assert outcome.excluded_child == len(consented) - len(expected)
        assert outcome.excluded == {
            "no_consent": outcome.excluded_no_consent,
            "child": outcome.excluded_child,
        }
        assert outcome.unlabelled == len(shown) - len(labelled)
        assert all(label is not None for label in outcome.table.column("label").to_pylist())
        assert outcome.excluded_child > 0
        assert outcome.excluded_no_consent > 0

    def test_training_export_may_keep_children_when_the_purpose_allows_it(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        self.write(log, shown + feedback)
        labelled = shown[: len(feedback)]

        outcome = log.export_training(purpose="monitoring", allow_children=True)

        expected = [e for e in labelled if e.purposes and "monitoring" in e.purposes]
        assert outcome.rows == len(expected)
        assert outcome.excluded_child == 0
        assert True in outcome.table.column("child").to_pylist()
        assert outcome.summary()["excluded"]["no_consent"] == len(labelled) - len(expected)

    def test_training_export_takes_a_sql_filter_over_the_predictions(
        self, log: EventLog, rows: list[dict[str, Any]], incomes: list[str]
    ) -> None:
        shown, feedback = self.traffic(rows, incomes)
        self.write(log, shown + feedback)

        everyone = log.export_training()
        outcome = log.export_training(sql_filter="CAST(inputs ->> 'age' AS INTEGER) >= 40")

        ages = [orjson.loads(i)["age"] for i in outcome.table.column("inputs").to_pylist()]
        older = [orjson.loads(i)["age"] >= 40 for i in everyone.table.column("inputs").to_pylist()]
        assert 0 < outcome.rows == sum(older) < everyone.rows
        assert min(ages) >= 40

    @pytest.mark.parametrize(
        ("options", "problem"),
        [
            ({"purpose": ""}, "purpose must be a non-empty string"),
            ({"sql_filter": "  "}, "filter must be a non-empty SQL condition"),
            ({"sql_filter": "true); DROP VIEW events; SELECT (1"}, "does not parse|exactly one"),
            ({"sql_filter": "no_such_column = 1"}, "no_such_column"),
            ({"allow_children": "yes"}, "allow_children must be True or False"),
        ],
    )
    def test_a_bad_export_request_is_refused(
        self, log: EventLog, options: dict[str, Any], problem: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=problem):
            log.export_training(**options)


class TestMemoryEventLog(EventLogContract):
    @pytest.fixture
    def log(self) -> Iterator[EventLog]:
        log = MemoryEventLog()
        yield log
        log.close()

    @pytest.fixture
    def make_log(self) -> MakeLog:
        return MemoryEventLog


class TestParquetEventLog(EventLogContract):
    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[EventLog]:
        log = ParquetEventLog(tmp_path / "events", flush_interval_s=30)
        yield log
        log.close()

    @pytest.fixture
    def make_log(self, tmp_path_factory: pytest.TempPathFactory) -> MakeLog:
        def make() -> EventLog:
            return ParquetEventLog(tmp_path_factory.mktemp("events"), flush_interval_s=30)

        return make
