"""Batch validation: good rows go on, bad rows leave with every reason, nothing is lost."""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.data.batch import ROW, VIOLATIONS, BatchResult, replay, validate_table
from aweigh.data.contract import Contract

ADULT_RULES: dict[str, dict[str, Any]] = {
    "age": {"type": "int", "nullable": False, "min": 17, "max": 90},
    "workclass": {"type": "string"},
    "fnlwgt": {"type": "int", "nullable": False, "min": 10_000},
    "education": {"type": "string", "nullable": False},
    "education_num": {"type": "int", "nullable": False, "min": 1, "max": 16},
    "marital_status": {"type": "string", "nullable": False},
    "occupation": {"type": "string"},
    "relationship": {"type": "string", "nullable": False},
    "race": {"type": "string", "nullable": False},
    "sex": {"type": "category", "nullable": False, "categories": ["Female", "Male"]},
    "capital_gain": {"type": "int", "nullable": False, "min": 0, "max": 99_999},
    "capital_loss": {"type": "int", "nullable": False, "min": 0, "max": 4_356},
    "hours_per_week": {"type": "int", "nullable": False, "min": 1, "max": 99},
    "native_country": {"type": "string", "max_length": 40, "pattern": r"^[A-Za-z()&-]+$"},
    "income": {"type": "category", "nullable": False, "categories": ["<=50K", ">50K"]},
}


def adult_contract(**changes: dict[str, Any]) -> Contract:
    rules = {name: {**rule, **changes.get(name, {})} for name, rule in ADULT_RULES.items()}
    return Contract.from_dict({"columns": rules})


def contract_of(extra_columns: str = "reject", **columns: dict[str, Any]) -> Contract:
    return Contract.from_dict({"columns": columns, "extra_columns": extra_columns})


def violations(result: BatchResult) -> dict[int, list[tuple[str, str]]]:
    """Row -> [(column, rule), ...] of the bad rows."""
    return {
        row[ROW]: [(v["column"], v["rule"]) for v in row[VIOLATIONS]]
        for row in result.bad.to_pylist()
    }


@pytest.fixture(scope="module")
def adult(adult_train: pd.DataFrame) -> pd.DataFrame:
    return adult_train


@pytest.fixture(scope="module")
def adult_bad(adult: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, tuple[str, str, str]]]:
    """Adult with one bad value in each of 8 rows: row -> (column, rule, value as text)."""
    frame = adult.copy()
    frame["age"] = frame["age"].astype(object)
    frame["hours_per_week"] = frame["hours_per_week"].astype(object)
    injected = {
        3: ("age", "max", 150),
        10: ("age", "type", "forty"),
        500: ("sex", "null", None),
        777: ("income", "category", "maybe"),
        1000: ("hours_per_week", "min", 0),
        2000: ("education_num", "max", 30),
        3000: ("native_country", "pattern", "United States!"),
        4000: ("native_country", "length", "X" * 41),
    }
    for row, (column, _, value) in injected.items():
        frame.loc[row, column] = value
    expected = {
        row: (column, rule, None if value is None else str(value))
        for row, (column, rule, value) in injected.items()
    }
    return frame, expected


# -- the real data ------------------------------------------------------------------------
def test_clean_adult_rows_all_go_on_cast_to_the_contract_types(adult: pd.DataFrame) -> None:
    result = validate_table(adult, adult_contract())

    assert result.rows == len(adult) == result.good.num_rows
    assert result.bad.num_rows == 0
    assert result.summary() == []
    assert result.bad_share == 0.0
    assert result.good.schema.field("age").type == pa.int64()
    assert result.good.schema.field("sex").type == pa.string()
    assert result.good.column_names == list(ADULT_RULES)
    assert result.good_rows.to_pylist() == list(range(len(adult)))


