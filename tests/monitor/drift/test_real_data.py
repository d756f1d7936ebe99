"""Real data: Adult's train/test split does not drift, a shifted copy drifts on exactly the
shifted columns, Electricity's early and late periods drift; multivariate checks see a
broken correlation that no single column shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aweigh.data.profile import profile_table
from aweigh.monitor.drift import WindowSketch, compare
from tests.monitor.drift.conftest import shifted_adult


@pytest.mark.parametrize(
    ("numeric", "categorical"),
    [("ks", "chi_square"), ("psi", "psi"), ("wasserstein", "jensen_shannon")],
)
def test_adult_train_and_test_splits_do_not_drift(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame, numeric: str, categorical: str
) -> None:
    report = compare(
        adult_train, adult_test, numeric_method=numeric, categorical_method=categorical
    )
    assert report.drifted == [], report.summary
    assert not report.dataset_drift
    assert len(report.columns) == 15
    assert any(r.method == "missing_share" for r in report.results)  # Adult has gaps


def test_older_ages_and_another_education_mix_drift_on_exactly_those_columns(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> None:
    report = compare(adult_train, shifted_adult(adult_test))
    assert sorted(report.drifted) == ["age", "education"]
    assert report.summary.startswith("2 of 15 columns drifted: ")
    assert [r.column for r in report.results[:2]] == report.drifted  # drifted come first
    education = report.for_column("education")[0]
    shares = {b["bin"]: b for b in education.detail["bins"]}
    assert shares["Doctorate"]["current"] > 0.25 > shares["Doctorate"]["reference"]


def test_a_training_profile_is_the_reference(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> None:
    profile = profile_table(adult_train)
    assert compare(profile, adult_test).drifted == []
    assert sorted(compare(profile, shifted_adult(adult_test)).drifted) == ["age", "education"]


def test_a_stored_window_of_events_is_the_current_side(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> None:
    shifted = shifted_adult(adult_test)
    hours = [WindowSketch.of(shifted.iloc[i : i + 2000]) for i in range(0, len(shifted), 2000)]
    day = hours[0]
    for hour in hours[1:]:
        day = WindowSketch.from_json(day.merge(hour).to_json())
    assert sorted(compare(WindowSketch.of(adult_train), day).drifted) == ["age", "education"]


def test_electricity_early_and_late_periods_drift(electricity: pd.DataFrame) -> None:
    early, late = electricity.iloc[:10_000], electricity.iloc[-10_000:]
    report = compare(early, late)
    assert report.dataset_drift
    assert {"nswprice", "nswdemand", "vicprice", "vicdemand"} <= set(report.drifted)
    assert "date" in report.drifted  # the time index moved on, as it must
    neighbours = compare(electricity.iloc[:5_000], electricity.iloc[5_000:10_000])
    assert "day" not in neighbours.drifted  # weekdays cycle: same mix in both


def test_the_domain_classifier_separates_shifted_adult_rows_and_names_the_features(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> None:
    ref = adult_train.sample(n=3000, random_state=1)
    same = compare(ref, adult_test.sample(n=3000, random_state=2), multivariate=True)
    assert not same.dataset_drift, same.summary
    report = compare(
        ref, shifted_adult(adult_test.sample(n=3000, random_state=3)), multivariate=True
    )
    (classifier,) = report.for_column("*")[:1]
    checks = {r.method: r for r in report.for_column("*")}
    assert checks["domain_classifier"].drifted
    assert checks["domain_classifier"].kind == "multivariate"
    top = [f["column"] for f in checks["domain_classifier"].detail["top_features"][:2]]
    assert sorted(top) == ["age", "education"]
    assert "multivariate drift: the domain classifier" in report.summary
    assert classifier.column == "*"


def test_a_broken_correlation_is_seen_only_by_the_multivariate_checks() -> None:
    rng = np.random.default_rng(42)
    x = rng.normal(size=6000)
    ref = pd.DataFrame({"x": x[:4000], "y": x[:4000] + 0.2 * rng.normal(size=4000)})
    y = rng.permutation(x[4000:]) + 0.2 * rng.normal(size=2000)
    cur = pd.DataFrame({"x": x[4000:], "y": y})  # same marginals, correlation gone
    report = compare(ref, cur, multivariate=True)
    assert report.drifted == []  # no single column moved
    checks = {r.method: r for r in report.for_column("*")}
    assert checks["pca"].drifted, checks["pca"].reason
    assert checks["domain_classifier"].drifted, checks["domain_classifier"].reason
    assert report.dataset_drift
    assert report.summary.startswith("No drift in 2 tested columns; multivariate drift: the ")
    assert "domain classifier" in report.summary
    assert "PCA" in report.summary


def test_multivariate_checks_report_too_few_rows_instead_of_failing() -> None:
    frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0) ** 2})
    report = compare(frame, frame, multivariate=True)
    reasons = {r.method: r.reason for r in report.for_column("*")}
    assert reasons["domain_classifier"].startswith("too few rows")
    assert reasons["pca"].startswith("too few rows for the PCA check")
