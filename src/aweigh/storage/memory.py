"""An in-memory metadata store: for tests, notebooks and throwaway servers."""

from __future__ import annotations

import dataclasses
import threading
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
from aweigh.storage import _errors as err
from aweigh.storage._monitoring import (
    check_alert,
    check_monitor_record,
    check_query,
    check_since,
)
from aweigh.storage.base import MetadataStore


class MemoryStore(MetadataStore):
    """Keeps everything in dicts behind one lock; each call is atomic."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._models: dict[str, Model] = {}
        self._next: dict[str, int] = {}
        self._versions: dict[str, dict[int, ModelVersion]] = {}
        self._aliases: dict[str, dict[str, Alias]] = {}
        self._events: list[AliasEvent] = []
        self._datasets: dict[str, list[DatasetVersion]] = {}
        self._audit: list[AuditEntry] = []
        self._monitor: dict[tuple[Any, ...], MonitorRecord] = {}
        self._alerts: dict[str, AlertRecord] = {}

    # -- models -----------------------------------------------------------------
    def create_model(
        self,
        name: str,
        *,
        now: datetime,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        exist_ok: bool = False,
    ) -> Model:
        with self._lock:
            if name in self._models:
                if exist_ok:
                    return self._model(name)
                raise err.model_exists(name)
            self._models[name] = Model(
                name=name,
                description=description,
                tags=dict(tags or {}),
                created_at=now,
                updated_at=now,
            )
            self._next[name] = 1
            self._versions[name] = {}
            self._aliases[name] = {}
            return self._model(name)

    def get_model(self, name: str) -> Model:
        with self._lock:
            return self._model(name)

    def list_models(self) -> list[Model]:
        with self._lock:
            return [self._model(n) for n in sorted(self._models)]

    def delete_model(self, name: str) -> None:
        with self._lock:
            self._model(name)
            if self._aliases[name]:
                raise err.model_aliased(name, list(self._aliases[name]))
            del self._models[name], self._next[name], self._versions[name], self._aliases[name]
            self._events = [e for e in self._events if e.model_name != name]

    # -- versions ---------------------------------------------------------------
    def create_version(self, spec: NewVersion, *, create_model: bool = False) -> ModelVersion:
        with self._lock:
            created = spec.created_at
            assert created is not None, "the registry stamps created_at"
            if create_model and spec.model_name not in self._models:
                self.create_model(spec.model_name, now=created)
            model = self._model(spec.model_name)
            number = self._next[model.name]
            version = ModelVersion(
                model_name=model.name,
                version=number,
                sha256=spec.sha256,
                flavor=spec.flavor,
                artifact_size=spec.artifact_size,
                signature=spec.signature,
                output=spec.output,
                data_fingerprint=spec.data_fingerprint,
                params=dict(spec.params),
                metrics=dict(spec.metrics),
                code_version=spec.code_version,
                parent=spec.parent,
                tags=dict(spec.tags),
                description=spec.description,
                author=spec.author,
                runtime=dict(spec.runtime),
                created_at=created,
                contract=spec.contract,
                dataset=spec.dataset,
                privacy_policy=spec.privacy_policy,
            )
            self._versions[model.name][number] = version
            self._next[model.name] = number + 1
            self._models[model.name] = dataclasses.replace(
                self._models[model.name], updated_at=created
            )
            return version

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self._lock:
            self._model(name)
            if version not in self._versions[name]:
                raise err.version_not_found(name, version)
            return self._with_aliases(self._versions[name][version])

    def latest_version(self, name: str) -> ModelVersion:
        with self._lock:
            self._model(name)
            if not self._versions[name]:
                raise err.no_versions(name)
            return self.get_version(name, max(self._versions[name]))

    def list_versions(self, name: str) -> list[ModelVersion]:
        with self._lock:
            self._model(name)
            return [self._with_aliases(v) for _, v in sorted(self._versions[name].items())]

    def versions_with_sha256(self, sha256: str) -> list[ModelVersion]:
        with self._lock:
            return [
                self._with_aliases(v)
                for name in sorted(self._versions)
                for _, v in sorted(self._versions[name].items())
                if v.sha256 == sha256
            ]

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        privacy_policy: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        with self._lock:
            current = self.get_version(name, version)
            changed = dataclasses.replace(
                current,
                description=current.description if description is None else description,
                tags={**current.tags, **(tags or {})},
                aliases=(),
                privacy_policy=current.privacy_policy if privacy_policy is None else privacy_policy,
            )
            self._versions[name][version] = changed
            return self._with_aliases(changed)

    def delete_version(self, name: str, version: int) -> ModelVersion:
        with self._lock:
            current = self.get_version(name, version)
            aliased = [a.alias for a in self._aliases[name].values() if a.version == version]
            if aliased:
                raise err.version_aliased(name, version, aliased)
            del self._versions[name][version]
            return current

    # -- aliases ----------------------------------------------------------------
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
        with self._lock:
            self.get_version(name, version)
            old = self._aliases[name].get(alias)
            old_version = old.version if old else None
            if expect_current and old_version != expected_version:
                raise err.alias_moved(name, alias, expected_version, old_version)
            self._aliases[name][alias] = Alias(
                model_name=name, alias=alias, version=version, updated_at=now, updated_by=actor
            )
            return self._record(name, alias, old_version, version, actor, reason, now)

    def delete_alias(
        self, name: str, alias: str, *, actor: str, reason: str, now: datetime
    ) -> AliasEvent:
        with self._lock:
            old = self.get_alias(name, alias)
            del self._aliases[name][alias]
            return self._record(name, alias, old.version, None, actor, reason, now)

    def get_alias(self, name: str, alias: str) -> Alias:
        with self._lock:
            self._model(name)
            if alias not in self._aliases[name]:
                raise err.alias_not_found(name, alias)
            return self._aliases[name][alias]

    def list_aliases(self, name: str) -> list[Alias]:
        with self._lock:
            self._model(name)
            return [a for _, a in sorted(self._aliases[name].items())]

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        with self._lock:
            self._model(name)
            return [
                e
                for e in self._events
                if e.model_name == name and (alias is None or e.alias == alias)
            ]

    # -- dataset versions ---------------------------------------------------------
    def create_dataset_version(self, spec: NewDatasetVersion) -> DatasetVersion:
        assert spec.created_at is not None, "the registry stamps created_at"
        with self._lock:
            versions = self._datasets.setdefault(spec.name, [])
            created = DatasetVersion(
                name=spec.name,
                version=len(versions) + 1,
                sha256=spec.sha256,
                rows=spec.rows,
                columns=tuple(spec.columns),
                contract=spec.contract,
                profile=spec.profile,
                source=spec.source,
                description=spec.description,
                author=spec.author,
                created_at=spec.created_at,
                subjects=spec.subjects,
            )
            versions.append(created)
            return created

    def get_dataset_version(self, name: str, version: int) -> DatasetVersion:
        with self._lock:
            for found in self._datasets.get(name, []):
                if found.version == version:
                    return found
            raise err.dataset_not_found(name, version if name in self._datasets else None)

    def latest_dataset_version(self, name: str) -> DatasetVersion:
        with self._lock:
            if not self._datasets.get(name):
                raise err.dataset_not_found(name)
            return self._datasets[name][-1]

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        with self._lock:
            if name not in self._datasets:
                raise err.dataset_not_found(name)
            return list(self._datasets[name])

    def list_datasets(self) -> list[DatasetVersion]:
        with self._lock:
            return [self._datasets[n][-1] for n in sorted(self._datasets) if self._datasets[n]]

    def dataset_versions_with_sha256(self, sha256: str) -> list[DatasetVersion]:
        with self._lock:
            return [
                v for n in sorted(self._datasets) for v in self._datasets[n] if v.sha256 == sha256
            ]

    def set_dataset_status(self, name: str, version: int, status: str) -> DatasetVersion:
        with self._lock:
            current = self.get_dataset_version(name, version)
            changed = dataclasses.replace(current, status=status)
            versions = self._datasets[name]
            versions[versions.index(current)] = changed
            return changed

    # -- audit -------------------------------------------------------------------------
    def record_audit(self, entry: AuditEntry) -> AuditEntry:
        with self._lock:
            stored = dataclasses.replace(entry, seq=len(self._audit) + 1)
            self._audit.append(stored)
            return stored

    def audit_log(self, *, action: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        with self._lock:
            found = [e for e in self._audit if action is None or e.action == action]
            return found[-limit:] if limit > 0 else []

    # -- monitor results and alerts ------------------------------------------------------
    def save_monitor_record(self, rec: MonitorRecord) -> MonitorRecord:
        rec = check_monitor_record(rec)
        key = (rec.model, rec.version, rec.kind, rec.window_start, rec.window_end)
        with self._lock:
            earlier = self._monitor.get(key)
            if earlier is not None:
                rec = dataclasses.replace(rec, id=earlier.id)
            self._monitor[key] = rec
            return rec

    def monitor_records(
        self,
        model: str,
        *,
        version: int | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[MonitorRecord]:
        check_query(kind=kind, limit=limit)
        check_since(since)
        with self._lock:
            found = [
                r
                for r in self._monitor.values()
                if r.model == model
                and (version is None or r.version == version)
                and (kind is None or r.kind == kind)
                and (since is None or r.window_end >= since)
            ]
        found.sort(key=lambda r: (r.window_end, r.window_start, r.id), reverse=True)
        return found[:limit]

    def save_alert(self, rec: AlertRecord) -> AlertRecord:
        rec = check_alert(rec)
        with self._lock:
            self._alerts[rec.id] = rec
            return rec

    def alerts(
        self,
        *,
        model: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AlertRecord]:
        check_query(state=state, limit=limit)
        check_since(since)
        with self._lock:
            found = [
                a
                for a in self._alerts.values()
                if (model is None or a.model == model)
                and (state is None or a.state == state)
                and (since is None or a.updated_at >= since)
            ]
        found.sort(key=lambda a: (a.started_at, a.id), reverse=True)
        return found[:limit]

    # -- helpers ----------------------------------------------------------------
    def _model(self, name: str) -> Model:
        if name not in self._models:
            raise err.model_not_found(name)
        versions = self._versions[name]
        return dataclasses.replace(
            self._models[name], latest_version=max(versions) if versions else None
        )

    def _with_aliases(self, version: ModelVersion) -> ModelVersion:
        names = tuple(
            sorted(
                a.alias
                for a in self._aliases[version.model_name].values()
                if a.version == version.version
            )
        )
        return dataclasses.replace(version, aliases=names)

    def _record(
        self,
        name: str,
        alias: str,
        old: int | None,
        new: int | None,
        actor: str,
        reason: str,
        now: datetime,
    ) -> AliasEvent:
        event = AliasEvent(
            model_name=name,
            alias=alias,
            from_version=old,
            to_version=new,
            actor=actor,
            reason=reason,
            at=now,
            seq=len(self._events) + 1,
        )
        self._events.append(event)
        return event
