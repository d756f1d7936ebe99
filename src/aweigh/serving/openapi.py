"""The OpenAPI document, generated from the app's own route table so it cannot drift."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

import aweigh

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
                "request_id": {"type": "string"},
            },
        }
    },
}
_PREDICT_BODY = {
    "oneOf": [
        {
            "type": "object",
            "required": ["instances"],
            "properties": {
                "instances": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                "subject_id": {"type": "string"},
            },
        },
        {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "inputs": {"type": "object", "additionalProperties": {"type": "array"}},
                "subject_id": {"type": "string"},
            },
        },
    ]
}
_PREDICT_OUT = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "version": {"type": "integer"},
        "request_id": {"type": "string"},
        "predictions": {"type": "array"},
        "probabilities": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        "classes": {"type": "array"},
    },
}
_FEEDBACK_ITEM = {
    "type": "object",
    "required": ["request_id", "label"],
    "properties": {
        "request_id": {"type": "string"},
        "label": {},
        "row": {"type": "integer", "minimum": 0},
        "subject_id": {"type": "string"},
    },
}
_TENSOR = {
    "type": "object",
    "required": ["name", "shape", "datatype", "data"],
    "properties": {
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "datatype": {"type": "string"},
        "data": {"type": "array"},
    },
}

DOCS: dict[str, dict[str, Any]] = {
    "v1_predict": {
        "summary": "Predict with records or columns",
        "body": _PREDICT_BODY,
        "out": _PREDICT_OUT,
        "query": ["version", "alias"],
    },
    "v1_feedback": {
        "summary": "Send true labels for earlier predictions",
        "body": {"oneOf": [_FEEDBACK_ITEM, {"type": "array", "items": _FEEDBACK_ITEM}]},
    },
    "v2_server_metadata": {"summary": "Server metadata (Open Inference Protocol)"},
    "v2_live": {"summary": "Liveness (Open Inference Protocol)"},
    "v2_ready": {"summary": "Readiness (Open Inference Protocol)"},
    "v2_model": {"summary": "Model metadata: inputs and outputs"},
    "v2_model_version": {"summary": "Model version metadata"},
    "v2_model_ready": {"summary": "Is the model ready"},
    "v2_model_version_ready": {"summary": "Is the model version ready"},
    "v2_infer": {
        "summary": "Inference with JSON tensors",
        "body": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {"type": "array", "items": _TENSOR},
                "outputs": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
    "v2_infer_version": {"summary": "Inference on one version with JSON tensors"},
    "admin_models": {"summary": "Served versions and their state (admin)"},
    "admin_load": {"summary": "Load or reload a version (admin)"},
    "admin_unload": {"summary": "Unload a version (admin)"},
    "admin_alias": {
        "summary": "Move an alias (admin)",
        "body": {
            "type": "object",
            "required": ["version"],
            "properties": {
                "version": {"type": "integer"},
                "reason": {"type": "string"},
                "expected": {"type": "integer"},
            },
        },
    },
    "admin_reload": {"summary": "Re-read aliases from the registry (admin)"},
    "admin_erase_subject": {
        "summary": "Erase a data subject everywhere; returns the signed receipt (admin)"
    },
    "healthz": {"summary": "Liveness"},
    "readyz": {"summary": "Readiness: models loaded"},
    "metrics": {"summary": "Prometheus metrics"},
    "openapi": {"summary": "This document"},
}


def openapi_spec(routes: list[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for every route of the app."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue
        doc = DOCS.get(route.name, {"summary": route.name})
        for method in sorted((route.methods or set()) - {"HEAD"}):
            op: dict[str, Any] = {
                "operationId": route.name,
                "summary": doc["summary"],
                "responses": {
                    "200": {"description": "OK"},
                    "default": {
                        "description": "Error",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
            params = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in route.param_convertors
            ]
            params += [
                {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
                for q in doc.get("query", [])
            ]
            if params:
                op["parameters"] = params
            if "body" in doc:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": doc["body"]}},
                }
            if "out" in doc:
                op["responses"]["200"]["content"] = {"application/json": {"schema": doc["out"]}}
            paths.setdefault(route.path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "aweigh inference server", "version": aweigh.__version__},
        "paths": paths,
    }
