"""``aweigh alerts``: list the alerts monitoring raised, from the metadata store."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from aweigh.cli._context import registry
from aweigh.cli._io import parse_time
from aweigh.cli._render import console, emit_json
from aweigh.cli.app import handle_errors
from aweigh.core.clock import SystemClock
from aweigh.core.entities import AlertRecord
from aweigh.core.errors import InvalidInputError

app = typer.Typer(no_args_is_help=True, help="List the alerts monitoring raised.")

STATES = ("firing", "resolved", "all")
_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


@app.command("list")
@handle_errors
def list_alerts(
    model: Annotated[str | None, typer.Option(help="Only the alerts of this model.")] = None,
    state: Annotated[str, typer.Option(help="firing | resolved | all.")] = "firing",
    since: Annotated[
        str | None,
        typer.Option(
            help="Only alerts active since then: a time (ISO 8601, UTC unless it has a "
            "zone) or a span back from now such as 30m, 24h, 7d."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List alerts, newest first: firing ones unless --state says otherwise."""
    if state not in STATES:
        raise InvalidInputError(
            f"--state must be one of {', '.join(STATES)}; got {state!r}.", {"field": "state"}
        )
    if limit < 1:
        raise InvalidInputError(f"--limit must be 1 or more; got {limit}.", {"field": "limit"})
    after = parse_since(since, SystemClock().now()) if since is not None else None
    found = registry().store.alerts(
        model=model, state=None if state == "all" else state, since=after, limit=limit
    )
    if as_json:
        emit_json([a.to_dict() for a in found])
        return
    if not found:
        which = "" if state == "all" else f"{state} "
        scope = f" for model {model!r}" if model else ""
        hint = " (--state all shows resolved ones too)" if state == "firing" else ""
        console.print(f"No {which}alerts{scope}{hint}.")
        return
    console.print(alerts_table(found, state))


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: an ISO time (naive means UTC) or a span back from ``now`` (30m, 24h)."""
    ago = _AGO.match(text)
    if ago:
        return now - timedelta(seconds=float(ago.group(1)) * _SECONDS[ago.group(2)])
    try:
        return parse_time(text, "--since")
    except InvalidInputError:
        raise InvalidInputError(
            f"--since must be a time like 2026-03-01T12:00 (UTC unless a zone is given) or a "
            f"span back from now like 30m, 24h, 7d; got {text!r}.",
            {"field": "since"},
        ) from None


def alerts_table(alerts: Sequence[AlertRecord], state: str) -> Table:
    """One row per alert: when, how loud, where, which rule and metric, the value, the state."""
    title = "Alerts" if state == "all" else f"{state.capitalize()} alerts"
    table = Table(title=f"{title} ({len(alerts)})", title_justify="left")
    table.add_column("started", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("rule")
    table.add_column("metric", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("message", overflow="fold")
    for a in alerts:
        style = _SEVERITY_STYLE.get(a.severity, "")
        table.add_row(
            a.started_at.strftime("%Y-%m-%d %H:%M"),
            f"[{style}]{a.severity}[/]" if style else a.severity,
            escape(a.model if a.version is None else f"{a.model}/{a.version}"),
            escape(a.rule),
            escape(a.metric),
            "-" if a.value is None else f"{a.value:.4g}",
            a.state
            if a.resolved_at is None
            else f"{a.state} {a.resolved_at.strftime('%m-%d %H:%M')}",
            escape(a.message),
        )
    return table
