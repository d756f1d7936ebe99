"""Properties of the statistics (hypothesis): identical inputs never drift, symmetric
statistics are symmetric, effects stay in their ranges, and results serialise to JSON."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.monitor.drift import ColumnSketch, compare
from aweigh.monitor.drift._decide import decide_one
from aweigh.monitor.drift.methods import CATEGORICAL_METHODS, MEASURES, NUMERIC_METHODS

numbers = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=30, max_size=400
)
labels = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=30, max_size=400)


def sketch(values: list[object], kind: str) -> ColumnSketch:
    out = ColumnSketch(kind)
    out.update(values)
    return out


@settings(max_examples=30, deadline=None)
@given(numbers)
def test_identical_numbers_never_drift(values: list[float]) -> None:
    a, b = sketch(values, "numeric"), sketch(values, "numeric")
    for method in NUMERIC_METHODS:
        result = decide_one(MEASURES[method]("x", a, b))
        assert not result.drifted
        assert result.effect == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(labels)
def test_identical_categories_never_drift(values: list[object]) -> None:
    a, b = sketch(values, "categorical"), sketch(values, "categorical")
    for method in CATEGORICAL_METHODS:
        result = decide_one(MEASURES[method]("x", a, b))
        assert not result.drifted
        assert result.effect == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(numbers, numbers)
def test_ks_distance_is_symmetric_and_at_most_one(a: list[float], b: list[float]) -> None:
    x, y = sketch(a, "numeric"), sketch(b, "numeric")
    forward, backward = MEASURES["ks"]("v", x, y), MEASURES["ks"]("v", y, x)
    assert forward.statistic == pytest.approx(backward.statistic, abs=1e-12)
    assert 0.0 <= forward.statistic <= 1.0


@settings(max_examples=30, deadline=None)
@given(labels, labels)
def test_categorical_statistics_are_symmetric(a: list[object], b: list[object]) -> None:
    x, y = sketch(a, "categorical"), sketch(b, "categorical")
    for method in ("chi_square", "jensen_shannon"):
        forward, backward = MEASURES[method]("v", x, y), MEASURES[method]("v", y, x)
        assert forward.statistic == pytest.approx(backward.statistic, rel=1e-9, abs=1e-12)
    js = MEASURES["jensen_shannon"]("v", x, y).effect
    assert 0.0 <= js <= math.sqrt(math.log(2.0)) + 1e-12


@settings(max_examples=20, deadline=None)
@given(numbers, labels)
def test_reports_serialise_to_plain_json(a: list[float], b: list[object]) -> None:
    import pandas as pd

    size = min(len(a), len(b))
    frame = pd.DataFrame({"x": a[:size], "c": b[:size]})
    report = compare(frame, frame)
    data = json.loads(report.to_json())
    assert data["dataset_drift"] is False
    assert {r["column"] for r in data["results"]} == {"x", "c"}
