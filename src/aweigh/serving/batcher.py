"""Adaptive batching: concurrent requests for one model version share one predict call.

A request is dispatched at once when nothing else is waiting and the model is idle
(a lone request never sits out ``max_wait_ms``). Under load, requests that arrive
while a batch computes queue up and leave together, up to ``max_batch_size`` rows;
a partial batch waits at most ``max_wait_ms`` counted from its oldest request.
Compute runs on a thread pool, never on the event loop. Requests whose client has
gone are skipped before they reach the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

Columns = dict[str, list[Any]]
PredictFn = Callable[[Columns, int], "BatchOutput"]


@dataclass(slots=True)
class BatchOutput:
    """Predictions for a batch: labels or numbers, and class probabilities if any."""

    predictions: list[Any]
    proba: list[list[float]] | None = None


@dataclass(slots=True)
class _Pending:
    columns: Columns
    rows: int
    future: asyncio.Future[BatchOutput]
    arrived: float = field(default_factory=time.perf_counter)


@dataclass(slots=True)
class BatchObserver:
    """Hooks the metrics module plugs into (batch size, queue wait, depth)."""

    on_batch: Callable[[int, float], None] = lambda rows, wait_s: None
    on_depth: Callable[[int], None] = lambda depth: None


class Batcher:
    """Gathers rows from concurrent requests into predict calls for one model version."""

    def __init__(
        self,
        predict: PredictFn,
        executor: Executor,
        *,
        max_batch_size: int = 64,
        max_wait_ms: float = 2.0,
        enabled: bool = True,
        observer: BatchObserver | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must be >= 0")
        self._predict = predict
        self._executor = executor
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.enabled = enabled
        self._observer = observer or BatchObserver()
        self._pending: deque[_Pending] = deque()
        self._rows_pending = 0
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False

    @property
    def depth(self) -> int:
        return len(self._pending)

    async def submit(self, columns: Columns, rows: int) -> BatchOutput:
        """Predict ``rows`` rows; with batching on, they may share a call with others."""
        loop = asyncio.get_running_loop()
        if not self.enabled:
            self._observer.on_batch(rows, 0.0)
            return await loop.run_in_executor(self._executor, self._predict, columns, rows)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="aweigh-batcher")
        item = _Pending(columns, rows, loop.create_future())
        self._pending.append(item)
        self._rows_pending += rows
        self._observer.on_depth(len(self._pending))
        self._arrived.set()
        return await item.future

    def cancel(self, future: asyncio.Future[BatchOutput]) -> None:
        """Drop a request whose client went away (it is skipped if not yet computed)."""
        if not future.done():
            future.cancel()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._pending:
            item = self._pending.popleft()
            if not item.future.done():
                item.future.cancel()

    # -- the loop -------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            await self._fill()
            batch = self._take()
            if not batch:
                continue
            await self._compute(loop, batch)

    async def _fill(self) -> None:
        """Wait (bounded) for a fuller batch while requests keep arriving.

        The wait ends at ``max_batch_size`` rows, at ``max_wait_ms`` after the oldest
        request, or as soon as no new request arrives within a short gap (an eighth of
        ``max_wait_ms``): when every client is already waiting in the queue, holding the
        batch longer only adds latency.
        """
        if self.max_wait_s <= 0 or len(self._pending) <= 1:
            return
        deadline = self._pending[0].arrived + self.max_wait_s
        gap = self.max_wait_s / 8
        while self._rows_pending < self.max_batch_size:
            remaining = min(deadline - time.perf_counter(), gap)
            if remaining <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        rows = 0
        while self._pending:
            item = self._pending[0]
            if item.future.done():  # client gone: never computed
                self._pending.popleft()
                self._rows_pending -= item.rows
                continue
            if batch and (
                rows + item.rows > self.max_batch_size
                or item.columns.keys() != batch[0].columns.keys()
            ):
                break
            self._pending.popleft()
            self._rows_pending -= item.rows
            batch.append(item)
            rows += item.rows
        self._observer.on_depth(len(self._pending))
        return batch

    async def _compute(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        now = time.perf_counter()
        rows = sum(item.rows for item in batch)
        self._observer.on_batch(rows, max(now - item.arrived for item in batch))
        columns = batch[0].columns if len(batch) == 1 else _merge(batch)
        try:
            out = await loop.run_in_executor(self._executor, self._predict, columns, rows)
        except Exception as exc:  # the model failed: every request of the batch learns why
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        start = 0
        for item in batch:
            end = start + item.rows
            if not item.future.done():
                item.future.set_result(
                    BatchOutput(
                        out.predictions[start:end],
                        out.proba[start:end] if out.proba is not None else None,
                    )
                )
            start = end


def _merge(batch: list[_Pending]) -> Columns:
    names = batch[0].columns.keys()
    merged: Columns = {name: [] for name in names}
    for item in batch:
        for name in names:
            merged[name].extend(item.columns[name])
    return merged
