"""Admin routes under ``/v1/admin``: load, unload, move aliases, reload.

With ``AWEIGH_ADMIN_KEY`` set, each call needs ``Authorization: Bearer <key>`` (or
``X-API-Key``); without a key, only loopback clients may call them.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aweigh.core.errors import AuthError, ForbiddenError, InvalidInputError
from aweigh.core.names import validate_alias, validate_model_name
from aweigh.serving.codec import parse_json
from aweigh.serving.http import JSONResponse, read_body
from aweigh.serving.state import AppState


def authorise(request: Request, state: AppState) -> None:
    key = state.settings.admin_key
    if key is not None:
        given = request.headers.get("x-api-key") or ""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given:
            raise AuthError(
                "Admin routes need the admin key: send 'Authorization: Bearer <AWEIGH_ADMIN_KEY>'."
            )
        if not hmac.compare_digest(given.encode(), key.get_secret_value().encode()):
            raise ForbiddenError("The admin key is wrong.")
        return
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in ("localhost", "testclient")
    if not loopback:
        raise ForbiddenError(
            "Admin routes answer only loopback clients when no admin key is "
            "set; set AWEIGH_ADMIN_KEY to call them remotely."
        )


def _version(request: Request) -> tuple[str, int]:
    name = validate_model_name(request.path_params["name"])
    raw = request.path_params["version"]
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInputError(f"The version must be a whole number. Got {raw!r}.")
    return name, int(raw)


async def list_served(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    return JSONResponse(
        {
            "models": [
                {
                    "model": s.version.model_name,
                    "version": s.version.version,
                    "state": s.state,
                    "reason": s.reason or None,
                    "aliases": list(s.version.aliases),
                }
                for s in state.pool.served()
            ]
        }
    )


async def load(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    name, number = _version(request)
    version = await state.pool.run_io(state.registry.store.get_version, name, number)
    await state.pool.unload(name, number)
    served = await state.pool.load(version)
    return JSONResponse(
        {"model": name, "version": number, "state": served.state, "reason": served.reason or None},
        status_code=200 if served.state == "ready" else 503,
    )


async def unload(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    name, number = _version(request)
    found = await state.pool.unload(name, number)
    return JSONResponse(
        {"model": name, "version": number, "unloaded": found}, status_code=200 if found else 404
    )


async def move_alias(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    name = validate_model_name(request.path_params["name"])
    alias = validate_alias(request.path_params["alias"])
    data = parse_json(await read_body(request, 64 * 1024))
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("version"), int)
        or isinstance(data.get("version"), bool)
    ):
        raise InvalidInputError('Send {"version": N, "reason": "...", "expected": M?}.')
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidInputError("'reason' must be a string.")
    expected = data.get("expected")
    event = await state.pool.run_io(
        lambda: state.registry.set_alias(
            name,
            alias,
            data["version"],
            reason=reason,
            actor=f"admin@{request.client.host if request.client else '?'}",
            expected=expected,
            expect_current="expected" in data,
        )
    )
    state.pool.set_alias_cache(name, alias, event.to_version)
    return JSONResponse(event.to_dict())


async def reload(request: Request) -> Response:
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    await state.pool.refresh_aliases()
    return JSONResponse({"reloaded": True, "models": len(state.pool.served())})


async def erase_subject(request: Request) -> Response:
    """Erase a data subject everywhere and answer with the signed receipt."""
    state: AppState = request.app.state.aweigh
    authorise(request, state)
    from aweigh.lifecycle.privacy import PrivacyService

    service = PrivacyService(
        registry=state.registry,
        event_log=state.event_log,
        secret=state.secret,
        receipts_dir=state.settings.home / "receipts",
        actor=f"admin@{request.client.host if request.client else '?'}",
        retention_days=state.settings.retention_days,
        retention_per_model=dict(state.settings.retention_per_model),
    )
    receipt, path = await state.pool.run_io(service.erase, request.path_params["subject"])
    return JSONResponse({"receipt": receipt, "receipt_path": str(path)})


ROUTES = [
    Route("/v1/admin/models", list_served, methods=["GET"], name="admin_models"),
    Route(
        "/v1/admin/models/{name}/versions/{version}/load", load, methods=["POST"], name="admin_load"
    ),
    Route(
        "/v1/admin/models/{name}/versions/{version}/unload",
        unload,
        methods=["POST"],
        name="admin_unload",
    ),
    Route(
        "/v1/admin/models/{name}/aliases/{alias}", move_alias, methods=["PUT"], name="admin_alias"
    ),
    Route("/v1/admin/reload", reload, methods=["POST"], name="admin_reload"),
    Route(
        "/v1/admin/subjects/{subject}",
        erase_subject,
        methods=["DELETE"],
        name="admin_erase_subject",
    ),
]
