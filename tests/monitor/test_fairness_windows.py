"""Fairness per time window of live predictions (Adult rows spread over days): late labels
revise their prediction's window, thin or incomplete windows are reported, not raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.fairness import fairness_table
from aweigh.monitor.fairness_windows import FairnessWindow, fairness_windows

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def events(adult_train: pd.DataFrame) -> pd.DataFrame:
    """3000 Adult rows as served predictions over days 0, 1 and 3 (day 2 silent), labelled."""
    features = ["age", "education_num", "hours_per_week"]
    model = LogisticRegression(max_iter=1000).fit(
        adult_train[features].head(5000), adult_train["income"].head(5000)
    )
    rows = adult_train.iloc[5000:8000].reset_index(drop=True)
    day = np.repeat([0, 1, 3], 1000)
    minutes = np.tile(np.arange(1000), 3)
    return pd.DataFrame(
        {
            "ts": [
                DAY0 + timedelta(days=int(d), minutes=int(m))
                for d, m in zip(day, minutes, strict=True)
            ],
            "output": model.predict(rows[features]),
            "label": rows["income"],
            "sex": rows["sex"],
            "race": rows["race"],
        }
    )


def _windows(frame: pd.DataFrame | pa.Table, **options: Any) -> list[FairnessWindow]:
    defaults: dict[str, Any] = {"sensitive": ["sex", "race"], "positive": ">50K", "n_boot": 100}
    return fairness_windows(frame, **(defaults | options))


def test_one_report_per_day_equal_to_the_table_of_that_days_rows(events: pd.DataFrame) -> None:
    windows = _windows(events)
    assert [w.start for w in windows] == [DAY0 + timedelta(days=d) for d in range(4)]
    assert [w.status for w in windows] == ["ok", "ok", "empty", "ok"]
    assert [w.n for w in windows] == [1000, 1000, 0, 1000]
    day1 = events.iloc[1000:2000]
    table = fairness_table(
        day1["label"], day1["output"], day1[["sex", "race"]], positive=">50K", n_boot=100
    )
    assert windows[1].report is not None
    assert windows[1].report.to_dict() == table.to_dict()
    assert windows[2].report is None
    assert "empty window" in windows[2].summary
    json.dumps([w.to_dict() for w in windows], allow_nan=False)


def test_late_labels_revise_the_window_of_their_prediction_only(events: pd.DataFrame) -> None:
    pending = events.assign(label=events["label"].where(events.index >= 1000, None))
    before = _windows(pending)
    assert before[0].n_labeled == 0
    assert before[0].report is not None
    assert before[0].report.overall.tpr.to_dict()["value"] is None
    after = _windows(events)  # the labels of day 0 arrived (days later)
    assert after[0].n_labeled == 1000
    assert after[0].report is not None
    assert after[0].report.overall.tpr.value > 0
    assert after[0].report.overall.selection_rate.value == (
        before[0].report.overall.selection_rate.value
    )
    assert [w.to_dict() for w in after[1:]] == [w.to_dict() for w in before[1:]]


def test_a_sensitive_attribute_missing_from_the_events_is_reported_per_window(
    events: pd.DataFrame,
) -> None:
    windows = _windows(events, sensitive=["sex", "age_band"])
    ok = [w for w in windows if w.status != "empty"]
    assert {w.status for w in ok} == {"missing_attribute"}
    assert ok[0].missing_attributes == ("age_band",)
    assert ok[0].report is not None
    assert [a.attribute for a in ok[0].report.attributes] == ["sex"]
    assert "missing attribute age_band" in ok[0].summary
    unlogged = events.assign(race=events["race"].where(events.index >= 1000, None))
    first = _windows(unlogged)[0]
    assert first.missing_attributes == ("race",)
    nothing = _windows(events, sensitive=["age_band"])[0]
    assert nothing.report is None
    assert nothing.to_dict()["status"] == "missing_attribute"


def test_json_text_outputs_and_labels_from_the_event_log_are_decoded(events: pd.DataFrame) -> None:
    stored = pa.Table.from_pandas(
        events.assign(
            output=[orjson.dumps(v).decode() for v in events["output"]],
            label=[orjson.dumps(v).decode() for v in events["label"]],
        )
    )
    decoded = _windows(stored, json_text=True)
    assert [w.to_dict() for w in decoded] == [w.to_dict() for w in _windows(events)]
    with pytest.raises(InvalidInputError, match="not JSON text"):
        _windows(events, json_text=True)


def test_an_empty_frame_has_no_windows_and_one_row_is_too_small(events: pd.DataFrame) -> None:
    assert _windows(events.head(0)) == []
    (single,) = _windows(events.head(1))
    assert single.n == 1
    assert single.report is not None
    assert single.report.passed is None
    assert single.report.summary.startswith("fairness not judged")


def test_bad_event_frames_name_the_problem(events: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match=r"lack the column\(s\) \['label'\]"):
        _windows(events.drop(columns=["label"]))
    with pytest.raises(InvalidInputError, match="not a duration"):
        _windows(events, window="daily")
    with pytest.raises(InvalidInputError, match="labels are text"):
        _windows(events, positive=1)
    with pytest.raises(InvalidInputError, match="'>50k' occurs in neither"):
        _windows(events, positive=">50k")
    with pytest.raises(InvalidInputError, match="at least one sensitive attribute"):
        _windows(events, sensitive=[])
    with pytest.raises(InvalidInputError, match="not times"):
        _windows(events.assign(ts="yesterday"))
