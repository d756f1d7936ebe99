"""The abstract metadata store: models, versions, aliases and their history, dataset
versions, the audit log, monitor results and alerts.

Every backend (memory, SQLite, PostgreSQL) passes the same contract suite in
``aweigh.testing.store_contract``. Each public call is one transaction: it
either fully happens or leaves no trace, and it returns frozen entities only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aweigh.core.entities import (
    AlertRecord,
    Alias,
    AliasEvent,
    AuditEntry,
    DatasetVersion,
    Model,
    ModelVersion,
    MonitorRecord,
    NewDatasetVersion,
    NewVersion,
)


class MetadataStore(ABC):
    """Where aweigh keeps what exists: models, versions, aliases, alias history."""

    # -- models -----------------------------------------------------------------
    @abstractmethod
    def create_model(
        self,
        name: str,
        *,
        now: datetime,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        exist_ok: bool = False,
    ) -> Model:
        """Create a model; with ``exist_ok`` return the existing one instead of failing."""

    @abstractmethod
    def get_model(self, name: str) -> Model:
        """The model called ``name`` or ``ModelNotFoundError``."""

    @abstractmethod
    def list_models(self) -> list[Model]:
        """All models, sorted by name."""

    @abstractmethod
    def delete_model(self, name: str) -> None:
        """Delete a model with all its versions; refused while any alias exists."""

    # -- versions ---------------------------------------------------------------
    @abstractmethod
    def create_version(self, spec: NewVersion, *, create_model: bool = False) -> ModelVersion:
        """Add the next version number of ``spec.model_name``.

        The model must exist, unless ``create_model``: then a missing model is created
        in the same transaction, so a failed call never leaves an empty model behind.
        """

    @abstractmethod
    def get_version(self, name: str, version: int) -> ModelVersion:
        """One version or ``VersionNotFoundError`` (``ModelNotFoundError`` if no model)."""

    @abstractmethod
    def latest_version(self, name: str) -> ModelVersion:
        """The highest version number of a model."""

    @abstractmethod
    def list_versions(self, name: str) -> list[ModelVersion]:
        """All versions of a model, oldest first."""

    @abstractmethod
    def versions_with_sha256(self, sha256: str) -> list[ModelVersion]:
        """Every version whose artifact has this content hash (any model)."""

    @abstractmethod
    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        privacy_policy: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Change the mutable fields of a version: description, tags (merged) and its
        redaction policy (replaced)."""

    @abstractmethod
    def delete_version(self, name: str, version: int) -> ModelVersion:
        """Delete a version; refused with ``AliasInUseError`` naming the alias if aliased."""

    # -- aliases ----------------------------------------------------------------
    @abstractmethod
    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        actor: str,
        reason: str,
        now: datetime,
        expected_version: int | None = None,
        expect_current: bool = False,
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` and record the move, atomically.

        With ``expect_current`` the move happens only if the alias now points at
        ``expected_version`` (None: the alias must not exist); otherwise
        ``ConcurrentUpdateError``. This is the compare-and-set rollouts rely on.
        """

    @abstractmethod
    def delete_alias(
        self, name: str, alias: str, *, actor: str, reason: str, now: datetime
    ) -> AliasEvent:
        """Remove an alias and record the removal."""

    @abstractmethod
    def get_alias(self, name: str, alias: str) -> Alias:
        """Where an alias points, or ``AliasNotFoundError``."""

    @abstractmethod
    def list_aliases(self, name: str) -> list[Alias]:
        """All aliases of a model, sorted by alias name."""

    @abstractmethod
    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every move of the model's aliases (or of one alias), oldest first."""

    def alias_at(self, name: str, alias: str, at: datetime) -> int | None:
        """The version ``alias`` pointed at, at time ``at`` (None: it did not exist)."""
        current: int | None = None
        for event in self.alias_history(name, alias):
            if event.at > at:
                break
            current = event.to_version
        return current

    # -- dataset versions ---------------------------------------------------------
    @abstractmethod
    def create_dataset_version(self, spec: NewDatasetVersion) -> DatasetVersion:
        """Add the next version of dataset ``spec.name`` (created with its first version)."""

    @abstractmethod
    def get_dataset_version(self, name: str, version: int) -> DatasetVersion:
        """One dataset version or ``DatasetNotFoundError``."""

    @abstractmethod
    def latest_dataset_version(self, name: str) -> DatasetVersion:
        """The highest version of a dataset."""

    @abstractmethod
    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        """All versions of a dataset, oldest first."""

    @abstractmethod
    def list_datasets(self) -> list[DatasetVersion]:
        """The latest version of every dataset, sorted by name."""

    @abstractmethod
    def dataset_versions_with_sha256(self, sha256: str) -> list[DatasetVersion]:
        """Every dataset version with this content hash (the same table registered again)."""

    @abstractmethod
    def set_dataset_status(self, name: str, version: int, status: str) -> DatasetVersion:
        """Mark a dataset version (e.g. ``erasure-pending`` after a subject's erasure)."""

    # -- audit -----------------------------------------------------------------------
    @abstractmethod
    def record_audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an audit entry (numbered by the store); entries are never changed."""

    @abstractmethod
    def audit_log(self, *, action: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The newest ``limit`` audit entries (of one action, if given), oldest first."""

    # -- monitor results and alerts ------------------------------------------------------
    @abstractmethod
    def save_monitor_record(self, rec: MonitorRecord) -> MonitorRecord:
        """Keep one monitor result; a record for the same (model, version, kind, window)
        replaces the earlier one (a late label recomputed the window) and keeps its id.

        Refused with ``InvalidInputError`` naming the field: unknown kind, naive times,
        a window that ends before it starts, a payload that is not JSON or over 8 MB.
        """

    @abstractmethod
    def monitor_records(
        self,
        model: str,
        *,
        version: int | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[MonitorRecord]:
        """A model's monitor results, newest window first (``since``: windows ending at or
        after it). ``version=None`` means every version."""

    @abstractmethod
    def save_alert(self, rec: AlertRecord) -> AlertRecord:
        """Insert or replace the alert with ``rec.id`` (an alert engine updates the same
        record while it fires, and once when it resolves)."""

    @abstractmethod
    def alerts(
        self,
        *,
        model: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AlertRecord]:
        """Alerts, newest started first; ``since`` keeps those updated at or after it."""

    # -- lifecycle --------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections; the store is unusable afterwards."""

    def ping(self) -> None:  # noqa: B027
        """Raise ``StoreUnavailableError`` when the backend cannot be reached."""
