"""The server's side of monitoring: the schedule, ``/v1/models/{name}/monitor``, gauges.

A pass runs on a worker thread every ``monitor_interval_s`` seconds, or sooner once
``monitor_every_events`` new predictions were recorded; it never runs on the event loop
and never holds up a request. Its figures become the ``aweigh_monitor`` gauges of
``/metrics`` (one series per model, version and metric name) and its alerts go to the
configured sinks. For very large traffic, set ``monitor_interval_s = 0`` and run
``aweigh monitor run`` from a scheduler on another machine instead.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aweigh.core.entities import thaw
from aweigh.core.errors import InvalidInputError
from aweigh.core.names import validate_model_name
from aweigh.serving.codec import parse_json
from aweigh.serving.http import JSONResponse, read_body
from aweigh.serving.routes_admin import authorise
from aweigh.serving.state import AppState

if TYPE_CHECKING:
    from aweigh.lifecycle.monitoring import MonitorService

log = logging.getLogger("aweigh.monitor")
MAX_LIMIT = 1000
MIN_GAP_S = 60.0  # event-triggered passes: at most one a minute (a pass reads its window)


class Gauges:
    """The latest value of every monitor metric, read by ``/metrics`` at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str, str], float] = {}
        self._firing: dict[str, int] = {}

    def update(self, points: list[Any], firing: dict[str, int] | None = None) -> None:
        with self._lock:
            for p in points:
                value = p.value
                if value is None:
                    continue
                self._values[(p.model, str(p.version), p.metric)] = float(value)
            if firing is not None:
                self._firing = dict(firing)

    def families(self) -> Iterator[object]:
        with self._lock:
            values, firing = dict(self._values), dict(self._firing)
        gauge = GaugeMetricFamily(
            "aweigh_monitor",
            "Latest monitor figures (drift effects, live and estimated quality, fairness gaps).",
            labels=["model", "version", "metric"],
        )
        for (model, version, metric), value in sorted(values.items()):
            gauge.add_metric([model, version, metric], value)
        yield gauge
        alerts = GaugeMetricFamily(
            "aweigh_alerts_firing", "Alerts firing now, by severity.", labels=["severity"]
        )
        for severity in ("info", "warning", "critical"):
            alerts.add_metric([severity], float(firing.get(severity, 0)))
        yield alerts


async def schedule(state: AppState) -> None:
    """Run a monitor pass every interval, or sooner after enough new predictions (but at
    most once a minute: each pass re-reads the open window, which grows with traffic)."""
    settings = state.settings
    interval = settings.monitor_interval_s
    every = settings.monitor_every_events
    loop = asyncio.get_running_loop()
    last_at, last_count = loop.time(), state.recorder.recorded
    while True:
        await asyncio.sleep(min(5.0, interval))
        since = loop.time() - last_at
        due = since >= interval
        busy = (
            every > 0
            and since >= min(MIN_GAP_S, interval)
            and state.recorder.recorded - last_count >= every
        )
        if not (due or busy):
            continue
        last_at, last_count = loop.time(), state.recorder.recorded
        try:
            await state.pool.run_io(lambda: run_pass(state))
        except Exception:
            log.warning("a monitor pass failed (it will run again)", exc_info=True)


def run_pass(
    state: AppState,
    model: str | None = None,
    window: tuple[int, datetime, datetime] | None = None,
) -> dict[str, Any]:
    """One monitor pass (on a worker thread): windows, gauges, alerts."""
    monitor = _monitor_of(state)
    if state.event_log is not None:
        state.event_log.flush(timeout_s=10)
    if window is not None and model is not None:
        run = monitor.evaluate_now(model, *window)
    else:
        run = monitor.run(model=model)
    if state.gauges is not None:
        state.gauges.update(run.points, run.firing)
    for error in run.errors:
        log.warning("monitor: %s", error)
    return {
        "windows": [
            {
                "model": w.model,
                "version": w.version,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "rows": w.rows,
                "records": {r.kind: r.summary for r in w.records},
                "payloads": {r.kind: thaw(r.payload) for r in w.records} if window else None,
            }
            for w in run.windows
        ],
        "alerts": [t.to_dict() for t in run.transitions],
        "firing": run.firing,
        "errors": run.errors,
    }


_BUILD_LOCK = threading.Lock()


def _monitor_of(state: AppState) -> MonitorService:
    """The app's monitor service over its own event log, built on first use."""
    if state.event_log is None:
        raise InvalidInputError(
            "Monitoring needs the event log; turn it on (AWEIGH_EVENTS_ENABLED=true)."
        )
    with _BUILD_LOCK:
        if state.monitor is None:
            from aweigh.bootstrap import build_monitor

            state.monitor = build_monitor(state.settings, state.registry.store, state.event_log)
        return state.monitor


async def model_monitor(request: Request) -> Response:
    """``GET /v1/models/{name}/monitor``: the latest windows and the firing alerts."""
    state: AppState = request.app.state.aweigh
    name = validate_model_name(request.path_params["name"])
    query = request.query_params
    version = _int(query.get("version"), "version", 1, 10**9)
    limit = _int(query.get("limit"), "limit", 1, MAX_LIMIT) or 24
    monitor = _monitor_of(state)
    body = await state.pool.run_io(lambda: monitor.latest(name, version=version, limit=limit))
    return JSONResponse(body)


_RUN_BODY = (
    'The body must be {}, {"model": "<name>"}, or one window: {"model": "<name>", '
    '"version": 3, "start": "2026-11-29T14:00:00Z", "end": "2026-11-29T15:00:00Z"}.'
)


async def run_now(request: Request) -> Response:
    """``POST /v1/admin/monitor/run``: a pass now (optionally one model), or one window
    you name (``version``, ``start``, ``end``): stored and alerted like scheduled ones."""
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    body = await read_body(request, state.settings.max_body_bytes)
    data = parse_json(body) if body.strip() else {}
    if not isinstance(data, dict) or set(data) - {"model", "version", "start", "end"}:
        raise InvalidInputError(_RUN_BODY)
    model = data.get("model")
    if model is not None:
        model = validate_model_name(model)
    if {"version", "start", "end"} & set(data):
        window = _window(data, model)
        result = await state.pool.run_io(lambda: run_pass(state, model, window))
    else:
        result = await state.pool.run_io(lambda: run_pass(state, model))
    return JSONResponse(result)


def _window(data: dict[str, Any], model: str | None) -> tuple[int, datetime, datetime]:
    version = data.get("version")
    if model is None or not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInputError(_RUN_BODY)
    bounds = []
    for key in ("start", "end"):
        raw = data.get(key)
        try:
            moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise InvalidInputError(
                f"The window {key} must be an ISO 8601 time with a zone, e.g. "
                f"2026-11-29T14:00:00Z; got {raw!r}."
            )
        bounds.append(moment.astimezone(UTC))
    return version, bounds[0], bounds[1]


def _int(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInputError(f"The {name} must be a whole number from {low} to {high}.")
    return int(raw)


ROUTES = [
    Route("/v1/models/{name}/monitor", model_monitor, methods=["GET"], name="v1_monitor"),
    Route("/v1/admin/monitor/run", run_now, methods=["POST"], name="admin_monitor_run"),
]
