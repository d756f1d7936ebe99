"""The Open Inference Protocol (KServe V2) over HTTP/JSON, so existing clients work.

Inputs are either one tensor per signature column (shape ``[n]`` or ``[n, 1]``) or a
single ``[n, k]`` tensor whose columns follow the signature's order. Outputs are
``predict`` and, for classifiers with probabilities, ``predict_proba`` (``[n, k]``).
Errors follow the protocol: a JSON object with an ``error`` string.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import aweigh
from aweigh.core.entities import ModelVersion, Signature
from aweigh.core.errors import InvalidInputError, MalformedRequestError, ModelNotFoundError
from aweigh.core.refs import ModelRef, parse_ref
from aweigh.serving.codec import check_values, parse_json
from aweigh.serving.http import JSONResponse, read_body, request_id
from aweigh.serving.predict import ClientGoneError, record_task, run_prediction
from aweigh.serving.state import AppState
from aweigh.serving.validation import check_rows

DATATYPES = {"int": "INT64", "float": "FP64", "bool": "BOOL"}
_NUMERIC_TYPES = {
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "FP16",
    "FP32",
    "FP64",
}


def _datatype(dtype: str) -> str:
    return DATATYPES.get(dtype, "FP64" if dtype == "unknown" else "BYTES")


def _output_type(version: ModelVersion) -> str:
    if version.output.task == "regression":
        return "FP64"
    classes = version.output.classes
    if classes and all(isinstance(c, bool) for c in classes):
        return "BOOL"
    if classes and all(isinstance(c, int) for c in classes):
        return "INT64"
    return "BYTES"


def metadata(version: ModelVersion, has_proba: bool) -> dict[str, Any]:
    """Model metadata: inputs and outputs with datatypes and shapes."""
    outputs = [{"name": "predict", "datatype": _output_type(version), "shape": [-1]}]
    if has_proba:
        outputs.append(
            {
                "name": "predict_proba",
                "datatype": "FP64",
                "shape": [-1, len(version.output.classes)],
            }
        )
    return {
        "name": version.model_name,
        "versions": [str(version.version)],
        "platform": f"aweigh-{version.flavor}",
        "inputs": [
            {"name": c.name, "datatype": _datatype(c.dtype), "shape": [-1]}
            for c in version.signature.columns
        ],
        "outputs": outputs,
        "parameters": {
            "aliases": list(version.aliases),
            "classes": list(version.output.classes),
            "task": version.output.task,
        },
    }


async def server_metadata(request: Request) -> Response:
    return JSONResponse({"name": "aweigh", "version": aweigh.__version__, "extensions": []})


async def live(request: Request) -> Response:
    return JSONResponse({"live": True})


async def ready(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    ok = state.started and state.pool.is_ready()
    return JSONResponse({"ready": ok}, status_code=200 if ok else 503)


def _ref(request: Request) -> ModelRef:
    name = request.path_params["name"]
    version = request.path_params.get("version")
    return parse_ref(f"{name}/{version}" if version else name)


async def model_metadata(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    served = await state.pool.get(_ref(request))
    assert served.model is not None
    return JSONResponse(metadata(served.version, served.model.has_proba))


async def model_ready(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    ref = _ref(request)
    try:
        served = await state.pool.get(ref)
    except ModelNotFoundError:
        raise
    except Exception:
        return JSONResponse({"name": ref.name, "ready": False}, status_code=503)
    return JSONResponse({"name": ref.name, "ready": served.state == "ready"})


async def infer(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    if "inference-header-content-length" in request.headers:
        raise MalformedRequestError(
            "The binary tensor extension is not supported yet; send JSON tensors "
            "(tritonclient: binary_data=False on inputs and outputs)."
        )
    body = await read_body(request, state.settings.max_body_bytes)
    served = await state.pool.get(_ref(request))
    request.scope["aweigh.model"] = (served.version.model_name, served.version.version)
    data = parse_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list):
        raise MalformedRequestError(
            "An inference request is a JSON object with an 'inputs' "
            "list of tensors (name, shape, datatype, data)."
        )
    columns, rows = tensors_to_columns(data["inputs"], served.version.signature)
    if served.validator is None:
        check_values(columns, served.version.signature)
    columns, flags = check_rows(served, state.metrics, columns, rows)
    wanted = _requested_outputs(
        data.get("outputs"), served.model is not None and served.model.has_proba
    )
    try:
        result = await run_prediction(state, request, served, columns, rows)
    except ClientGoneError:
        return Response(status_code=499)
    rid = request_id(request)
    version = served.version
    outputs = []
    if "predict" in wanted:
        outputs.append(
            {
                "name": "predict",
                "datatype": _output_type(version),
                "shape": [rows],
                "data": result.output.predictions,
            }
        )
    if "predict_proba" in wanted and result.output.proba is not None:
        k = len(result.output.proba[0]) if rows else 0
        outputs.append(
            {
                "name": "predict_proba",
                "datatype": "FP64",
                "shape": [rows, k],
                "data": list(chain.from_iterable(result.output.proba)),
            }
        )
    content = {
        "model_name": version.model_name,
        "model_version": str(version.version),
        "id": str(data.get("id") or rid),
        "outputs": outputs,
    }
    return JSONResponse(
        content, background=record_task(state, rid, result, columns, rows, None, flags)
    )


def _requested_outputs(requested: Any, has_proba: bool) -> set[str]:
    available = {"predict", "predict_proba"} if has_proba else {"predict"}
    if requested is None:
        return available
    if not isinstance(requested, list):
        raise InvalidInputError("'outputs' must be a list of {\"name\": ...} objects.")
    names = {str(o.get("name")) for o in requested if isinstance(o, dict)}
    unknown = names - available
    if unknown:
        raise InvalidInputError(
            f"Unknown output(s) {sorted(map(str, unknown))}; this model has {sorted(available)}."
        )
    return names


def tensors_to_columns(
    tensors: list[Any], signature: Signature
) -> tuple[dict[str, list[Any]], int]:
    """OIP input tensors to columns in signature order (per-column or one [n, k] tensor)."""
    names = list(signature.names)
    parsed = [_tensor(t, i) for i, t in enumerate(tensors)]
    if len(parsed) == 1 and names and parsed[0]["name"] not in names:
        return _split_matrix(parsed[0], names)
    by_name = {t["name"]: t for t in parsed}
    expected = names or list(by_name)
    missing = [n for n in expected if n not in by_name]
    unknown = [n for n in by_name if n not in expected]
    if missing or unknown:
        raise InvalidInputError(
            f"The inputs do not match the model: missing {missing}, unknown {unknown}. "
            f"Expected one tensor per column {expected}, or one [n, {len(expected)}] tensor.",
            {"missing": missing, "unknown": unknown, "expected_columns": expected},
        )
    lengths = {n: len(by_name[n]["data"]) for n in expected}
    if len(set(lengths.values())) != 1:
        raise InvalidInputError(f"The input tensors have different lengths: {lengths}.")
    rows = next(iter(lengths.values()))
    if rows == 0:
        raise InvalidInputError("The input tensors hold no rows.")
    return {n: by_name[n]["data"] for n in expected}, rows


def _tensor(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"Input {index} must be an object (name, shape, datatype, data).")
    missing = [k for k in ("name", "shape", "datatype", "data") if k not in raw]
    if missing:
        raise InvalidInputError(f"Input {index} lacks {missing}.")
    shape = raw["shape"]
    if not (
        isinstance(shape, list) and shape and all(isinstance(d, int) and d >= 0 for d in shape)
    ):
        raise InvalidInputError(f"Input {raw['name']!r} has an invalid shape {shape!r}.")
    data = raw["data"]
    if not isinstance(data, list):
        raise InvalidInputError(f"Input {raw['name']!r}: 'data' must be a list.")
    flat = _flatten(data)
    size = 1
    for d in shape:
        size *= d
    if len(flat) != size:
        raise InvalidInputError(
            f"Input {raw['name']!r} has {len(flat)} values but shape {shape} needs {size}."
        )
    if raw["datatype"] in _NUMERIC_TYPES and not all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in flat
    ):
        raise InvalidInputError(
            f"Input {raw['name']!r} is {raw['datatype']} but holds non-numeric values."
        )
    return {"name": str(raw["name"]), "shape": shape, "datatype": raw["datatype"], "data": flat}


def _flatten(data: list[Any]) -> list[Any]:
    if data and isinstance(data[0], list):
        return [v for row in data for v in (_flatten(row) if isinstance(row, list) else [row])]
    return data


def _split_matrix(tensor: dict[str, Any], names: list[str]) -> tuple[dict[str, list[Any]], int]:
    shape = tensor["shape"]
    if len(shape) != 2 or shape[1] != len(names):
        raise InvalidInputError(
            f"Input {tensor['name']!r} has shape {shape}; a single input must be "
            f"[n, {len(names)}] with columns in this order: {names}. Or send one tensor per "
            "column, named after it."
        )
    rows, k = shape
    if rows == 0:
        raise InvalidInputError("The input tensor holds no rows.")
    data = tensor["data"]
    return {name: data[j::k] for j, name in enumerate(names)}, rows


ROUTES = [
    Route("/v2", server_metadata, methods=["GET"], name="v2_server_metadata"),
    Route("/v2/health/live", live, methods=["GET"], name="v2_live"),
    Route("/v2/health/ready", ready, methods=["GET"], name="v2_ready"),
    Route("/v2/models/{name}", model_metadata, methods=["GET"], name="v2_model"),
    Route(
        "/v2/models/{name}/versions/{version}",
        model_metadata,
        methods=["GET"],
        name="v2_model_version",
    ),
    Route("/v2/models/{name}/ready", model_ready, methods=["GET"], name="v2_model_ready"),
    Route(
        "/v2/models/{name}/versions/{version}/ready",
        model_ready,
        methods=["GET"],
        name="v2_model_version_ready",
    ),
    Route("/v2/models/{name}/infer", infer, methods=["POST"], name="v2_infer"),
    Route(
        "/v2/models/{name}/versions/{version}/infer",
        infer,
        methods=["POST"],
        name="v2_infer_version",
    ),
]
