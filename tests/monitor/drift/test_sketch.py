"""Column and window sketches: one pass, every input type, exact merges, JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import profile_table
from aweigh.monitor.drift import ColumnSketch, WindowSketch, ks

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def test_numeric_column_takes_numpy_arrow_lists_series_and_scalars() -> None:
    sketch = ColumnSketch()
    sketch.update(np.array([1.0, np.nan, 2.0]))
    sketch.update(pa.array([3.0, None]))
    sketch.update([4.0, None])
    sketch.update(5.0)
    sketch.update(pd.Series([6.0, None]))
    sketch.update(pa.chunked_array([[7], [8, None]]))
    assert (sketch.rows, sketch.missing, sketch.n) == (13, 5, 8)
    assert sketch.moments is not None
    assert sketch.moments.mean == pytest.approx(4.5)


def test_infinities_are_neither_missing_nor_compared() -> None:
    sketch = ColumnSketch()
    sketch.update([1.0, np.inf, -np.inf, 2.0])
    assert (sketch.rows, sketch.missing, sketch.n) == (4, 0, 2)


def test_text_in_a_numeric_column_counts_as_missing() -> None:
    sketch = ColumnSketch()
    sketch.update(pa.array(["1.5", "oops", None, "2"]))
    assert (sketch.rows, sketch.missing, sketch.n) == (4, 2, 2)


def test_categories_are_text_like_the_profile_stores_them() -> None:
    sketch = ColumnSketch("categorical")
    sketch.update(["a", None, "b", "a"])
    sketch.update(pa.array([True, False]))
    sketch.update(np.array([13.0, np.nan, 1.5]))
    sketch.update(pd.Series(["a", np.nan], dtype=object))
    assert sketch.items is not None
    assert dict(sketch.items.top()) == {"a": 3, "b": 1, "true": 1, "false": 1, "13": 1, "1.5": 1}
    assert (sketch.rows, sketch.missing) == (11, 3)


def test_an_all_null_start_takes_the_kind_of_the_first_typed_values() -> None:
    sketch = ColumnSketch("unknown")
    sketch.update(pa.nulls(3))
    assert (sketch.kind, sketch.rows, sketch.missing, sketch.n) == ("unknown", 3, 3, 0)
    sketch.update([1.0, 2.0])
    assert (sketch.kind, sketch.rows, sketch.missing, sketch.n) == ("numeric", 5, 3, 2)


def test_an_unknown_kind_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="'kind' parameter of ColumnSketch must be one"):
        ColumnSketch("text")


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, max_size=3000), st.lists(finite, min_size=1, max_size=3000))
def test_merged_sketch_answers_like_the_sketch_of_both(a: list[float], b: list[float]) -> None:
    left, right, whole = ColumnSketch(k=64), ColumnSketch(k=64), ColumnSketch(k=64)
    left.update(a)
    right.update(b)
    whole.update(a + b)
    merged = left.merge(right)
    assert (merged.rows, merged.missing, merged.n) == (whole.rows, whole.missing, whole.n)
    assert merged.moments is not None
    assert whole.moments is not None
    assert merged.moments.mean == pytest.approx(whole.moments.mean, rel=1e-9, abs=1e-6)
    measured = ks.measure("x", merged, whole)
    assert measured.statistic <= measured.approx_error + 1e-12


def test_categorical_merge_adds_counts_exactly() -> None:
    a, b = ColumnSketch("categorical"), ColumnSketch("categorical")
    a.update(["x", "y", None])
    b.update(["y", "z"])
    merged = a.merge(b)
    assert merged.items is not None
    assert dict(merged.items.top()) == {"x": 1, "y": 2, "z": 1}
    assert (merged.rows, merged.missing) == (5, 1)


def test_merging_an_unknown_column_keeps_the_known_kind() -> None:
    empty, numbers = ColumnSketch("unknown"), ColumnSketch()
    empty.update([None, None])
    numbers.update([1.0, 2.0, 3.0])
    for merged in (empty.merge(numbers), numbers.merge(empty)):
        assert (merged.kind, merged.rows, merged.missing, merged.n) == ("numeric", 5, 2, 3)


def test_merging_numbers_with_categories_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="Cannot merge a numeric column sketch"):
        ColumnSketch().merge(ColumnSketch("categorical"))
    with pytest.raises(InvalidInputError, match="Cannot merge a ColumnSketch with dict"):
        ColumnSketch().merge({})  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["numeric", "categorical", "unknown", "datetime"])
def test_column_sketch_round_trips_through_json(kind: str) -> None:
    sketch = ColumnSketch(kind)
    values = {"numeric": [1.0, None, 3.5], "categorical": ["a", None, "b"]}.get(kind, [None])
    if kind == "datetime":
        values = pa.array([0, 86_400_000, None], pa.timestamp("ms"))
    sketch.update(values)
    back = ColumnSketch.from_dict(json.loads(json.dumps(sketch.to_dict())))
    assert back.to_dict() == sketch.to_dict()


def test_a_malformed_column_sketch_is_refused_naming_the_problem() -> None:
    with pytest.raises(InvalidInputError, match="type 'column_sketch'"):
        ColumnSketch.from_dict({"type": "kll"})
    good = ColumnSketch()
    good.update([1.0])
    broken = {**good.to_dict(), "rows": -1}
    with pytest.raises(InvalidInputError, match="whole numbers 'k', 'capacity', 'rows'"):
        ColumnSketch.from_dict(broken)
    with pytest.raises(InvalidInputError, match="needs 'quantiles'"):
        ColumnSketch.from_dict({**good.to_dict(), "quantiles": None})


def test_a_training_profile_is_a_reference(adult_train: pd.DataFrame) -> None:
    profile = profile_table(adult_train.head(5000))
    age = ColumnSketch.from_column_profile(profile["age"])
    assert (age.kind, age.rows, age.n) == ("numeric", 5000, 5000)
    workclass = ColumnSketch.from_column_profile(profile["workclass"])
    direct = ColumnSketch("categorical")
    direct.update(adult_train["workclass"].head(5000))
    assert workclass.items is not None
    assert direct.items is not None
    assert dict(workclass.items.top()) == dict(direct.items.top())
    assert workclass.missing == direct.missing > 0
    years = ColumnSketch.from_column_profile(profile["education_num"], "categorical")
    as_text = ColumnSketch("categorical")
    as_text.update(adult_train["education_num"].head(5000))
    assert years.items is not None
    assert as_text.items is not None
    assert dict(years.items.top()) == dict(as_text.items.top())


def test_a_categorical_profile_column_cannot_be_read_as_numbers(adult_train: pd.DataFrame) -> None:
    profile = profile_table(adult_train[["workclass"]].head(100))
    with pytest.raises(InvalidInputError, match="no quantile sketch to compare as numbers"):
        ColumnSketch.from_column_profile(profile["workclass"], "numeric")


def test_window_counts_columns_absent_from_a_batch_as_missing() -> None:
    window = WindowSketch()
    window.update(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    window.update(pa.table({"a": [3.0]}))
    window.update(pa.table({"a": [4.0], "c": [True]}))
    assert window.rows == 4
    assert window.kinds == {"a": "numeric", "b": "categorical", "c": "categorical"}
    assert (window["b"].rows, window["b"].missing) == (4, 2)
    assert (window["c"].rows, window["c"].missing) == (4, 3)


def test_window_reads_a_record_batch_reader_one_batch_at_a_time() -> None:
    table = pa.table({"x": np.arange(10, dtype=np.float64), "s": list("abcdeabcde")})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=3))
    window = WindowSketch()
    window.update(reader)
    assert window.rows == 10
    assert window["x"].n == 10
    items = window["s"].items
    assert items is not None
    assert dict(items.top()) == dict.fromkeys("abcde", 2)


def test_hourly_windows_merge_into_the_daily_window() -> None:
    rng = np.random.default_rng(42)
    frame = pd.DataFrame(
        {"x": rng.normal(size=24_000), "s": rng.choice(["a", "b", "c"], size=24_000)}
    )
    hours = [WindowSketch.of(frame.iloc[i : i + 1000]) for i in range(0, 24_000, 1000)]
    day = hours[0]
    for hour in hours[1:]:
        day = day.merge(hour)
    whole = WindowSketch.of(frame)
    assert day.rows == whole.rows == 24_000
    day_items, whole_items = day["s"].items, whole["s"].items
    assert day_items is not None
    assert whole_items is not None
    assert dict(day_items.top()) == dict(whole_items.top())
    measured = ks.measure("x", day["x"], whole["x"])
    assert measured.statistic <= measured.approx_error


def test_merging_windows_with_different_columns_counts_the_gaps_as_missing() -> None:
    a = WindowSketch.of(pd.DataFrame({"x": [1.0, 2.0]}))
    b = WindowSketch.of(pd.DataFrame({"y": ["u", "v", "w"]}))
    merged = a.merge(b)
    assert merged.rows == 5
    assert (merged["x"].rows, merged["x"].missing) == (5, 3)
    assert (merged["y"].rows, merged["y"].missing) == (5, 2)


def test_window_round_trips_through_json() -> None:
    window = WindowSketch({"zip": "categorical"})
    window.update(pd.DataFrame({"zip": [1, 2, 2], "x": [0.5, None, 1.5]}))
    back = WindowSketch.from_json(window.to_json())
    assert back.to_dict() == window.to_dict()
    assert back.kinds == {"zip": "categorical", "x": "numeric"}


def test_a_malformed_window_is_refused_naming_the_problem() -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        WindowSketch.from_json("{")
    with pytest.raises(InvalidInputError, match="format_version 9"):
        WindowSketch.from_dict({"type": "window_sketch", "format_version": 9})
    with pytest.raises(InvalidInputError, match="needs whole numbers 'rows'"):
        WindowSketch.from_dict({"type": "window_sketch", "format_version": 1, "rows": "x"})
    for bad in (42, "a.csv", {"x": [1.0]}):
        with pytest.raises(InvalidInputError, match="must be a pandas DataFrame"):
            WindowSketch().update(bad)


def test_window_reads_a_list_or_a_generator_of_batches() -> None:
    frames = [pd.DataFrame({"x": [float(i)] * 10}) for i in range(3)]
    listed, generated = WindowSketch(), WindowSketch()
    listed.update(frames)
    generated.update(frame for frame in frames)
    assert listed.rows == generated.rows == 30
    assert listed.to_dict() == generated.to_dict()


def test_window_from_profile_picks_columns(adult_train: pd.DataFrame) -> None:
    profile = profile_table(adult_train.head(2000))
    window = WindowSketch.from_profile(profile, columns=["age", "sex"], categorical=["age"])
    assert window.kinds == {"age": "categorical", "sex": "categorical"}
    assert window.rows == 2000
    with pytest.raises(InvalidInputError, match="no columns \\['salary'\\]"):
        WindowSketch.from_profile(profile, columns=["salary"])
    with pytest.raises(InvalidInputError, match="from_profile takes a Profile"):
        WindowSketch.from_profile(adult_train)  # type: ignore[arg-type]
