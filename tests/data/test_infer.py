"""Contract inference on real data (Adult, Electricity, breast_cancer) and synthetic columns."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.data.infer import FORMATS, infer_contract
from aweigh.data.online import compile_validator

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ELECTRICITY = SHARED_DATA / "electricity" / "electricity.csv"


@pytest.fixture(scope="module")
def electricity() -> pd.DataFrame:
    if not ELECTRICITY.exists():
        pytest.skip(f"{ELECTRICITY} is not there (the shared data sets)")
    return pd.read_csv(ELECTRICITY)


@pytest.fixture(scope="module")
def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame: pd.DataFrame = load_breast_cancer(as_frame=True).frame
    return frame.drop(columns=["target"])


def _with_bad_rows(frame: pd.DataFrame, **values: object) -> pd.DataFrame:
    """``frame`` plus five copies of its first row per value, with that value set."""
    extra = []
    for column, value in values.items():
        bad = pd.concat([frame.head(1)] * 5, ignore_index=True)
        bad[column] = value
        extra.append(bad)
    return pd.concat([frame, *extra], ignore_index=True)


# --- real data ----------------------------------------------------------------------


def test_adult_columns_get_types_nullability_and_categories(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train)

    assert contract.names == tuple(adult_train.columns)
    types = {c.name: c.type for c in contract.columns}
    assert types["age"] == types["fnlwgt"] == types["hours_per_week"] == "int"
    assert types["workclass"] == types["native_country"] == "category"
    assert contract.column("sex").categories == ("Female", "Male")
    assert contract.column("race").categories == (
        "Amer-Indian-Eskimo",
        "Asian-Pac-Islander",
        "Black",
        "Other",
        "White",
    )
    # only the columns with missing values in the reference are nullable
    nullable = {c.name for c in contract.columns if c.nullable}
    assert nullable == {"workclass", "occupation", "native_country"}


def test_adult_ranges_come_from_quantiles_with_margin_and_stay_whole(
    adult_train: pd.DataFrame,
) -> None:
    age = infer_contract(adult_train).column("age")

    assert age.min is not None
    assert age.max is not None
    assert 0 <= age.min <= 17
    assert 90 <= age.max < 100
    assert age.min.is_integer()
    assert age.max.is_integer()


def test_a_non_negative_column_never_gets_a_negative_min(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train)

    for name in ("capital_gain", "capital_loss", "fnlwgt"):
        assert contract.column(name).min == 0


def test_source_records_rows_columns_and_parameters(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train, margin=0.2, quantiles=(0.01, 0.99))

    assert contract.source["rows"] == len(adult_train)
    assert contract.source["columns"] == adult_train.shape[1]
    assert contract.source["margin"] == 0.2
    assert contract.source["quantiles"] == [0.01, 0.99]


def test_electricity_floats_ranges_and_class_categories(electricity: pd.DataFrame) -> None:
    contract = infer_contract(electricity)

    assert contract.column("class").categories == ("DOWN", "UP")
    assert contract.column("day").type == "int"
    assert (contract.column("day").min, contract.column("day").max) == (1, 7)
    for name in ("nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"):
        column = contract.column(name)
        assert column.type == "float"
        assert not column.nullable
        assert column.min == 0
        assert column.max is not None
        assert 0 < column.max < 1.2


def test_breast_cancer_has_thirty_bounded_float_columns(breast_cancer: pd.DataFrame) -> None:
    contract = infer_contract(breast_cancer)

    assert len(contract.columns) == 30
    for column in contract.columns:
        assert column.type == "float"
        assert not column.nullable
        assert column.min is not None
        assert column.max is not None
        assert column.min < column.max


def test_a_string_column_over_the_category_limit_is_free_text(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train, max_categories=20)

    country = contract.column("native_country")
    assert country.type == "string"
    assert country.categories is None
    assert country.max_length is not None
    assert country.max_length >= 2 * 18
    assert contract.column("education").type == "category"  # 16 values: still a category


# --- robustness to a few bad values in the reference -----------------------------------


def test_injected_bad_ages_do_not_become_valid(adult_train: pd.DataFrame) -> None:
    dirty = _with_bad_rows(adult_train, age=999)
    dirty = _with_bad_rows(dirty, age=-1)
    # raw min/max (what pandera-style inference learns) would accept both bad values
    assert dirty["age"].min() == -1
    assert dirty["age"].max() == 999

    age = infer_contract(dirty).column("age")

    assert age.min is not None
    assert age.max is not None
    assert -1 < age.min <= 17
    assert 90 <= age.max < 999
    validator = compile_validator(infer_contract(dirty))
    for bad, rule in ((999, "max"), (-1, "min")):
        record = dict(adult_train.iloc[0].to_dict(), age=bad)
        result = validator.validate_record(record)
        assert [(v.column, v.rule) for v in result.violations] == [("age", rule)]


def test_a_few_typos_in_a_clean_category_are_not_learned(adult_train: pd.DataFrame) -> None:
    dirty = _with_bad_rows(adult_train, sex="Mael")

    contract = infer_contract(dirty)

    assert contract.column("sex").categories == ("Female", "Male")
    assert contract.source["rare_categories"] == {"sex": ["Mael"]}
    # a long-tailed column keeps its rare but real values
    assert "Holand-Netherlands" in (contract.column("native_country").categories or ())


def test_one_huge_string_does_not_set_max_length() -> None:
    words = [f"note number {i} about the customer" for i in range(2000)]
    words[7] = "x" * 1_000_000

    column = infer_contract(pd.DataFrame({"note": words})).column("note")

    assert column.type == "string"
    assert column.max_length is not None
    assert column.max_length < 200


# --- formats, uniqueness, other types ----------------------------------------------------


def _strings(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"value": values})


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        ("email", lambda i: f"user.{i}@example{i % 7}.com"),
        ("uuid", lambda i: str(uuid.UUID(int=i * 7919 + 1))),
        ("date", lambda i: f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"),
        ("datetime", lambda i: f"2024-03-{i % 28 + 1:02d}T{i % 24:02d}:15:00Z"),
        ("ipv4", lambda i: f"10.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256}"),
        ("url", lambda i: f"https://shop.example.com/items/{i}?ref=ad"),
        ("zip", lambda i: f"{10000 + i * 37:05d}"),
        ("phone", lambda i: f"+1 (555) {100 + i % 900:03d}-{i % 10000:04d}"),
    ],
)
def test_a_recognisable_format_becomes_a_pattern(fmt: str, make: object) -> None:
    assert callable(make)
    values = [make(i) for i in range(500)]

    column = infer_contract(_strings(values)).column("value")

    assert column.type == "string"
    assert column.format == fmt
    assert column.pattern == FORMATS[fmt]


def test_fixed_length_digit_strings_get_their_length() -> None:
    values = [f"{i * 7919 % 10**8:08d}" for i in range(500)]

    column = infer_contract(_strings(values)).column("value")

    assert (column.format, column.pattern) == ("digits", "^[0-9]{8}$")


def test_free_text_gets_no_pattern() -> None:
    rng = np.random.default_rng(42)
    vocabulary = ["the", "parcel", "arrived", "late", "12", "and", "was", "open", "@", "-"]
    values = [" ".join(rng.choice(vocabulary, size=6)) + f" {i}" for i in range(500)]

    column = infer_contract(_strings(values)).column("value")

    assert (column.type, column.format, column.pattern) == ("string", None, None)


def test_a_format_most_values_break_is_not_learned() -> None:
    values = [f"user{i}@example.com" for i in range(500)]
    values[::20] = [f"no email {i}" for i in range(25)]

    column = infer_contract(_strings(values)).column("value")

    assert column.format is None


def test_id_columns_with_distinct_values_are_unique_others_are_not() -> None:
    n = 500
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(n) * 3 + 11,
            "orderKey": [str(uuid.UUID(int=i + 1)) for i in range(n)],
            "amount": np.arange(n) * 1.5,
            "token": [str(uuid.UUID(int=i + 99)) for i in range(n)],
            "visits": np.arange(n),
        }
    )

    contract = infer_contract(frame)

    unique = {c.name for c in contract.columns if c.unique}
    assert unique == {"customer_id", "orderKey", "token"}


def test_other_arrow_types_map_to_contract_types() -> None:
    frame = pd.DataFrame(
        {
            "flag": [True, False] * 50,
            "when": pd.date_range("2024-01-01", periods=100, freq="h"),
            "count_with_gaps": [1.0, None, 3.0, 4.0] * 25,
            "size": pd.Categorical(["S", "M", "L", "XL"] * 25),
            "empty": [None] * 100,
        }
    )

    contract = infer_contract(frame)

    assert contract.column("flag").type == "bool"
    assert contract.column("when").type == "datetime"
    gaps = contract.column("count_with_gaps")
    assert (gaps.type, gaps.nullable) == ("int", True)
    assert contract.column("size").categories == ("L", "M", "S", "XL")
    assert (contract.column("empty").type, contract.column("empty").nullable) == ("string", True)


def test_pandas_polars_and_arrow_inputs_give_the_same_contract(
    adult_train: pd.DataFrame,
) -> None:
    sample = adult_train.head(3000)

    from_pandas = infer_contract(sample)
    from_polars = infer_contract(pl.from_pandas(sample))
    from_arrow = infer_contract(pa.Table.from_pandas(sample, preserve_index=False))

    assert from_pandas == from_polars == from_arrow


def test_polars_nan_counts_as_missing() -> None:
    frame = pl.DataFrame({"x": [1.5, float("nan"), 2.5] * 10})

    column = infer_contract(frame).column("x")

    assert column.nullable
    assert column.type == "float"


# --- bad input ---------------------------------------------------------------------------


def test_a_column_mixing_types_is_refused_by_name() -> None:
    frame = pd.DataFrame({"ok": [1, 2, 3], "mixed": [1, "two", 3.0]})

    with pytest.raises(InvalidInputError, match=r"column 'mixed' mixes value types"):
        infer_contract(frame)


def test_an_empty_or_header_only_table_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="has no rows"):
        infer_contract(pd.DataFrame({"a": pd.Series([], dtype="int64")}))
    with pytest.raises(InvalidInputError, match="has no columns"):
        infer_contract(pd.DataFrame())


def test_something_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must be a pandas DataFrame"):
        infer_contract([{"a": 1}])
    with pytest.raises(InvalidInputError, match=r"LazyFrame; call \.collect\(\)"):
        infer_contract(pl.DataFrame({"a": [1]}).lazy())


def test_nested_columns_are_refused_with_the_fix() -> None:
    table = pa.table({"tags": [["a"], ["b", "c"]]})

    with pytest.raises(InvalidInputError, match=r"Column 'tags' has Arrow type list"):
        infer_contract(table)


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("margin", -0.5, "a number >= 0"),
        ("quantiles", (0.9, 0.1), "a pair"),
        ("max_categories", 0, "a whole number >= 1"),
        ("policy", "drop", "'reject' or 'warn'"),
        ("pattern_share", 0, r"a number in \(0, 1\]"),
    ],
)
def test_bad_parameters_are_refused_with_what_is_expected(
    argument: str, value: object, expected: str
) -> None:
    with pytest.raises(InvalidInputError, match=rf"'{argument}' parameter .* must be {expected}"):
        infer_contract(pd.DataFrame({"a": [1, 2]}), **{argument: value})  # type: ignore[arg-type]


# --- scale -------------------------------------------------------------------------------


def test_ten_thousand_columns_are_inferred_correctly_and_quickly() -> None:
    rng = np.random.default_rng(42)
    data = rng.normal(size=(200, 10_000))
    table = pa.table({f"c{i}": data[:, i] for i in range(10_000)})

    started = time.perf_counter()
    contract = infer_contract(table)
    elapsed = time.perf_counter() - started

    assert len(contract.columns) == 10_000
    assert all(c.type == "float" and c.min is not None for c in contract.columns)
    assert elapsed < 20


def test_a_large_table_is_inferred_in_seconds() -> None:
    n = 200_000
    rng = np.random.default_rng(42)
    columns: dict[str, object] = {}
    for i in range(15):
        columns[f"num{i}"] = rng.normal(size=n)
    for i in range(5):
        columns[f"int{i}"] = rng.integers(0, 1000, size=n)
    for i in range(4):
        columns[f"cat{i}"] = rng.choice(["red", "green", "blue", "black"], size=n)
    columns["email"] = [f"u{i}@example.com" for i in range(n)]
    table = pa.table(columns)

    started = time.perf_counter()
    contract = infer_contract(table)
    elapsed = time.perf_counter() - started

    assert contract.column("email").format == "email"
    assert contract.column("cat0").type == "category"
    assert elapsed < 5
