"""``aweigh monitor``: compute drift, live quality and fairness from the event log."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from aweigh.cli._io import parse_time
from aweigh.cli._render import console
from aweigh.cli.app import handle_errors
from aweigh.core.errors import InvalidInputError

app = typer.Typer(
    no_args_is_help=True, help="Watch served models: drift, live quality, fairness, alerts."
)


def _service() -> Any:
    from aweigh.bootstrap import build_monitor, build_store
    from aweigh.settings import load_settings

    settings = load_settings()
    store = build_store(settings.resolved_store_url, busy_timeout_s=settings.store_busy_timeout_s)
    return build_monitor(settings, store)


@app.command("run")
@handle_errors
def run(
    model: Annotated[str | None, typer.Option(help="Only this model (default: all).")] = None,
    version: Annotated[int | None, typer.Option(help="With --start/--end: this version.")] = None,
    start: Annotated[
        str | None, typer.Option(help="Evaluate one window from this time (ISO 8601, UTC).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="... to this time (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """Recompute the windows that changed since the last pass (or one window you name)."""
    begin = parse_time(start, "--start") if start is not None else None
    finish = parse_time(end, "--end") if end is not None else None
    if (begin is not None or version is not None) and (
        model is None or version is None or begin is None
    ):
        raise InvalidInputError(
            "To evaluate one window give --model, --version and --start (and --end)."
        )
    service = _service()
    try:
        if begin is not None and model is not None and version is not None:
            result = service.evaluate_now(model, version, begin, finish or service.clock.now())
        else:
            result = service.run(model=model)
    finally:
        service.close()
    outcomes, errors = result.windows, result.errors
    if as_json:
        records = [r.to_dict() for o in outcomes for r in o.records]
        print(json.dumps({"records": records, "errors": errors}, default=str, indent=1))
        return
    show_outcomes(outcomes)
    for transition in result.transitions:
        alert = transition.alert
        console.print(f"[yellow]alert {transition.state}[/] ({alert.severity}): {alert.message}")
    for error in errors:
        console.print(f"[red]error[/]: {error}")
    if not outcomes and not errors:
        console.print("Nothing new since the last pass: no window has new predictions or labels.")


def show_outcomes(outcomes: list[Any]) -> None:
    """One line per window and kind: what the monitor concluded."""
    table = Table(title="monitor", title_justify="left")
    for name in ("model", "window (UTC)", "rows", "kind", "summary"):
        table.add_column(name, overflow="fold")
    for o in outcomes:
        span = f"{o.start:%Y-%m-%d %H:%M} - {o.end:%H:%M}"
        for record in o.records:
            table.add_row(
                f"{o.model}/{o.version}", span, f"{o.rows:,}", record.kind, record.summary
            )
    console.print(table)


@app.command("show")
@handle_errors
def show(
    model: Annotated[str, typer.Argument(help="The model's name.")],
    version: Annotated[int | None, typer.Option(help="Only this version.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="drift, quality or fairness (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Windows per kind.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest stored windows of a model, newest first."""
    if kind is not None and kind not in ("drift", "quality", "fairness"):
        raise InvalidInputError(f"--kind {kind!r} is unknown; use drift, quality or fairness.")
    service = _service()
    kinds = [kind] if kind else ["drift", "quality", "fairness"]
    records = [
        r
        for k in kinds
        for r in service.store.monitor_records(model, version=version, kind=k, limit=limit)
    ]
    if as_json:
        print(json.dumps([r.to_dict() for r in records], default=str, indent=1))
        return
    table = Table(title=f"{model}: {len(records)} record(s)", title_justify="left")
    for name in ("version", "window (UTC)", "kind", "summary"):
        table.add_column(name, overflow="fold")
    for r in records:
        table.add_row(str(r.version), f"{r.window_start:%Y-%m-%d %H:%M}", r.kind, r.summary)
    console.print(table)
