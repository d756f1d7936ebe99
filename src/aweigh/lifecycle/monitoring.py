"""The monitor service: drift, live quality and fairness per model version and window.

It reads windows of prediction events from the event log (with their late labels),
compares them with each version's reference, stores one :class:`MonitorRecord` per
(version, kind, window) and turns the figures into metric points for the alert engine.

- **Windows** are ``window_s`` long and aligned to UTC (hourly by default). A scheduled
  pass recomputes every window that got new predictions or new labels since the last
  pass, up to ``label_horizon_s`` back, so a late label revises the window of its
  prediction; records are upserted, never duplicated.
- **The reference** of a version is its registered dataset's profile (the training
  data's sketches) when it has one; the model's outputs, and the features of a version
  without a dataset, are compared with the version's first ``reference_events``
  predictions (its baseline traffic), sketched once and stored as a ``reference`` record.
  Until that many predictions exist, output drift says so instead of judging.
- **Quality** uses the rows with labels; **estimated quality** (CBPE) uses every row's
  probabilities, so it is there before any label arrives.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.entities import ModelVersion, MonitorRecord, thaw
from aweigh.core.errors import AweighError, InvalidInputError
from aweigh.lifecycle.monitor_checks import (
    drift_payload,
    fairness_payload,
    metric_points,
    quality_payload,
)
from aweigh.lifecycle.monitor_window import gather_window
from aweigh.monitor.alerts import AlertEngine, AlertTransition, MetricPoint
from aweigh.monitor.drift.sketch import WindowSketch
from aweigh.monitor.sinks import AlertSink
from aweigh.storage.base import MetadataStore
from aweigh.storage.events import EventReader

__all__ = [
    "DEFAULT_ALERT_RULES",
    "MonitorConfig",
    "MonitorRun",
    "MonitorService",
    "Reference",
    "WindowOutcome",
]

log = logging.getLogger("aweigh.monitor")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KINDS = ("drift", "quality", "fairness")


@dataclass(frozen=True)
class MonitorConfig:
    """What the monitor watches and how (built from ``Settings`` by ``bootstrap``)."""

    window_s: int = 3600
    label_horizon_s: int = 7 * 86_400
    alpha: float = 0.01
    reference_events: int = 5_000
    segments: Mapping[str, Sequence[str]] = field(default_factory=dict)
    fairness: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    batch_rows: int = 65_536
    overlap_s: int = 300  # events reach disk up to a flush interval after their timestamp


@dataclass
class Reference:
    """What a version's windows are compared with."""

    features: WindowSketch | None
    features_source: str
    outputs: WindowSketch | None
    outputs_rows: int
    label_column: str | None = None
    labels: WindowSketch | None = None


@dataclass(frozen=True)
class WindowOutcome:
    """The records one window produced."""

    model: str
    version: int
    start: datetime
    end: datetime
    rows: int
    records: tuple[MonitorRecord, ...]

    def record(self, kind: str) -> MonitorRecord | None:
        return next((r for r in self.records if r.kind == kind), None)


@dataclass
class MonitorRun:
    """What one scheduled pass did: windows, their metric points, alert changes."""

    windows: list[WindowOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    points: list[MetricPoint] = field(default_factory=list)
    transitions: list[AlertTransition] = field(default_factory=list)
    firing: dict[str, int] = field(default_factory=dict)


#: The rules used when ``[[alerts.rules]]`` is not configured.
DEFAULT_ALERT_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "drift",
        "metric": "drift.dataset",
        "condition": "> 0",
        "severity": "warning",
        "cooldown": "1h",
    },
    {
        "name": "accuracy-drop",
        "metric": "quality.accuracy",
        "condition": "anomaly",
        "severity": "warning",
    },
    {
        "name": "estimated-accuracy-drop",
        "metric": "quality.estimated.accuracy",
        "condition": "anomaly",
        "severity": "info",
    },
    {
        "name": "four-fifths",
        "metric": "fairness.*.four_fifths",
        "condition": "< 1",
        "severity": "warning",
        "cooldown": "1h",
    },
    {
        "name": "latency-p99",
        "metric": "serving.latency_p99_ms",
        "condition": "anomaly",
        "severity": "info",
    },
    {"name": "traffic", "metric": "serving.requests", "condition": "anomaly", "severity": "info"},
)


