"""``aweigh models``: the whole life of a model on real Adult data, through the command line."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import joblib
import pytest

from aweigh.cli._context import registry
from aweigh.core.errors import ArtifactIntegrityError
from tests.cli._support import (
    FEATURES,
    USER,
    ModelFiles,
    artifact_files,
    assert_error,
    invoke,
    invoke_json,
    invoke_ok,
    register_income,
    reset_registry,
)


def _act_as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    """The next command runs as ``user`` (a new process would read AWEIGH_USER again)."""
    monkeypatch.setenv("AWEIGH_USER", user)
    reset_registry()


def _between(earlier: str, later: str) -> str:
    start, end = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
    assert start < end
    return (start + (end - start) / 2).isoformat()


def test_register_alias_history_and_delete_a_model_end_to_end(
    model_files: ModelFiles, cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = register_income(
        model_files,
        "--param",
        "C=1.0",
        "--metric",
        "auc=0.9",
        "--tag",
        "team=risk",
        "--alias",
        "champion",
    )
    assert first["ref"] == "income/1"
    assert first["model_name"] == "income"
    assert first["version"] == 1
    assert first["flavor"] == "sklearn"
    assert first["output"] == {"task": "classification", "classes": ["<=50K", ">50K"]}
    assert [c["name"] for c in first["signature"]["columns"]] == FEATURES
    assert first["data_fingerprint"]["rows"] == 2000
    assert first["data_fingerprint"]["columns"] == list(model_files.frame.columns)
    assert first["params"] == {"C": 1.0}
    assert first["metrics"] == {"auc": 0.9}
    assert first["tags"] == {"team": "risk"}
    assert first["aliases"] == ["champion"]
    assert first["author"] == USER
    assert first["parent"] is None
    assert first["sha256"] == hashlib.sha256(model_files.model.read_bytes()).hexdigest()

    second = register_income(
        model_files,
        "--parent",
        "income/1",
        "--param",
        "C=0.5",
        "--metric",
        "auc=0.91",
        model=model_files.model_v2,
    )
    assert second["ref"] == "income/2"
    assert second["parent"] == "income/1"
    assert second["aliases"] == []
    assert second["sha256"] != first["sha256"]
    assert len(artifact_files(cli_home)) == 2

    listed = invoke_json("models", "list")
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in listed] == [
        ("income", 2, {"champion": 1})
    ]

    table = invoke_ok("models", "show", "income").stdout
    assert "Versions of income" in table
    assert "champion" in table
    assert "auc=0.9" in table
    assert "auc=0.91" in table
    assert first["sha256"][:8] in table
    assert second["sha256"][:8] in table

    shown = invoke_json("models", "show", "income/2")
    assert (shown["ref"], shown["params"], shown["parent"]) == ("income/2", {"C": 0.5}, "income/1")
    assert invoke_json("models", "show", "income@champion")["ref"] == "income/1"
    assert invoke_json("models", "show", "income")["aliases"] == {"champion": 1}

    _act_as(monkeypatch, "bob")
    moved = invoke_ok("models", "alias", "income", "champion", "2", "--reason", "better")
    assert "income@champion → version 2 (was 1)" in moved.stdout
    assert invoke_json("models", "show", "income@champion")["ref"] == "income/2"

    history = invoke_json("models", "history", "income")
    assert [
        (e["alias"], e["from_version"], e["to_version"], e["actor"], e["reason"]) for e in history
    ] == [
        ("champion", None, 1, USER, "set at registration"),
        ("champion", 1, 2, "bob", "better"),
    ]
    when = _between(history[0]["at"], history[1]["at"])
    at = invoke_ok("models", "history", "income", "--alias", "champion", "--at", when).stdout
    assert "income@champion was version 1" in at
    at_json = invoke_json("models", "history", "income", "--at", when)
    assert (at_json["alias"], at_json["version"]["ref"]) == ("champion", "income/1")
    in_india = datetime.fromisoformat(when).astimezone(timezone(timedelta(hours=5, minutes=30)))
    at_offset = invoke_json("models", "history", "income", "--at", in_india.isoformat())
    assert at_offset["version"]["ref"] == "income/1"
    now = invoke_json("models", "history", "income", "--at", history[1]["at"])
    assert now["version"]["ref"] == "income/2"
    before = invoke_json("models", "history", "income", "--at", "2000-01-01T00:00:00Z")
    assert before["version"] is None

    # compare-and-set: champion points to 2 now, so a move that expects 1 is refused
    stale = invoke("models", "alias", "income", "champion", "1", "--expect", "1")
    assert_error(stale, "concurrent_update")
    assert invoke_json("models", "show", "income@champion")["ref"] == "income/2"
    assert len(invoke_json("models", "history", "income")) == 2
    invoke_ok("models", "alias", "income", "champion", "2", "--expect", "2", "--reason", "confirm")

    assert_error(invoke("models", "delete", "income/2"), "alias_in_use", "champion")
    invoke_ok("models", "alias", "income", "challenger", "1", "--reason", "shadow")
    assert_error(invoke("models", "delete", "income/1"), "alias_in_use", "challenger")
    invoke_ok("models", "alias", "income", "challenger", "2", "--reason", "1 is retired")
    deleted = invoke_json("models", "delete", "income/1")
    assert deleted == {"deleted": ["income/1"]}
    assert [v["ref"] for v in invoke_json("models", "show", "income")["versions"]] == ["income/2"]
    assert_error(invoke("models", "show", "income/1"), "version_not_found")
    assert [p.name for p in artifact_files(cli_home)] == [second["sha256"]]

    removed = invoke_ok("models", "alias", "income", "challenger", "--delete", "--reason", "done")
    assert "Removed income@challenger (was version 2)" in removed.stdout
    assert invoke_json("models", "show", "income")["aliases"] == {"champion": 2}

    refused = invoke("models", "delete", "income", "--all")
    assert_error(refused, "alias_in_use", "champion")
    assert invoke_json("models", "list")[0]["latest_version"] == 2
    invoke_ok("models", "alias", "income", "champion", "--delete")
    assert invoke_json("models", "delete", "income", "--all") == {"deleted": ["income/2"]}
    assert invoke_json("models", "list") == []
    assert artifact_files(cli_home) == []

    assert_error(invoke("models", "history", "income"), "model_not_found", "income")


def test_register_prints_the_new_reference_for_people(model_files: ModelFiles) -> None:
    result = invoke_ok(
        "models", "register", model_files.model, "--name", "income", "--sample", model_files.sample
    )
    sha = hashlib.sha256(model_files.model.read_bytes()).hexdigest()
    assert result.stdout.strip() == f"Registered income/1 (sklearn, sha256 {sha[:12]})."


def test_register_without_a_sample_still_records_the_model(model_files: ModelFiles) -> None:
    version = invoke_json("models", "register", model_files.model, "--name", "income")
    assert version["ref"] == "income/1"
    assert version["output"]["classes"] == ["<=50K", ">50K"]
    assert version["data_fingerprint"] is None
    assert [c["name"] for c in version["signature"]["columns"]] == FEATURES


def test_register_reads_gzipped_csv_sample_and_pq_training_data(
    model_files: ModelFiles, tmp_path: Path
) -> None:
    sample, training = tmp_path / "rows.csv.gz", tmp_path / "train.pq"
    model_files.frame[FEATURES].head(30).to_csv(sample, index=False, compression="gzip")
    model_files.frame.head(500).to_parquet(training)
    version = invoke_json(
        "models",
        "register",
        model_files.model,
        "--name",
        "income",
        "--sample",
        sample,
        "--training-data",
        training,
    )
    assert [c["name"] for c in version["signature"]["columns"]] == FEATURES
    assert version["data_fingerprint"]["rows"] == 500


def test_param_and_tag_values_keep_their_json_types_and_text(model_files: ModelFiles) -> None:
    version = register_income(
        model_files,
        "--param",
        "max_depth=3",
        "--param",
        "solver=lbfgs",
        "--param",
        "layers=[8, 4]",
        "--param",
        "warm=true",
        "--tag",
        "owner=risk team",
        "--tag",
        "tier=1",
    )
    assert version["params"] == {"max_depth": 3, "solver": "lbfgs", "layers": [8, 4], "warm": True}
    assert version["tags"] == {"owner": "risk team", "tier": "1"}


def test_list_on_an_empty_registry_says_there_are_no_models_yet() -> None:
    result = invoke_ok("models", "list")
    assert "No models registered yet" in result.stdout
    assert invoke_json("models", "list") == []


def test_list_table_shows_models_latest_versions_and_aliases(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion")
    register_income(model_files, "--alias", "challenger", model=model_files.model_v2)
    invoke_json("models", "register", model_files.model, "--name", "churn")
    table = invoke_ok("models", "list").stdout
    assert "Registered models" in table
    income_row = next(line for line in table.splitlines() if " income " in line)
    assert "│ 2 " in income_row
    assert "challenger→2" in table  # the aliases cell may wrap at 80 columns
    assert "champion→1" in table
    churn_row = next(line for line in table.splitlines() if " churn " in line)
    assert "│ 1 " in churn_row


def test_show_one_version_table_has_its_fields(model_files: ModelFiles) -> None:
    version = register_income(
        model_files,
        "--param",
        "C=1.0",
        "--metric",
        "auc=0.9",
        "--tag",
        "team=risk",
        "--alias",
        "champion",
        "--description",
        "first try",
    )
    table = invoke_ok("models", "show", "income@champion").stdout
    assert "income/1" in table
    for expected in (
        "sklearn",
        "classification ['<=50K', '>50K']",
        "age:int",
        "2,000 rows",
        "15 columns",
        '{"C": 1.0}',
        "auc=0.9",
        "team=risk",
        "first try",
        USER,
        version["sha256"][:40],
    ):
        assert expected in table, expected
    assert invoke_ok("models", "show", "income/1").stdout == table


def test_show_by_bare_name_lists_every_version(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion", "--metric", "auc=0.9")
    register_income(model_files, "--metric", "auc=0.91", model=model_files.model_v2)
    data = invoke_json("models", "show", "income")
    assert data["name"] == "income"
    assert data["latest_version"] == 2
    assert [(v["ref"], v["aliases"]) for v in data["versions"]] == [
        ("income/1", ["champion"]),
        ("income/2", []),
    ]
    rows = [
        line
        for line in invoke_ok("models", "show", "income").stdout.splitlines()
        if line.startswith("│")
    ]
    assert len(rows) == 2
    assert rows[0].startswith("│ 1 ")
    assert "champion" in rows[0]
    assert "auc=0.9 " in rows[0]
    assert rows[1].startswith("│ 2 ")
    assert "auc=0.91" in rows[1]
    assert all(USER in row for row in rows)


def test_history_table_shows_who_moved_what_and_why(
    model_files: ModelFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_income(model_files, "--alias", "champion")
    register_income(model_files, model=model_files.model_v2)
    _act_as(monkeypatch, "carol")
    invoke_ok("models", "alias", "income", "champion", "income/2", "--reason", "beats 1 on AUC")
    table = invoke_ok("models", "history", "income").stdout
    assert "Alias history of income" in table
    rows = [line for line in table.splitlines() if "│ champion" in line]
    assert len(rows) == 2
    assert "│ -    │ 1  │ alice" in rows[0]
    assert "set at registration" in rows[0]
    assert "│ 1    │ 2  │ carol" in rows[1]
    assert "beats 1 on AUC" in rows[1]
    events = invoke_json("models", "history", "income", "--alias", "champion")
    assert [e["actor"] for e in events] == [USER, "carol"]


def test_history_at_a_time_before_the_alias_existed_says_so(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion")
    result = invoke_ok("models", "history", "income", "--at", "2001-02-03T04:05:06Z")
    assert result.stdout.strip() == ("income@champion did not exist at 2001-02-03T04:05:06+00:00.")


def test_history_at_accepts_a_time_without_zone_as_utc(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion")
    data = invoke_json("models", "history", "income", "--at", "2999-01-01T00:00:00")
    assert data["at"] == "2999-01-01T00:00:00+00:00"
    assert data["version"]["ref"] == "income/1"


def test_alias_json_reports_the_move(model_files: ModelFiles) -> None:
    register_income(model_files)
    event = invoke_json("models", "alias", "income", "champion", "1", "--reason", "first")
    assert (
        event["model_name"],
        event["alias"],
        event["from_version"],
        event["to_version"],
        event["actor"],
        event["reason"],
    ) == ("income", "champion", None, 1, USER, "first")
    gone = invoke_json("models", "alias", "income", "champion", "--delete")
    assert (gone["from_version"], gone["to_version"]) == (1, None)


def test_tampered_artifact_is_refused_on_load_naming_both_hashes(
    model_files: ModelFiles, cli_home: Path
) -> None:
    version = register_income(model_files)
    expected = version["sha256"]
    stored = cli_home / "artifacts" / expected[:2] / expected[2:4] / expected
    assert stored.is_file()
    assert stored.stat().st_mode & 0o777 == 0o444
    # swap in another valid joblib model: it must never be unpickled
    replacement = model_files.model_v2.read_bytes()
    actual = hashlib.sha256(replacement).hexdigest()
    os.chmod(stored, 0o644)
    stored.write_bytes(replacement)
    reset_registry()
    with pytest.raises(ArtifactIntegrityError, match=f"expected {expected}, found {actual}"):
        registry().load("income/1")
    # the metadata is still readable; only loading the bytes is refused
    assert invoke_json("models", "show", "income/1")["sha256"] == expected


def test_registered_model_loads_and_predicts_like_the_original(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion")
    loaded = registry().load("income@champion")
    rows = model_files.frame[FEATURES].tail(20)
    original = joblib.load(model_files.model)
    assert list(loaded.predict(rows)) == list(original.predict(rows))


def test_json_output_is_valid_json_for_every_read_command(model_files: ModelFiles) -> None:
    register_income(model_files, "--alias", "champion")
    for args in (
        ("models", "list"),
        ("models", "show", "income"),
        ("models", "show", "income/1"),
        ("models", "history", "income"),
    ):
        text = invoke_ok(*args, "--json").stdout
        assert isinstance(json.loads(text), list | dict), args
