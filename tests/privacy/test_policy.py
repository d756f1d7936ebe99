"""Redaction policies: the default from a scan, per-kind defaults, YAML files, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.privacy.policy import (
    ACTIONS,
    DEFAULT_KIND_RULES,
    ColumnRule,
    RedactionPolicy,
    default_policy,
    load_policy,
    parse_generalization,
    policy_from_yaml,
    policy_to_yaml,
    save_policy,
)

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
]

SCAN = {
    **{c: [] for c in ADULT_COLUMNS},
    "customer_id": [],
    "email": ["email"],
    "mobile": ["phone"],
    "aadhaar_no": ["aadhaar", "phone"],
    "card_number": ["card"],
    "dob": ["date_of_birth"],
    "notes": ["email", "phone"],
    "badge": ["staff_badge"],
}

HAND_WRITTEN = """\
# reviewed by the privacy team
format_version: 1
description: loan applications
subject_field: customer_id
kinds:
  email: {action: hash}
  phone: {action: mask}
columns:
  email: {kind: email}
  mobile: {kind: phone}
  age: {action: generalize, generalize: age_band}
  pincode: {action: generalize, generalize: pin3}
  income: {action: generalize, generalize: 'bucket:5000'}
  notes: drop
  customer_id: {kind: subject}
"""


def resolved(policy: RedactionPolicy) -> dict[str, tuple[str | None, str | None]]:
    out: dict[str, tuple[str | None, str | None]] = {}
    for name in policy.columns:
        rule = policy.rule_for(name)
        assert rule is not None
        out[name] = (rule.action, rule.generalize)
    return out


# --- the default policy -----------------------------------------------------------------


def test_default_policy_hashes_identifiers_masks_cards_and_keeps_clean_columns() -> None:
    policy = default_policy(SCAN, subject_field="customer_id", text_columns=["notes"])
    actions = resolved(policy)
    assert actions["email"] == ("hash", None)
    assert actions["mobile"] == ("hash", None)
    assert actions["card_number"] == ("mask", None)
    assert actions["dob"] == ("generalize", "month")
    assert actions["notes"] == ("mask_text", None)
    assert actions["customer_id"] == ("hash", None)
    assert policy.columns["customer_id"].kind == "subject"
    assert policy.subject_field == "customer_id"
    assert all(actions[c] == ("keep", None) for c in ADULT_COLUMNS)


def test_default_policy_picks_the_strongest_action_when_kinds_disagree() -> None:
    policy = default_policy({"ambiguous": ["card", "aadhaar"]})
    assert policy.rule_for("ambiguous") == ColumnRule("hash", kind="aadhaar")


def test_default_policy_hashes_a_kind_it_does_not_know() -> None:
    policy = default_policy({"badge": ["staff_badge"]})
    assert policy.rule_for("badge") == ColumnRule("hash", kind="staff_badge")
    assert policy.kinds["staff_badge"] == ColumnRule("hash")


def test_default_policy_hashes_the_subject_field_even_when_the_scan_missed_it() -> None:
    policy = default_policy({"age": []}, subject_field="customer_id")
    assert policy.rule_for("customer_id") == ColumnRule("hash", kind="subject")


def test_every_default_kind_rule_is_a_valid_rule() -> None:
    policy = RedactionPolicy(kinds=dict(DEFAULT_KIND_RULES))
    assert set(policy.kinds) >= {"email", "phone", "aadhaar", "pan", "card", "iban"}


def test_editing_a_kind_changes_every_column_of_that_kind() -> None:
    policy = default_policy({"email": ["email"], "work_email": ["email"]})
    edited = RedactionPolicy.from_dict({**policy.to_dict(), "kinds": {"email": {"action": "mask"}}})
    assert edited.rule_for("email") == ColumnRule("mask", kind="email")
    assert edited.rule_for("work_email") == ColumnRule("mask", kind="email")


def test_a_column_rule_overrides_its_kind_and_an_unnamed_column_has_no_rule() -> None:
    policy = RedactionPolicy(columns={"email": ColumnRule("drop", kind="email")})
    assert policy.rule_for("email") == ColumnRule("drop", kind="email")
    assert policy.rule_for("age") is None


def test_with_rule_edits_a_copy() -> None:
    policy = default_policy({"age": []})
    edited = policy.with_rule("age", ColumnRule("generalize", "age_band"))
    assert edited.rule_for("age") == ColumnRule("generalize", "age_band")
    assert policy.rule_for("age") == ColumnRule("keep")
    assert "age" not in edited.with_rule("age", None).columns


# --- validation against the data ------------------------------------------------------


def test_a_policy_naming_unknown_columns_is_refused_naming_them_and_the_known_ones() -> None:
    policy = RedactionPolicy(
        columns={"emial": ColumnRule("hash"), "age": ColumnRule("keep")},
    )
    with pytest.raises(InvalidInputError, match=r"\['emial'\].*\['age', 'email'\]") as info:
        policy.validate_against(["age", "email"])
    assert "Fix the names" in str(info.value)
    assert info.value.details == {"unknown": ["emial"], "known": ["age", "email"]}


def test_a_policy_naming_only_known_columns_passes_validation() -> None:
    default_policy(SCAN).validate_against(SCAN)


# --- YAML -------------------------------------------------------------------------------


def test_a_hand_written_policy_file_reads_as_written() -> None:
    policy = policy_from_yaml(HAND_WRITTEN)
    assert policy.description == "loan applications"
    assert policy.subject_field == "customer_id"
    assert resolved(policy) == {
        "email": ("hash", None),
        "mobile": ("mask", None),
        "age": ("generalize", "age_band"),
        "pincode": ("generalize", "pin3"),
        "income": ("generalize", "bucket:5000"),
        "notes": ("drop", None),
        "customer_id": ("hash", None),
    }


def test_the_default_policy_is_written_one_rule_per_line() -> None:
    text = policy_to_yaml(default_policy({"email": ["email"], "age": []}))
    assert "  email: {kind: email}\n" in text
    assert "  age: {action: keep}\n" in text
    assert "  email: {action: hash}\n" in text


names = st.text(min_size=1, max_size=20)
generalizations = st.sampled_from(["age_band", "month", "pin3", "zip3"]) | st.integers(
    1, 10_000
).map(lambda n: f"bucket:{n}")


@st.composite
def rules(draw: st.DrawFn, *, kinds: list[str]) -> ColumnRule:
    kind = draw(st.none() | st.sampled_from([*kinds, "email", "card"]))
    action = draw(
        st.sampled_from(ACTIONS) if kind is None else st.none() | st.sampled_from(ACTIONS)
    )
    generalize = draw(generalizations) if action == "generalize" else None
    return ColumnRule(action, generalize, kind)  # type: ignore[arg-type]


@st.composite
def policies(draw: st.DrawFn) -> RedactionPolicy:
    kind_names = draw(st.lists(names, max_size=3, unique=True))
    kinds = {}
    for kind in kind_names:
        action = draw(st.sampled_from(ACTIONS))
        generalize = draw(generalizations) if action == "generalize" else None
        kinds[kind] = ColumnRule(action, generalize)  # type: ignore[arg-type]
    columns = draw(st.dictionaries(names, rules(kinds=kind_names), max_size=6))
    return RedactionPolicy(
        columns=columns,
        kinds=kinds,
        subject_field=draw(st.none() | names),
        description=draw(st.text(max_size=30)),
    )


@given(policies())
def test_any_policy_survives_a_yaml_round_trip(policy: RedactionPolicy) -> None:
    again = policy_from_yaml(policy_to_yaml(policy))
    assert again == policy
    assert {c: again.rule_for(c) for c in again.columns} == {
        c: policy.rule_for(c) for c in policy.columns
    }


def test_save_and_load_round_trip_and_check_the_data_columns(tmp_path: Path) -> None:
    policy = default_policy(SCAN, subject_field="customer_id")
    path = save_policy(policy, tmp_path / "models" / "churn" / "redaction.yaml")
    assert load_policy(path, columns=list(SCAN)) == policy
    with pytest.raises(InvalidInputError, match=r"names column\(s\) \['email'\]"):
        load_policy(path, columns=[c for c in SCAN if c != "email"])
    assert [p.name for p in path.parent.iterdir()] == ["redaction.yaml"]


# --- malformed files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("columns: {email: {action: hash}\n", r"not valid YAML at line 2.*save_policy"),
        ("columns:\n  email: [hash\n", r"not valid YAML at line \d"),
        ("", r"is empty.*'columns' section"),
        ("- email\n", r"must be a mapping"),
        ("columns: {email: {action: hsah}}\n", r"column 'email': unknown action 'hsah'.*'hash'"),
        (
            "columns: {age: {action: generalize, generalize: decade}}\n",
            r"column 'age': unknown generalisation 'decade'.*'age_band'",
        ),
        (
            "columns: {age: {action: generalize}}\n",
            r"column 'age': 'action: generalize' needs 'generalize:'",
        ),
        (
            "columns: {income: {action: generalize, generalize: 'bucket:0'}}\n",
            r"column 'income'.*bucket width above 0",
        ),
        (
            "columns: {income: {action: generalize, generalize: 'bucket:ten'}}\n",
            r"column 'income'.*bucket width above 0",
        ),
        (
            "columns: {age: {action: keep, generalize: age_band}}\n",
            r"column 'age': 'generalize' only goes with 'action: generalize'",
        ),
        ("columns: {badge: {kind: staff_badge}}\n", r"column 'badge': kind 'staff_badge' has no"),
        ("columns: {email: {}}\n", r"column 'email': needs an 'action'"),
        (
            "columns: {email: {action: hash, salt: x}}\n",
            r"column 'email': unknown key\(s\) \['salt'\]",
        ),
        ("columns: {email: 3}\n", r"column 'email': the rule must be a mapping"),
        ("kinds: {email: {kind: email}}\n", r"kind 'email': unknown key\(s\) \['kind'\]"),
        ("kinds: {email: {}}\n", r"kind 'email': needs an 'action'"),
        ("columns: []\n", r"'columns' must be a mapping"),
        ("colums: {}\n", r"unknown top-level key\(s\) \['colums'\]"),
        ("format_version: 2\ncolumns: {}\n", r"format_version 2.*reads version 1"),
        ("subject_field: ''\ncolumns: {}\n", r"'subject_field' must be a column name"),
        (
            "columns:\n  email: {action: hash}\n  email: {action: keep}\n",
            r"key 'email' twice \(line 3\)",
        ),
    ],
)
def test_a_malformed_policy_is_refused_naming_the_spot_and_the_fix(text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        policy_from_yaml(text)


def test_a_malformed_policy_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "redaction.yaml"
    path.write_text("columns: {email: {action: hsah}}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"policy file '.*redaction.yaml', column 'email'"):
        load_policy(path)


def test_a_missing_unreadable_or_misplaced_policy_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"does not exist.*save_policy"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(InvalidInputError, match=r"is a directory"):
        load_policy(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(b"description: caf\xe9\ncolumns: {}\n")
    with pytest.raises(InvalidInputError, match=r"not UTF-8 text.*save it as UTF-8"):
        load_policy(tmp_path / "latin1.yaml")
    with pytest.raises(InvalidInputError, match=r"is a directory; pass a file path"):
        save_policy(RedactionPolicy(), tmp_path)


def test_a_policy_built_in_code_is_checked_like_a_file() -> None:
    with pytest.raises(InvalidInputError, match=r"column 'age': unknown generalisation 'decade'"):
        RedactionPolicy(columns={"age": ColumnRule("generalize", "decade")})


def test_bucket_widths_parse_as_whole_or_fractional_numbers() -> None:
    assert parse_generalization("bucket:10") == 10
    assert parse_generalization("bucket:0.5") == 0.5
    assert parse_generalization("month") is None
