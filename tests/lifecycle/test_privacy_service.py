"""Privacy requests across stores: erasure with receipts and audit, access, exposure,
retention — on a real SQLite store and a real Parquet event log, with a manual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.core.errors import InvalidInputError
from aweigh.demo.datasets import with_customers
from aweigh.lifecycle.privacy import PrivacyService
from aweigh.privacy.receipts import verify_receipt
from aweigh.privacy.redact import hash_subject
from aweigh.registry.service import Registry
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.events import Event, ParquetEventLog
from aweigh.storage.sql.store import SqlStore

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def registry(tmp_path: Path, clock: ManualClock) -> Registry:
    return Registry(
        SqlStore(f"sqlite:///{tmp_path / 'a.db'}"),
        LocalArtifactStore(tmp_path / "artifacts"),
        actor="dpo",
        clock=clock,
        record_git=False,
        subject_field="customer_id",
        secret=SECRET,
    )


@pytest.fixture
def customers(adult_train: pd.DataFrame) -> pd.DataFrame:
    return with_customers(adult_train.head(400))


@pytest.fixture
def event_log(tmp_path: Path) -> ParquetEventLog:
    log = ParquetEventLog(tmp_path / "events", flush_interval_s=0.05)
    yield log
    log.close()


def _events(log: ParquetEventLog, customers: pd.DataFrame, days_ago: float = 0) -> None:
    ts = NOW - timedelta(days=days_ago)
    events = []
    for i, row in customers.head(20).iterrows():
        token = hash_subject(SECRET, row["customer_id"])
        events.append(
            Event(
                kind="prediction",
                request_id=f"r{i}-{days_ago}",
                model="income",
                version=1,
                ts=ts,
                inputs={"age": int(row["age"])},
                output=row["income"],
                subject_id=token,
            )
        )
        events.append(
            Event(
                kind="feedback",
                request_id=f"r{i}-{days_ago}",
                model="income",
                version=1,
                ts=ts,
                label=row["income"],
                subject_id=token,
            )
        )
    log.append(events)
    log.flush()


def _service(
    registry: Registry,
    log: ParquetEventLog | None,
    tmp_path: Path,
    clock: ManualClock,
    **kw: object,
) -> PrivacyService:
    return PrivacyService(
        registry=registry,
        event_log=log,
        secret=SECRET,
        receipts_dir=tmp_path / "receipts",
        actor="dpo",
        clock=clock,
        **kw,
    )  # type: ignore[arg-type]


def test_erasure_reaches_events_datasets_and_models_and_signs_a_receipt(
    registry: Registry,
    event_log: ParquetEventLog,
    customers: pd.DataFrame,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    from sklearn.tree import DecisionTreeClassifier

    dataset = registry.datasets.register(customers, "customers", label="income")
    assert dataset.subjects is not None
    assert dataset.subjects["count"] == 400
    features = ["age", "education_num", "hours_per_week"]
    model = DecisionTreeClassifier(max_depth=3, random_state=42).fit(
        customers[features], customers["income"]
    )
    registry.register(model, "income", sample=customers[features].head(20), dataset=dataset)
    _events(event_log, customers)
    service = _service(registry, event_log, tmp_path, clock)

    receipt, path = service.erase("C000003")

    token = hash_subject(SECRET, "C000003")
    assert receipt["subject"] == token
    assert receipt["removed"]["events"] == 2
    assert receipt["details"]["erasure_pending"] == {
        "datasets": ["customers/1"],
        "models": ["income/1"],
    }
    assert verify_receipt(json.loads(path.read_text()), SECRET)
    assert "C000003" not in path.read_text()
    assert event_log.subject_events(token).num_rows == 0
    assert registry.store.get_dataset_version("customers", 1).status == "erasure-pending"
    assert registry.resolve("income/1").tags["erasure"] == "pending"
    audit = registry.store.audit_log(action="erasure")
    assert audit[-1].subject == token
    assert "C000003" not in json.dumps(dict(audit[-1].details), default=str)
    others = event_log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"]
    assert others == 38


def test_erasing_a_subject_with_no_data_still_gives_a_receipt(
    registry: Registry, event_log: ParquetEventLog, tmp_path: Path, clock: ManualClock
) -> None:
    receipt, path = _service(registry, event_log, tmp_path, clock).erase("nobody-42")
    assert receipt["removed"] == {"events": 0, "dataset_versions_marked": 0}
    assert path.is_file()


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 300, "at most 256"),
        ("../etc", "path"),
        ("a/b", "path"),
        ("a\x00b", "path"),
        ("a\\b", "path"),
    ],
)
def test_hostile_subject_ids_are_refused(
    registry: Registry, tmp_path: Path, clock: ManualClock, subject: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        _service(registry, None, tmp_path, clock).erase(subject)


def test_access_export_and_exposure(
    registry: Registry,
    event_log: ParquetEventLog,
    customers: pd.DataFrame,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    _events(event_log, customers)
    service = _service(registry, event_log, tmp_path, clock)
    export = service.export_subject("C000005")
    assert len(export["events"]) == 2
    assert "C000005" not in json.dumps(export, default=str)
    exposed = service.exposure(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert exposed.num_rows == 20
    assert registry.store.audit_log(action="access")[-1].subject == hash_subject(SECRET, "C000005")
    with pytest.raises(InvalidInputError, match="after"):
        service.exposure(NOW, NOW - timedelta(days=1))


def test_retention_previews_then_drops_expired_events_with_a_receipt(
    registry: Registry,
    event_log: ParquetEventLog,
    customers: pd.DataFrame,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    _events(event_log, customers, days_ago=10)
    _events(event_log, customers, days_ago=0)
    service = _service(registry, event_log, tmp_path, clock, retention_days=5)
    preview, nothing = service.retention(apply=False)
    assert preview["preview"] is True
    assert nothing is None
    receipt, path = service.retention(apply=True)
    assert receipt["removed"]["events"] == 40
    assert path is not None
    assert verify_receipt(receipt, SECRET)
    left = event_log.query("SELECT count(*) AS n FROM events").to_pylist()[0]["n"]
    assert left == 40
    assert registry.store.audit_log(action="retention")


def test_zero_or_negative_retention_is_refused(
    registry: Registry, tmp_path: Path, clock: ManualClock
) -> None:
    service = _service(registry, None, tmp_path, clock, retention_per_model={"income": 0})
    with pytest.raises(InvalidInputError, match="at least 1"):
        service.retention(apply=True)
