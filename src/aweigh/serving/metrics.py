"""Prometheus metrics of one app, on an injected registry (tests never share globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from aweigh.core.entities import ModelVersion
from aweigh.serving.batcher import BatchObserver
from aweigh.storage.events import EventLogStats

disable_created_metrics()  # type: ignore[no-untyped-call]  # the _created series double every metric and no one reads them

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0)


class ServingMetrics:
    """Requests, latency, batching and queue metrics of the inference server."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "aweigh_requests",
            "HTTP requests by route, model, version and status.",
            ["route", "model", "version", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "aweigh_request_duration_seconds",
            "Time from request to response, by route and model.",
            ["route", "model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rows = Counter(
            "aweigh_predicted_rows",
            "Rows predicted, by model and version.",
            ["model", "version"],
            registry=r,
        )
        self.batch_size = Histogram(
            "aweigh_batch_size_rows",
            "Rows per predict call.",
            ["model", "version"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.batch_wait = Histogram(
            "aweigh_batch_queue_wait_seconds",
            "Time the oldest request of a batch waited before compute.",
            ["model", "version"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "aweigh_batch_queue_depth",
            "Requests waiting for a batch.",
            ["model", "version"],
            registry=r,
        )
        self.violations = Counter(
            "aweigh_contract_violations",
            "Request values that broke a contract rule, by model, version, column, rule "
            "and policy (reject: the request got 422; warn: served and flagged).",
            ["model", "version", "column", "rule", "policy"],
            registry=r,
        )
        self.feedback = Counter(
            "aweigh_feedback",
            "Feedback labels received, by whether their request id was known.",
            ["model", "matched"],
            registry=r,
        )

    def observer(self, version: ModelVersion) -> BatchObserver:
        """Batch hooks bound to one model version's label values."""
        labels = (version.model_name, str(version.version))
        size = self.batch_size.labels(*labels)
        wait = self.batch_wait.labels(*labels)
        depth = self.queue_depth.labels(*labels)

        def on_batch(rows: int, wait_s: float) -> None:
            size.observe(rows)
            wait.observe(wait_s)

        return BatchObserver(on_batch=on_batch, on_depth=depth.set)

    def watch(self, name: str, collect: Callable[[], Iterator[object]]) -> None:
        """Register a callable collector (event log counters, loaded models)."""
        self.registry.register(_FnCollector(collect))


class _FnCollector(Collector):
    def __init__(self, fn: Callable[[], Iterator[object]]) -> None:
        self._fn = fn

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        yield from self._fn()


def event_log_families(stats: EventLogStats) -> Iterator[object]:
    """Counters of the event log as metric families (read at scrape time)."""
    counter = CounterMetricFamily(
        "aweigh_events", "Prediction and feedback events by outcome.", labels=["outcome"]
    )
    for outcome in ("appended", "written", "spooled", "replayed", "dropped", "erased"):
        counter.add_metric([outcome], float(getattr(stats, outcome)))
    yield counter
    yield GaugeMetricFamily(
        "aweigh_events_queue_depth",
        "Events waiting to be written.",
        value=float(stats.queue_depth),
    )


def model_families(states: list[tuple[str, str, str]]) -> Iterator[object]:
    """One gauge per served version: 1 for its current state."""
    gauge = GaugeMetricFamily(
        "aweigh_model_state",
        "Served model versions by state.",
        labels=["model", "version", "state"],
    )
    for model, version, state in states:
        gauge.add_metric([model, version, state], 1.0)
    yield gauge
