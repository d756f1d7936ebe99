"""Fairness tables on real Adult predictions: equal to fairlearn, intervals, group sizes,
flags, and every kind of bad input with an error that names the problem."""

from __future__ import annotations

import math
import time
from functools import partial

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score

from aweigh.core.errors import InvalidInputError, NotFoundError
from aweigh.monitor.fairness import FairnessReport, fairness_table

FEATURES = ["age", "education_num", "hours_per_week", "capital_gain"]


@pytest.fixture(scope="module")
def adult(adult_train: pd.DataFrame) -> pd.DataFrame:
    """Adult's second half with a logistic regression's predictions (trained on the first)."""
    half = len(adult_train) // 2
    train, test = adult_train.iloc[:half], adult_train.iloc[half:].reset_index(drop=True)
    model = LogisticRegression(max_iter=1000).fit(train[FEATURES], train["income"] == ">50K")
    return test.assign(
        y=(test["income"] == ">50K").astype(int),
        pred=model.predict(test[FEATURES]).astype(int),
    )


@pytest.fixture(scope="module")
def report(adult: pd.DataFrame) -> FairnessReport:
    return fairness_table(adult["y"], adult["pred"], adult[["sex", "race"]], min_group_size=0)


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, tuple | list) else value


@pytest.mark.parametrize(
    ("attribute", "columns"),
    [("sex", ["sex"]), ("race", ["race"]), ("sex&race", ["sex", "race"])],
)
def test_group_rates_and_gaps_equal_fairlearn_on_adult(
    adult: pd.DataFrame, report: FairnessReport, attribute: str, columns: list[str]
) -> None:
    y, pred, sf = adult["y"], adult["pred"], adult[columns]
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "precision": partial(precision_score, zero_division=np.nan),
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=sf,
    )
    expected = frame.by_group
    groups = report.by_attribute(attribute)
    assert len(groups) == len(expected)
    for group in groups:
        row = expected.loc[_key(group.group)]
        for metric in ("selection_rate", "tpr", "fpr", "precision"):
            assert getattr(group, metric).value == pytest.approx(row[metric], nan_ok=True)
    gaps = report.attribute(attribute)
    differences = frame.difference()
    assert gaps.tpr_difference.value == pytest.approx(differences["tpr"])
    assert gaps.fpr_difference.value == pytest.approx(differences["fpr"])
    assert gaps.demographic_parity_difference.value == pytest.approx(
        demographic_parity_difference(y, pred, sensitive_features=sf)
    )
    assert gaps.demographic_parity_ratio.value == pytest.approx(
        demographic_parity_ratio(y, pred, sensitive_features=sf)
    )
    assert gaps.equalized_odds_difference.value == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=sf)
    )
    assert gaps.four_fifths == (gaps.demographic_parity_ratio.value >= 0.8)


def test_bootstrap_intervals_cover_the_estimate_and_shrink_with_more_rows(
    adult: pd.DataFrame, report: FairnessReport
) -> None:
    for group in (*report.groups, report.overall):
        for metric in ("selection_rate", "tpr", "fpr", "accuracy"):
            estimate = getattr(group, metric)
            if group.n >= 500:
                assert estimate.low <= estimate.value <= estimate.high, (group.label, metric)
    for gap in report.attributes:
        est = gap.demographic_parity_difference
        assert est.low <= est.value <= est.high
    small = adult.sample(n=1000, random_state=1)
    few = fairness_table(small["y"], small["pred"], small[["sex"]], min_group_size=0)
    many = report.group("sex", "Female").selection_rate
    width = few.group("sex", "Female").selection_rate
    assert (many.high - many.low) < (width.high - width.low) / 2
    again = fairness_table(adult["y"], adult["pred"], adult[["sex", "race"]], min_group_size=0)
    assert again.to_dict() == report.to_dict()  # the seed makes intervals reproducible


