"""Privacy requests across every store: erasure, access export, exposure, retention.

One call reaches each place a subject's data lives: the event log (predictions and
feedback), dataset versions that hold the subject (marked ``erasure-pending``, with the
model versions trained on them), and caches (none is configured yet: the receipt says
so). Each request leaves an HMAC-signed receipt and an audit entry that keeps only the
hashed subject token, so the record of the erasure outlives the data (DPDP Rules keep
processing logs for a year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.entities import AuditEntry
from aweigh.core.errors import InvalidInputError
from aweigh.registry.service import Registry
from aweigh.registry.subjects import contains
from aweigh.storage.events import EventLog

MAX_SUBJECT_LENGTH = 256
_UNSAFE = re.compile(r"[/\\\x00-\x1f]|\.\.")
CACHE_NOTE = "no answer cache is configured, so none was purged"


def check_subject_id(subject_id: object) -> str:
    """A subject id must be a non-empty string of at most 256 characters without path
    characters (it names files in receipts and must never reach a path unhashed)."""
    if not isinstance(subject_id, str) or not subject_id.strip():
        raise InvalidInputError(
            "The subject id is empty; give the id the data subject is "
            "known by (e.g. the customer_id value)."
        )
    if len(subject_id) > MAX_SUBJECT_LENGTH:
        raise InvalidInputError(
            f"The subject id is {len(subject_id)} characters long; ids "
            f"are at most {MAX_SUBJECT_LENGTH}."
        )
    if _UNSAFE.search(subject_id):
        raise InvalidInputError(
            "The subject id holds path or control characters ('/', "
            "'\\\\', '..', NUL); check that it is the subject's id."
        )
    return subject_id


@dataclass
class PrivacyService:
    """Answers data-subject requests and applies retention, with receipts and audit."""

    registry: Registry
    event_log: EventLog | None
    secret: bytes
    receipts_dir: Path
    actor: str
    retention_days: int = 90
    retention_per_model: dict[str, int] | None = None
    clock: Clock = field(default_factory=SystemClock)

    def token(self, subject_id: str) -> str:
        from aweigh.privacy.redact import hash_subject

        return hash_subject(self.secret, check_subject_id(subject_id))

    # -- erasure -----------------------------------------------------------------------
    def erase(self, subject_id: str) -> tuple[dict[str, Any], Path]:
        """Remove a subject from every store; return the signed receipt and its path."""
        token = self.token(subject_id)
        now = self.clock.now()
        searched = [
            "event log (predictions, feedback, spool, queue)",
            "dataset versions",
            "answer cache",
        ]
        removed: dict[str, int] = {"events": 0}
        details: dict[str, Any] = {"cache": CACHE_NOTE}
        if self.event_log is not None:
            outcome = self.event_log.erase_subject(token, now=now)
            removed["events"] = int(outcome.events_removed)
            details["segments_rewritten"] = int(outcome.segments_rewritten)
            details["segments_deleted"] = int(outcome.segments_deleted)
            details["models"] = sorted(outcome.models)
        else:
            searched[0] = "event log (not configured)"
        datasets, models = self._mark_pending(token)
        removed["dataset_versions_marked"] = len(datasets)
        details["erasure_pending"] = {"datasets": datasets, "models": models}
        return self._finish("erasure", token, searched, removed, details, now)

    def _mark_pending(self, token: str) -> tuple[list[str], list[str]]:
        store = self.registry.store
        datasets: list[str] = []
        for latest in store.list_datasets():
            for version in store.list_dataset_versions(latest.name):
                if contains(version.subjects, token):
                    store.set_dataset_status(version.name, version.version, "erasure-pending")
                    datasets.append(version.ref)
        models: list[str] = []
        linked = {tuple(ref.split("/")) for ref in datasets}
        for model in store.list_models():
            for trained in store.list_versions(model.name):
                if trained.dataset and (trained.dataset[0], str(trained.dataset[1])) in linked:
                    store.update_version(model.name, trained.version, tags={"erasure": "pending"})
                    models.append(trained.ref)
        return datasets, models

    # -- access and exposure ---------------------------------------------------------
    def export_subject(self, subject_id: str) -> dict[str, Any]:
        """Everything held on one subject (GDPR Art. 15, DPDP s.11), as plain JSON data."""
        token = self.token(subject_id)
        events = (
            self.event_log.subject_events(token).to_pylist() if self.event_log is not None else []
        )
        datasets = [
            v.ref
            for d in self.registry.store.list_datasets()
            for v in self.registry.store.list_dataset_versions(d.name)
            if contains(v.subjects, token)
        ]
        now = self.clock.now()
        self._audit("access", token, {"events": len(events), "datasets": datasets}, now)
        return {
            "subject": token,
            "exported_at": now.isoformat(),
            "events": events,
            "dataset_versions": datasets,
            "note": "Inputs were redacted by the model's privacy policy before storage.",
        }

    def exposure(self, start: datetime, end: datetime) -> pa.Table:
        """Which subjects' data the event log held in a time range (breach questions)."""
        if end <= start:
            raise InvalidInputError("--to must be after --from.")
        if self.event_log is None:
            return pa.table({"subject_id": pa.array([], pa.string())})
        return self.event_log.exposure(start, end)

    # -- retention -----------------------------------------------------------------------
    def retention(self, *, apply: bool) -> tuple[dict[str, Any], Path | None]:
        """Drop events older than each model's retention period (preview unless ``apply``)."""
        periods = {m: timedelta(days=d) for m, d in (self.retention_per_model or {}).items()}
        for model, days in (self.retention_per_model or {}).items():
            if days <= 0:
                raise InvalidInputError(
                    f"The retention period of {model!r} is {days} days; it must be at least 1."
                )
        default = timedelta(days=self.retention_days)
        now = self.clock.now()
        if not apply:
            return {
                "preview": True,
                "default_days": self.retention_days,
                "per_model_days": dict(self.retention_per_model or {}),
                "cutoff": (now - default).isoformat(),
            }, None
        if self.event_log is None:
            raise InvalidInputError("The event log is off; there is nothing to expire.")
        outcome = self.event_log.apply_retention(periods, default, now=now)
        report = outcome.to_dict()
        return self._finish(
            "retention",
            None,
            ["event log"],
            {"events": outcome.events_removed},
            {**report, "default_days": self.retention_days},
            now,
        )

    # -- receipts and audit -----------------------------------------------------------------
    def _finish(
        self,
        kind: str,
        token: str | None,
        searched: list[str],
        removed: dict[str, int],
        details: dict[str, Any],
        now: datetime,
    ) -> tuple[dict[str, Any], Path]:
        from aweigh.privacy.receipts import make_receipt, write_receipt

        receipt = make_receipt(kind, token, searched, removed, details, now, self.secret)
        path = write_receipt(receipt, self.receipts_dir)
        self._audit(
            kind,
            token,
            {
                "receipt": receipt["receipt_id"],
                "removed": removed,
                **{k: v for k, v in details.items() if k != "dropped"},
            },
            now,
        )
        return receipt, path

    def _audit(
        self, action: str, token: str | None, details: dict[str, Any], now: datetime
    ) -> None:
        self.registry.store.record_audit(
            AuditEntry(action=action, actor=self.actor, at=now, subject=token, details=details)
        )
