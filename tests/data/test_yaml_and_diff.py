"""Contracts as YAML files (round trip, hand edits, malformed files) and contract diffs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.data.contract import ColumnContract, Contract
from aweigh.data.diff import ContractChange, diff_contracts, render_diff
from aweigh.data.infer import infer_contract
from aweigh.data.yaml_io import contract_from_yaml, contract_to_yaml, load_contract, save_contract

HAND_WRITTEN = """\
# reviewed by hand
format_version: 1
description: loan applications
extra_columns: ignore
columns:
  age: {type: int, nullable: false, min: 18, max: 99}
  income:
    type: float
    min: 0
    policy: warn
  zip:
    type: string
    pattern: '^[0-9]{5}$'
    format: zip
  sex:
    type: category
    categories: [Female, Male]
"""


# --- YAML ----------------------------------------------------------------------------


def test_an_inferred_contract_survives_yaml(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train)

    text = contract_to_yaml(contract)

    assert contract_from_yaml(text) == contract
    assert "  age:\n    type: int\n    nullable: false\n    min: 10\n" in text
    assert "categories: [Female, Male]" in text


def test_yaml_is_stable_for_the_same_contract(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train)

    assert contract_to_yaml(contract) == contract_to_yaml(
        contract_from_yaml(contract_to_yaml(contract))
    )


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 40))
    columns: dict[str, object] = {}
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["int", "float", "text", "category", "bool"]))
        if kind == "int":
            values: list[object] = draw(
                st.lists(st.integers(-(10**6), 10**6), min_size=rows, max_size=rows)
            )
        elif kind == "float":
            values = draw(
                st.lists(
                    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
                    min_size=rows,
                    max_size=rows,
                )
            )
        elif kind == "bool":
            values = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        else:
            alphabet = st.sampled_from(["yes", "no", "on", "1.5", "null", "a: b", "ä", "#x", "'q'"])
            text = st.text(min_size=0, max_size=12) if kind == "text" else alphabet
            values = draw(st.lists(st.one_of(st.none(), text), min_size=rows, max_size=rows))
        columns[f"col {i}" if i % 2 else f"c{i}"] = values
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=_frames())
def test_any_inferred_contract_round_trips_through_yaml(frame: pd.DataFrame) -> None:
    contract = infer_contract(frame, min_category_count=2)

    assert contract_from_yaml(contract_to_yaml(contract)) == contract


def test_a_hand_written_contract_is_accepted() -> None:
    contract = contract_from_yaml(HAND_WRITTEN, where="loans.yaml")

    assert contract.extra_columns == "ignore"
    assert contract.column("age") == ColumnContract(
        "age", "int", nullable=False, min=18.0, max=99.0
    )
    assert contract.column("income").policy == "warn"
    assert contract.column("zip").pattern == "^[0-9]{5}$"
    assert contract.column("sex").categories == ("Female", "Male")


def test_save_and_load_round_trip(tmp_path: Path, adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train.head(2000))

    path = save_contract(contract, tmp_path / "nested" / "adult.yaml")

    assert path.exists()
    assert load_contract(path, columns=adult_train.columns) == contract


# --- malformed contract files ----------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "columns:\n  age: {type: int}\n  sex: {type: category]\n",
            r"contract\.yaml.* not valid YAML at line 3, column 23",
        ),
        ("- age\n- sex\n", r"contract\.yaml.* must be a mapping with a 'columns' section"),
        ("", r"contract\.yaml.* is empty"),
        (
            "columns:\n  age: {type: int, maximum: 3}\n",
            r"contract\.yaml.*column 'age'.*unknown rule",
        ),
        ("columns:\n  age: {type: integer}\n", r"contract\.yaml.*column 'age'.*'type' must be"),
        ("columns:\n  age: {type: int, min: 9, max: 1}\n", r"column 'age'.*'min' \(9.0\) is above"),
        (
            "columns:\n  zip: {type: string, pattern: '([0-9'}\n",
            r"column 'zip'.*not a valid regular",
        ),
        ("columns:\n  age: {type: int, policy: drop}\n", r"column 'age'.*'policy' must be"),
        ("columns:\n  age: {type: int, min: ten}\n", r"column 'age'.*'min' must be a number"),
        ("columns:\n  age: {type: int}\n  age: {type: float}\n", r"key 'age' twice \(line 3\)"),
        ("columns: {}\n", r"contract\.yaml.* needs a non-empty 'columns'"),
    ],
)
def test_a_malformed_contract_file_is_refused_naming_file_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(InvalidInputError, match=expected):
        load_contract(path)


def test_a_contract_for_columns_the_data_lacks_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "columns:\n  age: {type: int}\n  zip_code: {type: string}\n")

    with pytest.raises(
        InvalidInputError, match=r"contract\.yaml.*\['zip_code'\] that the data lacks"
    ):
        load_contract(path, columns=["age", "zip"])


def test_a_missing_file_a_directory_and_binary_junk_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"nope\.yaml' does not exist"):
        load_contract(tmp_path / "nope.yaml")
    with pytest.raises(InvalidInputError, match="is a directory"):
        load_contract(tmp_path)
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\xff\xfe\x00columns")
    with pytest.raises(InvalidInputError, match=r"junk\.yaml' is not UTF-8"):
        load_contract(junk)


def test_saving_onto_a_directory_is_refused(tmp_path: Path) -> None:
    contract = Contract(columns=(ColumnContract("a", "int"),))

    with pytest.raises(InvalidInputError, match="it is a directory"):
        save_contract(contract, tmp_path)


# --- diffs ---------------------------------------------------------------------------------

OLD = Contract(
    columns=(
        ColumnContract("age", "int", nullable=False, min=18.0, max=90.0),
        ColumnContract("race", "category", categories=("Black", "Unknown", "White")),
        ColumnContract("legacy_id", "string"),
    )
)


def test_the_diff_lists_added_removed_and_changed_rules() -> None:
    new = Contract(
        columns=(
            ColumnContract("age", "int", nullable=True, min=18.0, max=95.0),
            ColumnContract("race", "category", categories=("Black", "Other", "White")),
            ColumnContract("zip", "string", pattern="^[0-9]{5}$", format="zip", max_length=10),
        ),
        extra_columns="ignore",
    )

    changes = diff_contracts(OLD, new)

    assert ContractChange("age", "max", 90.0, 95.0, "changed") in changes
    assert render_diff(changes).splitlines() == [
        "~ extra_columns: reject -> ignore",
        "~ age.nullable: false -> true",
        "~ age.max: 90 -> 95",
        "~ race.categories: +Other -Unknown",
        "+ column zip: string, pattern ^[0-9]{5}$, format zip, max_length 10",
        "- column legacy_id",
    ]


def test_rules_set_and_dropped_on_a_kept_column() -> None:
    new = OLD.with_column(
        dataclasses.replace(OLD.column("legacy_id"), pattern="^L[0-9]+$", policy="warn")
    ).with_column(dataclasses.replace(OLD.column("age"), min=None))

    lines = render_diff(diff_contracts(OLD, new)).splitlines()

    assert lines == [
        "- age.min (was 18)",
        "+ legacy_id.pattern: ^L[0-9]+$",
        "~ legacy_id.policy: reject -> warn",
    ]


def test_identical_contracts_have_no_changes(adult_train: pd.DataFrame) -> None:
    contract = infer_contract(adult_train.head(1000))

    assert diff_contracts(contract, contract) == []
    assert render_diff([]) == "no changes"


def test_reinferring_on_new_data_shows_a_reviewable_diff(adult_train: pd.DataFrame) -> None:
    old = infer_contract(adult_train)
    older_people = adult_train.assign(age=adult_train["age"] + 5)

    text = render_diff(diff_contracts(old, infer_contract(older_people)))

    assert "~ age.min: 10 -> 15" in text
    assert "~ age.max: 97 -> 102" in text
