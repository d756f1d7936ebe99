"""Quality profiles on real data (Adult, Electricity, flights) and hostile tables."""

from __future__ import annotations

import doctest
import json
import time
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.data import profile as profile_module
from aweigh.data.contract import Contract
from aweigh.data.profile import LEAKAGE_THRESHOLD, Profile, profile_table

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FLIGHTS = SHARED_DATA / "flights_3m" / "flights-3m.parquet"
ELECTRICITY = SHARED_DATA / "electricity" / "electricity.csv"
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "relationship"]
CATEGORICAL += ["race", "sex", "native_country", "income"]


@pytest.fixture(scope="module")
def adult_profile(adult_train: pd.DataFrame) -> Profile:
    return profile_table(adult_train, label="income")


@pytest.fixture(scope="module")
def electricity() -> pd.DataFrame:
    if not ELECTRICITY.exists():
        pytest.skip(f"{ELECTRICITY} is not there (the shared data sets)")
    return pd.read_csv(ELECTRICITY)


def _without_dtype(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k != "dtype"} for c in summary["column_profiles"]]


def _assert_rank_within(profile_column: Any, data: pd.Series) -> None:
    """Each sketched quantile's true rank is within the sketch's epsilon of its target."""
    ordered = np.sort(data.dropna().to_numpy(dtype=np.float64))
    sketch = profile_column.quantile_sketch
    for name, value in profile_column.quantiles.items():
        target = float(name[1:]) / 100 * ordered.size
        below = np.searchsorted(ordered, value, side="left")
        upto = np.searchsorted(ordered, value, side="right")
        error = max(0.0, below - target, target - upto) / ordered.size
        assert error <= sketch.epsilon(), (profile_column.name, name)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(profile_module)
    assert result.attempted >= 5
    assert result.failed == 0


# --- Adult: statistics agree with pandas -----------------------------------------------


def test_adult_profile_matches_pandas(adult_train: pd.DataFrame, adult_profile: Profile) -> None:
    assert adult_profile.rows == len(adult_train)
    assert adult_profile.columns == tuple(adult_train.columns)
    for name in NUMERIC:
        column, data = adult_profile[name], adult_train[name]
        assert column.kind == "numeric"
        assert (column.min, column.max) == (data.min(), data.max())
        assert column.mean == pytest.approx(data.mean(), rel=1e-12)
        assert column.std == pytest.approx(data.std(), rel=1e-9)
        assert column.missing == 0
        _assert_rank_within(column, data)
        if column.distinct_exact:
            assert column.distinct == data.nunique()
        else:
            assert abs(column.distinct / data.nunique() - 1) <= 0.03
    for name in CATEGORICAL:
        column, data = adult_profile[name], adult_train[name]
        assert column.kind == "categorical"
        assert column.missing == data.isna().sum()
        assert column.missing_share == pytest.approx(data.isna().mean())
        assert column.distinct == data.nunique()
        assert column.distinct_exact
        assert column.top_exact
        assert dict(column.top(100)) == data.value_counts().to_dict()


def test_adult_outliers_follow_the_iqr_rule(
    adult_train: pd.DataFrame, adult_profile: Profile
) -> None:
    for name in NUMERIC:
        outliers = adult_profile[name].outliers
        assert outliers is not None
        data = adult_train[name]
        exact = int(((data < outliers["low"]) | (data > outliers["high"])).sum())
        assert abs(outliers["count"] - exact) <= outliers["error"]
        assert outliers["share"] == pytest.approx(outliers["count"] / len(data))
    # capital_gain is zero in 92% of rows: quartiles 0 and 0, every gain is an outlier
    gains = adult_profile["capital_gain"].outliers
    assert gains is not None
    assert (gains["low"], gains["high"]) == (0.0, 0.0)
    positive = (adult_train["capital_gain"] > 0).sum()
    assert abs(gains["count"] - positive) <= gains["error"]
    assert abs(gains["count"] - positive) / len(adult_train) < 0.003


def test_adult_duplicates_and_label_balance(
    adult_train: pd.DataFrame, adult_profile: Profile
) -> None:
    balance = adult_train["income"].value_counts(normalize=True).to_dict()

    assert adult_profile.duplicates == adult_train.duplicated().sum() == 24
    assert adult_profile.duplicates_exact
    assert adult_profile.label_balance == pytest.approx(balance)
    assert profile_table(adult_train).label_balance is None


def test_adult_flags_missing_and_near_constant_columns(adult_profile: Profile) -> None:
    flags = {c["name"]: c["flags"] for c in adult_profile.summary()["column_profiles"]}

    assert "missing" in flags["workclass"]
    assert "missing" not in flags["age"]
    assert "outliers" in flags["capital_gain"]
    assert not any("constant" in f or "near_constant" in f for f in flags.values())
    assert adult_profile["capital_loss"].top_share == pytest.approx(31042 / 32561)


