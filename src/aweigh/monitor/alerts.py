"""The alert engine: metric points in, deduplicated alert transitions out.

For every (rule, model, version, metric) series it keeps a small state machine::

    ok --condition holds--> pending --held for_s--> firing --condition fails--> resolved (ok)

One series has at most one firing alert: later points update its ``value`` and
``updated_at`` instead of raising new alerts. After an alert resolves, the series
cannot fire again within the rule's ``cooldown_s``. Durations are measured on the
points' own timestamps (event time), so replays and backfills behave like live
traffic; points without a timestamp get the injected clock's time, and a point older
than the last one seen for its series is ignored. NaN values are ignored (no data).

Nothing is stored or sent here (``aweigh.monitor`` does no I/O): the caller saves
``pop_changed()`` records to the metadata store, hands ``observe``'s transitions to
sinks, and after a restart calls ``restore`` with the stored alerts, so alerts that
were already firing are not sent again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import numbers
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.entities import AlertRecord
from aweigh.core.errors import ConfigError, InvalidInputError
from aweigh.monitor.alerts_rules import (
    METRIC_FAMILIES,
    AlertRule,
    Condition,
    parse_rule,
    parse_rules,
    parse_rules_json,
)
from aweigh.monitor.anomaly import EwmaDetector, score_against

__all__ = [
    "METRIC_FAMILIES",
    "AlertEngine",
    "AlertRule",
    "AlertTransition",
    "Condition",
    "MetricPoint",
    "alert_key",
    "parse_rule",
    "parse_rules",
    "parse_rules_json",
]

ANOMALY_HISTORY = 100  # earlier values a robust z-score compares with
ANOMALY_MIN_HISTORY = 20  # values an anomaly condition waits for before it can hold
ROBUST_Z_THRESHOLD = 3.5
_MATCH_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One value of one metric series: ``version`` None for model-wide series."""

    model: str
    version: int | None
    metric: str
    value: float
    ts: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An alert started firing or resolved; ``alert`` is the record after the change."""

    state: str
    alert: AlertRecord
    rule: AlertRule | None = None  # None: resolved because its rule was removed

    def to_dict(self) -> dict[str, Any]:
        """The JSON sinks send: the new state and the whole alert."""
        return {"type": "aweigh.alert", "state": self.state, "alert": self.alert.to_dict()}


def alert_key(rule: str, model: str, version: int | None, metric: str) -> str:
    """The deduplication key of one series: one firing alert per key at a time."""
    return f"{rule}|{model}|{'*' if version is None else version}|{metric}"


@dataclass(slots=True)
class _Series:
    rule: AlertRule
    model: str
    version: int | None
    metric: str
    state: str = "ok"  # ok | pending | firing
    pending_since: datetime | None = None
    cooldown_until: datetime | None = None
    last_ts: datetime | None = None
    alert: AlertRecord | None = None
    history: deque[float] = field(default_factory=lambda: deque(maxlen=ANOMALY_HISTORY))
    detector: EwmaDetector | None = None


class AlertEngine:
    """Evaluates alert rules on metric points; thread-safe, one lock per engine."""

    def __init__(self, rules: Sequence[AlertRule], clock: Clock | None = None) -> None:
        names = [r.name for r in rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(
                f"Alert rule names must be unique; repeated: {', '.join(repeated)}.",
                {"field": "name", "rule": repeated[0]},
            )
        self.rules = tuple(rules)
        self.clock: Clock = clock or SystemClock()
        self._by_name = {r.name: r for r in self.rules}
        self._series: dict[str, _Series] = {}
        self._changed: dict[str, AlertRecord] = {}
        self._matches: dict[tuple[str, str], tuple[AlertRule, ...]] = {}
        self._lock = threading.Lock()

    # -- the main loop -------------------------------------------------------------------
    def observe(self, points: Iterable[MetricPoint]) -> list[AlertTransition]:
        """Feed metric points; the alerts that started firing or resolved, in order."""
        out: list[AlertTransition] = []
        with self._lock:
            now: datetime | None = None
            for point in points:
                _check_point(point)
                value = float(point.value)
                if not math.isfinite(value):
                    continue
                ts = point.ts
                if ts is None:
                    now = now or self.clock.now()
                    ts = now
                for rule in self._rules_for(point.model, point.metric):
                    series = self._series_for(rule, point)
                    if series.last_ts is not None and ts < series.last_ts:
                        continue
                    series.last_ts = ts
                    change = self._step(series, value, ts, point.labels)
                    if change is not None:
                        out.append(change)
        return out

    def _step(
        self, series: _Series, value: float, ts: datetime, labels: Mapping[str, str]
    ) -> AlertTransition | None:
        rule = series.rule
        holds, message = self._evaluate(series, value)
        if not holds:
            series.pending_since = None
            if series.state != "firing" or series.alert is None:
                series.state = "ok"
                return None
            resolved = dataclasses.replace(
                series.alert,
                state="resolved",
                value=value,
                updated_at=ts,
                resolved_at=ts,
                message=f"{series.metric} is back to {value:.4g} ({rule.condition} no longer "
                f"holds) on {_target(series)}",
            )
            series.state, series.alert = "ok", None
            series.cooldown_until = ts + timedelta(seconds=rule.cooldown_s)
            return self._changed_to(AlertTransition("resolved", resolved, rule))
        if series.state == "firing" and series.alert is not None:
            updated = dataclasses.replace(series.alert, value=value, updated_at=ts, message=message)
            series.alert = updated
            self._changed[updated.id] = updated
            return None
        if series.pending_since is None:
            series.state, series.pending_since = "pending", ts
        held = (ts - series.pending_since).total_seconds()
        cooling = series.cooldown_until is not None and ts < series.cooldown_until
        if held < rule.for_s or cooling:
            return None
        key = alert_key(rule.name, series.model, series.version, series.metric)
        fired = AlertRecord(
            id=hashlib.sha256(f"{key}@{ts.isoformat()}".encode()).hexdigest()[:24],
            key=key,
            rule=rule.name,
            model=series.model,
            version=series.version,
            metric=series.metric,
            severity=rule.severity,
            state="firing",
            value=value,
            condition=rule.condition,
            message=message,
            started_at=series.pending_since,
            updated_at=ts,
            labels={**labels, **rule.labels},
        )
        series.state, series.alert = "firing", fired
        return self._changed_to(AlertTransition("firing", fired, rule))

    def _evaluate(self, series: _Series, value: float) -> tuple[bool, str]:
        """Whether the rule's condition holds for this value, and the message saying so."""
        condition = series.rule.parsed
        if condition.anomaly is None:
            holds = condition.holds(value)
            return holds, f"{series.metric} is {value:.4g} ({condition.text}) on {_target(series)}"
        if condition.anomaly == "ewma":
            if series.detector is None:
                series.detector = EwmaDetector(season=series.rule.season)
            point = series.detector.update(value)
            score = point.score if point is not None else 0.0
            expected = point.expected if point is not None else series.detector.expected
        else:
            score, expected = (math.nan, math.nan)
            if len(series.history) >= ANOMALY_MIN_HISTORY:
                score, expected = score_against(series.history, value)
            series.history.append(value)
            score = score if abs(score) > ROBUST_Z_THRESHOLD else 0.0
        holds = bool(score)
        return holds, (
            f"{series.metric} is {value:.4g}, expected about {expected:.4g} "
            f"({score:+.1f} sigma, anomaly) on {_target(series)}"
        )

    # -- state after a restart, stale series, reading ------------------------------------
    def restore(self, alerts: Iterable[AlertRecord]) -> list[AlertTransition]:
        """Adopt stored alerts after a restart: firing ones stay firing without being sent
        again, recent resolutions keep their cooldown. Firing alerts whose rule is gone
        (or no longer watches them) are resolved; those transitions are returned."""
        now = self.clock.now()
        out: list[AlertTransition] = []
        with self._lock:
            for rec in sorted(alerts, key=lambda a: a.updated_at):
                rule = self._by_name.get(rec.rule)
                if rule is None or not rule.matches(rec.model, rec.metric):
                    if rec.state == "firing":
                        gone = dataclasses.replace(
                            rec,
                            state="resolved",
                            updated_at=now,
                            resolved_at=now,
                            message=f"{rec.message} (resolved: the rule {rec.rule!r} no longer "
                            "watches this series)",
                        )
                        out.append(self._changed_to(AlertTransition("resolved", gone, rule)))
                    continue
                series = self._series_for(
                    rule, MetricPoint(rec.model, rec.version, rec.metric, math.nan)
                )
                if rec.state == "firing":
                    series.state, series.alert = "firing", rec
                    series.pending_since = rec.started_at
                    series.last_ts = rec.updated_at
                elif rec.resolved_at is not None and series.state != "firing":
                    series.cooldown_until = rec.resolved_at + timedelta(seconds=rule.cooldown_s)
        return out

    def resolve_stale(self, max_age_s: float) -> list[AlertTransition]:
        """Resolve firing alerts whose series sent no point for ``max_age_s`` (by the clock):
        a version taken out of service must not fire for ever."""
        now = self.clock.now()
        out: list[AlertTransition] = []
        with self._lock:
            for series in self._series.values():
                alert = series.alert
                if series.state != "firing" or alert is None:
                    continue
                if (now - alert.updated_at).total_seconds() < max_age_s:
                    continue
                gone = dataclasses.replace(
                    alert,
                    state="resolved",
                    updated_at=now,
                    resolved_at=now,
                    message=f"{alert.message} (resolved: no data for {max_age_s:g} s)",
                )
                series.state, series.alert, series.pending_since = "ok", None, None
                series.cooldown_until = now + timedelta(seconds=series.rule.cooldown_s)
                out.append(self._changed_to(AlertTransition("resolved", gone, series.rule)))
        return out

    def firing(self) -> list[AlertRecord]:
        """The alerts firing now, with their latest values."""
        with self._lock:
            return [s.alert for s in self._series.values() if s.alert is not None]

    def pop_changed(self) -> list[AlertRecord]:
        """Alerts created, updated or resolved since the last call: what to save."""
        with self._lock:
            changed, self._changed = list(self._changed.values()), {}
            return changed

    # -- helpers -------------------------------------------------------------------------
    def _rules_for(self, model: str, metric: str) -> tuple[AlertRule, ...]:
        key = (model, metric)
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) >= _MATCH_CACHE_SIZE:
                self._matches.clear()
            found = tuple(r for r in self.rules if r.matches(model, metric))
            self._matches[key] = found
        return found

    def _series_for(self, rule: AlertRule, point: MetricPoint) -> _Series:
        key = alert_key(rule.name, point.model, point.version, point.metric)
        series = self._series.get(key)
        if series is None:
            series = _Series(rule, point.model, point.version, point.metric)
            self._series[key] = series
        return series

    def _changed_to(self, transition: AlertTransition) -> AlertTransition:
        self._changed[transition.alert.id] = transition.alert
        return transition


def _target(series: _Series) -> str:
    return series.model if series.version is None else f"{series.model}/{series.version}"


def _check_point(point: Any) -> None:
    if not isinstance(point, MetricPoint):
        raise InvalidInputError(
            f"The alert engine takes MetricPoint objects; got {type(point).__name__}.",
            {"field": "points"},
        )
    if not point.model or not point.metric:
        raise InvalidInputError(
            f"A metric point needs a model and a metric name; got model={point.model!r}, "
            f"metric={point.metric!r}.",
            {"field": "model" if not point.model else "metric"},
        )
    if isinstance(point.value, bool) or not isinstance(point.value, numbers.Real):
        raise InvalidInputError(
            f"The value of metric {point.metric!r} must be a number; got {point.value!r}.",
            {"field": "value", "metric": point.metric},
        )
    if point.ts is not None and point.ts.utcoffset() is None:
        raise InvalidInputError(
            f"The timestamp of metric {point.metric!r} must be timezone-aware (UTC); "
            f"got {point.ts.isoformat()}.",
            {"field": "ts", "metric": point.metric},
        )
