"""Workers for multi-process tests: real processes racing on one real database."""

from __future__ import annotations

import random
from multiprocessing.synchronize import Barrier

from aweigh.core.clock import SystemClock
from aweigh.core.errors import ConcurrentUpdateError


def move_alias_many(url: str, name: str, moves: int, seed: int, barrier: Barrier) -> int:
    """Move ``name@champion`` ``moves`` times to random versions 1-5; return moves made."""
    from aweigh.bootstrap import build_store

    store = build_store(url, busy_timeout_s=30)
    rng = random.Random(seed)
    clock = SystemClock()
    barrier.wait(timeout=60)
    for _ in range(moves):
        store.set_alias(
            name,
            "champion",
            rng.randint(1, 5),
            actor=f"worker-{seed}",
            reason="race",
            now=clock.now(),
        )
    store.close()
    return moves


def compare_and_set_once(url: str, name: str, target: int, expected: int, barrier: Barrier) -> str:
    """Try one compare-and-set move; return 'won' or the error code."""
    from aweigh.bootstrap import build_store

    store = build_store(url, busy_timeout_s=30)
    barrier.wait(timeout=60)
    try:
        store.set_alias(
            name,
            "champion",
            target,
            actor=f"worker-{target}",
            reason="cas",
            now=SystemClock().now(),
            expected_version=expected,
            expect_current=True,
        )
        return "won"
    except ConcurrentUpdateError as exc:
        return exc.code
    finally:
        store.close()


def create_versions(url: str, name: str, count: int, barrier: Barrier) -> list[int]:
    """Create ``count`` versions of ``name`` (creating the model if needed); return numbers."""
    from aweigh.bootstrap import build_store
    from aweigh.testing.store_contract import spec

    store = build_store(url, busy_timeout_s=30)
    barrier.wait(timeout=60)
    numbers = [store.create_version(spec(name, i), create_model=True).version for i in range(count)]
    store.close()
    return numbers
