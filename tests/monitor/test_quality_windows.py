"""Quality per window of prediction time, per version and segment; bad input is counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.estimate import Calibration
from aweigh.monitor.quality import QualityWindow, join_labels, quality_windows

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _predictions(n: int = 400, seed: int = 42) -> pd.DataFrame:
    """Two versions over three hours; version 2 is right more often."""
    rng = np.random.default_rng(seed)
    version = np.where(np.arange(n) % 2 == 0, 1, 2)
    truth = rng.integers(0, 2, n)
    right = rng.random(n) < np.where(version == 1, 0.7, 0.9)
    output = np.where(right, truth, 1 - truth)
    p1 = np.clip(np.where(output == 1, 0.75, 0.25) + rng.normal(0, 0.1, n), 0.01, 0.99)
    return pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "row": 0,
            "version": version,
            "ts": pd.Timestamp(T0) + pd.to_timedelta(np.linspace(0, 3 * 3600 - 1, n) // 1, "s"),
            "output": output,
            "proba": [[1 - p, p] for p in p1],
            "age": rng.integers(18, 80, n),
            "country": rng.choice(["IN", "US", None], n, p=[0.5, 0.4, 0.1]),
            "truth": truth,
        }
    )


def _feedback(preds: pd.DataFrame, share: float = 1.0, delay: timedelta = HOUR) -> pd.DataFrame:
    chosen = preds.iloc[: int(len(preds) * share)]
    return pd.DataFrame(
        {
            "request_id": chosen["request_id"],
            "row": 0,
            "ts": chosen["ts"] + delay,
            "label": chosen["truth"].astype(str),  # labels arrive as text
        }
    )


def _by_key(windows: list[QualityWindow]) -> dict[tuple[datetime, object], QualityWindow]:
    return {(w.start, w.version): w for w in windows}


def test_windows_per_version_and_hour_match_the_metrics_of_their_rows() -> None:
    preds = _predictions()
    windows = quality_windows(join_labels(preds, _feedback(preds)), classes=[0, 1])
    assert [(w.start, w.version) for w in windows] == [
        (T0 + h * HOUR, v) for h in range(3) for v in (1, 2)
    ]
    first = windows[0]
    rows = preds[(preds["version"] == 1) & (preds["ts"] < T0 + HOUR)]
    assert first.n_predictions == len(rows)
    assert first.coverage == 1.0
    assert first.metrics["accuracy"] == pytest.approx((rows["output"] == rows["truth"]).mean())
    assert first.label_delay_p50_s == pytest.approx(3600)
    assert first.end - first.start == HOUR
    v1 = np.mean([w.metrics["accuracy"] for w in windows if w.version == 1])
    v2 = np.mean([w.metrics["accuracy"] for w in windows if w.version == 2])
    assert v2 > v1


def test_late_labels_revise_the_window_of_the_prediction_not_of_the_feedback() -> None:
    preds = _predictions()
    early = _feedback(preds, share=0.0)
    late = _feedback(preds.iloc[:20], delay=timedelta(days=3))
    before = _by_key(quality_windows(join_labels(preds, early), classes=[0, 1]))
    after = _by_key(quality_windows(join_labels(preds, pd.concat([early, late])), classes=[0, 1]))
    key = (T0, 1)
    assert before[key].n_labeled == 0
    assert before[key].metrics["accuracy"] is None
    assert after[key].n_labeled == 10
    assert after[key].label_delay_max_s == pytest.approx(3 * 86_400)
    assert after[(T0 + 2 * HOUR, 1)].n_labeled == 0  # later windows are untouched


def test_partial_labels_give_coverage_and_metrics_on_the_labelled_rows_only() -> None:
    preds = _predictions()
    windows = quality_windows(join_labels(preds, _feedback(preds, share=0.5)), classes=[0, 1])
    coverage = {(w.start, w.version): w.coverage for w in windows}
    assert coverage[(T0, 1)] == 1.0
    assert coverage[(T0 + 2 * HOUR, 2)] == 0.0
    assert 0 < sum(w.n_labeled for w in windows) / len(preds) <= 0.5


def test_wrong_type_labels_are_counted_with_examples_and_left_out() -> None:
    preds = _predictions()
    feedback = _feedback(preds)
    labels: list[object] = feedback["label"].tolist()
    labels[:3] = ["yes", "yes", "no"]
    labels[4] = [0, 1]  # a list where a label should be
    feedback["label"] = pd.Series(labels, index=feedback.index, dtype=object)
    windows = quality_windows(join_labels(preds, feedback), classes=[0, 1])
    w1 = _by_key(windows)[(T0, 1)]
    w2 = _by_key(windows)[(T0, 2)]
    assert w1.invalid_labels == 3  # rows 0, 2, 4 are version 1
    assert set(w1.invalid_label_examples) == {"'yes'", "'no'", "[0, 1]"}
    assert w2.invalid_labels == 1
    assert w2.invalid_label_examples == ("'yes'",)
    assert w1.n_labeled == w1.n_predictions - 3
    assert w1.metrics["n"] == w1.n_labeled


def test_labels_for_unknown_request_ids_are_counted_in_the_window_they_arrived() -> None:
    preds = _predictions()
    stray = pd.DataFrame(
        {"request_id": ["ghost-1", "ghost-2"], "row": 0, "ts": [T0, T0 + HOUR], "label": "1"}
    )
    joined = join_labels(preds, pd.concat([_feedback(preds), stray]))
    counts = {
        (w.start, w.version): w.unknown_labels for w in quality_windows(joined, classes=[0, 1])
    }
    assert counts[(T0, 1)] == 1
    assert counts[(T0, 2)] == 1
    assert counts[(T0 + HOUR, 1)] == 1
    assert counts[(T0 + 2 * HOUR, 1)] == 0


def test_an_empty_range_reports_empty_windows_with_reasons() -> None:
    preds = _predictions().iloc[:0]
    windows = quality_windows(
        join_labels(preds, _feedback(preds)),
        classes=[0, 1],
        start=T0,
        end=T0 + 2 * HOUR,
    )
    assert [w.start for w in windows] == [T0, T0 + HOUR]
    assert all(w.n_predictions == 0 and w.coverage is None for w in windows)
    assert windows[0].reasons["window"] == "no predictions in this window"
    assert windows[0].metrics["accuracy"] is None


def test_a_gap_inside_the_range_gets_an_empty_window_for_each_version() -> None:
    preds = _predictions()
    preds = preds[preds["ts"] >= T0 + HOUR]
    windows = quality_windows(
        join_labels(preds, _feedback(preds)), classes=[0, 1], start=T0, end=T0 + 3 * HOUR
    )
    assert len(windows) == 6
    assert [w.n_predictions for w in windows[:2]] == [0, 0]
    assert [w.version for w in windows[:2]] == [1, 2]


def test_a_window_of_one_event_reports_what_it_can() -> None:
    preds = _predictions().iloc[:1]
    (window,) = quality_windows(join_labels(preds, _feedback(preds)), classes=[0, 1])
    assert window.n_predictions == 1
    assert window.metrics["accuracy"] in (0.0, 1.0)
    assert window.metrics["roc_auc"] is None
    assert "only one class" in window.metrics["reasons"]["roc_auc"]
    assert "one prediction only" in window.reasons["window"]
    json.dumps(window.to_dict())


def test_segments_by_column_and_numeric_bands() -> None:
    preds = _predictions()
    windows = quality_windows(
        join_labels(preds, _feedback(preds)),
        classes=[0, 1],
        window="3h",
        by=("version", "country", "age"),
        segment_bins={"age": [18, 30, 45, 60, 200]},
    )
    segments = {(w.version, w.segment["country"], w.segment["age"]) for w in windows}
    assert (1, "missing", "30-45") in segments or (2, "missing", "30-45") in segments
    assert {s[2] for s in segments} <= {"18-30", "30-45", "45-60", "60-200"}
    assert sum(w.n_predictions for w in windows) == len(preds)


def test_window_length_as_seconds_equals_the_offset_text() -> None:
    preds = _predictions()
    joined = join_labels(preds, _feedback(preds))
    by_text = quality_windows(joined, classes=[0, 1], window="30min")
    by_seconds = quality_windows(joined, classes=[0, 1], window=1800)
    assert [w.to_dict() for w in by_text] == [w.to_dict() for w in by_seconds]


def test_estimates_are_shown_next_to_realised_figures() -> None:
    preds = _predictions()
    windows = quality_windows(
        join_labels(preds, _feedback(preds)),
        classes=[0, 1],
        calibration=Calibration.identity([0, 1]),
    )
    first = windows[0]
    assert first.estimated is not None
    assert first.estimated["n"] == first.n_predictions
    assert set(first.estimate_gap()) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    body = json.loads(json.dumps(first.to_dict()))
    assert body["estimated"]["method"] == "cbpe"
    assert body["n"] == first.n_predictions


def test_rows_without_probabilities_are_counted_and_left_out_of_probability_metrics() -> None:
    preds = _predictions()
    proba: list[object] = preds["proba"].tolist()
    proba[:4] = [None, "x", [0.5], [np.nan, 1.0]]
    preds["proba"] = pd.Series(proba, index=preds.index, dtype=object)
    (first, *_) = quality_windows(join_labels(preds, _feedback(preds)), classes=[0, 1])
    assert first.invalid_proba == 2  # rows 0 and 2 are version 1
    assert first.metrics["roc_auc"] is not None
    assert "rows with probabilities" in first.metrics["reasons"]["proba_rows"]


def test_outputs_and_labels_as_json_text_are_decoded_when_asked() -> None:
    preds = _predictions()
    preds["output"] = preds["output"].map(lambda v: json.dumps(int(v)))
    feedback = _feedback(preds)
    feedback["label"] = feedback["label"].map(lambda v: json.dumps(int(v)))
    windows = quality_windows(join_labels(preds, feedback), classes=[0, 1], decode_json=True)
    assert all(w.invalid_labels == 0 and w.invalid_outputs == 0 for w in windows)


def test_regression_windows_report_errors_and_count_non_numeric_labels() -> None:
    rng = np.random.default_rng(7)
    n = 120
    truth = rng.normal(50, 10, n)
    preds = pd.DataFrame(
        {
            "request_id": [f"q{i}" for i in range(n)],
            "ts": [T0 + timedelta(minutes=i) for i in range(n)],
            "version": 3,
            "output": truth + rng.normal(0, 2, n),
        }
    )
    labels = [str(v) for v in truth]
    labels[0], labels[1] = "n/a", "[1, 2]"
    feedback = pd.DataFrame({"request_id": preds["request_id"], "ts": preds["ts"], "label": labels})
    windows = quality_windows(join_labels(preds, feedback), task="regression", window="1h")
    assert [w.n_predictions for w in windows] == [60, 60]
    assert windows[0].invalid_labels == 2
    assert windows[0].metrics["n"] == 58
    assert 1.0 < windows[0].metrics["mae"] < 3.0
    assert windows[0].estimated is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": None}, "needs its classes"),
        ({"classes": [0, 1], "task": "ranking"}, "task must be"),
        ({"classes": [0, 1], "window": "soon"}, "fixed duration"),
        ({"classes": [0, 1], "window": -5}, "positive duration"),
        ({"classes": [0, 1], "by": ("planet",)}, "segment column\\(s\\) planet"),
        ({"classes": [0, 1], "segment_bins": {"age": [1, 2]}}, "by does not"),
        ({"classes": [0, 1], "by": ("age",), "segment_bins": {"age": [5]}}, "increasing edges"),
        ({"classes": [0, 1], "positive": 7}, "positive must be one of"),
        ({"classes": [0, 1], "calibration": Calibration.identity(["a", "b"])}, "refit it"),
        ({"classes": [0, 1], "start": datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_bad_arguments_are_errors_naming_the_problem(kwargs: dict, message: str) -> None:
    preds = _predictions(20)
    with pytest.raises(InvalidInputError, match=message):
        quality_windows(join_labels(preds, _feedback(preds)), **kwargs)


def test_predictions_without_labels_column_are_an_error_saying_to_join_first() -> None:
    with pytest.raises(InvalidInputError, match="join_labels first"):
        quality_windows(_predictions(10).drop(columns="truth"), classes=[0, 1])


def test_an_arrow_window_as_the_event_log_reads_it_needs_no_join() -> None:
    preds = _predictions(60)
    table = pa.table(
        {
            "request_id": preds["request_id"],
            "row": pa.array([0] * 60, pa.int64()),
            "version": pa.array(preds["version"], pa.int64()),
            "ts": pa.array(preds["ts"], pa.timestamp("us", tz="UTC")),
            "output": pa.array(preds["output"].astype(str)),  # JSON text, as extracted
            "proba": pa.array(preds["proba"].tolist(), pa.list_(pa.float64())),
            "label": pa.array([str(v) if i % 2 else None for i, v in enumerate(preds["truth"])]),
            "label_ts": pa.array(preds["ts"] + timedelta(minutes=30), pa.timestamp("us", "UTC")),
        }
    )
    windows = quality_windows(table, classes=[0, 1])
    assert sum(w.n_predictions for w in windows) == 60
    assert sum(w.n_labeled for w in windows) == 30
    assert windows[0].label_delay_p50_s == pytest.approx(1800)
    assert windows[0].invalid_proba == 0


def test_no_events_and_no_range_give_no_windows() -> None:
    preds = _predictions().iloc[:0]
    assert quality_windows(join_labels(preds, _feedback(preds)), classes=[0, 1]) == []


def test_multiclass_windows_on_iris_report_macro_metrics_and_estimates() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    iris = load_iris(as_frame=True)
    names = np.array(iris.target_names)
    model = LogisticRegression(max_iter=1000).fit(iris.data, names[iris.target])
    classes = [str(c) for c in model.classes_]
    n = len(iris.data)
    preds = pd.DataFrame(
        {
            "request_id": [f"i{i}" for i in range(n)],
            "version": 1,
            "ts": [T0 + timedelta(minutes=i) for i in range(n)],
            "output": model.predict(iris.data),
            "proba": list(model.predict_proba(iris.data)),
        }
    )
    feedback = pd.DataFrame(
        {"request_id": preds["request_id"], "ts": preds["ts"], "label": names[iris.target]}
    )
    windows = quality_windows(
        join_labels(preds, feedback),
        classes=classes,
        window="1D",
        calibration=Calibration.identity(classes),
    )
    (window,) = windows
    want = f1_score(names[iris.target], preds["output"], average="macro")
    assert window.metrics["f1"] == pytest.approx(want)
    assert window.metrics["roc_auc"] > 0.95
    assert window.estimated is not None
    assert window.estimated["accuracy"] == pytest.approx(window.metrics["accuracy"], abs=0.1)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 1000),
    n=st.integers(0, 80),
    share=st.floats(0, 1),
    window=st.sampled_from(["20min", "1h", 7200]),
)
def test_windows_partition_the_predictions_and_coverage_stays_a_share(
    seed: int, n: int, share: float, window: str | int
) -> None:
    preds = _predictions(n, seed)
    windows = quality_windows(
        join_labels(preds, _feedback(preds, share)), classes=[0, 1], window=window
    )
    assert sum(w.n_predictions for w in windows) == n
    assert sum(w.n_labeled for w in windows) == int(n * share)
    for w in windows:
        assert w.coverage is not None
        assert 0.0 <= w.coverage <= 1.0
        assert w.start <= w.end
    starts = [(w.start, w.version) for w in windows]
    assert starts == sorted(starts)
