"""Privacy on the serving path, in process: events hold only hashed PII and a keyed-hash
subject, consent and the child flag steer training exports, and an admin erasure removes
a customer's events with a signed receipt that never names the raw id."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aweigh.core.clock import ManualClock
from aweigh.demo.datasets import with_customers
from aweigh.privacy.receipts import read_receipt, verify_receipt
from aweigh.privacy.redact import hash_subject, is_token
from aweigh.registry.service import Registry
from aweigh.serving.app import create_app
from aweigh.settings import Settings
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.events import ParquetEventLog
from aweigh.storage.sql.store import SqlStore
from tests.serving.conftest import CATEGORICAL, FEATURES, Running, record

SECRET = b"serving-privacy-test-key-0123456789"
NUMERIC = [c for c in FEATURES if c not in CATEGORICAL]
PII = ["customer_id", "email"]


@pytest.fixture(scope="module")
def customers(adult_train: pd.DataFrame) -> pd.DataFrame:
    """2,000 Adult rows with the synthetic customer_id (C000000...) and email columns."""
    return with_customers(adult_train.head(2000).reset_index(drop=True))


@pytest.fixture(scope="module")
def customer_pipeline(customers: pd.DataFrame) -> Any:
    """A model whose inputs include customer_id and email (it ignores both)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    cats = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    features = ColumnTransformer(
        [("cat", cats, CATEGORICAL), ("num", "passthrough", NUMERIC)], remainder="drop"
    )
    model = Pipeline(
        [
            ("features", features),
            ("model", HistGradientBoostingClassifier(max_iter=20, random_state=42)),
        ]
    )
    return model.fit(customers[PII + FEATURES], customers["income"])


@pytest.fixture
def privacy_registry(tmp_path: Path, customer_pipeline: Any, customers: pd.DataFrame) -> Registry:
    reg = Registry(
        SqlStore(f"sqlite:///{tmp_path / 'aweigh.db'}"),
        LocalArtifactStore(tmp_path / "artifacts"),
        actor="test",
        clock=ManualClock(),
        record_git=False,
        subject_field="customer_id",
        secret=SECRET,
    )
    frame = customers[PII + FEATURES]
    reg.register(
        customer_pipeline, "income", sample=frame.head(200), training_data=frame, alias="champion"
    )
    return reg


@pytest.fixture
def event_log(tmp_path: Path) -> ParquetEventLog:
    return ParquetEventLog(tmp_path / "events", flush_interval_s=0.05)


@pytest.fixture
def start(
    privacy_registry: Registry,
    event_log: ParquetEventLog,
    settings: dict[str, Any],
) -> Callable[..., Running]:
    """The app with AWEIGH_SUBJECT_FIELD=customer_id and a known privacy secret."""

    def factory(**changes: Any) -> Running:
        chosen = {**settings, "subject_field": "customer_id", **changes}
        return Running(
            create_app(
                Settings(**chosen), registry=privacy_registry, event_log=event_log, secret=SECRET
            )
        )

    return factory


