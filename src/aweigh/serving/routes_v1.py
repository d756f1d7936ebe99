"""The records API: ``POST /v1/models/{name}/predict`` and ``.../feedback``."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aweigh.core.errors import InvalidInputError
from aweigh.core.names import validate_model_name
from aweigh.serving.codec import decode_predict, parse_json
from aweigh.serving.http import JSONResponse, read_body, request_id
from aweigh.serving.predict import (
    ClientGoneError,
    consent_of,
    model_ref,
    record_task,
    run_prediction,
)
from aweigh.serving.state import AppState
from aweigh.serving.validation import check_rows

MAX_FEEDBACK = 10_000


async def predict(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    name = request.path_params["name"]
    ref = model_ref(name, request.query_params.get("version"), request.query_params.get("alias"))
    body = await read_body(request, state.settings.max_body_bytes)
    served = await state.pool.get(ref)
    request.scope["aweigh.model"] = (served.version.model_name, served.version.version)
    decoded = decode_predict(body, served.version.signature, check_types=served.validator is None)
    columns, flags = check_rows(served, state.metrics, decoded.columns, decoded.rows)
    subject = decoded.subject_id or request.headers.get("x-subject-id")
    consent = consent_of(request, decoded.body)
    try:
        result = await run_prediction(state, request, served, columns, decoded.rows)
    except ClientGoneError:
        return Response(status_code=499)
    rid = request_id(request)
    version = served.version
    content: dict[str, Any] = {
        "model": version.model_name,
        "version": version.version,
        "request_id": rid,
        "predictions": result.output.predictions,
    }
    if result.output.proba is not None:
        content["probabilities"] = result.output.proba
        content["classes"] = list(version.output.classes)
    if flags:
        content["warnings"] = [
            {"row": row, "rules": list(rules)} for row, rules in sorted(flags.items())
        ]
    return JSONResponse(
        content,
        background=record_task(state, rid, result, columns, decoded.rows, subject, flags, consent),
    )


async def feedback(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    name = validate_model_name(request.path_params["name"])
    body = await read_body(request, state.settings.max_body_bytes)
    items = _feedback_items(parse_json(body))
    if state.event_log is None:
        raise InvalidInputError(
            "The event log is off (AWEIGH_EVENTS_ENABLED=false), so "
            "feedback cannot be stored. Turn it on to collect labels."
        )
    stored, unknown = await asyncio.get_running_loop().run_in_executor(
        None, state.recorder.feedback, name, items
    )
    for outcome, count in (("true", stored), ("false", len(unknown))):
        if count:
            state.metrics.feedback.labels(name, outcome).inc(count)
    return JSONResponse(
        {"model": name, "received": len(items), "stored": stored, "unknown_request_ids": unknown}
    )


def _feedback_items(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidInputError("The feedback list is empty; send at least one label.")
    if len(items) > MAX_FEEDBACK:
        raise InvalidInputError(f"Send at most {MAX_FEEDBACK} labels per request.")
    problems = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append({"item": i, "error": "must be an object"})
            continue
        rid = item.get("request_id")
        if not isinstance(rid, str) or not rid:
            problems.append({"item": i, "field": "request_id", "error": "missing or not a string"})
        if "label" not in item:
            problems.append({"item": i, "field": "label", "error": "missing"})
        row = item.get("row", 0)
        if not isinstance(row, int) or isinstance(row, bool) or row < 0:
            problems.append({"item": i, "field": "row", "error": "must be an integer >= 0"})
        unknown = set(item) - {"request_id", "label", "row", "subject_id"}
        if unknown:
            problems.append({"item": i, "fields": sorted(unknown), "error": "unknown field"})
    if problems:
        raise InvalidInputError(
            f"The feedback has {len(problems)} problem(s); first: item {problems[0]['item']}: "
            f"{problems[0].get('field', '')} {problems[0]['error']}. Each item needs "
            "'request_id' and 'label' (and may have 'row', 'subject_id').",
            {"errors": problems[:50]},
        )
    return items


ROUTES = [
    Route("/v1/models/{name}/predict", predict, methods=["POST"], name="v1_predict"),
    Route("/v1/models/{name}/feedback", feedback, methods=["POST"], name="v1_feedback"),
]
