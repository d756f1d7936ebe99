"""The SQL metadata store on SQLAlchemy 2: SQLite (default) or PostgreSQL.

Each public method runs in one managed transaction (``_tx``) that commits on
success, rolls back on any error and maps database errors to aweigh errors. Writes
that depend on the current state lock the model's row first (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so version
numbers and alias moves never interleave across processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aweigh.core.entities import (
    AlertRecord,
    Alias,
    AliasEvent,
    AuditEntry,
    DataFingerprint,
    DatasetVersion,
    Model,
    ModelVersion,
    MonitorRecord,
    NewDatasetVersion,
    NewVersion,
    OutputKind,
    Signature,
    thaw,
)
from aweigh.core.errors import AweighError
from aweigh.storage import _errors as err
from aweigh.storage._monitoring import (
    check_alert,
    check_monitor_record,
    check_query,
    check_since,
)
from aweigh.storage.base import MetadataStore
from aweigh.storage.sql import migrate, monitoring
from aweigh.storage.sql.engine import build_engine, map_db_error, safe_url
from aweigh.storage.sql.schema import (
    AliasEventRow,
    AliasRow,
    AuditRow,
    DatasetRow,
    DatasetVersionRow,
    ModelRow,
    VersionRow,
)


class SqlStore(MetadataStore):
    """Metadata in a SQL database; the schema is migrated on start."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_s: float = 5.0,
        migrate_on_start: bool = True,
        engine: Engine | None = None,
    ) -> None:
        self.url = url
        self.safe_url = safe_url(url)
        self.engine = engine or build_engine(url, busy_timeout_s=busy_timeout_s)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate_on_start:
            self._guard(lambda: migrate.upgrade(self.engine))

    # -- transaction management -------------------------------------------------
    def _guard(self, fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
        except AweighError:
            raise
        except SQLAlchemyError as exc:
            raise map_db_error(exc, self.url) from exc

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except AweighError:
            raise
        except SQLAlchemyError as exc:
            raise map_db_error(exc, self.url) from exc
        finally:
            session.close()

    def ping(self) -> None:
        with self._tx() as s:
            s.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

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
        with self._tx() as s:
            row = s.scalar(select(ModelRow).where(ModelRow.name == name))
            if row is not None:
                if exist_ok:
                    return self._model(s, row)
                raise err.model_exists(name)
            row = ModelRow(
                name=name,
                description=description,
                tags=dict(tags or {}),
                next_version=1,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return self._model(s, row)

    def get_model(self, name: str) -> Model:
        with self._tx() as s:
            return self._model(s, self._model_row(s, name))

    def list_models(self) -> list[Model]:
        with self._tx() as s:
            latest = dict(
                s.execute(
                    select(VersionRow.model_id, func.max(VersionRow.version)).group_by(
                        VersionRow.model_id
                    )
                ).all()
            )
            rows = s.scalars(select(ModelRow).order_by(ModelRow.name)).all()
            return [_to_model(r, latest.get(r.id)) for r in rows]

    def delete_model(self, name: str) -> None:
        with self._tx() as s:
            row = self._model_row(s, name, lock=True)
            aliases = s.scalars(select(AliasRow.alias).where(AliasRow.model_id == row.id)).all()
            if aliases:
                raise err.model_aliased(name, list(aliases))
            for table in (AliasEventRow, VersionRow):
                s.execute(delete(table).where(table.model_id == row.id))
            s.delete(row)

    # -- versions ---------------------------------------------------------------
    def create_version(self, spec: NewVersion, *, create_model: bool = False) -> ModelVersion:
        assert spec.created_at is not None, "the registry stamps created_at"
        with self._tx() as s:
            if create_model:
                self._ensure_model(s, spec.model_name, spec.created_at)
            model = self._model_row(s, spec.model_name, lock=True)
            number = model.next_version
            model.next_version = number + 1
            model.updated_at = spec.created_at
            row = VersionRow(
                model_id=model.id,
                version=number,
                sha256=spec.sha256,
                flavor=spec.flavor,
                artifact_size=spec.artifact_size,
                signature=spec.signature.to_dict(),
                output=spec.output.to_dict(),
                data_fingerprint=spec.data_fingerprint.to_dict() if spec.data_fingerprint else None,
                params=dict(spec.params),
                metrics=dict(spec.metrics),
                code_version=spec.code_version,
                parent_model=spec.parent[0] if spec.parent else None,
                parent_version=spec.parent[1] if spec.parent else None,
                tags=dict(spec.tags),
                description=spec.description,
                author=spec.author,
                runtime=dict(spec.runtime),
                created_at=spec.created_at,
                contract=thaw(spec.contract) if spec.contract is not None else None,
                dataset_name=spec.dataset[0] if spec.dataset else None,
                dataset_version=spec.dataset[1] if spec.dataset else None,
                privacy_policy=thaw(spec.privacy_policy)
                if spec.privacy_policy is not None
                else None,
            )
            s.add(row)
            s.flush()
            return _to_version(model.name, row, ())

    def get_version(self, name: str, version: int) -> ModelVersion:
        with self._tx() as s:
            model = self._model_row(s, name)
            return self._version(s, model, self._version_row(s, model, version))

    def latest_version(self, name: str) -> ModelVersion:
        with self._tx() as s:
            model = self._model_row(s, name)
            row = s.scalar(
                select(VersionRow)
                .where(VersionRow.model_id == model.id)
                .order_by(VersionRow.version.desc())
                .limit(1)
            )
            if row is None:
                raise err.no_versions(name)
            return self._version(s, model, row)

    def list_versions(self, name: str) -> list[ModelVersion]:
        with self._tx() as s:
            model = self._model_row(s, name)
            aliases = self._aliases_by_version(s, model.id)
            rows = s.scalars(
                select(VersionRow)
                .where(VersionRow.model_id == model.id)
                .order_by(VersionRow.version)
            ).all()
            return [_to_version(name, r, aliases.get(r.version, ())) for r in rows]

    def versions_with_sha256(self, sha256: str) -> list[ModelVersion]:
        with self._tx() as s:
            rows = s.execute(
                select(ModelRow, VersionRow)
                .join(VersionRow)
                .where(VersionRow.sha256 == sha256)
                .order_by(ModelRow.name, VersionRow.version)
            ).all()
            return [self._version(s, m, v) for m, v in rows]

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        privacy_policy: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        with self._tx() as s:
            model = self._model_row(s, name, lock=True)
            row = self._version_row(s, model, version)
            if description is not None:
                row.description = description
            if tags:
                row.tags = {**row.tags, **tags}
            if privacy_policy is not None:
                row.privacy_policy = thaw(privacy_policy)
            s.flush()
            return self._version(s, model, row)

    def delete_version(self, name: str, version: int) -> ModelVersion:
        with self._tx() as s:
            model = self._model_row(s, name, lock=True)
            row = self._version_row(s, model, version)
            aliased = s.scalars(
                select(AliasRow.alias).where(
                    AliasRow.model_id == model.id, AliasRow.version == version
                )
            ).all()
            if aliased:
                raise err.version_aliased(name, version, list(aliased))
            gone = _to_version(name, row, ())
            s.delete(row)
            return gone

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
        with self._tx() as s:
            model = self._model_row(s, name, lock=True)
            self._version_row(s, model, version)
            row = s.get(AliasRow, (model.id, alias))
            old = row.version if row is not None else None
            if expect_current and old != expected_version:
                raise err.alias_moved(name, alias, expected_version, old)
            if row is None:
                s.add(
                    AliasRow(
                        model_id=model.id,
                        alias=alias,
                        version=version,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
            else:
                row.version, row.updated_at, row.updated_by = version, now, actor
            return self._record(s, model, alias, old, version, actor, reason, now)

    def delete_alias(
        self, name: str, alias: str, *, actor: str, reason: str, now: datetime
    ) -> AliasEvent:
        with self._tx() as s:
            model = self._model_row(s, name, lock=True)
            row = s.get(AliasRow, (model.id, alias))
            if row is None:
                raise err.alias_not_found(name, alias)
            old = row.version
            s.delete(row)
            return self._record(s, model, alias, old, None, actor, reason, now)

    def get_alias(self, name: str, alias: str) -> Alias:
        with self._tx() as s:
            model = self._model_row(s, name)
            row = s.get(AliasRow, (model.id, alias))
            if row is None:
                raise err.alias_not_found(name, alias)
            return _to_alias(name, row)

    def list_aliases(self, name: str) -> list[Alias]:
        with self._tx() as s:
            model = self._model_row(s, name)
            rows = s.scalars(
                select(AliasRow).where(AliasRow.model_id == model.id).order_by(AliasRow.alias)
            ).all()
            return [_to_alias(name, r) for r in rows]

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        with self._tx() as s:
            model = self._model_row(s, name)
            query = select(AliasEventRow).where(AliasEventRow.model_id == model.id)
            if alias is not None:
                query = query.where(AliasEventRow.alias == alias)
            rows = s.scalars(query.order_by(AliasEventRow.id)).all()
            return [_to_event(name, r) for r in rows]

    def alias_at(self, name: str, alias: str, at: datetime) -> int | None:
        with self._tx() as s:
            model = self._model_row(s, name)
            row = s.scalar(
                select(AliasEventRow)
                .where(
                    AliasEventRow.model_id == model.id,
                    AliasEventRow.alias == alias,
                    AliasEventRow.at <= at,
                )
                .order_by(AliasEventRow.id.desc())
                .limit(1)
            )
            return row.to_version if row is not None else None

    # -- dataset versions ---------------------------------------------------------
    def create_dataset_version(self, spec: NewDatasetVersion) -> DatasetVersion:
        assert spec.created_at is not None, "the registry stamps created_at"
        with self._tx() as s:
            if s.scalar(select(DatasetRow.id).where(DatasetRow.name == spec.name)) is None:
                try:
                    with s.begin_nested():
                        s.add(
                            DatasetRow(
                                name=spec.name,
                                next_version=1,
                                created_at=spec.created_at,
                                updated_at=spec.created_at,
                            )
                        )
                except IntegrityError:
                    pass  # created concurrently by another process
            dataset = s.scalar(
                select(DatasetRow).where(DatasetRow.name == spec.name).with_for_update()
            )
            assert dataset is not None
            number = dataset.next_version
            dataset.next_version = number + 1
            dataset.updated_at = spec.created_at
            row = DatasetVersionRow(
                dataset_id=dataset.id,
                version=number,
                sha256=spec.sha256,
                rows=spec.rows,
                columns={"names": list(spec.columns)},
                contract=thaw(spec.contract),
                profile=thaw(spec.profile),
                source=spec.source,
                description=spec.description,
                author=spec.author,
                created_at=spec.created_at,
                status="ok",
                subjects=thaw(spec.subjects) if spec.subjects is not None else None,
            )
            s.add(row)
            s.flush()
            return _to_dataset(spec.name, row)

    def get_dataset_version(self, name: str, version: int) -> DatasetVersion:
        with self._tx() as s:
            dataset = self._dataset_row(s, name)
            row = s.scalar(
                select(DatasetVersionRow).where(
                    DatasetVersionRow.dataset_id == dataset.id, DatasetVersionRow.version == version
                )
            )
            if row is None:
                raise err.dataset_not_found(name, version)
            return _to_dataset(name, row)

    def latest_dataset_version(self, name: str) -> DatasetVersion:
        with self._tx() as s:
            dataset = self._dataset_row(s, name)
            row = s.scalar(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset.id)
                .order_by(DatasetVersionRow.version.desc())
                .limit(1)
            )
            if row is None:
                raise err.dataset_not_found(name)
            return _to_dataset(name, row)

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        with self._tx() as s:
            dataset = self._dataset_row(s, name)
            rows = s.scalars(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset.id)
                .order_by(DatasetVersionRow.version)
            ).all()
            return [_to_dataset(name, r) for r in rows]

    def list_datasets(self) -> list[DatasetVersion]:
        with self._tx() as s:
            latest = (
                select(DatasetVersionRow.dataset_id, func.max(DatasetVersionRow.version).label("v"))
                .group_by(DatasetVersionRow.dataset_id)
                .subquery()
            )
            rows = s.execute(
                select(DatasetRow.name, DatasetVersionRow)
                .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
                .join(
                    latest,
                    (latest.c.dataset_id == DatasetVersionRow.dataset_id)
                    & (latest.c.v == DatasetVersionRow.version),
                )
                .order_by(DatasetRow.name)
            ).all()
            return [_to_dataset(name, row) for name, row in rows]

    def dataset_versions_with_sha256(self, sha256: str) -> list[DatasetVersion]:
        with self._tx() as s:
            rows = s.execute(
                select(DatasetRow.name, DatasetVersionRow)
                .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
                .where(DatasetVersionRow.sha256 == sha256)
                .order_by(DatasetRow.name, DatasetVersionRow.version)
            ).all()
            return [_to_dataset(name, row) for name, row in rows]

    def set_dataset_status(self, name: str, version: int, status: str) -> DatasetVersion:
        with self._tx() as s:
            dataset = self._dataset_row(s, name)
            row = s.scalar(
                select(DatasetVersionRow).where(
                    DatasetVersionRow.dataset_id == dataset.id, DatasetVersionRow.version == version
                )
            )
            if row is None:
                raise err.dataset_not_found(name, version)
            row.status = status
            s.flush()
            return _to_dataset(name, row)

    # -- audit -------------------------------------------------------------------------
    def record_audit(self, entry: AuditEntry) -> AuditEntry:
        with self._tx() as s:
            row = AuditRow(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                subject=entry.subject,
                details=thaw(entry.details),
            )
            s.add(row)
            s.flush()
            return _to_audit(row)

    def audit_log(self, *, action: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        with self._tx() as s:
            query = select(AuditRow)
            if action is not None:
                query = query.where(AuditRow.action == action)
            rows = s.scalars(query.order_by(AuditRow.id.desc()).limit(max(limit, 0))).all()
            return [_to_audit(r) for r in reversed(rows)]

    # -- monitor results and alerts (row work in ``monitoring``) ------------------------
    def save_monitor_record(self, rec: MonitorRecord) -> MonitorRecord:
        rec = check_monitor_record(rec)
        with self._tx() as s:
            return monitoring.save_monitor_record(s, rec)

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
        with self._tx() as s:
            return monitoring.monitor_records(
                s, model, version=version, kind=kind, since=since, limit=limit
            )

    def save_alert(self, rec: AlertRecord) -> AlertRecord:
        rec = check_alert(rec)
        with self._tx() as s:
            return monitoring.save_alert(s, rec)

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
        with self._tx() as s:
            return monitoring.alerts(s, model=model, state=state, since=since, limit=limit)

    def _dataset_row(self, s: Session, name: str) -> DatasetRow:
        row = s.scalar(select(DatasetRow).where(DatasetRow.name == name))
        if row is None:
            raise err.dataset_not_found(name)
        return row

    # -- helpers ----------------------------------------------------------------
    def _ensure_model(self, s: Session, name: str, now: datetime) -> None:
        """Create the model row if missing; a concurrent creator wins without an error."""
        if s.scalar(select(ModelRow.id).where(ModelRow.name == name)) is not None:
            return
        try:
            with s.begin_nested():
                s.add(
                    ModelRow(
                        name=name,
                        description="",
                        tags={},
                        next_version=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            pass  # another process created it between our check and insert

    def _model_row(self, s: Session, name: str, *, lock: bool = False) -> ModelRow:
        query = select(ModelRow).where(ModelRow.name == name)
        if lock:
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise err.model_not_found(name)
        return row

    def _version_row(self, s: Session, model: ModelRow, version: int) -> VersionRow:
        row = s.scalar(
            select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.version == version)
        )
        if row is None:
            raise err.version_not_found(model.name, version)
        return row

    def _model(self, s: Session, row: ModelRow) -> Model:
        latest = s.scalar(select(func.max(VersionRow.version)).where(VersionRow.model_id == row.id))
        return _to_model(row, latest)

    def _version(self, s: Session, model: ModelRow, row: VersionRow) -> ModelVersion:
        aliases = s.scalars(
            select(AliasRow.alias)
            .where(AliasRow.model_id == model.id, AliasRow.version == row.version)
            .order_by(AliasRow.alias)
        ).all()
        return _to_version(model.name, row, tuple(aliases))

    def _aliases_by_version(self, s: Session, model_id: int) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = {}
        for alias, version in s.execute(
            select(AliasRow.alias, AliasRow.version)
            .where(AliasRow.model_id == model_id)
            .order_by(AliasRow.alias)
        ):
            found.setdefault(version, []).append(alias)
        return {v: tuple(a) for v, a in found.items()}

    def _record(
        self,
        s: Session,
        model: ModelRow,
        alias: str,
        old: int | None,
        new: int | None,
        actor: str,
        reason: str,
        now: datetime,
    ) -> AliasEvent:
        row = AliasEventRow(
            model_id=model.id,
            alias=alias,
            from_version=old,
            to_version=new,
            actor=actor,
            reason=reason,
            at=now,
        )
        s.add(row)
        s.flush()
        return _to_event(model.name, row)


def _to_model(row: ModelRow, latest: int | None) -> Model:
    return Model(
        name=row.name,
        description=row.description,
        tags=dict(row.tags),
        created_at=row.created_at,
        updated_at=row.updated_at,
        latest_version=latest,
    )


def _to_version(name: str, row: VersionRow, aliases: tuple[str, ...]) -> ModelVersion:
    parent = (
        (row.parent_model, row.parent_version)
        if row.parent_model and row.parent_version is not None
        else None
    )
    return ModelVersion(
        model_name=name,
        version=row.version,
        sha256=row.sha256,
        flavor=row.flavor,
        artifact_size=row.artifact_size,
        signature=Signature.from_dict(row.signature),
        output=OutputKind.from_dict(row.output),
        data_fingerprint=DataFingerprint.from_dict(row.data_fingerprint),
        params=dict(row.params),
        metrics=dict(row.metrics),
        code_version=row.code_version,
        parent=parent,
        tags=dict(row.tags),
        description=row.description,
        author=row.author,
        runtime=dict(row.runtime),
        created_at=row.created_at,
        aliases=aliases,
        contract=row.contract,
        dataset=(row.dataset_name, row.dataset_version)
        if row.dataset_name and row.dataset_version is not None
        else None,
        privacy_policy=row.privacy_policy,
    )


def _to_dataset(name: str, row: DatasetVersionRow) -> DatasetVersion:
    return DatasetVersion(
        name=name,
        version=row.version,
        sha256=row.sha256,
        rows=row.rows,
        columns=tuple(row.columns.get("names", [])),
        contract=row.contract,
        profile=row.profile,
        source=row.source,
        description=row.description,
        author=row.author,
        created_at=row.created_at,
        status=row.status,
        subjects=row.subjects,
    )


def _to_audit(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        action=row.action,
        actor=row.actor,
        at=row.at,
        subject=row.subject,
        details=row.details,
        seq=row.id,
    )


def _to_alias(name: str, row: AliasRow) -> Alias:
    return Alias(
        model_name=name,
        alias=row.alias,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _to_event(name: str, row: AliasEventRow) -> AliasEvent:
    return AliasEvent(
        model_name=name,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        actor=row.actor,
        reason=row.reason,
        at=row.at,
        seq=row.id,
    )