def test_injected_bad_rows_are_quarantined_with_their_reason_and_the_rest_goes_on(
    adult_bad: tuple[pd.DataFrame, dict[int, tuple[str, str, str]]],
) -> None:
    frame, expected = adult_bad

    result = validate_table(frame, adult_contract())

    assert result.bad[ROW].to_pylist() == sorted(expected)
    assert result.good.num_rows == len(frame) - len(expected)
    for record in result.bad.to_pylist():
        column, rule, value = expected[record[ROW]]
        (violation,) = record[VIOLATIONS]
        assert (violation["column"], violation["rule"]) == (column, rule)
        assert violation["value"] == (
            None if rule == "null" else value[:200] + "…"[: len(value) > 200]
        )
        assert violation["policy"] == "reject"
        assert repr(column) in violation["message"]
        assert record[column] == value  # the original value, as text
    assert set(result.good_rows.to_pylist()).isdisjoint(expected)


def test_violation_records_carry_column_rule_value_message_and_policy(
    adult_bad: tuple[pd.DataFrame, dict[int, tuple[str, str, str]]],
) -> None:
    frame, _ = adult_bad

    result = validate_table(frame, adult_contract())

    record = next(r for r in result.bad.to_pylist() if r[ROW] == 3)
    assert record[VIOLATIONS] == [
        {
            "column": "age",
            "rule": "max",
            "value": "150",
            "message": "column 'age': value 150 is above the maximum 90; fix it, or raise "
            "'max' in the contract",
            "policy": "reject",
        }
    ]
    assert result.bad.schema.field(VIOLATIONS).type.value_type.names == [
        "column",
        "rule",
        "value",
        "message",
        "policy",
    ]
    assert all(result.bad.schema.field(n).type == pa.string() for n in ADULT_RULES)


def test_summary_counts_violations_by_column_rule_and_policy_sorted(
    adult_bad: tuple[pd.DataFrame, dict[int, tuple[str, str, str]]],
) -> None:
    frame, _ = adult_bad
    contract = adult_contract(native_country={"policy": "warn"})

    result = validate_table(frame, contract)

    assert result.summary() == [
        ("age", "max", "reject", 1),
        ("age", "type", "reject", 1),
        ("education_num", "max", "reject", 1),
        ("hours_per_week", "min", "reject", 1),
        ("income", "category", "reject", 1),
        ("native_country", "length", "warn", 1),
        ("native_country", "pattern", "warn", 1),
        ("sex", "null", "reject", 1),
    ]
    assert result.bad.num_rows == 6  # the two warn rows stay good


# -- every rule, with reject and with warn ------------------------------------------------
RULE_CASES: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("type", {"type": "int"}, [1, "x", 3]),
    ("null", {"type": "int", "nullable": False}, [1, None, 3]),
    ("min", {"type": "float", "min": 0.0}, [1.0, -0.5, 3.0]),
    ("max", {"type": "int", "max": 10}, [1, 11, 10]),
    ("category", {"type": "category", "categories": ["a", "b"]}, ["a", "c", "b"]),
    ("pattern", {"type": "string", "pattern": r"^[A-Z]{2}$"}, ["AB", "abc", "CD"]),
    ("length", {"type": "string", "max_length": 3}, ["abc", "abcd", ""]),
    ("unique", {"type": "string", "unique": True}, ["a", "a", "b"]),
]


