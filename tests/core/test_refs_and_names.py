"""References and names: what parses, what is refused, and round trips (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aweigh.core.errors import InvalidNameError, InvalidReferenceError
from aweigh.core.names import MAX_NAME_LENGTH, validate_alias, validate_model_name
from aweigh.core.refs import ModelRef, parse_ref

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", fullmatch=True)
aliases = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("churn", ModelRef("churn")),
        ("churn/3", ModelRef("churn", version=3)),
        ("churn:12", ModelRef("churn", version=12)),
        ("churn@champion", ModelRef("churn", alias="champion")),
        ("fraud.v2-model_x@canary", ModelRef("fraud.v2-model_x", alias="canary")),
        ("  churn/3  ", ModelRef("churn", version=3)),
    ],
)
def test_parses_the_three_reference_forms(text: str, expected: ModelRef) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/3",
        "@champion",
        "churn/",
        "churn@",
        "churn/0",
        "churn/-1",
        "churn/three",
        "churn/3@champion",
        "churn@champion/3",
        "a/b/c",
        "churn/1e3",
        "churn/9999999999",
        "../etc/passwd",
        "churn@3",
        "chu rn",
        "churn;drop table",
        "x" * 200,
        "churn/\uff13",
    ],
)
def test_refuses_references_that_do_not_parse(text: str) -> None:
    with pytest.raises(InvalidReferenceError, match=r"reference|version"):
        parse_ref(text)


@pytest.mark.parametrize("value", [None, 3, ["churn"], b"churn"])
def test_refuses_references_that_are_not_strings(value: object) -> None:
    with pytest.raises(InvalidReferenceError, match="must be a string"):
        parse_ref(value)


@given(name=names, version=st.integers(min_value=1, max_value=10**6))
def test_version_refs_round_trip(name: str, version: int) -> None:
    ref = ModelRef(name, version=version)
    assert parse_ref(str(ref)) == ref


@given(name=names, alias=aliases)
def test_alias_refs_round_trip(name: str, alias: str) -> None:
    ref = ModelRef(name, alias=alias)
    assert parse_ref(str(ref)) == ref


@given(st.text(max_size=60))
def test_any_text_either_parses_to_a_valid_ref_or_raises_the_reference_error(text: str) -> None:
    try:
        ref = parse_ref(text)
    except InvalidReferenceError:
        return
    validate_model_name(ref.name)
    assert ref.version is None or ref.version >= 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is empty"),
        ("x" * (MAX_NAME_LENGTH + 1), "characters long"),
        ("../up", "not allowed"),
        ("a/b", "not allowed"),
        ("a b", "not allowed"),
        ("-lead", "not allowed"),
        ("a..b", "not allowed"),
        ("naïve", "not allowed"),
        ("a\x00b", "not allowed"),
        (42, "must be a string"),
    ],
)
def test_refuses_unsafe_model_names_with_a_clear_reason(value: object, message: str) -> None:
    with pytest.raises(InvalidNameError, match=message):
        validate_model_name(value)


@pytest.mark.parametrize("value", ["3", "1st", "-x", "a@b", ""])
def test_refuses_aliases_that_could_be_confused(value: str) -> None:
    with pytest.raises(InvalidNameError):
        validate_alias(value)


@given(names)
def test_accepts_every_safe_name(name: str) -> None:
    assert validate_model_name(name) == name
