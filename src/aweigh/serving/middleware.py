"""ASGI middleware: request ids, per-request metrics and a JSON access log.

A client-sent ``X-Request-ID`` is kept when it is safe (1-128 of ``[A-Za-z0-9_.:-]``);
otherwise a new one is made. Every response carries it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aweigh.serving.http import is_safe_id
from aweigh.serving.metrics import ServingMetrics

access_log = logging.getLogger("aweigh.access")
_ALWAYS = ("/healthz", "/readyz", "/metrics", "/v2/health")  # probes answer even when busy


async def _overloaded(send: Send, rid: str, limit: int) -> None:
    """503 with the same error body as the routes, without touching the app."""
    body = json.dumps(
        {
            "error": {
                "code": "overloaded",
                "request_id": rid,
                "details": {"max_in_flight": limit},
                "message": f"The server is handling {limit} requests already; retry shortly "
                "(or raise AWEIGH_MAX_CONCURRENCY / add workers).",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", rid.encode()),
                (b"retry-after", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    """Assigns the request id, counts the request, and writes one access-log line."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics, max_in_flight: int = 1024) -> None:
        self.app = app
        self.metrics = metrics
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                candidate = value.decode("latin-1")
                rid = candidate if is_safe_id(candidate) else ""
                break
        rid = rid or uuid.uuid4().hex
        scope["aweigh.request_id"] = rid
        started = time.perf_counter()
        status = 500
        rid_header = (b"x-request-id", rid.encode())
        if self.in_flight >= self.max_in_flight and not scope["path"].startswith(_ALWAYS):
            status = 503
            await _overloaded(send, rid, self.max_in_flight)
            self._observe(scope, rid, status, time.perf_counter() - started)
            return

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(rid_header)
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.in_flight -= 1
            self._observe(scope, rid, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        model, version = scope.get("aweigh.model") or (
            scope.get("path_params", {}).get("name", ""),
            "",
        )
        self.metrics.requests.labels(template, model, str(version), str(status)).inc()
        self.metrics.latency.labels(template, model).observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            record: dict[str, Any] = {
                "request_id": rid,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "model": model or None,
                "version": version or None,
                "client": (scope.get("client") or ("", 0))[0],
            }
            access_log.info(orjson.dumps(record).decode())