# --- leakage ----------------------------------------------------------------------------


def test_a_leaked_copy_of_the_label_is_flagged_and_real_features_are_not(
    adult_train: pd.DataFrame,
) -> None:
    frame = adult_train.assign(
        income_copy=adult_train["income"],
        earns_more=(adult_train["income"] == ">50K").astype(int),
        row_id=np.arange(len(adult_train)),
    )
    profile = profile_table(frame, label="income")

    assert profile.leakage_suspects == ["earns_more", "income_copy"]
    assert profile.leakage["income_copy"] == pytest.approx(1.0)
    real = {k: v for k, v in profile.leakage.items() if k not in ("income_copy", "earns_more")}
    assert set(real) == set(adult_train.columns) - {"income"} | {"row_id"}
    assert max(real.values()) < 0.5 < LEAKAGE_THRESHOLD
    assert real["row_id"] < 0.1  # an identifier is not a predictor
    assert "leakage" in profile.summary()["column_profiles"][-3]["flags"]


def test_a_leaked_transform_of_a_numeric_label_is_flagged(electricity: pd.DataFrame) -> None:
    frame = electricity.assign(price_cents=electricity["nswprice"] * 100 + 1)
    profile = profile_table(frame, label="nswprice", sample_for_leakage=20_000)

    assert profile.leakage_suspects == ["price_cents"]
    assert profile.label_balance is None
    assert profile_table(frame, label="nswprice", sample_for_leakage=0).leakage == {}


def test_class_label_of_electricity_has_no_suspects(electricity: pd.DataFrame) -> None:
    profile = profile_table(electricity, label="class")

    assert profile.leakage_suspects == []
    assert set(profile.label_balance or {}) == {"UP", "DOWN"}


# --- merging chunks ---------------------------------------------------------------------


def test_profile_of_adult_equals_the_merge_of_its_chunks(
    adult_train: pd.DataFrame, adult_profile: Profile
) -> None:
    chunks = [adult_train.iloc[i : i + 5000] for i in range(0, len(adult_train), 5000)]
    merged = reduce(Profile.merge, [profile_table(c, label="income") for c in chunks])

    assert merged.rows == adult_profile.rows
    assert merged.duplicates == adult_profile.duplicates == 24
    assert merged.duplicates_exact
    assert merged.label_balance == adult_profile.label_balance
    assert merged.leakage_suspects == adult_profile.leakage_suspects == []
    for whole in adult_profile:
        part = merged[whole.name]
        assert (part.kind, part.rows, part.missing) == (whole.kind, whole.rows, whole.missing)
        assert part.distinct == whole.distinct
        if whole.top_exact:
            assert part.top_exact
            assert part.top(200) == whole.top(200)
        else:  # Misra-Gries bounds against the true counts
            truth = adult_train[whole.name].value_counts()
            for value, count in part.top(200):
                assert count <= truth[value] <= count + part.top_sketch.error
            assert part.top_sketch.error <= len(adult_train) / 129
        if whole.kind == "numeric":
            assert (part.min, part.max) == (whole.min, whole.max)
            assert part.mean == pytest.approx(whole.mean, rel=1e-12)
            assert part.std == pytest.approx(whole.std, rel=1e-9)
            assert part.histogram.to_dict() == whole.histogram.to_dict()
            _assert_rank_within(part, adult_train[whole.name])


def test_merge_treats_a_column_absent_from_one_side_as_missing() -> None:
    first = profile_table(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}))
    second = profile_table(pd.DataFrame({"a": [3.0]}))
    merged = first.merge(second)
    reverse = second.merge(first)

    assert merged.columns == ("a", "b")
    assert reverse.columns == ("a", "b")
    assert (merged["b"].rows, merged["b"].missing, merged["b"].distinct) == (3, 1, 2)
    assert merged["a"].mean == pytest.approx(2.0)


def test_an_all_missing_chunk_merges_into_the_kind_of_the_other() -> None:
    numbers = profile_table(pd.DataFrame({"a": [1.0, 2.0]}))
    nothing = profile_table(pd.DataFrame({"a": [None, None]}, dtype=object))
    merged = nothing.merge(numbers)

    assert nothing["a"].kind == "categorical"
    assert merged["a"].kind == "numeric"
    assert (merged["a"].rows, merged["a"].missing, merged["a"].mean) == (4, 2, 1.5)
    assert merged["a"].moments is not None
    assert merged["a"].moments.missing == 2


