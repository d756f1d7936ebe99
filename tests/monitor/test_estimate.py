"""Confidence-based estimation (CBPE) and the calibration it relies on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, roc_auc_score

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.estimate import (
    Calibration,
    estimate_quality,
    expected_roc_auc,
    fit_calibration,
)


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    p1 = rng.beta(0.6, 1.4, n)
    y = (rng.random(n) < p1).astype(int)
    return np.column_stack([1 - p1, p1]), y


def _sharpen(proba: np.ndarray, power: float = 3.0) -> np.ndarray:
    """An over-confident model: same ranking, probabilities pushed to 0 and 1."""
    p = proba[:, 1] ** power
    q = proba[:, 0] ** power
    return np.column_stack([q / (p + q), p / (p + q)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 200))
def test_expected_auc_with_certain_labels_is_the_realised_auc(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = rng.random(n).round(1)  # many ties
    if 0 < y.sum() < n:
        assert expected_roc_auc(scores, y.astype(float)) == pytest.approx(roc_auc_score(y, scores))
    else:
        assert expected_roc_auc(scores, y.astype(float)) is None


def test_estimates_of_a_calibrated_model_fall_within_their_intervals() -> None:
    proba, y = _calibrated(200 * 500, seed=42)
    pred = (proba[:, 1] >= 0.5).astype(int)
    inside, errors = 0, []
    for w in range(200):
        rows = slice(w * 500, (w + 1) * 500)
        est = estimate_quality(proba[rows], [0, 1])
        realised = float(np.mean(pred[rows] == y[rows]))
        low, high = est["interval_95"]["accuracy"]
        inside += low <= realised <= high
        errors.append(realised - est["accuracy"])
    assert 0.9 <= inside / 200 <= 0.99  # about 95 % by construction
    assert abs(np.mean(errors)) < 0.005  # unbiased


def test_estimated_f1_and_auc_follow_the_realised_ones_on_a_large_window() -> None:
    proba, y = _calibrated(50_000, seed=1)
    pred = (proba[:, 1] >= 0.5).astype(int)
    est = estimate_quality(proba, [0, 1])
    assert est["f1"] == pytest.approx(f1_score(y, pred), abs=3 * est["se"]["f1"])
    assert est["roc_auc"] == pytest.approx(roc_auc_score(y, proba[:, 1]), abs=0.01)
    assert est["recall"] == pytest.approx(np.mean(pred[y == 1]), abs=3 * est["se"]["recall"])


def test_multiclass_estimate_gives_accuracy_and_macro_f1() -> None:
    rng = np.random.default_rng(5)
    proba = rng.dirichlet([0.5, 0.5, 0.5], 40_000)
    y = np.array([rng.choice(3, p=p) for p in proba[:4000]])
    est = estimate_quality(proba[:4000], ["a", "b", "c"])
    pred = proba[:4000].argmax(axis=1)
    assert est["accuracy"] == pytest.approx(np.mean(pred == y), abs=3 * est["se"]["accuracy"])
    assert est["f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=0.03)
    assert est["roc_auc"] is None
    assert "binary" in est["reasons"]["roc_auc"]


def test_the_models_own_answers_decide_what_counts_as_predicted_positive() -> None:
    proba = np.array([[0.4, 0.6], [0.45, 0.55]])
    by_threshold = estimate_quality(proba, ["no", "yes"])
    by_answer = estimate_quality(proba, ["no", "yes"], y_pred=["no", "no"])
    assert by_threshold["accuracy"] == pytest.approx(0.575)
    assert by_answer["accuracy"] == pytest.approx(0.425)
    assert by_answer["precision"] is None
    assert "never predicted" in by_answer["reasons"]["precision"]


def test_auto_keeps_the_identity_for_calibrated_probabilities() -> None:
    proba, y = _calibrated(5000, seed=3)
    calibration = fit_calibration(proba, y, [0, 1])
    assert calibration.method == "identity"
    assert calibration.apply(proba) is proba


def test_auto_fits_isotonic_maps_to_an_over_confident_model_and_fixes_the_estimate() -> None:
    proba, y = _calibrated(20_000, seed=4)
    sharp = _sharpen(proba)
    calibration = fit_calibration(sharp[:8000], y[:8000], [0, 1])
    assert calibration.method == "isotonic"
    assert calibration.ece_after is not None
    assert calibration.ece_before is not None
    assert calibration.ece_after < calibration.ece_before / 3
    pred = (sharp[8000:, 1] >= 0.5).astype(int)
    realised = np.mean(pred == y[8000:])
    naive = estimate_quality(sharp[8000:], [0, 1])["accuracy"]
    fixed = estimate_quality(sharp[8000:], [0, 1], calibration)["accuracy"]
    assert abs(fixed - realised) < 0.01
    assert abs(naive - realised) > 3 * abs(fixed - realised)


def test_auto_fits_platt_when_reference_data_is_small() -> None:
    proba, y = _calibrated(600, seed=6)
    calibration = fit_calibration(_sharpen(proba, 4.0), y, [0, 1])
    assert calibration.method == "platt"
    ((a, _),) = calibration.sigmoid
    assert 0 < a < 1  # the sigmoid flattens over-confident log-odds


def test_multiclass_calibration_keeps_rows_summing_to_one() -> None:
    rng = np.random.default_rng(8)
    proba = rng.dirichlet([1, 1, 1], 3000)
    y = np.array([rng.choice(3, p=p) for p in proba])
    calibration = fit_calibration(_sharpen_multi(proba), y, [0, 1, 2], method="isotonic")
    mapped = calibration.apply(_sharpen_multi(proba))
    assert np.allclose(mapped.sum(axis=1), 1.0)
    assert len(calibration.knots) == 3


def _sharpen_multi(proba: np.ndarray) -> np.ndarray:
    p = proba**3
    return p / p.sum(axis=1, keepdims=True)


def test_calibration_round_trips_through_json() -> None:
    proba, y = _calibrated(3000, seed=9)
    sharp = _sharpen(proba)
    for method in ("isotonic", "platt", "identity"):
        fitted = fit_calibration(sharp, y, [0, 1], method=method)  # type: ignore[arg-type]
        again = Calibration.from_dict(json.loads(json.dumps(fitted.to_dict())))
        assert again == fitted
        assert np.allclose(again.apply(sharp), fitted.apply(sharp))


def test_a_calibration_that_is_not_one_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidInputError, match="refit it with fit_calibration"):
        Calibration.from_dict({"method": "isotonic"})
    with pytest.raises(InvalidInputError, match="needs 1 map"):
        Calibration(classes=(0, 1), method="platt")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: estimate_quality([[0.2, 0.3, 0.5]], [0, 1]), "one column per class"),
        (lambda: estimate_quality([[np.nan, 1.0]], [0, 1]), "NaN"),
        (lambda: estimate_quality([[0.2, 0.8]], [0, 1], threshold=2), "threshold"),
        (lambda: estimate_quality([[0.2, 0.8]], [0, 1], positive="x"), "positive"),
        (lambda: estimate_quality([[0.2, 0.8]], [0, 1], y_pred=["x"]), "'x'"),
        (
            lambda: estimate_quality([[0.2, 0.8]], [0, 1], Calibration.identity(["a", "b"])),
            "refit it",
        ),
        (lambda: fit_calibration(np.empty((0, 2)), [], [0, 1]), "empty"),
        (lambda: fit_calibration([[0.2, 0.8]], [1, 0], [0, 1]), "one row per reference"),
        (lambda: fit_calibration([[0.2, 0.8]], ["yes"], [0, 1]), "'yes'"),
        (lambda: fit_calibration([[0.2, 0.8]], [1], [0, 1], method="magic"), "magic"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_an_error_naming_the_problem(call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call()  # type: ignore[operator]


def test_an_empty_window_estimates_nothing_and_says_why() -> None:
    est = estimate_quality(np.empty((0, 2)), [0, 1])
    assert est["n"] == 0
    assert est["accuracy"] is None
    assert est["reasons"]["accuracy"] == "no predictions with probabilities"


def test_numpy_classes_from_a_fitted_model_serialise_as_plain_values() -> None:
    proba, y = _calibrated(2000, seed=11)
    classes = np.array([0, 1])
    calibration = fit_calibration(proba, classes[y], classes, method="platt")
    body = json.dumps(calibration.to_dict())
    assert Calibration.from_dict(json.loads(body)).classes == (0, 1)
