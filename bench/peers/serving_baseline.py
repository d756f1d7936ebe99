"""The bare baseline of ``python -m bench serving``: Starlette on uvicorn, one predict per request.

It takes the same request body as aweigh's records API
(``POST /v1/models/{name}/predict`` with ``{"instances": [{column: value, ...}]}``),
builds a DataFrame with the model's feature names, calls ``model.predict`` inline on the
event loop (no batching, no thread hop, no validation, no logging) and answers
``{"model": name, "predictions": [...]}``. It is the floor a server framework adds to.

    python bench/peers/serving_baseline.py --port 8000 --model light=/path/light.joblib
"""

from __future__ import annotations

import argparse
from typing import Any

import joblib
import orjson
import pandas as pd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build_app(paths: dict[str, str]) -> Starlette:
    """An app serving each ``name -> joblib file`` at /v1/models/{name}/predict."""
    models: dict[str, tuple[Any, list[str]]] = {}
    for name, path in paths.items():
        model = joblib.load(path)
        models[name] = (model, list(model.feature_names_in_))

    async def predict(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in models:
            return Response(b'{"error":"unknown model"}', 404, media_type="application/json")
        model, columns = models[name]
        instances = orjson.loads(await request.body())["instances"]
        labels = model.predict(pd.DataFrame(instances, columns=columns))
        body = orjson.dumps(
            {"model": name, "predictions": labels}, option=orjson.OPT_SERIALIZE_NUMPY
        )
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/v1/models/{name}/predict", predict, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    """Parse ``--port`` and ``--model name=path`` (repeatable) and serve until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", action="append", required=True, help="name=path.joblib")
    args = parser.parse_args()
    paths = dict(item.split("=", 1) for item in args.model)
    uvicorn.run(
        build_app(paths),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
