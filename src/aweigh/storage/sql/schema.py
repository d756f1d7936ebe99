"""SQLAlchemy 2 tables of the metadata store. Rows never leave ``store.py``.

A change here needs an Alembic migration: ``tests/storage/test_migrations.py``
fails when the migrated schema differs from these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and gives them back aware (SQLite has no tz)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("aweigh stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of aweigh's tables; every table name starts with ``aweigh_``."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}


class ModelRow(Base):
    __tablename__ = "aweigh_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VersionRow(Base):
    __tablename__ = "aweigh_model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        Index(None, "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("aweigh_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    flavor: Mapped[str] = mapped_column(String(32))
    artifact_size: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[dict[str, Any]]
    output: Mapped[dict[str, Any]]
    data_fingerprint: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    params: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    code_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    parent_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    parent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tags: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(256), default="")
    runtime: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    contract: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    dataset_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    dataset_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    privacy_policy: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class AliasRow(Base):
    __tablename__ = "aweigh_aliases"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("aweigh_models.id", ondelete="CASCADE"),
        primary_key=True,
    )
    alias: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(256))


class AliasEventRow(Base):
    __tablename__ = "aweigh_alias_events"
    __table_args__ = (Index(None, "model_id", "alias", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("aweigh_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(128))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class DatasetRow(Base):
    __tablename__ = "aweigh_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DatasetVersionRow(Base):
    __tablename__ = "aweigh_dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"), Index(None, "sha256"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("aweigh_datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[dict[str, Any]]
    contract: Mapped[dict[str, Any]]
    profile: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32), default="ok")
    subjects: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class AuditRow(Base):
    __tablename__ = "aweigh_audit"
    __table_args__ = (Index(None, "action", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True)
    details: Mapped[dict[str, Any]]


class MonitorRecordRow(Base):
    """One monitor result per (model, version, kind, window); version 0 means every version
    (a real value, so the unique constraint holds: NULLs never collide in SQL)."""

    __tablename__ = "aweigh_monitor_records"
    __table_args__ = (
        UniqueConstraint(
            "model",
            "version",
            "kind",
            "window_start",
            "window_end",
            name="uq_aweigh_monitor_records_window",
        ),
        Index(None, "model", "window_end"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    created_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]]


class AlertRow(Base):
    __tablename__ = "aweigh_alerts"
    __table_args__ = (
        Index(None, "state", "started_at"),
        Index(None, "model", "started_at"),
        Index(None, "key"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512))
    rule: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(256))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    condition: Mapped[str] = mapped_column(String(256))
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    labels: Mapped[dict[str, Any]]
