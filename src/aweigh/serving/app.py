"""``create_app(settings)``: the one factory that builds the inference server."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from aweigh.core.errors import AweighError, ModelNotFoundError
from aweigh.registry.service import Registry
from aweigh.serving import monitoring, routes_admin, routes_ops, routes_v1, routes_v2
from aweigh.serving.http import JSONResponse, error_response, request_id
from aweigh.serving.metrics import ServingMetrics, event_log_families, model_families
from aweigh.serving.middleware import RequestContext
from aweigh.serving.pool import BatchConfig, ModelPool
from aweigh.serving.process import trim_malloc
from aweigh.serving.recorder import Recorder
from aweigh.serving.state import AppState
from aweigh.settings import Settings
from aweigh.storage.events import EventLog

log = logging.getLogger("aweigh.serving")


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    event_log: EventLog | None = None,
    metrics: ServingMetrics | None = None,
    secret: bytes | None = None,
) -> Starlette:
    """The ASGI app serving every registered model (see ``aweigh serve``).

    ``registry`` and ``event_log`` default to the ones ``settings`` describe; tests
    inject their own. Models load in the background: ``/readyz`` says when.
    """
    if registry is None or (event_log is None and settings.events_enabled):
        from aweigh.bootstrap import build_event_log, build_registry

        registry = registry or build_registry(settings)
        if event_log is None and settings.events_enabled:
            event_log = build_event_log(settings)
    metrics = metrics or ServingMetrics()
    if secret is None:
        from aweigh.bootstrap import privacy_secret

        secret = privacy_secret(settings)
    pool = ModelPool(
        registry,
        defaults=BatchConfig(settings.batching, settings.max_batch_size, settings.max_wait_ms),
        per_model=settings.model_batching,
        compute_threads=settings.compute_threads,
        model_threads=settings.model_threads,
        secret=secret,
        observer_for=metrics.observer,
    )
    state = AppState(
        settings=settings,
        registry=registry,
        pool=pool,
        metrics=metrics,
        recorder=Recorder(event_log, secret=secret, subject_field=settings.subject_field),
        event_log=event_log,
        secret=secret,
    )
    if event_log is not None:
        log_ = event_log
        metrics.watch("events", lambda: event_log_families(log_.stats()))
        _watch_monitor(state)
    metrics.watch(
        "models",
        lambda: model_families(
            [(s.version.model_name, str(s.version.version), s.state) for s in pool.served()]
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_startup(state), name="aweigh-startup")]
        if settings.alias_refresh_s > 0:
            tasks.append(asyncio.create_task(_refresh_aliases(state), name="aweigh-aliases"))
        if settings.retention_interval_s > 0 and event_log is not None:
            tasks.append(asyncio.create_task(_retention(state), name="aweigh-retention"))
        tasks.append(asyncio.create_task(_trim_when_idle(state), name="aweigh-trim"))
        if settings.monitor_interval_s > 0 and event_log is not None:
            tasks.append(asyncio.create_task(monitoring.schedule(state), name="aweigh-monitor"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await pool.close()
            if state.monitor is not None:
                state.monitor.close(2.0)
            if event_log is not None:
                await asyncio.get_running_loop().run_in_executor(None, event_log.close)

    app = Starlette(
        routes=[
            *routes_v1.ROUTES,
            *monitoring.ROUTES,
            *routes_v2.ROUTES,
            *routes_admin.ROUTES,
            *routes_ops.ROUTES,
        ],
        middleware=[
            Middleware(RequestContext, metrics=metrics, max_in_flight=settings.max_concurrency)
        ],
        exception_handlers={AweighError: _aweigh_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.aweigh = state
    return app


def _watch_monitor(state: AppState) -> None:
    """Gauges for the monitor's figures; the monitor itself is built at its first pass
    (its imports cost memory an idle server does not need)."""
    gauges = state.gauges = monitoring.Gauges()
    state.metrics.watch("monitor", gauges.families)


GC_THRESHOLDS = (20_000, 10, 10)


def tune_gc() -> None:
    """Fewer, cheaper collections: the server allocates many short-lived objects per
    request, and Python's default (a collection every 700 allocations, full ones walking
    every queued event) cost a quarter of the busy time under load (profiled in
    BENCHMARKS.md). Objects alive after start-up (loaded models) are frozen out of it,
    after start-up's garbage is collected (frozen garbage would never be freed)."""
    gc.collect()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


async def _startup(state: AppState) -> None:
    try:
        await state.pool.load_startup(list(state.settings.serve_models))
    except AweighError as exc:
        log.error("startup loading failed: %s", exc.message)
    except Exception:
        log.exception("startup loading failed")
    finally:
        state.started = True
        if state.settings.gc_tuning:
            tune_gc()
        trim_malloc()  # loading's freed buffers: an idle server starts at its true size


async def _refresh_aliases(state: AppState) -> None:
    while True:
        await asyncio.sleep(state.settings.alias_refresh_s)
        with _quiet():
            await state.pool.refresh_aliases()


async def _trim_when_idle(state: AppState, every_s: float = 2.0) -> None:
    """Once traffic stops, collect garbage and give freed memory back to the system.

    Runs once per burst (when a check finds no new predictions since the last one), on a
    worker thread, so an idle server's RSS returns close to its size after start-up.
    """
    loop = asyncio.get_running_loop()
    seen, dirty = state.recorder.recorded, False
    while True:
        await asyncio.sleep(every_s)
        now = state.recorder.recorded
        if now != seen:
            seen, dirty = now, True
            continue
        if dirty:
            dirty = False
            with _quiet():
                await loop.run_in_executor(None, _collect_and_trim)


def _collect_and_trim() -> None:
    gc.collect()
    trim_malloc()


async def _retention(state: AppState) -> None:
    """Apply the retention periods on a schedule (with a receipt and an audit entry)."""
    from aweigh.lifecycle.privacy import PrivacyService

    settings = state.settings
    service = PrivacyService(
        registry=state.registry,
        event_log=state.event_log,
        secret=state.secret,
        receipts_dir=settings.home / "receipts",
        actor="aweigh-server",
        retention_days=settings.retention_days,
        retention_per_model=dict(settings.retention_per_model),
    )
    while True:
        await asyncio.sleep(settings.retention_interval_s)
        with _quiet():
            receipt, _ = await state.pool.run_io(lambda: service.retention(apply=True))
            log.info("retention removed %s expired events", receipt["removed"].get("events"))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    try:
        yield
    except Exception:
        log.warning("a background task failed (it will run again)", exc_info=True)


async def _aweigh_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AweighError)
    rid = request_id(request)
    if request.url.path.startswith("/v2"):
        status = exc.http_status
        if isinstance(exc, ModelNotFoundError):
            status = 404
        return JSONResponse(
            {"error": exc.message, "code": exc.code},
            status_code=status,
            headers={"X-Request-ID": rid},
        )
    return error_response(exc, rid)


async def _unexpected(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.error("unexpected error on request %s", rid, exc_info=exc)
    body: dict[str, Any] = {
        "error": {
            "code": "internal",
            "request_id": rid,
            "message": (
                "The server failed on this request; the logs have the details under this "
                "request id."
            ),
        }
    }
    return JSONResponse(body, status_code=500, headers={"X-Request-ID": rid})


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: settings come from ``AWEIGH_*`` variables."""
    from aweigh.serving.logs import configure_logging
    from aweigh.serving.process import limit_malloc_arenas, use_system_memory_pool
    from aweigh.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    limit_malloc_arenas()
    use_system_memory_pool()
    return create_app(settings)
