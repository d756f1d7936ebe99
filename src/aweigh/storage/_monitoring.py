"""Checks every store runs on monitor records and alerts before keeping them.

All backends accept and refuse the same things in the same words: known kinds,
states and severities, timezone-aware times, JSON payloads of at most 8 MB. NaN
and infinities in payloads become ``null`` (JSON has no NaN, and PostgreSQL's
JSON type refuses it), numpy scalars and arrays become plain numbers and lists.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aweigh.core.entities import (
    ALERT_SEVERITIES,
    ALERT_STATES,
    MONITOR_KINDS,
    AlertRecord,
    MonitorRecord,
)
from aweigh.core.errors import InvalidInputError, PayloadTooLargeError

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
_LENGTHS = {"id": 64, "key": 512, "rule": 128, "model": 128, "metric": 256, "condition": 256}


def check_monitor_record(rec: MonitorRecord) -> MonitorRecord:
    """The record as the store keeps it, or ``InvalidInputError`` naming the bad field."""
    what = "monitor record"
    _text(rec.id, "id", what)
    _text(rec.model, "model", what)
    _version(rec.version, what)
    _one_of(rec.kind, "kind", MONITOR_KINDS, what)
    for name in ("window_start", "window_end", "created_at"):
        _aware(getattr(rec, name), name, what)
    if rec.window_start > rec.window_end:
        raise InvalidInputError(
            f"The {what}'s window_start ({rec.window_start.isoformat()}) is after its "
            f"window_end ({rec.window_end.isoformat()}); swap them.",
            {"field": "window_start"},
        )
    return dataclasses.replace(rec, payload=_json(rec.payload, "payload", what))


def check_alert(rec: AlertRecord) -> AlertRecord:
    """The alert as the store keeps it, or ``InvalidInputError`` naming the bad field."""
    what = "alert"
    for name in ("id", "key", "rule", "model", "metric", "condition"):
        _text(getattr(rec, name), name, what)
    _version(rec.version, what)
    _one_of(rec.severity, "severity", ALERT_SEVERITIES, what)
    _one_of(rec.state, "state", ALERT_STATES, what)
    for name in ("started_at", "updated_at"):
        _aware(getattr(rec, name), name, what)
    if rec.resolved_at is not None:
        _aware(rec.resolved_at, "resolved_at", what)
    if (rec.state == "resolved") != (rec.resolved_at is not None):
        raise InvalidInputError(
            f"An alert in state {rec.state!r} must {'' if rec.state == 'resolved' else 'not '}"
            "have resolved_at set.",
            {"field": "resolved_at"},
        )
    value = rec.value
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError(
                f"The alert's value must be a number or None; got {type(value).__name__}.",
                {"field": "value"},
            )
        value = float(value) if math.isfinite(value) else None
    return dataclasses.replace(rec, value=value, labels=_json(rec.labels, "labels", what))


def check_query(*, state: str | None = None, kind: str | None = None, limit: int = 100) -> None:
    """Refuse filters that can match nothing by mistake (a typo in a state or kind)."""
    if state is not None:
        _one_of(state, "state", ALERT_STATES, "alert query")
    if kind is not None:
        _one_of(kind, "kind", MONITOR_KINDS, "monitor record query")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidInputError(
            f"limit must be a whole number >= 0; got {limit!r}.", {"field": "limit"}
        )


def check_since(since: datetime | None) -> None:
    if since is not None:
        _aware(since, "since", "query")


def _text(value: object, name: str, what: str) -> None:
    limit = _LENGTHS[name]
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidInputError(
            f"The {what}'s {name} must be a non-empty string of at most {limit} characters; "
            f"got {_short(value)}.",
            {"field": name},
        )


def _version(value: object, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(
            f"The {what}'s version must be a version number >= 1 or None (every version); "
            f"got {_short(value)}.",
            {"field": "version"},
        )


def _one_of(value: object, name: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidInputError(
            f"The {what}'s {name} must be one of {', '.join(allowed)}; got {_short(value)}.",
            {"field": name, "allowed": list(allowed)},
        )


def _aware(value: object, name: str, what: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInputError(
            f"The {what}'s {name} must be a timezone-aware datetime (e.g. "
            f"datetime.now(UTC)); got {_short(value)}.",
            {"field": name},
        )


def _json(value: Any, name: str, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"The {what}'s {name} must be a JSON object (a dict); got {type(value).__name__}.",
            {"field": name},
        )
    try:
        text = json.dumps(_thawed(value), default=_plain, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The {what}'s {name} cannot be stored as JSON ({exc}); keep to dicts with string "
            "keys, lists, strings, numbers, booleans and None.",
            {"field": name},
        ) from exc
    if len(text) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The {what}'s {name} is {len(text) / 1e6:.1f} MB as JSON; the limit is "
            f"{MAX_PAYLOAD_BYTES // (1024 * 1024)} MB. Store a summary (e.g. per-column scores, "
            "not raw rows) and keep large results as artifacts.",
            {"field": name, "bytes": len(text), "limit": MAX_PAYLOAD_BYTES},
        )
    loaded: dict[str, Any] = json.loads(text, parse_constant=lambda _c: None)
    return loaded


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thawed(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """JSON for values ``json`` does not know: numpy scalars and arrays, datetimes."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