@pytest.mark.parametrize(("rule", "rules", "values"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_a_broken_reject_rule_quarantines_only_its_row(
    rule: str, rules: dict[str, Any], values: list[Any]
) -> None:
    table = pd.DataFrame({"c": pd.Series(values, dtype=object)})

    result = validate_table(table, contract_of(c=rules))

    assert violations(result) == {1: [("c", rule)]}
    assert result.good_rows.to_pylist() == [0, 2]
    assert result.summary() == [("c", rule, "reject", 1)]


@pytest.mark.parametrize(("rule", "rules", "values"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_a_broken_warn_rule_is_counted_and_the_row_stays_good(
    rule: str, rules: dict[str, Any], values: list[Any]
) -> None:
    table = pd.DataFrame({"c": pd.Series(values, dtype=object)})

    result = validate_table(table, contract_of(c={**rules, "policy": "warn"}))

    assert result.bad.num_rows == 0
    assert result.good.num_rows == 3
    assert result.summary() == [("c", rule, "warn", 1)]


def test_a_bad_row_lists_its_warn_violations_too() -> None:
    table = pa.table({"a": [1, 50], "b": ["x", "zz"]})
    contract = contract_of(
        a={"type": "int", "max": 10}, b={"type": "string", "max_length": 1, "policy": "warn"}
    )

    result = validate_table(table, contract)

    records = result.bad.to_pylist()[0][VIOLATIONS]
    assert [(v["column"], v["rule"], v["policy"]) for v in records] == [
        ("a", "max", "reject"),
        ("b", "length", "warn"),
    ]


def test_a_warn_value_that_fails_its_type_is_served_as_null() -> None:
    result = validate_table(
        pa.table({"n": ["1", "x"]}), contract_of(n={"type": "int", "policy": "warn"})
    )

    assert result.good["n"].to_pylist() == [1, None]


def test_every_broken_rule_of_a_value_is_listed() -> None:
    contract = contract_of(s={"type": "string", "pattern": "^[a-z]+$", "max_length": 2})

    result = validate_table(pa.table({"s": ["ok", "NOPE"]}), contract)

    assert violations(result) == {1: [("s", "pattern"), ("s", "length")]}


# -- threshold ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("max_bad_share", "over"), [(None, False), (0.0, True), (0.1, True), (0.2, False), (1, False)]
)
def test_over_threshold_means_a_bad_share_strictly_above_max_bad_share(
    max_bad_share: float | None, over: bool
) -> None:
    table = pa.table({"x": [1, 2, 3, 4, 5, 6, 7, 8, 99, 99]})

    result = validate_table(
        table, contract_of(x={"type": "int", "max": 10}), max_bad_share=max_bad_share
    )

    assert result.bad_share == pytest.approx(0.2)
    assert result.over_threshold is over


@pytest.mark.parametrize("bad_value", [1.5, -0.1, "0.5", True, float("nan")])
def test_a_max_bad_share_outside_0_1_is_refused(bad_value: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"'max_bad_share' parameter of validate_table"):
        validate_table(
            pa.table({"x": [1]}), contract_of(x={"type": "int"}), max_bad_share=bad_value
        )


# -- unique ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("int", [5, 7, 5, 5, None, None, 7, 8]),
        ("float", [5.0, 7.0, 5.0, 5.0, None, None, 7.0, 8.0]),
        ("string", ["e", "g", "e", "e", None, None, "g", "h"]),
        ("int", [5, 2**62, 5, 5, None, None, 2**62, -(2**62)]),  # too wide for offsets
    ],
    ids=["ints", "floats", "strings", "wide-ints"],
)
def test_unique_keeps_the_first_occurrence_and_flags_every_repeat_but_not_nulls(
    kind: str, values: list[Any]
) -> None:
    result = validate_table(pa.table({"k": values}), contract_of(k={"type": kind, "unique": True}))

    repeats = {row: [("k", "unique")] for row in (2, 3, 6)}
    assert violations(result) == repeats
    assert result.good_rows.to_pylist() == [0, 1, 4, 5, 7]


def test_unique_counts_values_equal_after_coercion_as_repeats() -> None:
    table = pd.DataFrame({"id": pd.Series(["12", 12, "012", 13], dtype=object)})

    result = validate_table(table, contract_of(id={"type": "int", "unique": True}))

    assert violations(result) == {1: [("id", "unique")], 2: [("id", "unique")]}


def test_unique_over_a_column_split_into_chunks() -> None:
    column = pa.chunked_array([["a", "b"], ["c", "a"], ["b", None, None]])

    result = validate_table(
        pa.table({"k": column}), contract_of(k={"type": "string", "unique": True})
    )

    assert sorted(violations(result)) == [3, 4]


# -- columns -----------------------------------------------------------------------------
def test_a_missing_column_refuses_the_table_naming_it_and_a_close_match(
    adult: pd.DataFrame,
) -> None:
    renamed = adult.rename(columns={"hours_per_week": "hours-per-week"})

    with pytest.raises(
        InvalidInputError,
        match=r"no column\(s\) \['hours_per_week'\].*no row was validated.*"
        r"'hours_per_week' \(the table has 'hours-per-week'\)",
    ):
        validate_table(renamed, adult_contract())


def test_extra_columns_refuse_the_table_when_the_contract_rejects_them(
    adult: pd.DataFrame,
) -> None:
    wider = adult.assign(note="x")

    with pytest.raises(InvalidInputError, match=r"\['note'\].*extra_columns: ignore"):
        validate_table(wider, adult_contract())


def test_extra_columns_pass_through_unchecked_when_the_contract_ignores_them() -> None:
    table = pa.table({"id": ["a", "b", "c"], "x": [1, 99, 3]})
    contract = contract_of("ignore", x={"type": "int", "max": 10})

    result = validate_table(table, contract)

    assert result.good.column_names == ["x", "id"]
    assert result.good["id"].to_pylist() == ["a", "c"]
    assert result.bad.column_names == ["id", "x", ROW, VIOLATIONS]


def test_duplicate_column_names_are_refused() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])

    with pytest.raises(InvalidInputError, match=r"more than one column named \['a'\]"):
        validate_table(frame, contract_of(a={"type": "int"}))


