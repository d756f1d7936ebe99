"""Online validation: every rule with reject and warn, the coercion table, bad input, scale."""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.data.contract import ColumnContract, Contract
from aweigh.data.infer import infer_contract
from aweigh.data.online import compile_validator

C = ColumnContract

LOANS = Contract(
    columns=(
        C("age", "int", nullable=False, min=18.0, max=90.0),
        C("income", "float", min=0.0, max=1e6, policy="warn"),
        C("sex", "category", nullable=False, categories=("Female", "Male")),
        C("zip", "string", pattern="^[0-9]{5}$", format="zip", max_length=10),
        C("loan_id", "string", nullable=False, unique=True),
        C("member", "bool"),
        C("applied", "datetime"),
    )
)
GOOD = {
    "age": 40,
    "income": 52000.0,
    "sex": "Female",
    "zip": "02139",
    "loan_id": "L-1",
    "member": True,
    "applied": datetime(2024, 5, 1, 9, 30),
}


def _columns(*records: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [r[k] for r in records] for k in records[0]}


def _rules(result: Any) -> list[tuple[int, str, str, str]]:
    return [(v.row, v.column, v.rule, v.policy) for v in result.violations]


@pytest.fixture(scope="module")
def loans() -> Any:
    return compile_validator(LOANS)


# --- every rule --------------------------------------------------------------------------


def test_a_valid_row_passes_with_its_values(loans: Any) -> None:
    result = loans.validate(_columns(GOOD), 1)

    assert result.ok
    assert result.violations == []
    assert result.columns == {k: [v] for k, v in GOOD.items()}


@pytest.mark.parametrize(
    ("column", "value", "rule", "message"),
    [
        ("age", 999, "max", "age=999 is above max 90"),
        ("age", 3, "min", "age=3 is below min 18"),
        ("age", "old", "type", "age='old' is not an integer"),
        ("age", None, "null", "age=null is not allowed: the column is not nullable"),
        ("sex", "Mael", "category", "sex='Mael' is not one of the categories ['Female', 'Male']"),
        ("zip", "2139", "pattern", r"zip='2139' does not match pattern ^[0-9]{5}$ (zip)"),
        ("zip", "1" * 11, "length", "has 11 characters, above max_length 10"),
        ("member", "maybe", "type", "member='maybe' is not a boolean (true or false)"),
        ("applied", "yesterday", "type", "applied='yesterday' is not an ISO 8601 date-time"),
    ],
)
def test_each_broken_reject_rule_rejects_the_row_naming_the_rule(
    loans: Any, column: str, value: Any, rule: str, message: str
) -> None:
    result = loans.validate(_columns(GOOD, dict(GOOD, loan_id="L-2", **{column: value})), 2)

    assert _rules(result) == [(1, column, rule, "reject")]
    assert message in result.violations[0].message
    assert result.rejected_rows == {1}
    assert result.warned_rows == set()


def test_a_warn_rule_serves_the_row_and_flags_it(loans: Any) -> None:
    result = loans.validate(_columns(GOOD, dict(GOOD, loan_id="L-2", income=5e6)), 2)

    assert _rules(result) == [(1, "income", "max", "warn")]
    assert result.ok
    assert result.warned_rows == {1}
    assert result.columns["income"] == [52000.0, 5e6]


def test_a_row_with_reject_and_warn_violations_is_rejected_not_warned(loans: Any) -> None:
    result = loans.validate(_columns(dict(GOOD, income=-1.0, age=7)), 1)

    assert {v.rule for v in result.violations} == {"min"}
    assert result.rejected_rows == {0}
    assert result.warned_rows == set()


def test_repeated_values_in_a_unique_column_are_rejected_after_the_first(loans: Any) -> None:
    rows = [dict(GOOD, loan_id=i) for i in ("a", "b", "a", "a")]

    result = loans.validate(_columns(*rows), 4)

    assert _rules(result) == [
        (2, "loan_id", "unique", "reject"),
        (3, "loan_id", "unique", "reject"),
    ]
    assert "repeats row 0" in result.violations[0].message


