"""Realistic events for the event log tests: UCI Adult rows as inputs."""

from __future__ import annotations

import hashlib
import hmac
import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from aweigh.storage.events import Event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LABELS = ("<=50K", ">50K")
SUBJECT_KEY = b"test-subject-key"


def token_for(customer_id: str) -> str:
    """The keyed hash of a synthetic customer id, as the server stores it in subject_id."""
    return hmac.new(SUBJECT_KEY, customer_id.encode(), hashlib.sha256).hexdigest()


def customers(n: int) -> list[str]:
    """Synthetic customer ids: CUST-000001, CUST-000002, ..."""
    return [f"CUST-{i:06d}" for i in range(1, n + 1)]


def adult_rows(frame: pd.DataFrame, n: int = 1000) -> list[dict[str, Any]]:
    """The first ``n`` rows of Adult without the target, as plain dicts (NaN kept)."""
    return frame.drop(columns=["income"]).head(n).to_dict("records")


def predictions(
    rows: Sequence[Mapping[str, Any]],
    *,
    model: str = "adult",
    version: int = 1,
    start: datetime = T0,
    step: timedelta = timedelta(seconds=1),
    prefix: str = "req",
    rows_per_request: int = 1,
    seed: int = 42,
    subjects: Sequence[str | None] | None = None,
    purposes: Sequence[tuple[str, ...] | None] | None = None,
    children: Sequence[bool | None] | None = None,
) -> list[Event]:
    """One prediction event per row, with a seeded output and class probabilities.

    ``subjects``, ``purposes`` and ``children`` give each row's subject token, consent
    and child flag (cycled); by default the subject is ``subject-<i % 97>``.
    """
    rng = random.Random(seed)
    events = []
    for i, row in enumerate(rows):
        p = rng.random()
        events.append(
            Event(
                kind="prediction",
                request_id=f"{prefix}-{i // rows_per_request}",
                row=i % rows_per_request,
                model=model,
                version=version,
                ts=start + i * step,
                inputs=row,
                output=LABELS[p > 0.5],
                proba=(1 - p, p),
                latency_ms=round(rng.uniform(0.5, 20.0), 3),
                subject_id=f"subject-{i % 97}" if subjects is None else subjects[i % len(subjects)],
                purposes=None if purposes is None else purposes[i % len(purposes)],
                child=None if children is None else children[i % len(children)],
            )
        )
    return events


def feedback_for(
    events: Sequence[Event],
    labels: Sequence[str],
    *,
    delay_s: float = 3600,
    with_subject: bool = False,
) -> list[Event]:
    """The label of each prediction, arriving ``delay_s`` later.

    With ``with_subject`` the feedback carries the prediction's subject token, as the
    server records it; without, it is joined to the prediction only by request id.
    """
    return [
        Event(
            kind="feedback",
            request_id=e.request_id,
            row=e.row,
            model=e.model,
            ts=e.ts + timedelta(seconds=delay_s),
            label=label,
            subject_id=e.subject_id if with_subject else None,
        )
        for e, label in zip(events, labels, strict=True)
    ]


def batches(events: Sequence[Event], size: int = 64) -> list[Sequence[Event]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def without_nan(value: Any) -> Any:
    """What a value reads back as: NaN and infinities become None (JSON null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(v) for v in value]
    return value


def as_stored(event: Event) -> Event:
    """``event`` as it comes back from disk: JSON columns with NaN turned to None."""
    return Event(
        kind=event.kind,
        request_id=event.request_id,
        row=event.row,
        model=event.model,
        version=event.version,
        ts=event.ts,
        inputs=without_nan(event.inputs),
        output=without_nan(event.output),
        proba=event.proba,
        latency_ms=event.latency_ms,
        subject_id=event.subject_id,
        label=without_nan(event.label),
        flags=event.flags,
        purposes=event.purposes,
        child=event.child,
    )


def key(event: Event) -> tuple[str, str, int]:
    """What identifies an event in the tests: kind, request id and row."""
    return (event.kind, event.request_id, event.row)
