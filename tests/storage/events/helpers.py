"""Realistic events for the event log tests: UCI Adult rows as inputs."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from aweigh.storage.events import Event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LABELS = ("<=50K", ">50K")


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
) -> list[Event]:
    """One prediction event per row, with a seeded output and class probabilities."""
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
                subject_id=f"subject-{i % 97}",
            )
        )
    return events


def feedback_for(
    events: Sequence[Event], labels: Sequence[str], *, delay_s: float = 3600
) -> list[Event]:
    """The label of each prediction, arriving ``delay_s`` later."""
    return [
        Event(
            kind="feedback",
            request_id=e.request_id,
            row=e.row,
            model=e.model,
            ts=e.ts + timedelta(seconds=delay_s),
            label=label,
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
    )
