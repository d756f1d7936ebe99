"""``aweigh events``: read the prediction and feedback event log with SQL."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from aweigh.cli._render import console
from aweigh.cli.app import handle_errors
from aweigh.settings import load_settings

app = typer.Typer(no_args_is_help=True, help="Query prediction and feedback events (DuckDB).")

MAX_ROWS_SHOWN = 200


@app.command("query")
@handle_errors
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="A read-only query over the view 'events', e.g. "
            '"SELECT model, count(*) FROM events GROUP BY 1".'
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Run SQL over the event log without disturbing a running server."""
    from aweigh.storage.events.parquet import query_folder

    settings = load_settings()
    table = query_folder(settings.resolved_events_url.removeprefix("file://"), sql)
    if as_json:
        print(json.dumps(table.to_pylist(), default=str, indent=1))
        return
    frame = table.to_pandas()
    if as_csv:
        print(frame.to_csv(index=False), end="")
        return
    shown = Table(title=f"{len(frame):,} row(s)", title_justify="left")
    for column in frame.columns:
        shown.add_column(str(column), overflow="fold")
    for row in frame.head(MAX_ROWS_SHOWN).itertuples(index=False):
        shown.add_row(*("" if v is None else str(v) for v in row))
    console.print(shown)
    if len(frame) > MAX_ROWS_SHOWN:
        console.print(f"(first {MAX_ROWS_SHOWN} rows shown; use --csv or --json for all)")


@app.command("export")
@handle_errors
def export(
    out: Annotated[str, typer.Option(help="Parquet or CSV file to write.")],
    purpose: Annotated[
        str, typer.Option(help="Only rows whose subjects consented to this purpose.")
    ] = "training",
    allow_children: Annotated[
        bool, typer.Option("--allow-children", help="Keep rows of subjects flagged as children.")
    ] = False,
) -> None:
    """Export labelled predictions as a training set, honouring consent and children."""
    from pathlib import Path

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from aweigh.bootstrap import build_event_log
    from aweigh.core.errors import InvalidInputError

    target = Path(out)
    if target.suffix.lower() not in (".parquet", ".csv"):
        raise InvalidInputError(f"--out must end in .parquet or .csv. Got {out!r}.")
    log = build_event_log(load_settings())
    try:
        outcome = log.export_training(purpose=purpose, allow_children=allow_children)
    finally:
        log.close()
    table = outcome.table
    if target.suffix.lower() == ".csv":  # CSV has no lists: write them as JSON text
        import orjson
        import pyarrow as pa

        for i, field in enumerate(table.schema):
            if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
                text = [
                    None if v is None else orjson.dumps(v).decode()
                    for v in table.column(i).to_pylist()
                ]
                table = table.set_column(i, field.name, pa.array(text, pa.string()))
        pacsv.write_csv(table, target)
    else:
        pq.write_table(table, target)
    console.print(
        f"Wrote {outcome.table.num_rows:,} labelled rows to {target}; excluded "
        f"{outcome.excluded_no_consent:,} without consent for {purpose!r} and "
        f"{outcome.excluded_child:,} of children."
    )