def test_profiles_that_disagree_do_not_merge() -> None:
    numbers = profile_table(pd.DataFrame({"a": [1.0], "y": [1]}), label="y")
    text = profile_table(pd.DataFrame({"a": ["one"], "y": [1]}), label="y")

    with pytest.raises(InvalidInputError, match="'a' is numeric in one profile and categorical"):
        numbers.merge(text)
    with pytest.raises(InvalidInputError, match="different labels"):
        numbers.merge(profile_table(pd.DataFrame({"a": [1.0]})))


# --- plain data -------------------------------------------------------------------------


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"the JSON holds {name}")


def test_profile_round_trips_through_json_exactly(adult_train: pd.DataFrame) -> None:
    frame = adult_train.assign(leak=adult_train["income"], ratio=adult_train["age"] / 7)
    frame.loc[::50, "ratio"] = np.inf
    profile = profile_table(frame, label="income")
    text = profile.to_json()
    again = Profile.from_json(text)

    json.loads(text, parse_constant=_refuse_constant)  # strict JSON: no NaN or Infinity
    assert again.to_dict() == profile.to_dict()
    assert Profile.from_dict(json.loads(text)).to_json() == text
    assert again.leakage_suspects == ["leak"]
    assert again.merge(profile).rows == 2 * len(frame)


def test_malformed_profiles_are_refused_with_the_reason() -> None:
    good = profile_table(pd.DataFrame({"a": [1.0, 2.0]})).to_dict()

    with pytest.raises(InvalidInputError, match=r"format 'aweigh\.profile'"):
        Profile.from_dict({"columns": []})
    with pytest.raises(InvalidInputError, match="reads version 1"):
        Profile.from_dict({**good, "format_version": 99})
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        Profile.from_json("{")
    broken = json.loads(json.dumps(good))
    del broken["columns"][0]["sketches"]["quantiles"]
    with pytest.raises(InvalidInputError, match="column 'a': the numeric column needs"):
        Profile.from_dict(broken)
    broken = json.loads(json.dumps(good))
    broken["columns"][0]["sketches"]["histogram"]["counts"] = [-1]
    with pytest.raises(InvalidInputError, match=r"column 'a'.*whole numbers >= 0"):
        Profile.from_dict(broken)


# --- inputs -----------------------------------------------------------------------------


def test_pandas_arrow_and_polars_inputs_give_the_same_profile(adult_train: pd.DataFrame) -> None:
    from_pandas = profile_table(adult_train, label="income")
    from_arrow = profile_table(pa.Table.from_pandas(adult_train), label="income")
    from_polars = profile_table(pl.from_pandas(adult_train), label="income")
    batch = pa.RecordBatch.from_pandas(adult_train)

    expected = _without_dtype(from_pandas.summary())
    assert _without_dtype(from_arrow.summary()) == expected
    assert _without_dtype(from_polars.summary()) == expected
    assert _without_dtype(profile_table(batch, label="income").summary()) == expected
    assert from_polars.duplicates == from_pandas.duplicates


def test_flight_dates_are_profiled_as_datetimes() -> None:
    if not FLIGHTS.exists():
        pytest.skip(f"{FLIGHTS} is not there (the shared data sets)")
    table = pq.read_table(FLIGHTS).slice(0, 200_000)
    profile = profile_table(table)
    frame = table.to_pandas()
    date = profile["date"].summary()

    assert profile["date"].kind == "datetime"
    assert date["min"] == frame["date"].min().tz_localize("UTC").isoformat()
    assert date["max"] == frame["date"].max().tz_localize("UTC").isoformat()
    assert profile["origin"].distinct == frame["origin"].nunique()
    assert profile["delay"].mean == pytest.approx(frame["delay"].mean())
    assert profile.duplicates == frame.duplicated().sum()


def test_a_contract_fixes_column_kinds_and_counts_unreadable_values() -> None:
    frame = pd.DataFrame(
        {"code": [1, 2, 2, 3], "amount": ["1.5", "x", None, "4"], "when": ["2024-01-02"] * 4}
    )
    contract = Contract.from_dict(
        {
            "columns": {
                "code": {"type": "category"},
                "amount": {"type": "float"},
                "when": {"type": "datetime"},
            }
        }
    )
    profile = profile_table(frame, contract=contract)

    assert [c.kind for c in profile] == ["categorical", "numeric", "datetime"]
    assert profile["code"].top(3) == [("2", 2), ("1", 1), ("3", 1)]
    assert (profile["amount"].invalid, profile["amount"].missing) == (1, 2)
    assert profile["amount"].mean == pytest.approx(2.75)
    assert "invalid" in profile["amount"].summary()["flags"]
    assert profile["when"].summary()["min"] == "2024-01-02T00:00:00+00:00"


