"""The most recent request ids, kept so feedback can be matched without touching disk.

A ring of numpy arrays instead of a dict of strings and tuples: 20,000 entries cost
about 0.5 MB and, more to the point, no Python object per request. Objects that live
on after a burst of traffic pin the interpreter's memory arenas they were allocated in,
so a per-request entry kept the whole burst's arenas resident (measured: about 4 MB of
an idle server's RSS). Ids are matched by their 64-bit hash (collisions: about 1 in
10^11 for a full ring), newest entry first.

>>> recent = RecentRequests(3)
>>> recent.add("r1", "churn", 2, None); recent.add("r2", "churn", 3, "tok")
>>> recent.find(["r2", "r1", "zz"])
{'r2': ('churn', 3, 'tok'), 'r1': ('churn', 2, None)}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RecentRequests"]


class RecentRequests:
    """A bounded, oldest-out map of request id -> (model, version, subject token)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, int(capacity))
        size = max(1, self.capacity)
        self._hashes = np.zeros(size, dtype=np.int64)
        self._seq = np.full(size, -1, dtype=np.int64)  # -1: an empty slot
        self._model = np.zeros(size, dtype=np.int32)
        self._version = np.full(size, -1, dtype=np.int64)  # -1: no version
        self._subjects: list[str | None] = [None] * size
        self._models: list[str] = []  # model names, indexed by self._model
        self._model_index: dict[str, int] = {}
        self._next = 0

    def __len__(self) -> int:
        return min(self._next, self.capacity)

    def add(self, request_id: str, model: str, version: int | None, subject: str | None) -> None:
        """Remember one request (overwriting the oldest once full)."""
        if self.capacity == 0:
            return
        index = self._model_index.get(model)
        if index is None:
            index = self._model_index[model] = len(self._models)
            self._models.append(model)
        slot = self._next % self.capacity
        self._hashes[slot] = hash(request_id)
        self._seq[slot] = self._next
        self._model[slot] = index
        self._version[slot] = -1 if version is None else version
        self._subjects[slot] = subject
        self._next += 1

    def find(self, request_ids: Sequence[str]) -> dict[str, tuple[str, int | None, str | None]]:
        """The ids still remembered, each with its newest (model, version, subject)."""
        used = len(self)
        if not request_ids or used == 0:
            return {}
        hashes, seq = self._hashes[:used], self._seq[:used]
        order = np.lexsort((seq, hashes))  # by hash, then by age: the newest last
        ordered = hashes[order]
        wanted = np.fromiter((hash(r) for r in request_ids), np.int64, len(request_ids))
        at = np.searchsorted(ordered, wanted, side="right") - 1
        hit = (at >= 0) & (ordered[at.clip(0)] == wanted)
        found: dict[str, tuple[str, int | None, str | None]] = {}
        for i in np.flatnonzero(hit).tolist():
            rid, slot = request_ids[i], int(order[at[i]])
            version = int(self._version[slot])
            found[rid] = (
                self._models[int(self._model[slot])],
                None if version < 0 else version,
                self._subjects[slot],
            )
        return found
