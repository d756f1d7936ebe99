"""The root ``aweigh`` command; subcommands live in their own modules."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.markup import escape

from aweigh.cli._render import err_console
from aweigh.core.errors import AweighError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="aweigh",
    no_args_is_help=True,
    add_completion=False,
    help="aweigh: take a trained model to production and keep it good there.",
)


def handle_errors(fn: F) -> F:
    """Print an aweigh error as one clear line on stderr and exit with status 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AweighError as exc:
            err_console.print(
                f"[bold red]error[/] [dim]({exc.code})[/]: {escape(exc.message)}",
                markup=True,
                soft_wrap=True,
            )
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def _register_commands() -> None:
    from aweigh.cli import (
        alerts,
        data,
        demo,
        drift,
        events,
        fairness,
        models,
        monitor,
        predict,
        privacy,
        report,
        serve,
    )

    app.add_typer(models.app, name="models")
    app.add_typer(data.app, name="data")
    app.add_typer(privacy.app, name="privacy")
    app.command("erase")(privacy.erase)
    app.command("predict")(predict.predict)
    app.add_typer(events.app, name="events")
    app.command("demo")(demo.demo)
    app.command("serve")(serve.serve)
    app.command("drift")(drift.drift)
    app.add_typer(monitor.app, name="monitor")
    app.add_typer(fairness.app, name="fairness")
    app.add_typer(alerts.app, name="alerts")
    app.add_typer(report.app, name="report")


_register_commands()


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
