"""Adaptive batching, on the real Batcher with a thread pool and an injected model."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aweigh.serving.batcher import Batcher, BatchObserver, BatchOutput


class Recording:
    """A fake model that records the batch sizes it saw (its compute is a short sleep)."""

    def __init__(self, seconds: float = 0.01, fail_on: int | None = None) -> None:
        self.sizes: list[int] = []
        self.seconds = seconds
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, columns: dict[str, list[Any]], rows: int) -> BatchOutput:
        with self.lock:
            self.sizes.append(rows)
        time.sleep(self.seconds)
        if self.fail_on is not None and self.fail_on in columns["x"]:
            raise ValueError("bad row")
        return BatchOutput([v * 2 for v in columns["x"]], [[0.5, 0.5]] * rows)


@pytest.fixture
def pool() -> Any:
    executor = ThreadPoolExecutor(1)
    yield executor
    executor.shutdown()


async def test_a_lone_request_is_not_held_for_the_full_wait(pool: Any) -> None:
    model = Recording(seconds=0)
    batcher = Batcher(model, pool, max_batch_size=64, max_wait_ms=500)
    started = time.perf_counter()
    out = await batcher.submit({"x": [3]}, 1)
    assert out.predictions == [6]
    assert time.perf_counter() - started < 0.2
    await batcher.close()


async def test_concurrent_requests_share_predict_calls_and_get_their_own_rows(pool: Any) -> None:
    model = Recording(seconds=0.02)
    seen: list[int] = []
    batcher = Batcher(
        model,
        pool,
        max_batch_size=16,
        max_wait_ms=5,
        observer=BatchObserver(on_batch=lambda rows, wait: seen.append(rows)),
    )
    outs = await asyncio.gather(*(batcher.submit({"x": [i]}, 1) for i in range(64)))
    assert [o.predictions for o in outs] == [[i * 2] for i in range(64)]
    assert max(model.sizes) == 16
    assert len(model.sizes) <= 64 // 8, f"expected real batching, got {model.sizes}"
    assert sum(model.sizes) == 64
    assert seen == model.sizes
    await batcher.close()


async def test_a_request_larger_than_the_batch_limit_goes_alone(pool: Any) -> None:
    model = Recording(seconds=0)
    batcher = Batcher(model, pool, max_batch_size=4, max_wait_ms=1)
    out = await batcher.submit({"x": list(range(10))}, 10)
    assert out.predictions == [i * 2 for i in range(10)]
    assert model.sizes == [10]
    await batcher.close()


async def test_a_cancelled_request_never_reaches_the_model(pool: Any) -> None:
    model = Recording(seconds=0.1)
    batcher = Batcher(model, pool, max_batch_size=8, max_wait_ms=0)
    first = asyncio.ensure_future(batcher.submit({"x": [1]}, 1))
    await asyncio.sleep(0.02)  # the first batch is computing now
    gone = asyncio.ensure_future(batcher.submit({"x": [99]}, 1))
    kept = asyncio.ensure_future(batcher.submit({"x": [2]}, 1))
    await asyncio.sleep(0)
    gone.cancel()
    assert (await first).predictions == [2]
    assert (await kept).predictions == [4]
    assert sum(model.sizes) == 2, "the cancelled row was computed"
    await batcher.close()


async def test_a_model_error_reaches_every_request_of_its_batch_only(pool: Any) -> None:
    model = Recording(seconds=0.02, fail_on=7)
    batcher = Batcher(model, pool, max_batch_size=4, max_wait_ms=20)
    results = await asyncio.gather(
        *(batcher.submit({"x": [i]}, 1) for i in range(4, 12)), return_exceptions=True
    )
    failed = [i for i, r in zip(range(4, 12), results, strict=True) if isinstance(r, ValueError)]
    assert 7 in failed
    assert len(failed) < 8
    after = await batcher.submit({"x": [1]}, 1)
    assert after.predictions == [2]
    await batcher.close()


async def test_batching_off_calls_the_model_once_per_request(pool: Any) -> None:
    model = Recording(seconds=0.005)
    batcher = Batcher(model, pool, enabled=False)
    await asyncio.gather(*(batcher.submit({"x": [i]}, 1) for i in range(10)))
    assert model.sizes == [1] * 10


def test_bad_settings_are_refused(pool: Any) -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        Batcher(Recording(), pool, max_batch_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        Batcher(Recording(), pool, max_wait_ms=-1)
