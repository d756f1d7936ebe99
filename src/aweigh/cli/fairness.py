"""``aweigh fairness audit``: per-group rates, gaps and the four-fifths rule for a table."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from aweigh.cli._context import registry
from aweigh.cli._io import read_table
from aweigh.cli._render import console
from aweigh.cli.app import handle_errors
from aweigh.core.errors import InvalidInputError

app = typer.Typer(no_args_is_help=True, help="Fairness of a classifier across groups.")


def parse_positive(raw: str | None, labels: pd.Series) -> Any:
    """``--positive`` as the label column's kind: a number for numeric labels, else text."""
    from aweigh.monitor.fairness_input import label_kind

    if raw is None:
        return None
    kind = label_kind(labels, "labels")
    if kind == "bool":
        if raw.strip().lower() not in ("true", "false", "1", "0"):
            raise InvalidInputError(f"--positive {raw!r}: the labels are booleans; pass true.")
        return raw.strip().lower() in ("true", "1")
    if kind == "number":
        try:
            value = float(raw)
        except ValueError as exc:
            raise InvalidInputError(
                f"--positive {raw!r} is not a number, but the labels are numbers "
                f"({', '.join(map(str, pd.unique(labels.dropna())[:5]))})."
            ) from exc
        return int(value) if value.is_integer() else value
    return raw


def _rate(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def _with_ci(estimate: Any) -> str:
    """The value, its interval on the next line (keeps the table within 80 columns)."""
    text = str(estimate)
    return text.replace(" [", "\n[", 1)


def _flag(group: Any) -> str:
    if group.too_small:
        return "[dim]too small[/]"
    return "[bold red]flagged[/]" if group.flagged else ""


def _attribute_table(report: Any, disparity: Any) -> tuple[str, Table]:
    verdict = {True: "[green]passes[/]", False: "[bold red]fails[/]"}.get(
        disparity.four_fifths, "[dim]not judged[/]"
    )
    title = (
        f"{escape(disparity.attribute)}: four-fifths {verdict} (ratio "
        f"{escape(str(disparity.demographic_parity_ratio))}), parity difference "
        f"{escape(str(disparity.demographic_parity_difference))}, equalized odds difference "
        f"{escape(str(disparity.equalized_odds_difference))}"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("group", overflow="fold", min_width=14)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column(escape("selection rate\n[CI]"), no_wrap=True)
    for column in ("TPR", "FPR", "prec.", "flag"):
        table.add_column(column, no_wrap=True, min_width=9 if column == "flag" else None)
    for group in report.by_attribute(disparity.attribute):
        table.add_row(
            escape(group.label.partition("=")[2]),
            f"{group.n:,}",
            escape(_with_ci(group.selection_rate)),
            _rate(group.tpr.value),
            _rate(group.fpr.value),
            _rate(group.precision.value),
            _flag(group),
        )
    return title, table


@app.command("audit")
@handle_errors
def audit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file with labels.")],
    label: Annotated[str, typer.Option(help="The label column.")],
    sensitive: Annotated[
        list[str], typer.Option(help="A sensitive attribute column (repeat for several).")
    ],
    prediction: Annotated[
        str | None, typer.Option(help="Column with the predicted classes.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Predict with this model (REF).")] = None,
    positive: Annotated[
        str | None, typer.Option(help="The positive class (default 1 for 0/1 labels).")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=0, help="Smaller groups are shown, not judged.")
    ] = 30,
    n_boot: Annotated[int, typer.Option(min=0, help="Bootstrap replicates.")] = 1000,
    confidence: Annotated[float, typer.Option(help="Interval confidence.")] = 0.95,
    alpha: Annotated[float, typer.Option(help="Flag level after Holm's correction.")] = 0.05,
    intersections: Annotated[
        bool, typer.Option("--intersections/--no-intersections", help="Combinations too.")
    ] = True,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full report as JSON here.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when four-fifths fails or a group is flagged.")
    ] = False,
    delimiter: Annotated[str, typer.Option(help="CSV field separator.")] = ",",
    encoding: Annotated[str, typer.Option(help="CSV text encoding.")] = "utf-8",
) -> None:
    """Audit fairness: per-group rates with intervals, gaps, four-fifths, flagged groups."""
    from aweigh.fairness import audit as run_audit

    if (prediction is None) == (model is None):
        raise InvalidInputError("Give the predictions with exactly one of --prediction or --model.")
    frame = read_table(data, delimiter=delimiter, encoding=encoding)
    loaded = registry().load(model) if model is not None else None
    value = parse_positive(positive, frame[label]) if label in frame.columns else positive
    report = run_audit(
        frame,
        label=label,
        sensitive=sensitive,
        prediction=prediction,
        model=loaded,
        positive=value,
        intersections=intersections,
        min_group_size=min_group_size,
        n_boot=n_boot,
        confidence=confidence,
        alpha=alpha,
        seed=seed,
    )
    if json_out is not None:
        json_out.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    for disparity in report.attributes:
        title, table = _attribute_table(report, disparity)
        console.print(title)
        console.print(table)
    console.print(escape(report.summary))
    if json_out is not None:
        console.print(f"Wrote {escape(str(json_out))}.")
    if strict and report.passed is False:
        raise typer.Exit(1)