def test_a_group_below_the_minimum_size_is_shown_but_not_judged(adult: pd.DataFrame) -> None:
    report = fairness_table(adult["y"], adult["pred"], adult[["race"]], min_group_size=200)
    small = {g.group for g in report.groups if g.too_small}
    assert small == {"Amer-Indian-Eskimo", "Other"}
    for group in report.groups:
        if group.too_small:
            assert not group.flagged
            assert math.isnan(group.p_selection)
            assert not math.isnan(group.selection_rate.value)  # still reported
    gaps = report.attribute("race")
    assert (gaps.groups, gaps.judged) == (5, 3)
    judged = [g.selection_rate.value for g in report.groups if not g.too_small]
    assert gaps.demographic_parity_difference.value == pytest.approx(max(judged) - min(judged))
    assert "race=Other" not in report.summary
    assert "race=Amer-Indian-Eskimo" not in report.summary


def test_holm_flags_a_group_whose_selection_rate_differs_and_only_it() -> None:
    rng = np.random.default_rng(42)
    n = 6000
    group = rng.choice(["a", "b", "c"], size=n)
    y = rng.integers(0, 2, size=n)
    pred = (rng.random(n) < np.where(group == "c", 0.6, 0.3)).astype(int)
    report = fairness_table(y, pred, {"g": group}, n_boot=200)
    assert report.group("g", "c").flagged
    assert {g.group for g in report.flagged} <= {"a", "b", "c"}
    assert report.attribute("g").four_fifths is False
    assert report.passed is False
    assert "g fails four-fifths" in report.summary
    assert "g=c flagged" in report.summary
    fair = fairness_table(y, rng.integers(0, 2, size=n), {"g": group}, n_boot=200)
    assert fair.flagged == ()
    assert fair.passed is True
    assert fair.summary.startswith("fairness pass")


def test_intersections_cover_every_combination_of_two_or_more_attributes(
    adult: pd.DataFrame,
) -> None:
    sample = adult.head(3000)
    sf = sample[["sex", "race", "relationship"]]
    report = fairness_table(sample["y"], sample["pred"], sf, n_boot=50)
    names = [a.attribute for a in report.attributes]
    assert names == [
        "sex", "race", "relationship", "sex&race", "sex&relationship", "race&relationship",
        "sex&race&relationship",
    ]  # fmt: skip
    plain = fairness_table(sample["y"], sample["pred"], sf, n_boot=50, intersections=False)
    assert [a.attribute for a in plain.attributes] == ["sex", "race", "relationship"]
    assert sum(g.n for g in report.by_attribute("sex&race")) == len(sample)


def test_labels_not_yet_arrived_count_in_the_selection_rate_only() -> None:
    y = pd.Series([1, 0, None, None, 1, 0], dtype=object)
    pred = [1, 1, 1, 1, 0, 0]
    report = fairness_table(y, pred, {"g": list("aaabbb")}, min_group_size=0, n_boot=0)
    a = report.group("g", "a")
    assert (a.n, a.n_labeled) == (3, 2)
    assert a.selection_rate.value == pytest.approx(1.0)
    assert a.tpr.value == 1.0
    assert a.fpr.value == 1.0
    assert report.n_labeled == 4


def test_a_group_with_only_one_class_reports_undefined_rates_without_warnings() -> None:
    y = [0, 0, 0, 0, 1, 0, 1, 1]
    pred = [0, 1, 0, 1, 1, 0, 0, 1]
    report = fairness_table(y, pred, {"g": list("aaaabbbb")}, min_group_size=0, n_boot=100)
    a = report.group("g", "a")
    assert math.isnan(a.tpr.value)
    assert math.isnan(a.tpr.low)
    assert a.to_dict()["tpr"] == {"value": None, "low": None, "high": None}
    gaps = report.attribute("g")
    assert gaps.tpr_difference.value == 0.0  # one group has a TPR: nothing to compare
    assert gaps.equalized_odds_difference.value == pytest.approx(gaps.fpr_difference.value)


def test_one_row_is_reported_as_too_small_not_judged() -> None:
    report = fairness_table([1], [1], {"sex": ["Female"]})
    assert report.n == 1
    assert report.groups[0].too_small
    assert report.passed is None
    assert report.attribute("sex").four_fifths is None
    assert report.summary.startswith("fairness not judged")
    assert report.to_dict()["attributes"][0]["demographic_parity_ratio"]["value"] is None


