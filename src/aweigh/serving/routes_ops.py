"""Operations: ``/healthz``, ``/readyz``, ``/metrics`` and ``/openapi.json``."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aweigh.serving.http import JSONResponse
from aweigh.serving.openapi import openapi_spec
from aweigh.serving.state import AppState


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    served = state.pool.served()
    ready = state.started and state.pool.is_ready()
    body = {
        "ready": ready,
        "models": [
            {
                "model": s.version.model_name,
                "version": s.version.version,
                "state": s.state,
                "reason": s.reason or None,
            }
            for s in served
        ],
    }
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_spec(request.app.routes))


ROUTES = [
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
    Route("/readyz", readyz, methods=["GET"], name="readyz"),
    Route("/metrics", metrics, methods=["GET"], name="metrics"),
    Route("/openapi.json", openapi, methods=["GET"], name="openapi"),
]
