"""Feedback joins predictions by request id and row, however late; the latest label wins."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.quality import join_labels
from aweigh.monitor.quality_join import LABELS_ATTR

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _predictions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ["a", "a", "b", "c"],
            "row": [0, 1, 0, 0],
            "version": [1, 1, 1, 2],
            "ts": [T0, T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)],
            "output": [1, 0, 1, 0],
        }
    )


def _feedback(rows: list[tuple[str, int, timedelta, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": [r[0] for r in rows],
            "row": [r[1] for r in rows],
            "ts": [T0 + r[2] for r in rows],
            "label": [r[3] for r in rows],
        }
    )


def test_label_joins_by_request_id_and_row_with_its_delay() -> None:
    feedback = _feedback([("a", 1, timedelta(days=2), 1)])
    joined = join_labels(_predictions(), feedback)
    assert joined["label"].tolist() == [None, 1, None, None]
    assert joined["label_delay_s"].iloc[1] == pytest.approx(2 * 86_400)
    assert joined["label_ts"].iloc[1] == pd.Timestamp(T0 + timedelta(days=2))
    assert pd.isna(joined["label_ts"].iloc[0])
    assert joined["version"].tolist() == [1, 1, 1, 2]


def test_the_latest_feedback_wins_whatever_the_order_it_is_given_in() -> None:
    feedback = _feedback(
        [
            ("b", 0, timedelta(hours=3), "late correction"),
            ("b", 0, timedelta(hours=1), "first"),
        ]
    )
    joined = join_labels(_predictions(), feedback)
    assert joined["label"].iloc[2] == "late correction"
    assert joined.attrs[LABELS_ATTR]["superseded"] == 1
    assert joined.attrs[LABELS_ATTR]["matched"] == 1


def test_as_of_ignores_feedback_that_had_not_arrived_yet() -> None:
    feedback = _feedback([("b", 0, timedelta(hours=1), 0), ("b", 0, timedelta(hours=3), 1)])
    joined = join_labels(_predictions(), feedback, as_of=T0 + timedelta(hours=2))
    assert joined["label"].iloc[2] == 0


def test_labels_for_unknown_request_ids_are_counted_with_examples() -> None:
    feedback = _feedback(
        [
            ("zzz", 0, timedelta(hours=1), 1),
            ("zzz", 0, timedelta(hours=2), 0),
            ("a", 7, timedelta(hours=1), 1),
            ("c", 0, timedelta(hours=1), 0),
        ]
    )
    joined = join_labels(_predictions(), feedback)
    stats = joined.attrs[LABELS_ATTR]
    assert stats["unknown"] == 3
    assert {"request_id": "zzz", "row": 0} in stats["unknown_examples"]
    assert {"request_id": "a", "row": 7} in stats["unknown_examples"]
    assert len(stats["unknown_ts"]) == 3
    assert joined["label"].tolist() == [None, None, None, 0]


def test_feedback_without_a_row_column_means_row_zero() -> None:
    feedback = _feedback([("c", 0, timedelta(hours=1), 1)]).drop(columns="row")
    assert join_labels(_predictions(), feedback)["label"].iloc[3] == 1


def test_arrow_tables_join_and_keep_the_probabilities() -> None:
    preds = pa.Table.from_pandas(_predictions(), preserve_index=False).append_column(
        "proba", pa.array([[0.1, 0.9]] * 4, pa.list_(pa.float64()))
    )
    feedback = pa.Table.from_pandas(
        _feedback([("a", 0, timedelta(minutes=1), "1")]), preserve_index=False
    )
    joined = join_labels(preds, feedback)
    assert joined["label"].iloc[0] == "1"
    assert list(joined["proba"].iloc[0]) == [0.1, 0.9]


def test_no_feedback_at_all_leaves_every_label_null() -> None:
    joined = join_labels(_predictions(), _feedback([]))
    assert joined["label"].isna().all()
    assert joined.attrs[LABELS_ATTR]["feedback"] == 0


def test_missing_columns_are_an_error_naming_them() -> None:
    with pytest.raises(InvalidInputError, match="feedback lack the column\\(s\\) label"):
        join_labels(_predictions(), _feedback([]).drop(columns="label"))


def test_a_naive_as_of_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="as_of must be timezone-aware"):
        join_labels(_predictions(), _feedback([]), as_of=datetime(2026, 1, 1))


def test_a_million_predictions_join_in_about_a_second() -> None:
    n, m = 1_000_000, 600_000
    rng = np.random.default_rng(42)
    ids = pd.array([f"r{i}" for i in range(n)], dtype="str")
    ts = pd.Timestamp(T0) + pd.to_timedelta(np.arange(n), unit="s")
    preds = pd.DataFrame({"request_id": ids, "row": 0, "ts": ts})
    pick = rng.integers(0, n, m)
    feedback = pd.DataFrame(
        {"request_id": ids[pick], "row": 0, "ts": ts[pick] + pd.Timedelta(hours=1), "label": 1}
    )
    began = time.perf_counter()
    joined = join_labels(preds, feedback)
    took = time.perf_counter() - began
    assert joined["label"].notna().sum() == len(np.unique(pick))
    assert took < 5.0  # about 0.5 s on an idle core; generous for a shared machine