def test_a_column_named_like_the_bookkeeping_columns_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"\['_row'\].*Rename them"):
        validate_table(pa.table({"_row": [1], "x": [1]}), contract_of("ignore", x={"type": "int"}))


@pytest.mark.parametrize("bad", [[{"a": 1}], {"a": [1]}, "a.csv", None])
def test_anything_but_a_table_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"pyarrow Table or a pandas or polars DataFrame"):
        validate_table(bad, contract_of(a={"type": "int"}))


def test_a_contract_that_is_not_a_contract_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"'contract' parameter of validate_table"):
        validate_table(pa.table({"a": [1]}), {"columns": {"a": {"type": "int"}}})  # type: ignore[arg-type]


# -- types, mixed values, NaN/inf, sizes --------------------------------------------------
def test_an_int_column_holding_mixed_python_types_is_coerced_value_by_value() -> None:
    frame = pd.DataFrame(
        {"n": pd.Series(["12", "x", 3.5, 4, None, 7.0, " 8 ", True], dtype=object)}
    )

    result = validate_table(frame, contract_of(n={"type": "int"}))

    assert violations(result) == {1: [("n", "type")], 2: [("n", "type")], 7: [("n", "type")]}
    assert result.good["n"].to_pylist() == [12, 4, None, 7, 8]
    record = result.bad.to_pylist()
    assert [r["n"] for r in record] == ["x", "3.5", "True"]


@pytest.mark.parametrize(
    ("kind", "values", "good", "bad_rows"),
    [
        (
            "int",
            ["1", "-9223372036854775808", "9223372036854775808", "1e3", "3.0", "nan"],
            [1, -(2**63), 1000, 3, None],
            [2],
        ),
        (
            "float",
            ["1.5", " 2 ", "1e3", ".5", "inf", "abc", "NaN"],
            [1.5, 2.0, 1000.0, 0.5, None],
            [4, 5],
        ),
        ("bool", ["true", "FALSE", " True ", "yes", "1"], [True, False, True], [3, 4]),
        ("string", ["a", "", "  b "], ["a", "", "  b "], []),
    ],
    ids=["int", "float", "bool", "string"],
)
def test_text_is_coerced_to_the_column_type_and_what_does_not_coerce_is_a_type_violation(
    kind: str, values: list[str], good: list[Any], bad_rows: list[int]
) -> None:
    result = validate_table(pa.table({"c": values}), contract_of(c={"type": kind}))

    assert result.good["c"].to_pylist() == good
    assert sorted(violations(result)) == bad_rows
    assert all(v == [("c", "type")] for v in violations(result).values())


def test_numbers_are_not_text_in_a_string_column() -> None:
    result = validate_table(pa.table({"s": [1, 2, None]}), contract_of(s={"type": "string"}))

    assert sorted(violations(result)) == [0, 1]
    assert "only text" in result.bad[VIOLATIONS][0].as_py()[0]["message"]


