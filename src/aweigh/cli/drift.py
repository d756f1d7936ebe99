"""``aweigh drift REFERENCE CURRENT``: which columns changed, by how much, and why it says so.

Prints one row per check (column, method, effect, threshold, p-value, drifted, reason)
with drifted columns first, then the summary line naming every drifted column.
``--json PATH`` also writes the full report as JSON (``-`` prints it instead of the
table). The exit status is 0 whether or not drift was found, so the command can run in
reports; ``--fail-on-drift`` makes it exit 3 on drift (for CI and schedulers). Bad input
(a missing file, a directory, an unreadable or empty file, no common columns) exits 1
with one line saying what is wrong.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aweigh.cli._render import console
from aweigh.cli.app import handle_errors
from aweigh.core.errors import InvalidInputError

__all__ = ["DRIFT_EXIT", "drift"]

#: the exit status of ``--fail-on-drift`` when drift was found
DRIFT_EXIT = 3


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}g}"


def _table(report: Any) -> Table:
    table = Table(
        title=f"Drift: {report.n_current:,} current rows vs {report.n_reference:,} reference "
        f"rows (alpha {report.alpha:g}, Holm across checks)",
        title_justify="left",
    )
    for name in ("column", "method", "effect", "threshold", "p-value", "drifted"):
        right = name in ("effect", "threshold", "p-value")
        wrap = {"no_wrap": True} if name != "column" else {"overflow": "fold"}
        table.add_column(name, justify="right" if right else "left", **wrap)
    table.add_column("reason", ratio=1)
    for r in report.results:
        table.add_row(
            r.column,
            r.method,
            _number(r.effect),
            _number(r.threshold),
            _number(r.p_value, 2),
            "[bold red]yes[/]" if r.drifted else "no",
            r.reason,
        )
    return table


def _rows(data: Any) -> int | None:
    """Rows of a table read from a file (None for profiles and sketches)."""
    return int(data.num_rows) if hasattr(data, "num_rows") else None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write the JSON report to {str(path)!r}: {exc}.") from exc


@handle_errors
def drift(
    reference: Annotated[
        Path, typer.Argument(help="Reference: CSV, Parquet, profile JSON or window-sketch JSON.")
    ],
    current: Annotated[Path, typer.Argument(help="Current data, in the same formats.")],
    column: Annotated[
        list[str] | None, typer.Option("--column", "-c", help="Test only this column (repeat).")
    ] = None,
    categorical: Annotated[
        list[str] | None,
        typer.Option(help="Compare this numeric column as categories (repeat)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(min=1e-12, max=0.5, help="Family-wise false-alarm rate.")
    ] = 0.01,
    numeric_method: Annotated[
        str, typer.Option(help="ks, psi, wasserstein or jensen_shannon.")
    ] = "ks",
    categorical_method: Annotated[
        str, typer.Option(help="chi_square, psi or jensen_shannon.")
    ] = "chi_square",
    multivariate: Annotated[
        bool, typer.Option("--multivariate", help="Add a domain classifier and a PCA check.")
    ] = False,
    json_path: Annotated[
        str | None,
        typer.Option("--json", metavar="PATH", help="Write the report as JSON here ('-': print)."),
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help=f"Exit {DRIFT_EXIT} when drift is found.")
    ] = False,
) -> None:
    """Compare a current table with a reference, column by column, for drift."""
    from aweigh.drift import compare, read

    sides = []
    for path in (reference, current):
        data = read(path)
        if _rows(data) == 0:
            raise InvalidInputError(f"{str(path)!r} holds no rows (only a header). Give data.")
        sides.append(data)
    report = compare(
        sides[0],
        sides[1],
        columns=column or None,
        categorical=categorical or None,
        alpha=alpha,
        numeric_method=numeric_method,
        categorical_method=categorical_method,
        multivariate=multivariate,
    )
    if json_path == "-":
        print(report.to_json(indent=2))
    else:
        if json_path is not None:
            _write(Path(json_path), report.to_json(indent=2) + "\n")
        console.print(_table(report))
        console.print(report.summary, markup=False)
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(DRIFT_EXIT)