async def _predict(client: httpx.AsyncClient, rows: pd.DataFrame, **extra: Any) -> str:
    headers = extra.pop("headers", None)
    response = await client.post(
        "/v1/models/income/predict",
        json={"instances": [record(r) for _, r in rows.iterrows()], **extra},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    rid: str = response.json()["request_id"]
    return rid


def _plain_bytes(path: Path) -> bytes:
    """The file's bytes; for Parquet also its data uncompressed (segments use zstd, which
    could hide a raw value from a plain byte search)."""
    data = path.read_bytes()
    if path.suffix != ".parquet":
        return data
    sink = pa.BufferOutputStream()
    pq.write_table(pq.read_table(path), sink, compression="none", use_dictionary=False)
    plain: bytes = sink.getvalue().to_pybytes()
    return data + plain


def _subject_count(log: ParquetEventLog, token: str) -> int:
    log.flush(timeout_s=5)
    table = log.query("SELECT count(*) AS n FROM events WHERE subject_id = ?", [token])
    return int(table.to_pylist()[0]["n"])


async def test_pii_never_reaches_the_event_log_and_the_subject_is_a_keyed_hash(
    start: Callable[..., Running],
    customers: pd.DataFrame,
    event_log: ParquetEventLog,
    tmp_path: Path,
) -> None:
    rows = customers[PII + FEATURES].iloc[10:15]
    async with start() as client:
        rid = await _predict(client, rows)
    event_log.flush(timeout_s=5)
    events = event_log.query_frame(
        "SELECT row, inputs, subject_id FROM events WHERE request_id = ? ORDER BY row", [rid]
    )
    assert list(events["row"]) == [0, 1, 2, 3, 4]
    for (_, sent), (_, stored) in zip(rows.iterrows(), events.iterrows(), strict=True):
        inputs = json.loads(stored["inputs"])
        assert is_token(inputs["customer_id"]), inputs
        assert is_token(inputs["email"]), inputs
        assert inputs["customer_id"] != inputs["email"]
        assert inputs["age"] == sent["age"]  # columns without PII are kept as sent
        assert stored["subject_id"] == hash_subject(SECRET, sent["customer_id"])
        assert inputs["customer_id"] == stored["subject_id"]  # joins on the hash still work
    files = [p for p in (tmp_path / "events").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    raw = b"".join(_plain_bytes(p) for p in files)
    # control: the search finds what the files do hold
    assert all(token.encode() in raw for token in events["subject_id"])
    for value in (*rows["customer_id"], *rows["email"]):
        assert value.encode() not in raw, value
    everything = event_log.query_frame("SELECT * FROM events").astype(str).to_string()
    for value in (*rows["customer_id"], *rows["email"]):
        assert value not in everything, value


async def test_only_consenting_adults_labelled_rows_are_exported_for_training(
    start: Callable[..., Running], customers: pd.DataFrame, event_log: ParquetEventLog
) -> None:
    frame = customers[PII + FEATURES]
    async with start() as client:
        consenting = await _predict(client, frame.iloc[[20]], purposes=["serving", "training"])
        serving_only = await _predict(
            client, frame.iloc[[21]], headers={"X-Consent-Purposes": "serving"}
        )
        child = await _predict(
            client, frame.iloc[[22]], purposes=["serving", "training"], child=True
        )
        unlabelled = await _predict(client, frame.iloc[[23]], purposes=["training"])
        labels = [
            {"request_id": rid, "label": customers["income"].iloc[20 + i]}
            for i, rid in enumerate((consenting, serving_only, child))
        ]
        answer = await client.post("/v1/models/income/feedback", json=labels)
        assert answer.json()["stored"] == 3, answer.text
    outcome = event_log.export_training(purpose="training")
    assert outcome.table.column("request_id").to_pylist() == [consenting]
    assert outcome.table.column("subject_id").to_pylist() == [
        hash_subject(SECRET, customers["customer_id"].iloc[20])
    ]
    assert json.loads(outcome.table.column("label").to_pylist()[0]) == customers["income"].iloc[20]
    assert outcome.excluded == {"no_consent": 1, "child": 1}
    assert outcome.unlabelled == 1
    assert unlabelled not in outcome.table.column("request_id").to_pylist()
    with_children = event_log.export_training(purpose="training", allow_children=True)
    assert sorted(with_children.table.column("request_id").to_pylist()) == sorted(
        [consenting, child]
    )


async def test_malformed_consent_is_refused_with_422(
    start: Callable[..., Running], customers: pd.DataFrame
) -> None:
    one = {"instances": [record(customers[PII + FEATURES].iloc[0])]}
    async with start() as client:
        for bad in (
            {"purposes": "training"},
            {"purposes": ["x" * 1000]},
            {"purposes": [""]},
            {"purposes": [1, 2]},
            {"purposes": {"training": True}},
            {"child": "yes"},
        ):
            response = await client.post("/v1/models/income/predict", json={**one, **bad})
            assert response.status_code == 422, (bad, response.text)
            assert response.json()["error"]["code"] == "invalid_input"
        long_header = await client.post(
            "/v1/models/income/predict", json=one, headers={"X-Consent-Purposes": "y" * 1000}
        )
        assert long_header.status_code == 422


async def test_admin_erasure_removes_a_customers_events_with_a_verifiable_receipt(
    start: Callable[..., Running],
    customers: pd.DataFrame,
    event_log: ParquetEventLog,
    tmp_path: Path,
) -> None:
    frame = customers[PII + FEATURES]
    target, other = frame.iloc[[1]], frame.iloc[[2]]
    customer = str(target["customer_id"].iloc[0])
    token = hash_subject(SECRET, customer)
    other_token = hash_subject(SECRET, str(other["customer_id"].iloc[0]))
    async with start() as client:
        ids = [await _predict(client, target) for _ in range(3)]
        await _predict(client, other)
        await client.post(
            "/v1/models/income/feedback", json=[{"request_id": ids[0], "label": ">50K"}]
        )
        assert _subject_count(event_log, token) == 4  # the label carries the subject too
        labels = event_log.query(
            "SELECT subject_id FROM events WHERE kind = 'feedback' AND request_id = ?", [ids[0]]
        ).to_pylist()
        assert labels == [{"subject_id": token}]

        response = await client.delete(f"/v1/admin/subjects/{customer}")
        assert response.status_code == 200, response.text
        assert customer not in response.text
        body = response.json()
        receipt = body["receipt"]
        assert verify_receipt(receipt, SECRET)
        assert not verify_receipt(receipt, b"another-secret-of-enough-bytes")
        assert receipt["kind"] == "erasure"
        assert receipt["subject"] == token
        assert receipt["removed"]["events"] == 4  # three predictions and their label
        assert customer not in json.dumps(receipt)
        stored = Path(body["receipt_path"])
        assert stored.parent == tmp_path / "receipts"
        assert read_receipt(stored) == receipt
        assert customer not in stored.read_text()

        assert _subject_count(event_log, token) == 0
        assert _subject_count(event_log, other_token) == 1
        leftover = event_log.query(
            "SELECT count(*) AS n FROM events WHERE list_contains(?, request_id)", [ids]
        ).to_pylist()[0]["n"]
        assert leftover == 0

        nobody = await client.delete("/v1/admin/subjects/C999999")
        assert nobody.status_code == 200, nobody.text
        empty = nobody.json()["receipt"]
        assert empty["removed"]["events"] == 0
        assert verify_receipt(empty, SECRET)
        assert _subject_count(event_log, other_token) == 1


async def test_hostile_subject_ids_are_refused_without_a_server_error(
    start: Callable[..., Running], customers: pd.DataFrame, event_log: ParquetEventLog
) -> None:
    frame = customers[PII + FEATURES]
    async with start() as client:
        await _predict(client, frame.iloc[[3]])
        event_log.flush(timeout_s=5)
        before = event_log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"]
        hostile = {
            "": {404, 405},
            "x" * 300: {422},
            "..": {404, 405, 422},
            "a..b": {422},
            "a%2Fb": {404, 422},
            "a%00b": {422},
            "%2E%2E": {404, 405, 422},
            "a%5Cb": {422},
            "%20": {422},
        }
        for subject, allowed in hostile.items():
            response = await client.delete(f"/v1/admin/subjects/{subject}")
            assert response.status_code in allowed, (subject, response.status_code, response.text)
            if response.status_code == 422:
                assert response.json()["error"]["code"] == "invalid_input"
        after = event_log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"]
        assert after == before == 1