def test_a_missing_column_is_a_violation_on_every_row(loans: Any) -> None:
    columns = _columns(GOOD, dict(GOOD, loan_id="L-2"))
    del columns["zip"]

    result = loans.validate(columns, 2)

    assert _rules(result) == [
        (0, "zip", "missing_column", "reject"),
        (1, "zip", "missing_column", "reject"),
    ]
    assert result.columns["zip"] == [None, None]


def test_an_unknown_column_is_rejected_or_ignored_as_the_contract_says(loans: Any) -> None:
    columns = dict(_columns(GOOD), debug=[1])

    rejected = loans.validate(columns, 1)
    ignored = compile_validator(Contract(columns=LOANS.columns, extra_columns="ignore")).validate(
        columns, 1
    )

    assert _rules(rejected) == [(0, "debug", "unknown_column", "reject")]
    assert "set extra_columns: ignore" in rejected.violations[0].message
    assert ignored.violations == []
    assert "debug" not in ignored.columns


def test_raise_for_rejected_gives_a_422_naming_row_column_value_and_rule(loans: Any) -> None:
    result = loans.validate(_columns(dict(GOOD, age=999)), 1)

    with pytest.raises(InvalidInputError, match=r"row 0: age=999 is above max 90") as caught:
        result.raise_for_rejected()
    assert caught.value.http_status == 422
    assert caught.value.details["errors"][0] == {
        "row": 0,
        "column": "age",
        "rule": "max",
        "value": 999,
        "message": "age=999 is above max 90",
        "policy": "reject",
    }


def test_validate_record_checks_one_row(loans: Any) -> None:
    good = loans.validate_record(GOOD)
    bad = loans.validate_record(dict(GOOD, age="999", income=-5))

    assert good.values == GOOD
    assert not good.rejected
    assert [(v.column, v.rule) for v in bad.violations] == [("age", "max"), ("income", "min")]
    assert bad.rejected
    assert bad.values["age"] == 999


# --- the coercion table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("int", 3, 3),
        ("int", 3.0, 3),
        ("int", "3", 3),
        ("int", " 3.0 ", 3),
        ("int", np.int64(3), 3),
        ("float", 2.5, 2.5),
        ("float", 2, 2.0),
        ("float", "2.5", 2.5),
        ("float", "1e3", 1000.0),
        ("float", np.float32(0.5), 0.5),
        ("bool", True, True),
        ("bool", "TRUE", True),
        ("bool", "false", False),
        ("bool", 0, False),
        ("string", "abc", "abc"),
        ("datetime", "2024-05-01T09:30:00", datetime(2024, 5, 1, 9, 30)),
        ("datetime", "2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("datetime", date(2024, 5, 1), datetime(2024, 5, 1)),
    ],
)
def test_values_are_coerced_as_the_table_says(kind: str, value: Any, expected: Any) -> None:
    validator = compile_validator(Contract(columns=(C("x", kind),)))  # type: ignore[arg-type]

    result = validator.validate({"x": [value]}, 1)

    assert result.violations == []
    assert result.columns["x"] == [expected]
    assert type(result.columns["x"][0]) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("int", True),
        ("int", 2.5),
        ("int", "3.5"),
        ("int", "three"),
        ("int", [3]),
        ("float", False),
        ("float", "1,5"),
        ("float", {"v": 1}),
        ("bool", 2),
        ("bool", "yes"),
        ("string", 5),
        ("string", b"bytes"),
        ("datetime", 1714555800),
        ("category", [1]),
    ],
)
def test_anything_else_is_a_type_violation(kind: str, value: Any) -> None:
    validator = compile_validator(Contract(columns=(C("x", kind),)))  # type: ignore[arg-type]

    result = validator.validate({"x": [value]}, 1)

    assert _rules(result) == [(0, "x", "type", "reject")]
    assert result.columns["x"] == [value]


def test_categories_coerce_to_their_own_type() -> None:
    validator = compile_validator(Contract(columns=(C("grade", "category", categories=(1, 2, 3)),)))

    result = validator.validate({"grade": [2, "3", 2.0, 4, "A"]}, 5)

    assert result.columns["grade"][:3] == [2, 3, 2]
    assert [(v.row, v.rule) for v in result.violations] == [(3, "category"), (4, "type")]