def window_bounds(moment: datetime, window_s: int) -> tuple[datetime, datetime]:
    """The UTC-aligned window holding ``moment``."""
    seconds = int((moment - EPOCH).total_seconds()) // window_s * window_s
    start = EPOCH + timedelta(seconds=seconds)
    return start, start + timedelta(seconds=window_s)


_DIRTY_SQL = """
WITH fresh AS (
    SELECT version, ts FROM events
    WHERE kind = 'prediction' AND model = $model AND ts >= $since AND date >= $since_day
    UNION ALL
    SELECT p.version, p.ts FROM events p SEMI JOIN (
        SELECT request_id, "row" FROM events
        WHERE kind = 'feedback' AND model = $model AND ts >= $since AND date >= $since_day
    ) f ON p.request_id = f.request_id AND p."row" = f."row"
    WHERE p.kind = 'prediction' AND p.model = $model AND p.ts >= $horizon
        AND p.date >= $horizon_day
)
SELECT version, min(ts) AS first_ts, max(ts) AS last_ts,
       floor(epoch(ts) / $window)::BIGINT AS slot, count(*) AS n
FROM fresh WHERE version IS NOT NULL GROUP BY version, slot ORDER BY version, slot
"""


class MonitorService:
    """Computes and stores drift, quality and fairness for windows of served traffic."""

    def __init__(
        self,
        store: MetadataStore,
        event_log: EventReader,
        *,
        config: MonitorConfig | None = None,
        clock: Clock | None = None,
        engine: AlertEngine | None = None,
        sinks: Sequence[AlertSink] = (),
    ) -> None:
        self.store = store
        self.event_log = event_log
        self.config = config or MonitorConfig()
        self.clock = clock or SystemClock()
        self.engine = engine
        self.sinks = list(sinks)
        self._references: dict[tuple[str, int], Reference] = {}
        self._restored = False
        self._lock = threading.Lock()

    def close(self, timeout_s: float = 5.0) -> None:
        """Flush the sinks (a webhook still retrying gets ``timeout_s``)."""
        for sink in self.sinks:
            sink.close(timeout_s)

    # -- what to compute -------------------------------------------------------------
    def models(self) -> list[str]:
        """Models that have prediction events."""
        table = self.event_log.query(
            "SELECT DISTINCT model FROM events WHERE kind = 'prediction' ORDER BY model"
        )
        return [str(m) for m in table.column("model").to_pylist()]

    def dirty_windows(
        self, model: str, since: datetime, now: datetime
    ) -> list[tuple[int, datetime, datetime]]:
        """(version, start, end) of each window with predictions or labels newer than
        ``since`` (labels only for predictions within the label horizon)."""
        horizon = now - timedelta(seconds=self.config.label_horizon_s)
        since = max(since, horizon)
        table = self.event_log.query(
            _DIRTY_SQL,
            {
                "model": model,
                "since": since,
                "since_day": since.date(),
                "horizon": horizon,
                "horizon_day": horizon.date(),
                "window": self.config.window_s,
            },
        )
        out = []
        for row in table.to_pylist():
            start = EPOCH + timedelta(seconds=int(row["slot"]) * self.config.window_s)
            out.append(
                (int(row["version"]), start, start + timedelta(seconds=self.config.window_s))
            )
        return out

    def _since(self, model: str, now: datetime) -> datetime:
        """Where the last pass left off (minus an overlap for events flushed late)."""
        records = self.store.monitor_records(model, limit=1)
        horizon = now - timedelta(seconds=self.config.label_horizon_s)
        if not records:
            return horizon
        return max(horizon, records[0].created_at - timedelta(seconds=self.config.overlap_s))

    # -- the scheduled pass ----------------------------------------------------------
    def run(self, *, model: str | None = None, now: datetime | None = None) -> MonitorRun:
        """Recompute every window that changed since the last pass, for one or all models."""
        now = now or self.clock.now()
        run = MonitorRun()
        for name in [model] if model else self.models():
            try:
                windows = self.dirty_windows(name, self._since(name, now), now)
            except AweighError as exc:
                run.errors.append(f"{name}: {exc.message}")
                continue
            for version, start, end in windows:
                try:
                    run.windows.append(self.evaluate(name, version, start, end, now=now))
                except AweighError as exc:
                    run.errors.append(f"{name}/{version} {start:%Y-%m-%d %H:%M}: {exc.message}")
                except Exception as exc:  # one bad window must not stop the others
                    log.exception("monitoring %s/%s failed", name, version)
                    run.errors.append(f"{name}/{version}: {type(exc).__name__}: {exc}")
        self.alert(run)
        return run

    # -- alerts -----------------------------------------------------------------------
    def alert(self, run: MonitorRun) -> None:
        """Turn the run's windows into metric points, feed the alert engine, store the
        alerts that changed and hand the transitions to the sinks."""
        points = [p for outcome in run.windows for p in metric_points(outcome)]
        points.sort(key=lambda p: (p.ts or EPOCH, p.model, p.metric))
        run.points = points
        if self.engine is None:
            return
        with self._lock:
            if not self._restored:
                firing = self.store.alerts(state="firing", limit=100_000)
                run.transitions += self.engine.restore(firing)
                self._restored = True
            run.transitions += self.engine.observe(points)
            for record in self.engine.pop_changed():
                self.store.save_alert(record)
            firing_now = self.engine.firing()
        run.firing = dict(Counter(a.severity for a in firing_now))
        for transition in run.transitions:
            for sink in self.sinks:
                try:
                    sink.send(transition)
                except Exception:  # a sink must never stop monitoring
                    log.warning("alert sink %r failed", sink, exc_info=True)

    def evaluate_now(self, model: str, version: int, start: datetime, end: datetime) -> MonitorRun:
        """One window you name (not aligned), stored and alerted like a scheduled one."""
        run = MonitorRun(windows=[self.evaluate(model, version, start, end)])
        self.alert(run)
        return run

    # -- one window -------------------------------------------------------------------
    def evaluate(
        self,
        model: str,
        version: int,
        start: datetime,
        end: datetime,
        *,
        now: datetime | None = None,
        save: bool = True,
        kinds: Iterable[str] = KINDS,
    ) -> WindowOutcome:
        """Drift, quality and fairness of ``model``/``version`` for [start, end)."""
        if end <= start:
            raise InvalidInputError(
                f"The window ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
                "give an end after the start."
            )
        now = now or self.clock.now()
        mv = self.store.get_version(model, version)
        reference = self.reference(mv)
        fairness = self.config.fairness.get(model) or {}
        keep = [*self.config.segments.get(model, ()), *fairness.get("sensitive", ())]
        data = gather_window(
            self.event_log,
            mv,
            start=start,
            end=end,
            keep_columns=keep,
            batch_rows=self.config.batch_rows,
        )
        wanted = set(kinds)
        records: list[MonitorRecord] = []
        if "drift" in wanted:
            payload = drift_payload(mv, reference, data, alpha=self.config.alpha)
            records.append(self._record(mv, "drift", start, end, now, payload))
        if "quality" in wanted:
            segments = self.config.segments.get(model, ())
            payload = quality_payload(mv, data, segments=segments, reference=reference)
            records.append(self._record(mv, "quality", start, end, now, payload))
        if "fairness" in wanted and fairness:
            payload = fairness_payload(mv, data, fairness)
            records.append(self._record(mv, "fairness", start, end, now, payload))
        if save:
            records = [self.store.save_monitor_record(r) for r in records]
        return WindowOutcome(model, version, start, end, data.rows, tuple(records))

    def _record(
        self,
        mv: ModelVersion,
        kind: str,
        start: datetime,
        end: datetime,
        now: datetime,
        payload: dict[str, Any],
    ) -> MonitorRecord:
        return MonitorRecord(
            id=f"{mv.model_name}/{mv.version}/{kind}/{int(start.timestamp())}",
            model=mv.model_name,
            version=mv.version,
            kind=kind,
            window_start=start,
            window_end=end,
            created_at=now,
            summary=str(payload.get("summary", "")),
            payload=payload,
        )

    # -- references --------------------------------------------------------------------
    def reference(self, mv: ModelVersion) -> Reference:
        """The version's reference: its dataset's profile and its baseline traffic."""
        key = (mv.model_name, mv.version)
        cached = self._references.get(key)
        if cached is not None and cached.outputs is not None:
            return cached
        features: WindowSketch | None = None
        source = "none"
        label_column: str | None = None
        labels: WindowSketch | None = None
        if mv.dataset is not None:
            from aweigh.data.profile import Profile

            dataset = self.store.get_dataset_version(*mv.dataset)
            profile = Profile.from_dict(thaw(dataset.profile))
            inputs = [c for c in mv.signature.names if c in profile.columns]
            features = WindowSketch.from_profile(profile, columns=inputs)
            source = f"dataset {mv.dataset[0]}/{mv.dataset[1]}"
            label_column = profile.label
            if label_column is not None and label_column in profile.columns:
                labels = WindowSketch.from_profile(profile, columns=[label_column])
        outputs, rows = self._baseline(mv)
        if features is None and outputs is not None:
            features, source = self._baseline_features(mv), "baseline traffic"
        reference = Reference(features, source, outputs, rows, label_column, labels)
        self._references[key] = reference
        return reference

    def _baseline(self, mv: ModelVersion) -> tuple[WindowSketch | None, int]:
        stored = self.store.monitor_records(
            mv.model_name, version=mv.version, kind="reference", limit=1
        )
        if stored:
            payload = thaw(stored[0].payload)
            return WindowSketch.from_dict(payload["outputs"]), int(payload["rows"])
        data = gather_window(
            self.event_log, mv, start=None, end=None, limit=self.config.reference_events
        )
        if data.rows < self.config.reference_events:
            return None, data.rows
        assert data.first_ts is not None
        assert data.last_ts is not None
        payload = {
            "rows": data.rows,
            "features": data.sketch.to_dict(),
            "outputs": data.outputs.to_dict(),
            "summary": f"baseline traffic: the first {data.rows:,} predictions",
        }
        record = self._record(
            mv, "reference", data.first_ts, data.last_ts, self.clock.now(), payload
        )
        self.store.save_monitor_record(record)
        return data.outputs, data.rows

    def _baseline_features(self, mv: ModelVersion) -> WindowSketch | None:
        stored = self.store.monitor_records(
            mv.model_name, version=mv.version, kind="reference", limit=1
        )
        return WindowSketch.from_dict(thaw(stored[0].payload)["features"]) if stored else None

    # -- reading back -------------------------------------------------------------------
    def latest(self, model: str, *, version: int | None = None, limit: int = 24) -> dict[str, Any]:
        """The latest records of a model (newest first) and its firing alerts."""
        out: dict[str, Any] = {"model": model}
        for kind in KINDS:
            records = self.store.monitor_records(model, version=version, kind=kind, limit=limit)
            out[kind] = [r.to_dict() for r in records]
        out["alerts"] = [a.to_dict() for a in self.store.alerts(model=model, state="firing")]
        return out
