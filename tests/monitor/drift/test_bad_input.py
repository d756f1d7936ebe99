"""Bad and awkward input: empty and one-row windows, all-null, unseen and constant columns,
missing and new columns, wrong arguments. None of it crashes; each says what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import profile_table
from aweigh.monitor.drift import ColumnSketch, WindowSketch, compare
from aweigh.monitor.drift.methods import CATEGORICAL_METHODS, NUMERIC_METHODS


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    return pd.DataFrame(
        {
            "x": rng.normal(size=5000),
            "plan": rng.choice(["basic", "plus", "pro"], size=5000, p=[0.6, 0.3, 0.1]),
            "flag": np.zeros(5000),
        }
    )


def current_like(reference: pd.DataFrame, rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return reference.sample(n=rows, replace=True, random_state=rng).reset_index(drop=True)


@pytest.mark.parametrize(
    "empty",
    [
        pd.DataFrame({"x": [], "plan": [], "flag": []}),
        pa.table({"x": pa.array([], pa.float64())}),
        WindowSketch(),
    ],
    ids=["frame", "arrow", "sketch"],
)
def test_a_window_with_no_events_is_not_enough_data(reference: pd.DataFrame, empty: object) -> None:
    report = compare(reference, empty)
    assert report.n_current == 0
    assert not report.dataset_drift
    assert report.drifted == []
    assert report.results
    for result in report.results:
        assert not result.drifted
        assert not result.tested
        assert "not enough data: the current window has no rows" in result.reason
    assert report.summary == (
        "No column could be tested (not enough data: the current window has no rows)."
    )
    assert report.to_dict()["results"][0]["effect"] is None  # NaN becomes null in JSON


def test_a_window_with_one_event_has_too_few_rows(reference: pd.DataFrame) -> None:
    report = compare(reference, reference.head(1))
    assert not report.dataset_drift
    for result in report.results:
        assert not result.tested
        assert result.reason.startswith("too few rows: 1 non-missing values in current")
        assert "need at least 30" in result.reason


def test_an_all_null_current_column_is_flagged_by_its_missing_share(
    reference: pd.DataFrame,
) -> None:
    current = current_like(reference, 500)
    current["x"] = np.nan
    current["plan"] = None
    report = compare(reference, current)
    assert report.drifted == ["plan", "x"] or report.drifted == ["x", "plan"]
    for column in ("x", "plan"):
        checks = {r.method: r for r in report.for_column(column)}
        assert checks[{"x": "ks", "plan": "chi_square"}[column]].reason == (
            "all values missing in current"
        )
        missing = checks["missing_share"]
        assert missing.drifted
        assert missing.reason.startswith("missing share 0.0% -> 100.0%")
    assert "2 of 3 columns drifted" in report.summary


def test_an_all_null_reference_column_is_reported_not_compared(reference: pd.DataFrame) -> None:
    ref = reference.assign(x=np.nan)
    report = compare(ref, current_like(reference, 500))
    checks = {r.method: r for r in report.for_column("x")}
    assert checks["ks"].reason == "all values missing in reference: nothing to compare with"
    assert checks["missing_share"].drifted  # 100% missing -> 0% is a change too


def test_a_category_never_seen_in_the_reference_is_counted_not_crashed(
    reference: pd.DataFrame,
) -> None:
    current = current_like(reference, 2000)
    current.loc[:399, "plan"] = "enterprise"
    for method in CATEGORICAL_METHODS:
        report = compare(reference, current, categorical_method=method)
        (result,) = [r for r in report.for_column("plan") if r.method == method]
        assert result.drifted, result.reason
        assert result.detail["unseen_examples"] == ["enterprise"]
        assert result.detail["unseen_count"] == 400
        assert result.detail["bins"][-1]["bin"] == "(unseen)"


def test_a_few_unseen_values_are_reported_without_an_alarm(reference: pd.DataFrame) -> None:
    current = current_like(reference, 2000)
    current.loc[:2, "plan"] = "enterprise"
    (result,) = list(compare(reference, current).for_column("plan"))
    assert not result.drifted
    assert result.detail["unseen_share"] == pytest.approx(3 / 2000)


def test_only_unseen_categories_in_current_is_drift(reference: pd.DataFrame) -> None:
    current = pd.DataFrame({"plan": ["gold"] * 300})
    (result,) = compare(reference, current, columns=["plan"]).results
    assert result.drifted
    assert result.detail["unseen_share"] == 1.0


@pytest.mark.parametrize("method", NUMERIC_METHODS)
def test_constant_columns_are_no_drift_while_they_stay_put(
    reference: pd.DataFrame, method: str
) -> None:
    same = compare(reference, current_like(reference, 500), numeric_method=method)
    (result,) = same.for_column("flag")
    assert result.tested
    assert not result.drifted
    assert result.effect == 0.0
    moved = current_like(reference, 500).assign(flag=1.0)
    (result,) = compare(reference, moved, numeric_method=method).for_column("flag")
    assert result.drifted, result.reason


def test_a_constant_category_that_changes_is_drift() -> None:
    ref = pd.DataFrame({"c": ["a"] * 200})
    assert not compare(ref, pd.DataFrame({"c": ["a"] * 100})).dataset_drift
    assert compare(ref, pd.DataFrame({"c": ["b"] * 100})).drifted == ["c"]


def test_a_column_absent_from_the_current_window_is_reported_as_all_missing(
    reference: pd.DataFrame,
) -> None:
    report = compare(reference, current_like(reference, 500).drop(columns=["plan"]))
    checks = {r.method: r for r in report.for_column("plan")}
    assert checks["chi_square"].reason == "all values missing in current: the column is absent"
    assert checks["missing_share"].drifted
    assert report.drifted == ["plan"]


def test_a_new_column_is_reported_but_not_judged(reference: pd.DataFrame) -> None:
    report = compare(reference, current_like(reference, 500).assign(extra=1.0))
    (result,) = report.for_column("extra")
    assert (result.method, result.drifted) == ("schema", False)
    assert result.reason == "new column: not in the reference, nothing to compare with"
    assert "1 not tested: extra" in report.summary


def test_tables_with_no_common_column_are_refused(reference: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="share no columns: the reference has"):
        compare(reference, pd.DataFrame({"other": [1.0]}))


def test_columns_in_neither_table_are_refused(reference: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="Columns \\['nope'\\] are in neither table"):
        compare(reference, reference, columns=["x", "nope"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"numeric_method": "chi_square"}, "'numeric_method' parameter of compare must be one"),
        ({"categorical_method": "ks"}, "'categorical_method' parameter of compare must be one"),
        ({"columns": [1, 2]}, "'columns' parameter of compare must be a list of column names"),
        ({"categorical": 5}, "'categorical' parameter of compare must be a list"),
    ],
)
def test_bad_options_are_refused_naming_the_parameter(
    reference: pd.DataFrame, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        compare(reference, reference, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2, 3], "must be a pandas DataFrame, a pyarrow Table, a Profile or a WindowSketch"),
        ("data.csv", "is a path; aweigh.drift.compare reads CSV"),
    ],
)
def test_unsupported_inputs_are_refused(
    reference: pd.DataFrame, data: object, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        compare(reference, data)


def test_multivariate_checks_need_raw_rows(reference: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="multivariate=True needs the raw rows"):
        compare(WindowSketch.of(reference), reference, multivariate=True)


def test_categorical_override_on_a_numeric_sketch_is_refused(reference: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="was sketched as numeric"):
        compare(WindowSketch.of(reference), reference, categorical=["x"])


def test_sketches_of_different_kinds_are_reported_not_compared() -> None:
    numbers = WindowSketch.of(pd.DataFrame({"v": np.arange(100.0)}))
    text = WindowSketch.of(pd.DataFrame({"v": ["a", "b"] * 50}))
    (result,) = compare(numbers, text).results
    assert not result.tested
    assert result.reason.startswith("kinds differ: numeric in the reference, categorical")


def test_text_where_the_reference_has_numbers_shows_as_missing() -> None:
    ref = pd.DataFrame({"v": np.arange(1000.0)})
    cur = pd.DataFrame({"v": ["n/a"] * 100})
    report = compare(ref, cur)
    assert report.drifted == ["v"]
    checks = {r.method: r for r in report.for_column("v")}
    assert checks["missing_share"].drifted


def test_a_profile_reference_and_a_categorical_override(adult_train: pd.DataFrame) -> None:
    profile = profile_table(adult_train[["education_num", "age"]].head(3000))
    current = adult_train[["education_num", "age"]].tail(3000)
    report = compare(profile, current, categorical=["education_num"])
    methods = {r.column: r.method for r in report.results}
    assert methods == {"education_num": "chi_square", "age": "ks"}
    assert not report.dataset_drift


def test_a_datetime_column_is_skipped_unless_named() -> None:
    stamps = pd.date_range("2024-01-01", periods=200, freq="h")
    ref = pd.DataFrame({"ts": stamps[:100], "x": np.arange(100.0)})
    cur = pd.DataFrame({"ts": stamps[100:], "x": np.arange(100.0)})
    (skipped,) = compare(ref, cur).for_column("ts")
    assert skipped.reason.startswith("datetime column skipped")
    (tested,) = compare(ref, cur, columns=["ts"]).results
    assert tested.drifted


def test_a_column_sketch_update_with_bad_values_reads_them_as_text() -> None:
    sketch = ColumnSketch("categorical")
    sketch.update(np.array([{"a": 1}, None, 3], dtype=object))
    assert (sketch.rows, sketch.missing, sketch.n) == (3, 1, 2)