def test_ints_0_and_1_are_bools_and_bools_are_not_ints() -> None:
    as_bool = validate_table(pa.table({"b": [0, 1, 2]}), contract_of(b={"type": "bool"}))
    as_int = validate_table(pa.table({"i": [True, False]}), contract_of(i={"type": "int"}))

    assert as_bool.good["b"].to_pylist() == [False, True]
    assert sorted(violations(as_bool)) == [2]
    assert sorted(violations(as_int)) == [0, 1]


def test_datetime_text_dates_and_zoned_timestamps_become_naive_utc() -> None:
    values = [
        "2024-05-01",
        "2024-05-01T13:45:00Z",
        "2024-05-01 15:45:00.25+02:00",
        "2023-02-30",
        "2024-05-01T24:00:00",
        "yesterday",
        None,
    ]

    result = validate_table(pa.table({"t": values}), contract_of(t={"type": "datetime"}))

    assert result.good["t"].to_pylist() == [
        datetime(2024, 5, 1),
        datetime(2024, 5, 1, 13, 45),
        datetime(2024, 5, 1, 13, 45, 0, 250000),
        None,
    ]
    assert sorted(violations(result)) == [3, 4, 5]
    zoned = pa.table({"t": pa.array([0], pa.timestamp("ns", "Europe/Paris"))})
    assert validate_table(zoned, contract_of(t={"type": "datetime"})).good[
        "t"
    ].type == pa.timestamp("us")


def test_nan_is_null_where_nullable_and_a_type_violation_where_not_and_inf_never_passes() -> None:
    table = pa.table(
        {
            "maybe": [1.0, math.nan, math.inf, -math.inf, 2.0],
            "must": [1.0, 2.0, 3.0, 4.0, math.nan],
        }
    )
    contract = contract_of(maybe={"type": "float"}, must={"type": "float", "nullable": False})

    result = validate_table(table, contract)

    assert violations(result) == {
        2: [("maybe", "type")],
        3: [("maybe", "type")],
        4: [("must", "type")],
    }
    assert result.good["maybe"].to_pylist() == [1.0, None]
    assert [r["maybe"] for r in result.bad.to_pylist()] == ["inf", "-inf", "2"]


def test_pandas_nan_in_an_int_column_is_a_missing_value() -> None:
    frame = pd.DataFrame({"n": [1.0, np.nan, 3.0]})

    nullable = validate_table(frame, contract_of(n={"type": "int"}))
    required = validate_table(frame, contract_of(n={"type": "int", "nullable": False}))

    assert nullable.good["n"].to_pylist() == [1, None, 3]
    assert violations(required) == {1: [("n", "null")]}


def test_huge_strings_are_checked_and_their_violation_value_is_cut() -> None:
    huge = "x" * 5_000_000
    table = pa.table({"s": ["short", huge]})

    result = validate_table(table, contract_of(s={"type": "string", "max_length": 100}))

    (record,) = result.bad.to_pylist()
    assert record["s"] == huge
    (violation,) = record[VIOLATIONS]
    assert violation["rule"] == "length"
    assert violation["value"] == "x" * 200 + "…"
    assert len(violation["message"]) < 400


def test_an_empty_table_gives_empty_typed_results() -> None:
    table = pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.float64())})
    contract = contract_of(a={"type": "int", "nullable": False}, b={"type": "float", "min": 0})

    result = validate_table(table, contract, max_bad_share=0.0)

    assert (result.rows, result.good.num_rows, result.bad.num_rows) == (0, 0, 0)
    assert result.bad_share == 0.0
    assert not result.over_threshold
    assert result.good.schema.field("a").type == pa.int64()
    assert result.bad.column_names == ["a", "b", ROW, VIOLATIONS]


def test_a_header_only_pandas_frame_validates_to_nothing() -> None:
    frame = pd.DataFrame({"a": pd.Series([], dtype=object)})

    result = validate_table(frame, contract_of(a={"type": "int"}))

    assert result.rows == 0
    assert result.good.schema.field("a").type == pa.int64()


