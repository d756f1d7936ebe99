"""The shared predict path of /v1 and /v2: find the version, batch, answer, record.

The client's disconnect is watched while the request waits for its batch; a request
whose client has gone is dropped before it reaches the model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request

from aweigh.core.errors import AweighError, InvalidInputError, PredictionError
from aweigh.core.refs import ModelRef
from aweigh.serving.batcher import BatchOutput
from aweigh.serving.pool import Served
from aweigh.serving.state import AppState

log = logging.getLogger("aweigh.serving")


class ClientGoneError(Exception):
    """The client disconnected before its prediction was ready."""


@dataclass(slots=True)
class Prediction:
    served: Served
    output: BatchOutput
    latency_ms: float


def model_ref(name: str, version: str | None, alias: str | None) -> ModelRef:
    """The reference a URL names: ``?version=3``, ``?alias=challenger`` or the default."""
    from aweigh.core.refs import parse_ref

    if version is not None and alias is not None:
        raise InvalidInputError("Give either 'version' or 'alias', not both.")
    if version is not None:
        return parse_ref(f"{name}/{version}")
    if alias is not None:
        return parse_ref(f"{name}@{alias}")
    return parse_ref(name)


#: how long a request waits for its batch before the server starts watching for the
#: client's disconnect; most requests are answered sooner and never pay for a watcher
WATCH_AFTER_S = 0.02


async def run_prediction(
    state: AppState, request: Request, served: Served, columns: dict[str, list[Any]], rows: int
) -> Prediction:
    """Batch and compute; raise ClientGoneError if the client left while waiting.

    The wait is not watched at first: a timer starts a watcher task only if the answer
    takes longer than :data:`WATCH_AFTER_S`. A watcher that sees the client go cancels
    this request's task, so a queued request whose client left never reaches the model.
    """
    assert served.batcher is not None
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    watch = _Watch(request, task)
    timer = loop.call_later(WATCH_AFTER_S, watch.start)
    try:
        output = await served.batcher.submit(columns, rows)
    except asyncio.CancelledError:
        if watch.gone:
            task.uncancel()
            raise ClientGoneError from None
        raise
    except AweighError:
        raise
    except Exception as exc:
        log.error(
            "model %s failed on request %s",
            served.version.ref,
            request.scope.get("aweigh.request_id"),
            exc_info=exc,
        )
        raise PredictionError(
            f"{served.version.ref} failed while predicting ({type(exc).__name__}). The "
            "server logs have the details under this request id.",
            {"model": served.version.model_name, "version": served.version.version},
        ) from exc
    finally:
        timer.cancel()
        watch.stop()
    state.metrics.rows.labels(served.version.model_name, str(served.version.version)).inc(rows)
    return Prediction(served, output, (time.perf_counter() - started) * 1000)


class _Watch:
    """Watches one request's connection once started; cancels the request when it drops."""

    __slots__ = ("gone", "request", "task", "watcher")

    def __init__(self, request: Request, task: asyncio.Task[Any]) -> None:
        self.request = request
        self.task = task
        self.gone = False
        self.watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.watcher = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self.watcher is not None and not self.watcher.done():
            self.watcher.cancel()

    async def _run(self) -> None:
        while True:
            message = await self.request.receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                self.task.cancel()
                return


def record_task(
    state: AppState,
    rid: str,
    prediction: Prediction,
    columns: dict[str, list[Any]],
    rows: int,
    subject_id: str | None,
    flags: dict[int, tuple[str, ...]] | None = None,
    consent: tuple[tuple[str, ...] | None, bool | None] = (None, None),
) -> BackgroundTask | None:
    """The event-log write that runs after the response is sent."""
    if state.event_log is None:
        state.recorder.recorded += rows  # still counted: the idle trimmer watches it
        return None
    version = prediction.served.version
    return BackgroundTask(
        _record,
        state,
        request_id=rid,
        model=version.model_name,
        version=version.version,
        columns=columns,
        rows=rows,
        predictions=prediction.output.predictions,
        proba=prediction.output.proba,
        latency_ms=prediction.latency_ms,
        subject_id=subject_id,
        flags=flags,
        redactor=prediction.served.redactor,
        consent=consent,
    )


async def _record(state: AppState, **event: Any) -> None:
    """Async so Starlette runs it on the loop after the reply, without a thread hop."""
    state.recorder.prediction(**event)


def consent_of(request: Any, body: Any) -> tuple[tuple[str, ...] | None, bool | None]:
    """Purposes the subject consented to and whether they are a child, from the body
    (``purposes``, ``child``) or the headers ``X-Consent-Purposes`` and ``X-Subject-Child``."""
    from aweigh.core.errors import InvalidInputError

    purposes: Any = body.get("purposes") if isinstance(body, dict) else None
    if purposes is None and "x-consent-purposes" in request.headers:
        purposes = [
            p.strip() for p in request.headers["x-consent-purposes"].split(",") if p.strip()
        ]
    if purposes is not None and (
        not isinstance(purposes, list)
        or not all(isinstance(p, str) and 0 < len(p) <= 64 for p in purposes)
    ):
        raise InvalidInputError(
            '\'purposes\' must be a list of short strings, e.g. ["serving", "training"].'
        )
    child: Any = body.get("child") if isinstance(body, dict) else None
    if child is None and "x-subject-child" in request.headers:
        child = request.headers["x-subject-child"].strip().lower() in ("1", "true", "yes")
    if child is not None and not isinstance(child, bool):
        raise InvalidInputError("'child' must be true or false.")
    return (tuple(purposes) if purposes is not None else None), child