# --- NaN, infinity, nulls ------------------------------------------------------------------


def test_nan_is_a_null_where_nulls_are_allowed_and_a_type_violation_elsewhere() -> None:
    validator = compile_validator(
        Contract(
            columns=(
                C("loose", "float", nullable=True, min=0.0, max=1.0),
                C("strict", "float", nullable=False, min=0.0, max=1.0),
                C("label", "category", categories=("a", "b")),
            )
        )
    )

    result = validator.validate(
        {"loose": [math.nan, "nan"], "strict": [math.nan, 0.5], "label": [math.nan, "a"]}, 2
    )

    assert _rules(result) == [(0, "strict", "type", "reject")]
    assert "NaN, a missing number, but the column is not nullable" in result.violations[0].message
    assert math.isnan(result.columns["loose"][0])
    assert result.columns["label"] == [None, "a"]


@pytest.mark.parametrize("value", [math.inf, -math.inf, "inf", "-Infinity"])
def test_infinity_is_always_a_type_violation(value: Any) -> None:
    validator = compile_validator(Contract(columns=(C("x", "float", nullable=True),)))

    result = validator.validate({"x": [value]}, 1)

    assert [v.rule for v in result.violations] == ["type"]


# --- bad input and scale -------------------------------------------------------------------


def test_a_one_megabyte_string_is_rejected_quickly_and_kept_short(loans: Any) -> None:
    huge = "9" * 1_000_000

    started = time.perf_counter()
    result = loans.validate(_columns(dict(GOOD, zip=huge)), 1)
    elapsed = time.perf_counter() - started

    assert _rules(result) == [(0, "zip", "length", "reject")]
    assert len(result.violations[0].value) < 300
    assert len(result.violations[0].message) < 200
    assert elapsed < 0.5


def test_columns_of_the_wrong_length_or_shape_are_refused(loans: Any) -> None:
    columns = _columns(GOOD)

    with pytest.raises(InvalidInputError, match=r"Column 'age' has 2 value\(s\) but the request"):
        loans.validate(dict(columns, age=[1, 2]), 1)
    with pytest.raises(InvalidInputError, match=r"Column 'age' must be a list"):
        loans.validate(dict(columns, age=40), 1)
    with pytest.raises(InvalidInputError, match="must be a mapping"):
        loans.validate([1, 2], 1)
    with pytest.raises(InvalidInputError, match="'rows' must be a whole number"):
        loans.validate(columns, -1)
    with pytest.raises(InvalidInputError, match="A record must be a mapping"):
        loans.validate_record(["age", 40])


def test_a_contract_with_unusable_rules_is_refused_at_compile_time() -> None:
    lists = Contract(columns=(C("tags", "category", categories=(["a"], ["b"])),))
    regex = Contract(columns=(C("code", "string", pattern="([0-9]"),))

    with pytest.raises(InvalidInputError, match=r"column 'tags' cannot be compiled"):
        compile_validator(lists)
    with pytest.raises(InvalidInputError, match=r"column 'code' cannot be compiled"):
        compile_validator(regex)
    with pytest.raises(InvalidInputError, match="compile_validator needs a Contract"):
        compile_validator({"columns": {}})  # type: ignore[arg-type]


def test_ten_thousand_columns_validate_correctly_and_quickly() -> None:
    n = 10_000
    contract = Contract(
        columns=tuple(C(f"f{i}", "float", nullable=False, min=0.0, max=1.0) for i in range(n))
    )
    validator = compile_validator(contract)
    record = {f"f{i}": 0.5 for i in range(n)}
    validator.validate_record(record)  # msgspec prepares the type on first use

    started = time.perf_counter()
    good = validator.validate_record(record)
    bad = validator.validate({k: [v] for k, v in dict(record, f9876=7.0).items()}, 1)
    elapsed = time.perf_counter() - started

    assert good.violations == []
    assert _rules(bad) == [(0, "f9876", "max", "reject")]
    assert elapsed < 1


