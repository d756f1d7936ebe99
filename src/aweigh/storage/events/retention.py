"""Retention of events: each model keeps its events for a period, then they go.

:meth:`EventLog.apply_retention` takes a period per model and a default for every
other model. With ``cutoff = now - period``, an event is kept when ``ts >= cutoff``.
A UTC day whose every event is older (the day ends at or before the cutoff) is
dropped whole (its ``date=`` folder is deleted); the day the cutoff falls in is
rewritten, atomically, keeping only the events at or after the cutoff. What was
dropped is returned for the audit log, one entry per model and day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aweigh.core.errors import InvalidInputError

__all__ = ["RetentionDrop", "RetentionOutcome", "check_periods", "day_bounds"]


@dataclass(frozen=True, slots=True)
class RetentionDrop:
    """Events of one model and one UTC day removed by retention.

    ``whole`` is True when the whole day was dropped, False when only the part before
    the cutoff was (the boundary day, rewritten).
    """

    model: str
    date: date
    events: int
    whole: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "date": self.date.isoformat(),
            "events": self.events,
            "whole": self.whole,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionOutcome:
    """What one retention run removed, for the audit log.

    ``dropped`` has one entry per model and day that lost events, sorted by model then
    day. ``partitions_deleted`` counts whole days dropped, ``segments_rewritten`` and
    ``segments_deleted`` the files of boundary days rewritten or emptied (for
    :class:`MemoryEventLog` the boundary days themselves).
    """

    now: datetime
    dropped: tuple[RetentionDrop, ...] = ()
    partitions_deleted: int = 0
    segments_rewritten: int = 0
    segments_deleted: int = 0

    @property
    def events_removed(self) -> int:
        return sum(d.events for d in self.dropped)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for audit entries."""
        return {
            "now": self.now.isoformat(),
            "events_removed": self.events_removed,
            "partitions_deleted": self.partitions_deleted,
            "segments_rewritten": self.segments_rewritten,
            "segments_deleted": self.segments_deleted,
            "dropped": [d.to_dict() for d in self.dropped],
        }


def _check_period(name: str, value: object) -> timedelta:
    if not isinstance(value, timedelta):
        raise InvalidInputError(
            f"The retention period {name} must be a timedelta. Got {type(value).__name__} instead.",
            {"field": name},
        )
    if value <= timedelta(0):
        raise InvalidInputError(
            f"The retention period {name} must be positive; got {value}. A zero or "
            "negative period would delete every event: give the number of days to keep.",
            {"field": name, "period_s": value.total_seconds()},
        )
    return value


def check_periods(
    periods: Mapping[str, timedelta], default: timedelta
) -> tuple[dict[str, timedelta], timedelta]:
    """The periods checked (positive timedeltas, string model names), else ``InvalidInputError``."""
    if not isinstance(periods, Mapping):
        raise InvalidInputError(
            "The retention periods must be a mapping of model name to timedelta. "
            f"Got {type(periods).__name__} instead.",
            {"field": "periods"},
        )
    checked: dict[str, timedelta] = {}
    for model, period in periods.items():
        if not isinstance(model, str) or not model:
            raise InvalidInputError(
                f"A retention period is keyed by {model!r}; keys must be model names.",
                {"field": "periods"},
            )
        checked[model] = _check_period(f"of model {model!r}", period)
    return checked, _check_period("default", default)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of the UTC day and the first instant of the next one."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)