def test_ten_thousand_columns_validate_in_a_few_seconds() -> None:
    names = [f"c{i}" for i in range(10_000)]
    data = {n: pa.array(np.arange(20, dtype=np.int64)) for n in names}
    data["c1234"] = pa.array([*range(19), 1000])
    contract = Contract.from_dict({"columns": {n: {"type": "int", "max": 100} for n in names}})

    started = time.perf_counter()
    result = validate_table(pa.table(data), contract)
    elapsed = time.perf_counter() - started

    assert violations(result) == {19: [("c1234", "max")]}
    assert result.good.num_columns == 10_000
    assert elapsed < 15


def test_pandas_polars_and_arrow_inputs_give_the_same_result(
    adult_bad: tuple[pd.DataFrame, Any],
) -> None:
    frame, _ = adult_bad
    frame = frame.astype({"age": str, "hours_per_week": str})  # one type per column for polars
    contract = adult_contract()

    results = [
        validate_table(frame, contract),
        validate_table(pl.from_pandas(frame), contract),
        validate_table(pa.Table.from_pandas(frame, preserve_index=False), contract),
    ]

    assert len({r.bad[ROW].to_pylist().__repr__() for r in results}) == 1
    assert results[0].good.equals(results[1].good)
    assert results[0].good.equals(results[2].good)


def test_a_pandas_categorical_column_is_checked_by_its_values() -> None:
    frame = pd.DataFrame({"c": pd.Categorical(["a", "b", "z", "a"])})

    result = validate_table(frame, contract_of(c={"type": "category", "categories": ["a", "b"]}))

    assert violations(result) == {2: [("c", "category")]}
    assert result.good["c"].type == pa.string()


def test_int_categories_coerce_the_column_to_int() -> None:
    table = pa.table({"grade": ["1", "2", "7", "x"]})

    result = validate_table(table, contract_of(grade={"type": "category", "categories": [1, 2, 3]}))

    assert result.good["grade"].to_pylist() == [1, 2]
    assert violations(result) == {2: [("grade", "category")], 3: [("grade", "type")]}


def test_a_pattern_is_searched_and_one_re2_cannot_run_falls_back_to_python() -> None:
    searched = validate_table(
        pa.table({"s": ["xx12yy", "abc"]}), contract_of(s={"type": "string", "pattern": "[0-9]+"})
    )
    backref = validate_table(
        pa.table({"s": ["abab", "abcd", None]}),
        contract_of(s={"type": "string", "pattern": r"^(ab)\1$"}),
    )

    assert sorted(violations(searched)) == [1]
    assert sorted(violations(backref)) == [1]


