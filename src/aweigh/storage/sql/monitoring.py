"""Monitor results and alerts in SQL: the row work behind ``SqlStore``'s four methods.

Each function runs inside the caller's transaction (``SqlStore._tx``) and returns
frozen entities. A monitor record's version None is kept as 0 so that the unique
window constraint also covers model-wide records (NULLs never collide in SQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aweigh.core.entities import AlertRecord, MonitorRecord, thaw
from aweigh.core.errors import ConflictError
from aweigh.storage.sql.schema import AlertRow, MonitorRecordRow

_ALL_VERSIONS = 0


def save_monitor_record(s: Session, rec: MonitorRecord) -> MonitorRecord:
    """Insert the record, or replace the one stored for the same window (keeping its id)."""
    version = rec.version or _ALL_VERSIONS
    same_window = select(MonitorRecordRow).where(
        MonitorRecordRow.model == rec.model,
        MonitorRecordRow.version == version,
        MonitorRecordRow.kind == rec.kind,
        MonitorRecordRow.window_start == rec.window_start,
        MonitorRecordRow.window_end == rec.window_end,
    )
    row = s.scalar(same_window.with_for_update())
    if row is None:
        try:
            with s.begin_nested():
                row = MonitorRecordRow(
                    id=rec.id,
                    model=rec.model,
                    version=version,
                    kind=rec.kind,
                    window_start=rec.window_start,
                    window_end=rec.window_end,
                    created_at=rec.created_at,
                    summary=rec.summary,
                    payload=thaw(rec.payload),
                )
                s.add(row)
            return _to_monitor_record(row)
        except IntegrityError:
            row = s.scalar(same_window.with_for_update())  # stored concurrently: replace it
            if row is None:
                raise ConflictError(
                    f"The monitor record id {rec.id!r} is already used by another window; "
                    "give each window its own id (e.g. a fresh uuid4).",
                    {"id": rec.id},
                ) from None
    row.created_at = rec.created_at
    row.summary = rec.summary
    row.payload = thaw(rec.payload)
    s.flush()
    return _to_monitor_record(row)


def monitor_records(
    s: Session,
    model: str,
    *,
    version: int | None,
    kind: str | None,
    since: datetime | None,
    limit: int,
) -> list[MonitorRecord]:
    query = select(MonitorRecordRow).where(MonitorRecordRow.model == model)
    if version is not None:
        query = query.where(MonitorRecordRow.version == version)
    if kind is not None:
        query = query.where(MonitorRecordRow.kind == kind)
    if since is not None:
        query = query.where(MonitorRecordRow.window_end >= since)
    query = query.order_by(
        MonitorRecordRow.window_end.desc(),
        MonitorRecordRow.window_start.desc(),
        MonitorRecordRow.id.desc(),
    ).limit(limit)
    return [_to_monitor_record(r) for r in s.scalars(query).all()]


def save_alert(s: Session, rec: AlertRecord) -> AlertRecord:
    """Insert the alert or replace every field of the one with the same id."""
    fields: dict[str, Any] = {
        "key": rec.key,
        "rule": rec.rule,
        "model": rec.model,
        "version": rec.version,
        "metric": rec.metric,
        "severity": rec.severity,
        "state": rec.state,
        "value": rec.value,
        "condition": rec.condition,
        "message": rec.message,
        "started_at": rec.started_at,
        "updated_at": rec.updated_at,
        "resolved_at": rec.resolved_at,
        "labels": thaw(rec.labels),
    }
    row = s.get(AlertRow, rec.id, with_for_update=True)
    if row is None:
        row = AlertRow(id=rec.id, **fields)
        s.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    s.flush()
    return _to_alert(row)


def alerts(
    s: Session,
    *,
    model: str | None,
    state: str | None,
    since: datetime | None,
    limit: int,
) -> list[AlertRecord]:
    query = select(AlertRow)
    if model is not None:
        query = query.where(AlertRow.model == model)
    if state is not None:
        query = query.where(AlertRow.state == state)
    if since is not None:
        query = query.where(AlertRow.updated_at >= since)
    query = query.order_by(AlertRow.started_at.desc(), AlertRow.id.desc()).limit(limit)
    return [_to_alert(r) for r in s.scalars(query).all()]


def _to_monitor_record(row: MonitorRecordRow) -> MonitorRecord:
    return MonitorRecord(
        id=row.id,
        model=row.model,
        version=row.version or None,
        kind=row.kind,
        window_start=row.window_start,
        window_end=row.window_end,
        created_at=row.created_at,
        summary=row.summary,
        payload=row.payload,
    )


def _to_alert(row: AlertRow) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        key=row.key,
        rule=row.rule,
        model=row.model,
        version=row.version,
        metric=row.metric,
        severity=row.severity,
        state=row.state,
        value=row.value,
        condition=row.condition,
        message=row.message,
        started_at=row.started_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        labels=row.labels,
    )
