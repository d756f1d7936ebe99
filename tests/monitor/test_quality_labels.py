"""Labels arriving as JSON values are read as the model's classes, or counted as invalid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.quality_labels import (
    INVALID,
    MISSING,
    coerce_classes,
    coerce_numbers,
    proba_rows,
)


def test_text_labels_are_read_as_integer_classes() -> None:
    got = coerce_classes(["1", "0", 1, 0.0, " 1 "], [0, 1])
    assert got.codes.tolist() == [1, 0, 1, 0, 1]
    assert got.invalid == 0


def test_number_labels_are_read_as_text_classes_when_unambiguous() -> None:
    got = coerce_classes([1, 0, 1.0], ["0", "1"])
    assert got.codes.tolist() == [1, 0, 1]


def test_yes_for_a_zero_one_model_is_counted_not_crashed() -> None:
    got = coerce_classes(["yes", 1, "yes", "maybe"], [0, 1])
    assert got.codes.tolist() == [INVALID, 1, INVALID, INVALID]
    assert got.invalid == 3
    assert got.examples == ("'yes'", "'maybe'")


def test_a_list_label_is_invalid_and_shown_as_an_example() -> None:
    got = coerce_classes([[0, 1], {"label": 1}, 0], [0, 1])
    assert got.codes.tolist() == [INVALID, INVALID, 0]
    assert got.examples == ("[0, 1]", "{'label': 1}")


def test_missing_labels_are_not_invalid() -> None:
    got = coerce_classes([None, np.nan, 1], [0, 1])
    assert got.codes.tolist() == [MISSING, MISSING, 1]
    assert got.invalid == 0


def test_json_text_is_decoded_first_when_asked() -> None:
    got = coerce_classes(
        ['">50K"', '"<=50K"', "null", '["x"]'], ["<=50K", ">50K"], decode_json=True
    )
    assert got.codes.tolist() == [1, 0, MISSING, INVALID]


def test_json_booleans_map_to_one_and_zero_for_integer_classes() -> None:
    got = coerce_classes([True, False, "true"], [0, 1])
    assert got.codes.tolist() == [1, 0, INVALID]
    bools = coerce_classes(["true", "False", True], [False, True])
    assert bools.codes.tolist() == [1, 0, 1]


def test_one_and_true_and_text_one_are_told_apart_for_text_classes() -> None:
    got = coerce_classes([True, 1, "1"], ["0", "1"])
    assert got.codes.tolist() == [INVALID, 1, 1]


def test_examples_per_subset_name_only_the_invalid_values_there() -> None:
    got = coerce_classes(["a", "b", 1, "c"], [0, 1])
    assert got.examples_in(np.array([0, 2])) == ("'a'",)
    assert got.examples_in(np.array([1, 3])) == ("'b'", "'c'")


def test_empty_classes_are_an_error() -> None:
    with pytest.raises(InvalidInputError, match="classes are empty"):
        coerce_classes([1], [])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.booleans())))
def test_coercion_never_raises_and_counts_match(values: list[object]) -> None:
    got = coerce_classes(values, [0, 1, 2])
    assert got.codes.size == len(values)
    assert got.invalid == int(np.count_nonzero(got.codes == INVALID))
    assert set(got.codes.tolist()) <= {MISSING, INVALID, 0, 1, 2}


def test_regression_labels_accept_numeric_text_and_reject_the_rest() -> None:
    got = coerce_numbers([1, "2.5", None, "high", True, float("inf"), [3]])
    assert got.codes.tolist() == [0, 0, MISSING, INVALID, INVALID, INVALID, INVALID]
    assert got.values[:2].tolist() == [1.0, 2.5]
    assert got.invalid == 4
    assert "'high'" in got.examples


def test_numeric_regression_labels_take_the_fast_path() -> None:
    got = coerce_numbers(np.array([1.0, np.nan, np.inf, 4.0]))
    assert got.codes.tolist() == [0, MISSING, INVALID, 0]
    assert got.examples == ("inf",)


def test_probabilities_from_arrow_lists_become_a_matrix_with_bad_rows_masked() -> None:
    column = pa.chunked_array(
        [
            pa.array([[0.2, 0.8], None, [0.5, 0.5, 0.0]], pa.list_(pa.float64())),
            pa.array([[float("nan"), 1.0], [0.9, 0.1]], pa.list_(pa.float64())),
        ]
    )
    matrix, ok = proba_rows(column, 2)
    assert ok.tolist() == [True, False, False, False, True]
    assert matrix[4].tolist() == [0.9, 0.1]
    assert np.isnan(matrix[1]).all()


def test_probabilities_from_a_pandas_column_of_mixed_values_never_crash() -> None:
    column = pd.Series([[0.1, 0.9], "x", (0.4, 0.6), np.array([0.7, 0.3]), [1.5, -0.5], None])
    matrix, ok = proba_rows(column, 2)
    assert ok.tolist() == [True, False, True, True, False, False]
    assert matrix[2].tolist() == [0.4, 0.6]