def test_a_big_table_checked_on_threads_matches_the_single_thread_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(42)
    size = 120_000
    table = pa.table(
        {
            "a": pa.chunked_array(
                [rng.integers(0, 110, size // 2), rng.integers(0, 110, size // 2)]
            ),
            "b": rng.choice(np.array(["x", "y", "z"], dtype=object), size),
            "c": rng.permutation(size) % 100_000,
        }
    )
    contract = contract_of(
        a={"type": "int", "max": 100},
        b={"type": "category", "categories": ["x", "y"]},
        c={"type": "int", "unique": True},
    )

    threaded = validate_table(table, contract)
    monkeypatch.setattr("aweigh.data.batch._PARALLEL_ROWS", 10**12)
    single = validate_table(table, contract)

    assert threaded.bad.equals(single.bad)
    assert threaded.good.equals(single.good)
    assert threaded.summary() == single.summary()


# -- the partition property ---------------------------------------------------------------
cells = st.one_of(
    st.none(),
    st.integers(-20, 20),
    st.sampled_from(["a", "b", "c", "7", "x y", ""]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
)
column_rules = st.fixed_dictionaries(
    {"type": st.sampled_from(["int", "float", "string", "category"])},
    optional={
        "nullable": st.booleans(),
        "min": st.integers(-10, 0),
        "max": st.integers(0, 10),
        "max_length": st.integers(0, 2),
        "pattern": st.sampled_from(["^[a-c]$", "[0-9]"]),
        "unique": st.booleans(),
        "policy": st.sampled_from(["reject", "warn"]),
    },
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.lists(st.lists(cells, min_size=0, max_size=25), min_size=1, max_size=3),
    rules=st.lists(column_rules, min_size=3, max_size=3),
    data=st.data(),
)
def test_good_and_bad_rows_partition_the_input_exactly(
    columns: list[list[Any]], rules: list[dict[str, Any]], data: st.DataObject
) -> None:
    size = min(len(c) for c in columns)
    frame = pd.DataFrame(
        {f"c{i}": pd.Series(c[:size], dtype=object) for i, c in enumerate(columns)}
    )
    contract = Contract.from_dict({"columns": {f"c{i}": rules[i] for i in range(len(columns))}})

    result = validate_table(frame, contract)

    good = result.good_rows.to_pylist()
    bad = result.bad[ROW].to_pylist()
    assert sorted(good + bad) == list(range(size))  # none lost, none twice
    assert good == sorted(good)  # input order kept
    assert bad == sorted(bad)
    assert result.good.num_rows == len(good)
    assert all(row for row in result.bad[VIOLATIONS].to_pylist())  # every bad row says why
    rejected = {v["column"] for r in result.bad[VIOLATIONS].to_pylist() for v in r}
    assert rejected <= set(contract.names)
    assert result.rows == size
    for i, rule in enumerate(rules[: len(columns)]):
        original = list(frame[f"c{i}"])
        if rule["type"] == "string" and all(v is None or isinstance(v, str) for v in original):
            # text passes as it is: the good rows hold the input's values, in order
            assert result.good[f"c{i}"].to_pylist() == [original[r] for r in good]


# -- replay -------------------------------------------------------------------------------
class _Store:
    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = tables

    def read(self, batch_id: str) -> pa.Table:
        return self.tables[batch_id]


def test_replay_of_fixed_rows_moves_them_to_good_under_their_original_row_numbers(
    adult_bad: tuple[pd.DataFrame, dict[int, tuple[str, str, str]]],
) -> None:
    frame, expected = adult_bad
    contract = adult_contract()
    first = validate_table(frame, contract)
    store = _Store({"b1": first.bad})
    fixed = first.bad.drop_columns([VIOLATIONS]).to_pandas()
    fixed.loc[fixed[ROW] == 3, "age"] = "50"
    fixed.loc[fixed[ROW] == 10, "age"] = "40"

    again = replay(store, "b1", contract, fixed)

    assert again.good_rows.to_pylist() == [3, 10]
    assert again.good["age"].to_pylist() == [50, 40]
    assert again.bad[ROW].to_pylist() == sorted(set(expected) - {3, 10})
    assert again.good.column_names == list(ADULT_RULES)


def test_replay_without_fixes_reads_the_batch_and_an_updated_contract_lets_rows_pass(
    adult_bad: tuple[pd.DataFrame, dict[int, tuple[str, str, str]]],
) -> None:
    frame, expected = adult_bad
    first = validate_table(frame, adult_contract())
    store = _Store({"b1": first.bad})

    unchanged = replay(store, "b1", adult_contract())
    widened = replay(store, "b1", adult_contract(age={"max": 200}))

    assert unchanged.bad[ROW].to_pylist() == sorted(expected)
    assert widened.good_rows.to_pylist() == [3]


def test_replay_refuses_row_numbers_that_are_not_numbers() -> None:
    store = _Store({"b1": pa.table({"x": ["1"], ROW: ["first"]})})

    with pytest.raises(InvalidInputError, match=r"_row column .* batch 'b1' must hold"):
        replay(store, "b1", contract_of(x={"type": "int"}))


def test_the_bad_table_of_every_row_holds_text_even_for_nested_values() -> None:
    table = pa.table({"x": pa.array([[1, 2], None], pa.list_(pa.int64()))})

    result = validate_table(table, contract_of(x={"type": "int"}))

    assert result.bad["x"].to_pylist() == ["[1, 2]"]
    assert pc.all(pc.is_valid(result.bad[VIOLATIONS])).as_py()