@pytest.mark.parametrize(
    ("table", "options", "message"),
    [
        ([1, 2], {}, "profile_table takes a pandas DataFrame"),
        (pd.DataFrame({"a": [1]}), {"label": "nope"}, "label column 'nope' is not in the table"),
        (pd.DataFrame({"a": [1]}), {"sample_for_leakage": -1}, "'sample_for_leakage' parameter"),
        (pd.DataFrame({"a": [1]}), {"contract": {"a": "int"}}, "'contract' parameter"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, "duplicate column names"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(
    table: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        profile_table(table, **options)


# --- hostile tables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame(),
        pa.table({}),
        pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}),
        pl.DataFrame({"a": [], "b": []}),
    ],
)
def test_empty_tables_profile_to_empty_profiles(table: Any) -> None:
    profile = profile_table(table, sample_for_leakage=10)
    again = Profile.from_json(profile.to_json())

    assert profile.rows == 0
    assert profile.duplicates == 0
    assert all(c.rows == 0 and c.summary()["flags"] == [] for c in profile)
    assert again.to_dict() == profile.to_dict()
    assert profile.merge(profile).rows == 0


def test_all_null_columns_are_flagged_constant_and_all_missing() -> None:
    table = pa.table(
        {
            "floats": pa.array([None, None, None], type=pa.float64()),
            "nothing": pa.array([None, None, None]),
            "text": pa.array([None, None, None], type=pa.string()),
        }
    )
    profile = profile_table(pd.DataFrame({"y": [1, 2, 3]}).join(table.to_pandas()), label="y")

    for column in list(profile)[1:]:
        summary = column.summary()
        assert column.missing_share == 1.0
        assert {"all_missing", "missing", "constant"} <= set(summary["flags"])
        assert column.quantiles == {}
        assert column.distinct == 0
    assert profile.duplicates == 0
    assert profile_table(table).duplicates == 2


def test_nan_and_infinities_are_counted_apart_from_the_statistics() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, np.inf, -np.inf, np.nan, 3.0]})
    column = profile_table(frame)["x"]
    summary = column.summary()

    assert (column.missing, column.non_finite, column.distinct) == (1, 2, 3)
    assert (column.min, column.max, column.mean) == (1.0, 3.0, 2.0)
    assert {"missing", "non_finite"} <= set(summary["flags"])
    assert sum(summary["histogram"]["counts"]) == 3


def test_mixed_types_and_huge_strings_stay_small_and_readable() -> None:
    huge = ["a" * 1_000_000, "b" * 1_000_000]
    frame = pd.DataFrame(
        {"mixed": [1, "a", None, 2.5] * 5, "huge": [huge[i % 2] for i in range(20)]}
    )
    profile = profile_table(frame)
    text = profile.to_json()
    top = profile["huge"].top()

    assert profile["mixed"].kind == "categorical"
    assert profile["mixed"].distinct == 3
    assert profile["huge"].distinct == 2
    assert len(text) < 100_000
    assert all(len(value) < 300 and "1,000,000 chars" in value for value, _ in top)
    assert [count for _, count in top] == [10, 10]
    assert profile["huge"].lengths is not None
    assert profile["huge"].lengths.max == 1_000_000


def test_ten_thousand_columns_profile_in_bounded_time() -> None:
    rng = np.random.default_rng(42)
    wide = pd.DataFrame(
        rng.integers(0, 5, size=(10, 10_000)), columns=[f"c{i}" for i in range(10_000)]
    )

    started = time.perf_counter()
    profile = profile_table(wide)
    text = profile.to_json()
    elapsed = time.perf_counter() - started

    assert len(profile) == 10_000
    assert Profile.from_json(text).columns == profile.columns
    assert elapsed < 30


def test_a_million_rows_by_25_columns_take_a_few_seconds() -> None:
    rng = np.random.default_rng(42)
    n = 1_000_000
    columns: dict[str, Any] = {f"x{i}": rng.normal(size=n) for i in range(10)}
    columns |= {f"n{i}": rng.integers(0, 1000, size=n) for i in range(10)}
    categories = np.array([f"category {j}" for j in range(30)])
    columns |= {f"c{i}": categories[rng.integers(0, 30, size=n)] for i in range(5)}
    frame = pd.DataFrame(columns)

    started = time.process_time()
    profile = profile_table(frame, label="c0")
    cpu = time.process_time() - started

    assert profile.rows == n
    assert profile["x0"].distinct_exact is False
    assert abs(profile["x0"].distinct / n - 1) < 0.03
    assert profile["c1"].distinct == 30
    assert cpu < 12
