"""``aweigh serve``: the inference server on uvicorn (uvloop + httptools)."""

from __future__ import annotations

import os
import resource
from typing import Annotated, Any

import typer

from aweigh.cli.app import handle_errors
from aweigh.serving.logs import configure_logging
from aweigh.serving.process import limit_malloc_arenas, restart_lean, use_system_memory_pool
from aweigh.settings import Settings, load_settings, settings_env


@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes.")] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Reference to load at start, repeatable (default: every model's champion).",
        ),
    ] = None,
    max_batch_size: Annotated[int | None, typer.Option(help="Most rows per predict call.")] = None,
    max_wait_ms: Annotated[
        float | None, typer.Option(help="Longest wait for a batch to fill.")
    ] = None,
    batching: Annotated[
        bool | None, typer.Option("--batching/--no-batching", help="Adaptive batching.")
    ] = None,
    events: Annotated[
        bool | None, typer.Option("--events/--no-events", help="Record predictions as events.")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "info",
) -> None:
    """Serve every registered model over HTTP (records API, Open Inference Protocol)."""
    overrides: dict[str, Any] = {
        "serve_host": host,
        "serve_port": port,
        "serve_workers": workers,
        "serve_models": model or None,
        "max_batch_size": max_batch_size,
        "max_wait_ms": max_wait_ms,
        "batching": batching,
        "events_enabled": events,
    }
    overrides["log_level"] = log_level.lower()
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    if settings.serve_lean:
        restart_lean()  # once, before anything is served; same pid, same arguments
    run_server(settings)


def run_server(settings: Settings) -> None:
    """Run uvicorn until interrupted; workers > 1 rebuild settings from AWEIGH_* variables."""
    import uvicorn

    configure_logging(settings.log_level)
    limit_malloc_arenas()
    use_system_memory_pool()
    _raise_fd_limit()
    common: dict[str, Any] = {
        "host": settings.serve_host,
        "port": settings.serve_port,
        "loop": "uvloop",
        "http": "httptools",
        "limit_concurrency": settings.max_connections,
        "backlog": 4096,
        "access_log": False,
        "log_config": None,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 10,
    }
    if settings.serve_workers > 1:
        os.environ.update(settings_env(settings))
        uvicorn.run(
            "aweigh.serving.app:app_from_env",
            factory=True,
            workers=settings.serve_workers,
            **common,
        )
        return
    from aweigh.serving.app import create_app

    uvicorn.run(create_app(settings), **common)


def _raise_fd_limit() -> None:
    """Many concurrent connections need many file descriptors: use the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
