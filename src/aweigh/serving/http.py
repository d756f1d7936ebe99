"""Small HTTP helpers shared by the routes: fast JSON, bounded bodies, error bodies."""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from aweigh.core.errors import AweighError, PayloadTooLargeError

log = logging.getLogger("aweigh.serving")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
REQUEST_ID_HEADER = "x-request-id"


class JSONResponse(Response):
    """orjson-encoded JSON (numpy values allowed)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def request_id(request: Request) -> str:
    """The id the middleware gave this request (the client's, when it sent a safe one)."""
    return str(request.scope.get("aweigh.request_id", ""))


def is_safe_id(value: str) -> bool:
    return bool(_SAFE_ID.match(value))


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes (413) before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(
            f"The body is {int(declared):,} bytes; the limit is {limit:,}. Send fewer rows "
            "per request (or raise AWEIGH_MAX_BODY_BYTES).",
            {"limit": limit},
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"The body is over the {limit:,}-byte limit. Send fewer rows per request "
                "(or raise AWEIGH_MAX_BODY_BYTES).",
                {"limit": limit},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(exc: AweighError, rid: str) -> JSONResponse:
    """The JSON body every error gets: code, message, details, request id."""
    body = {"error": {**exc.to_dict(), "request_id": rid}}
    return JSONResponse(body, status_code=exc.http_status, headers={"X-Request-ID": rid})
