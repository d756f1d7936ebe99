"""Real traffic for the demo: concurrent single-row requests over HTTP, then their labels.

Only ever targets the local server the demo started; bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pandas as pd

FEEDBACK_CHUNK = 1000


@dataclass
class TrafficResult:
    """What the client saw."""

    requests: int = 0
    errors: int = 0
    rejected: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    first_rejection: dict[str, Any] | None = None
    feedback_stored: int = 0
    feedback_unknown: int = 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN becomes null, numpy scalars become Python values."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in clean.to_dict("records")]


class Connection:
    """A minimal HTTP/1.1 keep-alive client for JSON POSTs to the local demo server.

    httpx spends more CPU per request than the server does, so it would measure
    itself; this speaks just enough HTTP for a server that answers with
    Content-Length bodies.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        payload = await self._reader.readexactly(length)
        if b"connection: close" in head.lower():
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def send_rows(
    base_url: str,
    model: str,
    rows: list[dict[str, Any]],
    *,
    concurrency: int = 32,
    timeout_s: float = 30.0,
    on_progress: Callable[[int], None] | None = None,
) -> TrafficResult:
    """Send each row as its own predict request, ``concurrency`` at a time."""
    result = TrafficResult(request_ids=[""] * len(rows))
    host, port = urlsplit(base_url).hostname or "127.0.0.1", urlsplit(base_url).port or 80
    path = f"/v1/models/{model}/predict"
    bodies = [orjson.dumps({"instances": [row]}) for row in rows]
    next_row = iter(range(len(rows)))

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            for i in next_row:
                started = time.perf_counter()
                try:
                    status, payload = await asyncio.wait_for(
                        connection.post(path, bodies[i]), timeout_s
                    )
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    status, payload = 0, b""
                    await connection.close()
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.requests += 1
                if status == 200:
                    result.request_ids[i] = orjson.loads(payload)["request_id"]
                elif status == 422:
                    result.rejected += 1
                    if result.first_rejection is None:
                        result.first_rejection = orjson.loads(payload)["error"]
                else:
                    result.errors += 1
                if on_progress is not None:
                    on_progress(1)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def send_labels(base_url: str, model: str, result: TrafficResult, labels: list[Any]) -> None:
    """Send the true label of every answered request as feedback, in chunks."""
    items = [
        {"request_id": rid, "label": label}
        for rid, label in zip(result.request_ids, labels, strict=True)
        if rid
    ]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for start in range(0, len(items), FEEDBACK_CHUNK):
            response = await client.post(
                f"/v1/models/{model}/feedback", json=items[start : start + FEEDBACK_CHUNK]
            )
            response.raise_for_status()
            body = response.json()
            result.feedback_stored += body["stored"]
            result.feedback_unknown += len(body["unknown_request_ids"])


def scrape(text: str, name: str) -> float:
    """Sum every sample of metric ``name`` in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (len(line) > len(name) and line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total
