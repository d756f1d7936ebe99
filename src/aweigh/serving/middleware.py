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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aweigh.serving.http import is_safe_id
from aweigh.serving.metrics import ServingMetrics

access_log = logging.getLogger("aweigh.access")


class RequestContext:
    """Assigns the request id, counts the request, and writes one access-log line."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

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

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(rid_header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
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
            access_log.info(json.dumps(record, separators=(",", ":")))
