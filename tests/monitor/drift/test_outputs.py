"""Prediction and label drift: the univariate tests on model outputs and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift import ColumnSketch, compare, compare_labels, compare_predictions
from aweigh.monitor.drift.outputs import output_kind


def test_class_predictions_are_compared_as_categories() -> None:
    result = compare_predictions(["yes"] * 700 + ["no"] * 300, ["yes"] * 400 + ["no"] * 600)
    assert (result.kind, result.method, result.column, result.drifted) == (
        "prediction",
        "chi_square",
        "prediction",
        True,
    )


def test_probabilities_are_compared_as_numbers() -> None:
    rng = np.random.default_rng(42)
    same = compare_predictions(rng.beta(2, 5, 5000), rng.beta(2, 5, 1000))
    moved = compare_predictions(rng.beta(2, 5, 5000), rng.beta(3, 4, 1000))
    assert (same.method, same.drifted, moved.drifted) == ("ks", False, True)


def test_labels_get_their_own_kind_and_method_choice() -> None:
    rng = np.random.default_rng(1)
    result = compare_labels(
        rng.integers(0, 2, 3000), rng.integers(0, 2, 500), method="jensen_shannon"
    )
    assert (result.kind, result.method, result.drifted) == ("label", "jensen_shannon", False)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.array([0, 1, 1, 0]), "categorical"),
        (np.array([0.0, 1.0, 1.0]), "categorical"),
        (np.arange(100), "numeric"),
        (np.array([0.2, 0.9]), "numeric"),
        (pa.array([True, False]), "categorical"),
        (pd.Series(["a", "b"]), "categorical"),
    ],
)
def test_output_kind_follows_the_values(values: object, kind: str) -> None:
    assert output_kind(values) == kind


def test_sketches_of_outputs_are_accepted_and_too_few_rows_reported() -> None:
    ref, cur = ColumnSketch(), ColumnSketch()
    ref.update(np.linspace(0, 1, 100))
    cur.update([0.5] * 5)
    result = compare_predictions(ref, cur)
    assert not result.tested
    assert result.reason.startswith("too few rows: 5 non-missing values in current")


def test_a_bad_method_for_the_output_kind_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="'method' parameter of compare_predictions"):
        compare_predictions([0.1] * 50, [0.2] * 50, categorical=False, method="chi_square")


def test_compare_marks_the_prediction_and_label_columns() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame(
        {"x": rng.normal(size=2000), "score": rng.random(2000), "y": rng.choice(["a", "b"], 2000)}
    )
    cur = ref.sample(n=500, random_state=3)
    report = compare(ref, cur, prediction="score", label="y")
    kinds = {r.column: r.kind for r in report.results}
    assert kinds == {"x": "numeric", "score": "prediction", "y": "label"}
