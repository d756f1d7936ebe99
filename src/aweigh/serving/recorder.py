"""Turning predictions and feedback into events, after the response is sent.

``Recorder`` never raises into a request: the event log's ``append`` only enqueues,
and anything unexpected is logged and counted. It remembers recent request ids (a
bounded ring, :mod:`aweigh.serving.recent`) so feedback can be matched without touching
disk; older ids are looked up in the event log itself, so a label may arrive days later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aweigh.serving.recent import RecentRequests
from aweigh.storage.events import Event, EventLog

log = logging.getLogger("aweigh.serving")


class Recorder:
    """Builds events and hands them to the event log (or nowhere, when disabled)."""

    def __init__(
        self,
        event_log: EventLog | None,
        *,
        remember: int = 20_000,
        secret: bytes | None = None,
        subject_field: str | None = None,
    ) -> None:
        self.event_log = event_log
        self.secret = secret
        self.subject_field = subject_field
        self._recent = RecentRequests(remember)
        self.failures = 0
        self.recorded = 0  # rows predicted (the monitor's event trigger, the idle trimmer)

    def prediction(
        self,
        *,
        request_id: str,
        model: str,
        version: int,
        columns: dict[str, list[Any]],
        rows: int,
        predictions: list[Any],
        proba: list[list[float]] | None,
        latency_ms: float,
        subject_id: str | None,
        flags: dict[int, tuple[str, ...]] | None = None,
        redactor: Any = None,
        consent: tuple[tuple[str, ...] | None, bool | None] = (None, None),
    ) -> None:
        """Record one request's rows as prediction events (runs after the reply).

        ``flags`` maps a row to the contract rules it broke under a ``warn`` policy.
        """
        self.recorded += rows
        if self.event_log is None:
            self._recent.add(request_id, model, version, None)
            return
        try:
            now = datetime.now(UTC)
            subjects = self._subjects(columns, rows, subject_id)
            self._recent.add(request_id, model, version, subjects[0] if rows else None)
            if redactor is not None:
                columns = redactor.redact_columns(columns, rows)
            purposes, child = consent
            names = list(columns)
            values = list(zip(*(columns[n] for n in names), strict=True))
            self.event_log.append(
                [
                    Event(
                        kind="prediction",
                        request_id=request_id,
                        row=i,
                        model=model,
                        version=version,
                        ts=now,
                        inputs=dict(zip(names, values[i], strict=True)),
                        output=predictions[i],
                        proba=tuple(proba[i]) if proba is not None else None,
                        latency_ms=latency_ms,
                        subject_id=subjects[i],
                        flags=flags.get(i) if flags else None,
                        purposes=purposes,
                        child=child,
                    )
                    for i in range(rows)
                ]
            )
        except Exception:  # never let recording hurt serving
            self.failures += 1
            log.exception("could not record the prediction events of %s", request_id)

    def _subjects(
        self, columns: dict[str, list[Any]], rows: int, subject_id: str | None
    ) -> list[str | None]:
        """Each row's subject as a keyed hash: from the subject field, else the request's."""
        from aweigh.privacy.redact import hash_subject

        if self.secret is None:
            return [None] * rows
        field_values = columns.get(self.subject_field) if self.subject_field else None
        if field_values is not None:
            return [None if v is None else hash_subject(self.secret, str(v)) for v in field_values]
        token = hash_subject(self.secret, subject_id) if subject_id else None
        return [token] * rows

    def _token(self, subject_id: Any) -> str | None:
        if subject_id is None or self.secret is None:
            return None
        from aweigh.privacy.redact import hash_subject

        return hash_subject(self.secret, str(subject_id))

    def feedback(self, model: str, items: Sequence[dict[str, Any]]) -> tuple[int, list[str]]:
        """Store labels for known request ids; return how many and the unknown ids."""
        started = time.perf_counter()
        known: dict[str, int | None] = {}
        subjects: dict[str, str | None] = {}
        missing: list[str] = []
        recent = self._recent.find([item["request_id"] for item in items])
        for item in items:
            rid = item["request_id"]
            hit = recent.get(rid)
            if hit is not None and hit[0] == model:
                known[rid] = hit[1]
                subjects[rid] = hit[2]
            else:
                missing.append(rid)
        if missing and self.event_log is not None:
            found = self._lookup(model, missing)
            for rid, (version, subject) in found.items():
                known[rid], subjects[rid] = version, subject
            missing = [rid for rid in missing if rid not in found]
        now = datetime.now(UTC)
        events = [
            Event(
                kind="feedback",
                request_id=item["request_id"],
                row=int(item.get("row", 0)),
                model=model,
                version=known[item["request_id"]],
                ts=now,
                label=item["label"],
                subject_id=self._token(item.get("subject_id")) or subjects.get(item["request_id"]),
            )
            for item in items
            if item["request_id"] in known
        ]
        if events and self.event_log is not None:
            self.event_log.append(events)
        log.debug(
            "feedback: %d stored, %d unknown in %.1f ms",
            len(events),
            len(missing),
            (time.perf_counter() - started) * 1000,
        )
        return len(events), sorted(set(missing))

    def _lookup(self, model: str, ids: list[str]) -> dict[str, tuple[int | None, str | None]]:
        assert self.event_log is not None
        self.event_log.flush(timeout_s=5)
        table = self.event_log.query(
            "SELECT request_id, max(version) AS version, max(subject_id) AS subject FROM events "
            "WHERE kind = 'prediction' AND model = ? AND list_contains(?, request_id) "
            "GROUP BY request_id",
            [model, ids],
        )
        rows = table.to_pylist()
        return {r["request_id"]: (r["version"], r["subject"]) for r in rows}