def test_one_row_of_thirty_columns_takes_microseconds() -> None:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.drop(columns=["target"])
    validator = compile_validator(infer_contract(frame))
    rows = [{k: [v] for k, v in r.items()} for r in frame.to_dict("records")]
    for row in rows:
        validator.validate(row, 1)

    started = time.perf_counter()
    for row in rows:
        validator.validate(row, 1)
    per_row_us = (time.perf_counter() - started) / len(rows) * 1e6

    assert per_row_us < 50  # the bench's target is 10 us; generous for a busy machine


def test_column_names_that_are_not_identifiers_keep_their_names() -> None:
    contract = Contract(columns=(C("mean radius", "float"), C("class", "int"), C("_x", "bool")))
    validator = compile_validator(contract)
    record = {"mean radius": 1, "class": 2, "_x": True}

    assert validator.validate_record(record).values == {"mean radius": 1.0, "class": 2, "_x": True}
    assert validator.validate({k: [v] for k, v in record.items()}, 1).columns == {
        "mean radius": [1.0],
        "class": [2],
        "_x": [True],
    }


def test_a_validator_pickles_as_its_contract(loans: Any) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(loans))

    assert copy.contract == LOANS
    assert _rules(copy.validate(_columns(dict(GOOD, age=999)), 1)) == [(0, "age", "max", "reject")]


# --- properties ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adult_case(adult_train: pd.DataFrame) -> tuple[pd.DataFrame, Contract, Any]:
    frame = adult_train.drop(columns=["income"])
    contract = infer_contract(frame)
    return frame, contract, compile_validator(contract)


def _record(frame: pd.DataFrame, index: int) -> dict[str, Any]:
    row = frame.iloc[index].to_dict()
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _within_range(contract: Contract, record: dict[str, Any]) -> bool:
    for column in contract.columns:
        value = record[column.name]
        if column.min is not None and value is not None and value < column.min:
            return False
        if column.max is not None and value is not None and value > column.max:
            return False
    return True


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(index=st.integers(0, 32_560))
def test_any_reference_row_within_the_ranges_passes(
    adult_case: tuple[pd.DataFrame, Contract, Any], index: int
) -> None:
    frame, contract, validator = adult_case
    record = _record(frame, index)
    assume(_within_range(contract, record))

    result = validator.validate_record(record)

    assert result.violations == []
    assert result.values == record


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(0, 32_560),
    column=st.sampled_from(["age", "fnlwgt", "education_num", "capital_gain", "hours_per_week"]),
    above=st.booleans(),
    distance=st.integers(1, 10**6),
)
def test_a_value_outside_min_max_is_rejected_with_that_rule(
    adult_case: tuple[pd.DataFrame, Contract, Any],
    index: int,
    column: str,
    above: bool,
    distance: int,
) -> None:
    frame, contract, validator = adult_case
    record = _record(frame, index)
    assume(_within_range(contract, record))
    rules = contract.column(column)
    assert rules.min is not None
    assert rules.max is not None
    value = int(rules.max) + distance if above else int(rules.min) - distance

    result = validator.validate({k: [v] for k, v in dict(record, **{column: value}).items()}, 1)

    assert _rules(result) == [(0, column, "max" if above else "min", "reject")]


@settings(max_examples=100, deadline=None)
@given(
    age=st.one_of(st.integers(-5, 120), st.floats(allow_nan=True), st.text(max_size=4)),
    income=st.one_of(st.none(), st.integers(-10, 10**7), st.floats(), st.booleans()),
)
def test_the_fast_and_the_slow_path_agree(age: Any, income: Any) -> None:
    validator = compile_validator(LOANS)
    record = dict(GOOD, age=age, income=income)
    broken = dict(record, sex="Mael")  # forces every column through the slow path

    fast = validator.validate_record(record)
    slow = validator.validate_record(broken)

    for name in ("age", "income"):
        a, b = fast.values[name], slow.values[name]
        assert a == b or (a != a and b != b)
    assert list(fast.violations) == [v for v in slow.violations if v.column != "sex"]
