"""``aweigh models``: register, list, show, alias, history, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aweigh.cli._context import registry
from aweigh.cli._io import parse_pairs, parse_time, read_table
from aweigh.cli._render import (
    console,
    emit_json,
    history_table,
    models_table,
    version_table,
    versions_table,
)
from aweigh.cli.app import handle_errors
from aweigh.core.errors import InvalidInputError
from aweigh.core.refs import parse_ref

app = typer.Typer(no_args_is_help=True, help="Register, inspect and alias model versions.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SAMPLE_ROWS = 1000


@app.command("register")
@handle_errors
def register(
    path: Annotated[
        Path,
        typer.Argument(
            help="Model file (.joblib, .onnx, LightGBM .txt, XGBoost .json, .cloudpickle)."
        ),
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="Model name.")],
    flavor: Annotated[
        str | None, typer.Option(help="Flavor, when the file suffix does not tell it.")
    ] = None,
    sample: Annotated[
        Path | None,
        typer.Option(
            help="CSV/Parquet of input rows: gives the input signature and checks the model."
        ),
    ] = None,
    training_data: Annotated[
        Path | None, typer.Option(help="CSV/Parquet the model was trained on (fingerprinted).")
    ] = None,
    param: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="KEY=NUMBER, repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable.")] = None,
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    parent: Annotated[
        str | None, typer.Option(help="Reference of the version this one was derived from.")
    ] = None,
    alias: Annotated[str | None, typer.Option(help="Point this alias at the new version.")] = None,
    task: Annotated[str | None, typer.Option(help="classification | regression | other.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a model file as the next version of a model."""
    version = registry().register(
        path,
        name,
        flavor=flavor,
        sample=read_table(sample, max_rows=SAMPLE_ROWS) if sample else None,
        training_data=read_table(training_data) if training_data else None,
        params=parse_pairs(param or [], "param"),
        metrics=parse_pairs(metric or [], "metric", numbers=True),
        tags={k: str(v) for k, v in parse_pairs(tag or [], "tag").items()},
        description=description,
        parent=parent,
        alias=alias,
        task=task,
    )
    if as_json:
        emit_json(version.to_dict())
    else:
        console.print(
            f"Registered [bold]{version.ref}[/] ({version.flavor}, sha256 {version.sha256[:12]})."
        )


@app.command("list")
@handle_errors
def list_models(as_json: JsonFlag = False) -> None:
    """List registered models with their latest version and aliases."""
    reg = registry()
    models = reg.models()
    aliases = {m.name: reg.aliases(m.name) for m in models}
    if as_json:
        emit_json([{**m.to_dict(), "aliases": aliases[m.name]} for m in models])
    elif not models:
        console.print("No models registered yet. Try 'aweigh models register' or 'make demo'.")
    else:
        console.print(models_table(models, aliases))


@app.command("show")
@handle_errors
def show(
    ref: Annotated[
        str,
        typer.Argument(
            help="'name' (the model and all its versions), 'name/3' or 'name@alias' (one version)."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Show a model with its versions, or one version in full."""
    reg = registry()
    parsed = parse_ref(ref)
    if parsed.version is None and parsed.alias is None:
        model = reg.get_model(parsed.name)
        versions = reg.versions(parsed.name)
        if as_json:
            emit_json(
                {
                    **model.to_dict(),
                    "aliases": reg.aliases(parsed.name),
                    "versions": [v.to_dict() for v in versions],
                }
            )
        else:
            console.print(versions_table(parsed.name, versions))
        return
    version = reg.resolve(parsed)
    if as_json:
        emit_json(version.to_dict())
    else:
        console.print(version_table(version))


@app.command("alias")
@handle_errors
def alias(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="Alias, e.g. champion.")],
    version: Annotated[str | None, typer.Argument(help="Version number or reference.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
    delete: Annotated[bool, typer.Option("--delete", help="Remove the alias.")] = False,
    expect: Annotated[
        int | None,
        typer.Option(help="Move only if the alias now points to this version (compare-and-set)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Point an alias at a version (or remove it); every move is recorded."""
    reg = registry()
    if delete:
        event = reg.delete_alias(name, alias_name, reason=reason)
    elif version is None:
        raise InvalidInputError(
            f"Say which version {name}@{alias_name} should point to, "
            f"e.g. 'aweigh models alias {name} {alias_name} 3'."
        )
    else:
        event = reg.set_alias(
            name,
            alias_name,
            version,
            reason=reason,
            expected=expect,
            expect_current=expect is not None,
        )
    if as_json:
        emit_json(event.to_dict())
    elif event.to_version is None:
        console.print(f"Removed {name}@{alias_name} (was version {event.from_version}).")
    else:
        was = f" (was {event.from_version})" if event.from_version is not None else ""
        console.print(f"{name}@{alias_name} → version {event.to_version}{was}.")


@app.command("history")
@handle_errors
def history(
    name: Annotated[str, typer.Argument(help="Model name.")],
    alias_name: Annotated[str | None, typer.Option("--alias", help="Only this alias.")] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="ISO time: print which version the alias (default champion) pointed at then."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show who moved which alias from what to what, when and why."""
    reg = registry()
    if at is not None:
        when = parse_time(at, "--at")
        which = alias_name or "champion"
        found = reg.alias_at(name, which, when)
        if as_json:
            emit_json(
                {
                    "model": name,
                    "alias": which,
                    "at": when.isoformat(),
                    "version": found.to_dict() if found else None,
                }
            )
        elif found is None:
            console.print(f"{name}@{which} did not exist at {when.isoformat()}.")
        else:
            console.print(f"At {when.isoformat()}, {name}@{which} was version {found.version}.")
        return
    events = reg.alias_history(name, alias_name)
    if as_json:
        emit_json([e.to_dict() for e in events])
    else:
        console.print(history_table(name, events))


@app.command("delete")
@handle_errors
def delete(
    ref: Annotated[
        str,
        typer.Argument(help="'name/3' deletes a version; with --all, 'name' deletes the model."),
    ],
    all_versions: Annotated[bool, typer.Option("--all", help="Delete the whole model.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete a version (refused while an alias points to it) or a whole model."""
    reg = registry()
    if all_versions:
        parsed = parse_ref(ref)
        if parsed.version is not None or parsed.alias is not None:
            raise InvalidInputError("With --all give only the model name, e.g. 'churn'.")
        gone = reg.delete_model(parsed.name)
        refs = [v.ref for v in gone]
    else:
        refs = [reg.delete_version(ref).ref]
    if as_json:
        emit_json({"deleted": refs})
    else:
        console.print(f"Deleted {', '.join(refs) if refs else 'the model (no versions)'}.")
