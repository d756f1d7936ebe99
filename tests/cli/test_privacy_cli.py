"""``aweigh privacy`` and ``aweigh erase`` on Adult rows with a synthetic customer id and
email: scans, redaction policies, erasure with signed receipts, access and exposure
exports, retention, the audit trail, and consent-aware training exports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from aweigh.bootstrap import privacy_secret
from aweigh.cli._context import registry
from aweigh.demo.datasets import with_customers
from aweigh.privacy.redact import hash_subject, is_token
from aweigh.settings import load_settings
from aweigh.storage.events import Event, ParquetEventLog
from tests.cli._support import (
    CATEGORICAL,
    FEATURES,
    NUMERIC,
    assert_error,
    invoke,
    invoke_json,
    invoke_ok,
    reset_registry,
)

PII = ["customer_id", "email"]
CUSTOMER = "C000001"
OTHER = "C000002"


@dataclass(frozen=True)
class CustomerFiles:
    """A model trained on Adult rows that carry customer_id and email, and its data."""

    model: Path
    sample: Path
    training_data: Path
    csv: Path
    frame: pd.DataFrame


@pytest.fixture(scope="module")
def customer_files(
    adult_train: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> CustomerFiles:
    folder = tmp_path_factory.mktemp("customer-files")
    frame = with_customers(adult_train.head(500).reset_index(drop=True))
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", "passthrough", NUMERIC),
        ],
        remainder="drop",  # customer_id and email are inputs the model ignores
    )
    pipeline = Pipeline([("features", features), ("model", LogisticRegression(max_iter=1000))])
    pipeline.fit(frame[PII + FEATURES], frame["income"])
    model, sample = folder / "model.joblib", folder / "rows.csv"
    training, csv = folder / "train.parquet", folder / "customers.csv"
    joblib.dump(pipeline, model)
    frame[PII + FEATURES].head(50).to_csv(sample, index=False)
    frame[PII + FEATURES + ["income"]].to_parquet(training)
    frame[PII + FEATURES + ["income"]].to_csv(csv, index=False)
    return CustomerFiles(model=model, sample=sample, training_data=training, csv=csv, frame=frame)


@pytest.fixture
def subject_field(monkeypatch: pytest.MonkeyPatch) -> str:
    """AWEIGH_SUBJECT_FIELD=customer_id, with the cached registry rebuilt to see it."""
    monkeypatch.setenv("AWEIGH_SUBJECT_FIELD", "customer_id")
    reset_registry()
    return "customer_id"


def _secret() -> bytes:
    return privacy_secret(load_settings())


def _flat(text: str) -> str:
    """Rich wraps long lines; compare with the whitespace folded away."""
    return " ".join(text.split())


def _write_events(home: Path, *specs: dict[str, Any]) -> None:
    """Write prediction events (and a label for each unless ``label`` is None)."""
    secret = _secret()
    log = ParquetEventLog(home / "events")
    now = datetime.now(UTC)
    events: list[Event] = []
    for i, spec in enumerate(specs):
        ts = spec.get("ts", now)
        subject = spec.get("subject")
        token = hash_subject(secret, subject) if subject is not None else None
        rid = spec.get("request_id", f"r{i}")
        events.append(
            Event(
                kind="prediction",
                request_id=rid,
                model=spec.get("model", "income"),
                version=1,
                ts=ts,
                inputs={"customer_id": token, "age": 30 + i},
                output="<=50K",
                latency_ms=1.0,
                subject_id=token,
                purposes=spec.get("purposes"),
                child=spec.get("child"),
            )
        )
        label = spec.get("label", ">50K")
        if label is not None:
            events.append(
                Event(
                    kind="feedback",
                    request_id=rid,
                    model=spec.get("model", "income"),
                    version=1,
                    ts=ts + timedelta(seconds=1),
                    label=label,
                )
            )
    log.append(events)
    log.close()


def _count(home: Path, sql: str = "SELECT count(*) AS n FROM events") -> int:
    log = ParquetEventLog(home / "events")
    try:
        return int(log.query(sql).to_pylist()[0]["n"])
    finally:
        log.close()


# -- scan ----------------------------------------------------------------------------------


@pytest.fixture
def pii_csv(tmp_path: Path, customer_files: CustomerFiles) -> Path:
    frame = customer_files.frame.copy()
    rng = np.random.default_rng(7)
    frame["phone"] = [f"+91 {rng.integers(6, 10)}{rng.integers(0, 10**9):09d}" for _ in frame.index]
    frame["notes"] = [
        f"please write to {email} about the renewal" if i % 4 == 0 else "no comment"
        for i, email in enumerate(frame["email"])
    ]
    path = tmp_path / "customers_pii.csv"
    frame.to_csv(path, index=False)
    return path


def test_scan_lists_pii_columns_with_shares_and_masked_examples_only(
    pii_csv: Path, customer_files: CustomerFiles
) -> None:
    text = invoke_ok("privacy", "scan", pii_csv).stdout
    flat = _flat(text)
    assert "PII in customers_pii.csv" in flat
    for line in ("│ email │ email │ 100.0%", "│ phone │ phone │ 100.0%"):
        assert line in flat, line
    assert "email (in free text)" in flat
    assert "125 values" in flat
    assert "XX" in flat
    frame = customer_files.frame
    leaked = [raw for raw in frame["email"] if raw in text]
    assert leaked == []
    assert "names and locations are not detected" in flat

    report = invoke_json("privacy", "scan", pii_csv)
    assert report["rows"] == 500
    kinds = {c: [f["kind"] for f in found] for c, found in report["columns"].items()}
    assert kinds["email"] == ["email"]
    assert kinds["phone"] == ["phone"]
    assert kinds["age"] == []
    assert kinds["customer_id"] == []
    assert report["columns"]["email"][0]["share"] == pytest.approx(1.0)
    assert report["columns"]["phone"][0]["values"] == 500
    assert report["free_text"] == {"notes": {"email": 125}}
    assert report["names_detected"] is False
    dumped = json.dumps(report)
    assert [raw for raw in frame["email"] if raw in dumped] == []
    for column in ("email", "phone"):
        examples = report["columns"][column][0]["examples"]
        assert examples
        assert all("X" in e for e in examples), examples
    assert all(e.endswith("@example.com") for e in report["columns"]["email"][0]["examples"])


def test_scan_of_plain_adult_reports_no_personal_data(
    tmp_path: Path, adult_train: pd.DataFrame
) -> None:
    path = tmp_path / "adult.csv"
    adult_train.head(500).to_csv(path, index=False)
    text = invoke_ok("privacy", "scan", path).stdout
    assert "No personal data found." in text
    report = invoke_json("privacy", "scan", path)
    assert all(found == [] for found in report["columns"].values())
    assert report["free_text"] == {}


def test_scan_needs_exactly_one_of_a_file_or_a_dataset(pii_csv: Path, tmp_path: Path) -> None:
    assert_error(invoke("privacy", "scan"), "invalid_input", "FILE or --dataset")
    assert_error(
        invoke("privacy", "scan", pii_csv, "--dataset", "customers/1"), "invalid_input", "one of"
    )
    assert_error(invoke("privacy", "scan", tmp_path / "missing.csv"), "invalid_input", "No file")


# -- policies --------------------------------------------------------------------------------


def _register_model(files: CustomerFiles) -> Any:
    return invoke_json(
        "models",
        "register",
        files.model,
        "--name",
        "income",
        "--sample",
        files.sample,
        "--training-data",
        files.training_data,
    )


def test_a_model_trained_with_pii_gets_a_policy_hashing_it_that_can_be_edited(
    subject_field: str, customer_files: CustomerFiles, tmp_path: Path
) -> None:
    assert _register_model(customer_files)["version"] == 1
    shown = invoke_ok("privacy", "policy", "show", "income/1").stdout
    policy = yaml.safe_load(shown)
    assert policy["subject_field"] == "customer_id"
    assert policy["columns"]["email"] == {"kind": "email"}
    assert policy["columns"]["customer_id"] == {"kind": "subject"}
    assert policy["kinds"]["email"] == {"action": "hash"}
    assert policy["kinds"]["subject"] == {"action": "hash"}
    assert policy["columns"]["age"] == {"action": "keep"}

    policy["columns"]["email"] = {"action": "drop"}
    policy["columns"]["age"] = {"action": "generalize", "generalize": "age_band"}
    edited = tmp_path / "policy.yaml"
    edited.write_text(yaml.safe_dump(policy))
    done = invoke_ok("privacy", "policy", "set", "income/1", edited).stdout
    assert "income/1 now redacts events with policy.yaml" in _flat(done)
    again = yaml.safe_load(invoke_ok("privacy", "policy", "show", "income").stdout)
    assert again["columns"]["email"] == {"action": "drop"}
    assert again["columns"]["age"] == {"action": "generalize", "generalize": "age_band"}
    assert again["columns"]["customer_id"] == {"kind": "subject"}

    policy["columns"]["e_mail_typo"] = {"action": "hash"}
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump(policy))
    assert_error(
        invoke("privacy", "policy", "set", "income/1", typo), "invalid_input", "e_mail_typo"
    )
    unchanged = yaml.safe_load(invoke_ok("privacy", "policy", "show", "income/1").stdout)
    assert unchanged == again


def test_a_model_without_pii_has_no_policy_and_bad_policy_files_are_refused(
    customer_files: CustomerFiles, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.csv"
    customer_files.frame[FEATURES].head(50).to_csv(plain, index=False)
    joblib_model = tmp_path / "plain.joblib"
    features = ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)],
        remainder="passthrough",
    )
    model = Pipeline([("features", features), ("model", LogisticRegression(max_iter=2000))])
    frame = customer_files.frame
    joblib.dump(model.fit(frame[FEATURES], frame["income"]), joblib_model)
    invoke_json("models", "register", joblib_model, "--name", "plain", "--sample", plain)
    text = _flat(invoke_ok("privacy", "policy", "show", "plain/1").stdout)
    assert "plain/1 has no redaction policy" in text
    broken = tmp_path / "broken.yaml"
    broken.write_text("columns: [unclosed\n")
    assert_error(invoke("privacy", "policy", "set", "plain/1", broken), "invalid_input", "YAML")
    assert_error(
        invoke("privacy", "policy", "set", "plain/1", tmp_path / "none.yaml"),
        "invalid_input",
        "does not exist",
    )
    assert_error(invoke("privacy", "policy", "show", "nothing/1"), "model_not_found")


# -- erasure ---------------------------------------------------------------------------------


def test_erase_removes_the_customer_marks_datasets_and_models_and_signs_a_receipt(
    subject_field: str, cli_home: Path, customer_files: CustomerFiles
) -> None:
    _write_events(
        cli_home,
        {"subject": CUSTOMER},
        {"subject": CUSTOMER, "label": None},
        {"subject": CUSTOMER, "model": "churn"},
        {"subject": OTHER},
    )
    token = hash_subject(_secret(), CUSTOMER)
    assert _count(cli_home, f"SELECT count(*) AS n FROM events WHERE subject_id = '{token}'") >= 3
    dataset = invoke_json("data", "register", customer_files.csv, "--name", "customers")
    assert dataset["subjects"] == {"field": "customer_id", "count": 500}
    assert dataset["status"] == "ok"
    pipeline = joblib.load(customer_files.model)
    sample = pd.read_csv(customer_files.sample)
    registry().register(pipeline, "income", sample=sample, dataset="customers/1")
    registry().register(pipeline, "unrelated", sample=sample)

    result = invoke_ok("erase", CUSTOMER)
    text = _flat(result.stdout)
    assert CUSTOMER not in result.stdout
    assert "5 events removed" in text  # 3 predictions and the 2 labels on them
    assert "dataset versions marked erasure-pending: customers/1" in text
    assert "models: income/1" in text
    receipts = sorted((cli_home / "receipts").glob("*.json"))
    assert len(receipts) == 1
    assert f"Signed receipt: {receipts[0]}" in "".join(result.stdout.split("\n"))
    receipt = json.loads(receipts[0].read_text())
    assert receipt["subject"] == token
    assert receipt["removed"] == {"events": 5, "dataset_versions_marked": 1}
    assert receipt["details"]["erasure_pending"] == {
        "datasets": ["customers/1"],
        "models": ["income/1"],
    }
    assert CUSTOMER not in receipts[0].read_text()

    assert _count(cli_home) == 2  # the other customer's prediction and label
    assert _count(cli_home, f"SELECT count(*) AS n FROM events WHERE subject_id = '{token}'") == 0
    assert invoke_json("data", "show", "customers/1")["status"] == "erasure-pending"
    assert invoke_json("models", "show", "income/1")["tags"] == {"erasure": "pending"}
    assert invoke_json("models", "show", "unrelated/1")["tags"] == {}

    verified = _flat(invoke_ok("privacy", "verify", receipts[0]).stdout)
    assert f"Receipt {receipt['receipt_id']} is authentic (erasure" in verified

    receipt["removed"]["events"] = 0
    tampered = cli_home / "tampered.json"
    tampered.write_text(json.dumps(receipt))
    assert_error(invoke("privacy", "verify", tampered), "invalid_input", "does not verify")
    assert_error(invoke("privacy", "verify", cli_home / "no-such.json"), "not_found", "No receipt")


def test_erasing_a_subject_with_no_data_still_gives_a_receipt(cli_home: Path) -> None:
    outcome = invoke_json("erase", "C424242")
    receipt = outcome["receipt"]
    assert receipt["removed"] == {"events": 0, "dataset_versions_marked": 0}
    assert receipt["details"]["erasure_pending"] == {"datasets": [], "models": []}
    assert is_token(receipt["subject"])
    assert Path(outcome["receipt_path"]).is_file()
    assert "C424242" not in json.dumps(outcome)
    invoke_ok("privacy", "verify", outcome["receipt_path"])


@pytest.mark.parametrize(
    ("subject", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 300, "300 characters"),
        ("a/b", "path or control characters"),
        ("..", "path or control characters"),
        ("a\\b", "path or control characters"),
        ("C1\x00", "path or control characters"),
    ],
)
def test_erase_refuses_hostile_subject_ids(cli_home: Path, subject: str, fragment: str) -> None:
    assert_error(invoke("erase", subject), "invalid_input", fragment)
    assert not (cli_home / "receipts").exists()


# -- access, exposure, retention, audit ------------------------------------------------------


def test_subject_export_and_exposure_report_what_is_held(cli_home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    _write_events(
        cli_home,
        {"subject": CUSTOMER, "ts": now - timedelta(hours=2)},
        {"subject": CUSTOMER, "ts": now - timedelta(hours=1), "model": "churn"},
        {"subject": OTHER, "ts": now - timedelta(days=10)},
    )
    token = hash_subject(_secret(), CUSTOMER)
    out = tmp_path / "export.json"
    done = _flat(invoke_ok("privacy", "subject", CUSTOMER, "--out", out).stdout)
    assert "Wrote 4 events of the subject" in done
    export = json.loads(out.read_text())
    assert export["subject"] == token
    assert {(e["kind"], e["model"]) for e in export["events"]} == {
        ("prediction", "income"),
        ("prediction", "churn"),
        ("feedback", "income"),
        ("feedback", "churn"),
    }
    assert {e["subject_id"] for e in export["events"] if e["kind"] == "prediction"} == {token}
    assert CUSTOMER not in out.read_text()
    printed = json.loads(invoke_ok("privacy", "subject", CUSTOMER).stdout)
    assert len(printed["events"]) == 4

    start = (now - timedelta(days=1)).isoformat()
    end = (now + timedelta(hours=1)).isoformat()
    exposed = invoke_json("privacy", "exposure", "--from", start, "--to", end)
    assert {(r["subject_id"], r["model"]) for r in exposed} == {
        (token, "income"),
        (token, "churn"),
    }
    wider = invoke_json(
        "privacy", "exposure", "--from", (now - timedelta(days=30)).isoformat(), "--to", end
    )
    assert {r["subject_id"] for r in wider} == {token, hash_subject(_secret(), OTHER)}
    table = _flat(invoke_ok("privacy", "exposure", "--from", start, "--to", end).stdout)
    assert "2 subject/model pairs exposed" in table

    assert_error(
        invoke("privacy", "exposure", "--from", end, "--to", start),
        "invalid_input",
        "--to must be after --from",
    )
    assert_error(
        invoke("privacy", "exposure", "--from", "yesterday", "--to", end),
        "invalid_input",
        "--from",
    )


def test_retention_previews_then_applies_and_every_request_is_audited_with_hashes_only(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    _write_events(
        cli_home,
        {"subject": CUSTOMER, "ts": now - timedelta(days=3)},
        {"subject": OTHER, "ts": now - timedelta(days=3)},
        {"subject": OTHER, "ts": now - timedelta(minutes=5)},
    )
    preview = invoke_json("privacy", "retention")
    assert preview["receipt_path"] is None
    assert preview["receipt"]["preview"] is True
    assert preview["receipt"]["default_days"] == 90
    text = _flat(invoke_ok("privacy", "retention").stdout)
    assert "Preview: events before" in text
    assert "(default 90 days)" in text
    assert _count(cli_home) == 6

    invoke_ok("privacy", "subject", OTHER)
    invoke_ok("erase", CUSTOMER)
    assert _count(cli_home) == 4

    monkeypatch.setenv("AWEIGH_RETENTION_DAYS", "1")
    reset_registry()
    applied = invoke_json("privacy", "retention", "--apply")
    assert applied["receipt"]["kind"] == "retention"
    assert applied["receipt"]["subject"] is None
    assert applied["receipt"]["removed"] == {"events": 2}
    assert Path(applied["receipt_path"]).is_file()
    invoke_ok("privacy", "verify", applied["receipt_path"])
    assert _count(cli_home) == 2
    cutoff = (now - timedelta(days=1)).isoformat()
    assert _count(cli_home, f"SELECT count(*) AS n FROM events WHERE ts < '{cutoff}'") == 0
    again = invoke_json("privacy", "retention", "--apply")
    assert again["receipt"]["removed"] == {"events": 0}

    entries = registry().store.audit_log()
    actions = [e.action for e in entries]
    for action in ("access", "erasure", "retention"):
        assert action in actions, actions
    privacy = [e for e in entries if e.action in ("access", "erasure", "retention")]
    secret = _secret()
    by_action = {e.action: e for e in privacy}
    assert by_action["access"].subject == hash_subject(secret, OTHER)
    assert by_action["erasure"].subject == hash_subject(secret, CUSTOMER)
    assert by_action["retention"].subject is None
    dumped = json.dumps([e.to_dict() for e in entries], default=str)
    for raw in (CUSTOMER, OTHER):
        assert raw not in dumped
    assert all(e.subject is None or is_token(e.subject) for e in entries)


def test_retention_refuses_a_zero_period(cli_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWEIGH_RETENTION_DAYS", "0")
    reset_registry()
    result = invoke("privacy", "retention", "--apply")
    assert_error(result, "config_invalid", "retention_days")
    monkeypatch.setenv("AWEIGH_RETENTION_DAYS", "30")
    monkeypatch.setenv("AWEIGH_RETENTION_PER_MODEL", '{"income": 0}')
    reset_registry()
    _write_events(cli_home, {"subject": CUSTOMER})
    assert_error(invoke("privacy", "retention", "--apply"), "invalid_input", "'income'")
    assert _count(cli_home) == 2


# -- consent-aware training export ----------------------------------------------------------


def test_training_export_keeps_only_consenting_adults_labelled_rows(
    cli_home: Path, tmp_path: Path
) -> None:
    both = ("serving", "training")
    _write_events(
        cli_home,
        {"subject": "C1", "purposes": both, "child": False, "request_id": "adult-yes"},
        {"subject": "C2", "purposes": both, "request_id": "unknown-age-yes"},
        {"subject": "C3", "purposes": ("serving",), "request_id": "serving-only"},
        {"subject": "C4", "request_id": "no-consent"},
        {"subject": "C5", "purposes": both, "child": True, "request_id": "child"},
        {"subject": "C6", "purposes": both, "label": None, "request_id": "unlabelled"},
    )
    out = tmp_path / "train.parquet"
    text = _flat(invoke_ok("events", "export", "--purpose", "training", "--out", out).stdout)
    assert "Wrote 2 labelled rows" in text
    assert "excluded 2 without consent for 'training' and 1 of children" in text
    table = pq.read_table(out)
    assert sorted(table.column("request_id").to_pylist()) == ["adult-yes", "unknown-age-yes"]
    assert all(json.loads(v) == ">50K" for v in table.column("label").to_pylist())

    with_children = tmp_path / "with_children.parquet"
    text = _flat(invoke_ok("events", "export", "--out", with_children, "--allow-children").stdout)
    assert "Wrote 3 labelled rows" in text
    assert "and 0 of children" in text
    assert sorted(pq.read_table(with_children).column("request_id").to_pylist()) == [
        "adult-yes",
        "child",
        "unknown-age-yes",
    ]

    serving = _flat(
        invoke_ok(
            "events", "export", "--purpose", "serving", "--out", tmp_path / "s.parquet"
        ).stdout
    )
    assert "Wrote 3 labelled rows" in serving  # the child is still left out

    assert_error(
        invoke("events", "export", "--out", tmp_path / "x.txt"), "invalid_input", ".parquet or .csv"
    )
    assert not (tmp_path / "x.txt").exists()
    assert_error(
        invoke("events", "export", "--purpose", " ", "--out", tmp_path / "y.parquet"),
        "invalid_input",
        "purpose",
    )


def test_training_export_to_csv_writes_the_consenting_rows(cli_home: Path, tmp_path: Path) -> None:
    """``--out`` accepts .csv; the rows' list columns (purposes, proba, flags) must not
    crash the CSV writer."""
    _write_events(
        cli_home,
        {"subject": "C1", "purposes": ("serving", "training"), "request_id": "yes"},
        {"subject": "C2", "request_id": "no"},
    )
    out = tmp_path / "train.csv"
    text = _flat(invoke_ok("events", "export", "--out", out).stdout)
    assert "Wrote 1 labelled rows" in text
    written = pd.read_csv(out)
    assert list(written["request_id"]) == ["yes"]
