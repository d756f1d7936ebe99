"""Quality metrics agree with scikit-learn and say why a metric is missing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.quality import classification_quality, regression_quality
from aweigh.monitor.quality_metrics import calibration_bins


def _binary_case(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(rng.random(n) * 0.7 + y * 0.25, 0, 1).round(2)  # rounding makes ties
    return y, (p1 >= 0.5).astype(int), np.column_stack([1 - p1, p1])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 300))
def test_binary_metrics_agree_with_scikit_learn(seed: int, n: int) -> None:
    y, pred, proba = _binary_case(seed, n)
    got = classification_quality(y, pred, proba, classes=[0, 1])
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    if (pred == 1).any():
        assert got["precision"] == pytest.approx(skm.precision_score(y, pred))
    if (y == 1).any():
        assert got["recall"] == pytest.approx(skm.recall_score(y, pred))
        assert got["f1"] == pytest.approx(skm.f1_score(y, pred))
    if 0 < y.sum() < n:
        assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
        assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=[0, 1]))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, proba[:, 1], labels=[0, 1]))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(30, 300), k=st.integers(3, 5))
def test_multiclass_macro_metrics_agree_with_scikit_learn(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])  # every class labelled
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    got = classification_quality(y, pred, proba, classes=list(range(k)))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    for name, fn in (
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
        ("f1", skm.f1_score),
    ):
        assert got[name] == pytest.approx(fn(y, pred, average="macro", zero_division=0))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, proba))


def test_string_classes_and_positive_class_choose_what_precision_is_about() -> None:
    y = np.array(["<=50K", ">50K", ">50K", "<=50K", ">50K"])
    pred = np.array(["<=50K", ">50K", "<=50K", "<=50K", ">50K"])
    classes = ["<=50K", ">50K"]
    default = classification_quality(y, pred, classes=classes)
    flipped = classification_quality(y, pred, classes=classes, positive="<=50K")
    assert default["recall"] == pytest.approx(skm.recall_score(y, pred, pos_label=">50K"))
    assert flipped["recall"] == pytest.approx(skm.recall_score(y, pred, pos_label="<=50K"))
    assert default["roc_auc"] is None
    assert default["reasons"]["roc_auc"] == "the model gave no probabilities"


def test_expected_calibration_error_matches_reliability_bins_of_scikit_learn() -> None:
    from sklearn.calibration import calibration_curve

    y, _, proba = _binary_case(3, 2000)
    ece, bins = calibration_bins(proba[:, 1], y == 1)
    observed, predicted = calibration_curve(y, proba[:, 1], n_bins=10)
    filled = [b for b in bins if b["count"]]
    assert [b["observed"] for b in filled] == pytest.approx(list(observed))
    assert [b["mean_predicted"] for b in filled] == pytest.approx(list(predicted))
    counts = np.array([b["count"] for b in filled])
    assert ece == pytest.approx(float(np.sum(counts * np.abs(observed - predicted)) / 2000))
    assert sum(b["count"] for b in bins) == 2000


def test_one_class_only_gives_none_with_a_reason_not_nan() -> None:
    got = classification_quality([1, 1, 1], [1, 0, 1], [[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]], [0, 1])
    assert got["accuracy"] == pytest.approx(2 / 3)
    assert got["roc_auc"] is None
    assert "only one class (1)" in got["reasons"]["roc_auc"]
    assert got["log_loss"] is not None


def test_positive_class_never_predicted_leaves_precision_undefined() -> None:
    got = classification_quality([0, 1, 0], [0, 0, 0], classes=[0, 1])
    assert got["precision"] is None
    assert "never predicted" in got["reasons"]["precision"]
    assert got["recall"] == 0.0
    assert got["f1"] == 0.0


def test_empty_input_reports_every_metric_missing() -> None:
    got = classification_quality([], [], classes=[0, 1])
    assert got["n"] == 0
    assert got["accuracy"] is None
    assert got["reasons"]["accuracy"] == "no labelled predictions in this window"


def test_labels_outside_the_classes_are_an_error_naming_them() -> None:
    with pytest.raises(InvalidInputError, match="'yes'"):
        classification_quality(["yes", "0"], ["0", "1"], classes=["0", "1"])


def test_proba_of_the_wrong_shape_is_an_error_naming_the_shape() -> None:
    with pytest.raises(InvalidInputError, match=r"2 x 2.*\(2, 3\)"):
        classification_quality([0, 1], [0, 1], [[0.1, 0.2, 0.7]] * 2, classes=[0, 1])


def test_proba_with_nan_is_an_error_that_says_to_drop_those_rows() -> None:
    with pytest.raises(InvalidInputError, match="no NaN"):
        classification_quality([0, 1], [0, 1], [[np.nan, 1.0], [0.5, 0.5]], classes=[0, 1])


def test_unknown_positive_class_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="positive class 'up'"):
        classification_quality([0, 1], [0, 1], classes=[0, 1], positive="up")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 200))
def test_regression_metrics_agree_with_scikit_learn(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n).round(1)
    pred = y + rng.normal(0, 1, n)
    got = regression_quality(y, pred)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    nonzero = y != 0
    if nonzero.any():
        want = skm.mean_absolute_percentage_error(y[nonzero], pred[nonzero])
        assert got["mape"] == pytest.approx(want)
    if np.ptp(y) > 0:
        assert got["r2"] == pytest.approx(skm.r2_score(y, pred))


def test_mape_leaves_out_and_counts_zero_targets() -> None:
    got = regression_quality([0.0, 2.0, 4.0], [1.0, 1.0, 5.0])
    assert got["mape_excluded"] == 1
    assert got["mape"] == pytest.approx((0.5 + 0.25) / 2)


def test_regression_of_one_row_has_no_r2_and_says_why() -> None:
    got = regression_quality([3.0], [2.5])
    assert got["mae"] == pytest.approx(0.5)
    assert got["r2"] is None
    assert got["reasons"]["r2"] == "fewer than two rows"


def test_regression_with_nan_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="finite numbers"):
        regression_quality([1.0, np.nan], [1.0, 2.0])
