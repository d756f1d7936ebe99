"""``aweigh predict``: batch scoring through the same validation and quarantine path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from aweigh.cli._context import registry
from aweigh.cli._io import read_table
from aweigh.cli._render import console, emit_json
from aweigh.cli.app import handle_errors
from aweigh.core.entities import thaw
from aweigh.core.errors import InvalidInputError

CHUNK_ROWS = 100_000


@handle_errors
def predict(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file of input rows.")],
    model: Annotated[str, typer.Option(help="Model reference, e.g. churn@champion.")],
    out: Annotated[
        Path, typer.Option(help="Where to write rows with predictions (.csv or .parquet).")
    ],
    max_bad_share: Annotated[
        float, typer.Option(min=0, max=1, help="Exit 1 above this share of bad rows.")
    ] = 0.01,
    delimiter: Annotated[str, typer.Option(help="CSV field separator.")] = ",",
    encoding: Annotated[str, typer.Option(help="CSV text encoding.")] = "utf-8",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Score a file: rows that break the model's contract are quarantined, the rest scored."""
    from aweigh.cli.data import _quarantine, _summary_table
    from aweigh.data.batch import validate_table
    from aweigh.data.contract import Contract
    from aweigh.data.yaml_io import contract_to_yaml

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InvalidInputError(f"--out must end in .csv or .parquet. Got {str(out)!r}.")
    loaded = registry().load(model)
    version = loaded.version
    table = read_table(path, delimiter=delimiter, encoding=encoding)
    batch_id = None
    if version.contract is not None:
        contract = Contract.from_dict(
            thaw(version.contract), where=f"the contract of {version.ref}"
        )
        result = validate_table(table, contract, max_bad_share=max_bad_share)
        good = result.good.to_pandas()
        if len(result.bad):
            batch_id = (
                _quarantine()
                .put(
                    result.bad,
                    source=str(path),
                    contract_yaml=contract_to_yaml(contract),
                    model=version.model_name,
                    model_version=version.version,
                    dataset=None,
                )
                .id
            )
    else:
        result, good = None, table
    scored = _score(loaded, good)
    if out.suffix.lower() == ".csv":
        scored.to_csv(out, index=False)
    else:
        scored.to_parquet(out, index=False)
    bad = len(result.bad) if result is not None else 0
    if as_json:
        emit_json(
            {
                "model": version.ref,
                "rows": len(table),
                "scored": len(scored),
                "bad": bad,
                "quarantine_batch": batch_id,
                "out": str(out),
            }
        )
    else:
        if result is not None:
            console.print(_summary_table(result, str(path)))
        console.print(
            f"Scored {len(scored):,} rows with {version.ref} into {out}"
            + (f"; {bad:,} bad rows quarantined as batch {batch_id}." if bad else ".")
        )
    if result is not None and result.over_threshold:
        raise typer.Exit(1)


def _score(loaded: object, frame: pd.DataFrame) -> pd.DataFrame:
    from aweigh.registry.loaded import LoadedModel

    assert isinstance(loaded, LoadedModel)
    parts = []
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
        scored = chunk.copy()
        scored["prediction"] = loaded.predict(chunk)
        if loaded.has_proba:
            proba = loaded.predict_proba(chunk)
            for i, label in enumerate(loaded.classes):
                scored[f"proba_{label}"] = proba[:, i]
        parts.append(scored)
    return pd.concat(parts, ignore_index=True) if parts else frame.assign(prediction=[])