def test_an_empty_window_is_an_error_that_says_so() -> None:
    with pytest.raises(InvalidInputError, match="window is empty"):
        fairness_table([], [], {"sex": []})


@pytest.mark.parametrize(
    ("y", "pred", "positive", "match"),
    [
        (["<=50K", ">50K"], ["<=50K", ">50K"], 1, r"labels are text \('<=50K', '>50K'\)"),
        ([0, 1], [0, 1], ">50K", "labels are numbers"),
        ([0.2, 0.9], [0, 1], 1, "look like scores"),
        ([0, 1], [0.7, 0.1], 1, "predictions look like scores"),
        ([pd.Timestamp("2024-01-01")] * 2, [0, 1], 1, "type 'datetime64'"),
        ([0, 1], [0, None], 1, "1 of 2 predictions are missing"),
        (["no", "yes"], ["no", "yes"], "Yes", "'Yes' occurs in neither"),
    ],
)
def test_labels_of_the_wrong_type_are_refused_with_the_reason(
    y: list[object], pred: list[object], positive: object, match: str
) -> None:
    with pytest.raises(InvalidInputError, match=match):
        fairness_table(y, pred, {"g": ["a", "b"]}, positive=positive)


def test_bad_shapes_and_options_name_the_problem() -> None:
    with pytest.raises(InvalidInputError, match="3 labels for 2 predictions"):
        fairness_table([0, 1, 1], [0, 1], {"g": ["a", "b"]})
    with pytest.raises(InvalidInputError, match="'g' has 1 values for 2 predictions"):
        fairness_table([0, 1], [0, 1], {"g": ["a"]})
    with pytest.raises(InvalidInputError, match="at least one sensitive attribute"):
        fairness_table([0, 1], [0, 1], {})
    with pytest.raises(InvalidInputError, match="'confidence' option"):
        fairness_table([0, 1], [0, 1], {"g": ["a", "b"]}, confidence=95)
    with pytest.raises(InvalidInputError, match="'min_group_size' option"):
        fairness_table([0, 1], [0, 1], {"g": ["a", "b"]}, min_group_size=-1)
    report = fairness_table([0, 1], [0, 1], {"g": ["a", "b"]}, n_boot=0)
    with pytest.raises(NotFoundError, match=r"No attribute 'sex'.* it has g"):
        report.attribute("sex")


def test_missing_sensitive_values_form_their_own_group() -> None:
    report = fairness_table([0, 1, 1], [0, 1, 0], {"g": ["a", None, np.nan]}, min_group_size=0)
    assert {g.group for g in report.groups} == {"a", None}
    assert report.group("g", None).n == 2


def test_the_report_flattens_to_json_rows(report: FairnessReport) -> None:
    import json

    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["settings"]["correction"] == "holm"
    assert data["groups"][0]["selection_rate"].keys() == {"value", "low", "high"}
    rows = report.rows()
    assert len(rows) == len(report.groups)
    row = next(r for r in rows if r["attribute"] == "sex&race" and r["group"] == "Female&Black")
    assert row["n"] == report.group("sex&race", ("Female", "Black")).n
    assert {"selection_rate", "selection_rate_low", "tpr_high", "flagged"} <= row.keys()
    json.dumps(rows, allow_nan=False)


def test_the_bootstrap_costs_well_under_a_millisecond_per_replicate(adult: pd.DataFrame) -> None:
    rows = adult.head(15_000)
    sf = rows[["sex", "race"]]
    fairness_table(rows["y"], rows["pred"], sf, n_boot=10)  # warm up
    start = time.perf_counter()
    fairness_table(rows["y"], rows["pred"], sf, n_boot=0)
    base = time.perf_counter() - start
    start = time.perf_counter()
    fairness_table(rows["y"], rows["pred"], sf, n_boot=2000)
    per_replicate = (time.perf_counter() - start - base) / 2000
    assert per_replicate < 1e-3, f"{per_replicate * 1e3:.3f} ms per replicate"
