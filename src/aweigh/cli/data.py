"""``aweigh data``: contracts, validation with quarantine, profiles, dataset versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aweigh.cli._context import registry
from aweigh.cli._io import read_table
from aweigh.cli._render import console, emit_json
from aweigh.cli.app import handle_errors
from aweigh.core.entities import thaw
from aweigh.core.errors import InvalidInputError

app = typer.Typer(no_args_is_help=True, help="Data contracts, validation, profiles, datasets.")
quarantine_app = typer.Typer(no_args_is_help=True, help="Rows that failed validation.")
app.add_typer(quarantine_app, name="quarantine")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Delimiter = Annotated[str, typer.Option(help="CSV field separator.")]
Encoding = Annotated[str, typer.Option(help="CSV text encoding.")]


def _contract(path: Path | None, model: str | None, dataset: str | None) -> Any:
    """The contract named by exactly one of --contract, --model, --dataset."""
    from aweigh.data.contract import Contract
    from aweigh.data.yaml_io import load_contract

    given = [x for x in (path, model, dataset) if x is not None]
    if len(given) != 1:
        raise InvalidInputError(
            "Name the contract with exactly one of --contract FILE, --model REF or --dataset REF."
        )
    if path is not None:
        return load_contract(path)
    if model is not None:
        version = registry().resolve(model)
        if version.contract is None:
            raise InvalidInputError(
                f"{version.ref} has no contract (it was registered "
                "without sample or training data); pass --contract."
            )
        return Contract.from_dict(thaw(version.contract), where=f"the contract of {version.ref}")
    assert dataset is not None
    return registry().datasets.contract_of(registry().datasets.get(dataset))


@app.command("infer")
@handle_errors
def infer(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet reference table.")],
    out: Annotated[Path | None, typer.Option(help="Write the contract YAML here.")] = None,
    against: Annotated[Path | None, typer.Option(help="An adopted contract to diff with.")] = None,
    margin: Annotated[
        float, typer.Option(min=0, max=10, help="Range margin (share of the inter-quantile span).")
    ] = 0.1,
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
) -> None:
    """Infer a contract from a reference table; review it as a diff before adopting."""
    from aweigh.data.diff import diff_contracts, render_diff
    from aweigh.data.infer import infer_contract
    from aweigh.data.yaml_io import contract_to_yaml, load_contract, save_contract

    contract = infer_contract(
        read_table(path, delimiter=delimiter, encoding=encoding), margin=margin
    )
    if against is not None:
        changes = diff_contracts(load_contract(against), contract)
        console.print(render_diff(changes) if changes else "No changes.", markup=False)
    if out is not None:
        save_contract(contract, out)
        console.print(
            f"Wrote {out} ({len(contract.columns)} columns). Review and edit it, "
            "then pass it with --contract."
        )
    elif against is None:
        print(contract_to_yaml(contract), end="")


def _summary_table(result: Any, source: str) -> Table:
    table = Table(
        title=f"{source}: {result.rows:,} rows, {result.rows - len(result.bad):,} "
        f"good, {len(result.bad):,} bad ({result.bad_share:.2%})",
        title_justify="left",
    )
    for column in ("column", "rule", "policy", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for column, rule, policy, count in result.summary():
        table.add_row(column, rule, policy, f"{count:,}")
    return table


@app.command("validate")
@handle_errors
def validate(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file to check.")],
    contract: Annotated[Path | None, typer.Option(help="Contract YAML file.")] = None,
    model: Annotated[str | None, typer.Option(help="Use this model version's contract.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Use this dataset version's contract.")
    ] = None,
    max_bad_share: Annotated[
        float, typer.Option(min=0, max=1, help="Exit 1 above this share of bad rows.")
    ] = 0.01,
    quarantine: Annotated[
        bool, typer.Option("--quarantine/--no-quarantine", help="Keep bad rows for fixing.")
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Write the good rows (Parquet).")] = None,
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
    as_json: JsonFlag = False,
) -> None:
    """Validate a file: good rows go on, bad rows go to quarantine with their reasons."""
    from aweigh.data.batch import validate_table
    from aweigh.data.yaml_io import contract_to_yaml

    rules = _contract(contract, model, dataset)
    table = read_table(path, delimiter=delimiter, encoding=encoding, allow_empty=True)
    result = validate_table(table, rules, max_bad_share=max_bad_share)
    batch_id = None
    if quarantine and len(result.bad):
        version = registry().resolve(model) if model else None
        batch = _quarantine().put(
            result.bad,
            source=str(path),
            contract_yaml=contract_to_yaml(rules),
            model=version.model_name if version else None,
            model_version=version.version if version else None,
            dataset=dataset,
        )
        batch_id = batch.id
    if out is not None:
        import pyarrow.parquet as pq

        pq.write_table(result.good, out)
    if as_json:
        emit_json(
            {
                "rows": result.rows,
                "good": result.rows - len(result.bad),
                "bad": len(result.bad),
                "bad_share": result.bad_share,
                "over_threshold": result.over_threshold,
                "quarantine_batch": batch_id,
                "summary": [
                    {"column": c, "rule": r, "policy": p, "rows": n}
                    for c, r, p, n in result.summary()
                ],
            }
        )
    else:
        console.print(_summary_table(result, str(path)))
        if batch_id:
            console.print(
                f"Bad rows quarantined as batch {batch_id}: 'aweigh data quarantine "
                f"export {batch_id} fixed.csv', fix, then 'aweigh data quarantine "
                f"replay {batch_id} --fixed fixed.csv'."
            )
    if result.over_threshold:
        raise typer.Exit(1)


def _quarantine() -> Any:
    from aweigh.bootstrap import build_quarantine
    from aweigh.settings import load_settings

    return build_quarantine(load_settings())


@quarantine_app.command("list")
@handle_errors
def quarantine_list(as_json: JsonFlag = False) -> None:
    """Quarantined batches: when, from where, how many rows, which rules."""
    batches = _quarantine().list()
    if as_json:
        emit_json([b.to_dict() for b in batches])
        return
    table = Table(title="Quarantined batches", title_justify="left")
    for column in ("id", "created", "source", "rows", "rules", "replayed"):
        table.add_column(column)
    for b in batches:
        data = b.to_dict()
        table.add_row(
            str(data.get("id")),
            str(data.get("created_at", ""))[:19],
            str(data.get("source", "")),
            f"{data.get('rows', 0):,}",
            ", ".join(f"{k}={v}" for k, v in (data.get("rules") or {}).items()),
            "yes" if data.get("replayed") else "no",
        )
    console.print(table if batches else "No quarantined rows.")


@quarantine_app.command("export")
@handle_errors
def quarantine_export(
    batch_id: Annotated[str, typer.Argument(help="Batch id from 'quarantine list'.")],
    out: Annotated[Path, typer.Argument(help="CSV or Parquet file to write.")],
) -> None:
    """Write a batch's rows (with their violations) to a file for fixing."""
    _quarantine().export(batch_id, out)
    console.print(f"Wrote {out}. Fix the values, then replay it.")


@quarantine_app.command("replay")
@handle_errors
def quarantine_replay(
    batch_id: Annotated[str, typer.Argument(help="Batch id from 'quarantine list'.")],
    fixed: Annotated[Path | None, typer.Option(help="The fixed rows (from 'export').")] = None,
    contract: Annotated[Path | None, typer.Option(help="Contract YAML file.")] = None,
    model: Annotated[str | None, typer.Option(help="Use this model version's contract.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Use this dataset version's contract.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the rows that now pass.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate a quarantined batch again (fixed, or under a corrected contract)."""
    from aweigh.data.batch import replay

    store = _quarantine()
    rules = _contract(contract, model, dataset)
    table = read_table(fixed) if fixed is not None else None
    result = replay(store, batch_id, rules, fixed_table=table)
    if out is not None:
        import pyarrow.parquet as pq

        pq.write_table(result.good, out)
    if not len(result.bad):
        store.mark_replayed(batch_id, str(out) if out else "validated")
    if as_json:
        emit_json(
            {
                "batch": batch_id,
                "rows": result.rows,
                "good": result.rows - len(result.bad),
                "bad": len(result.bad),
            }
        )
    else:
        console.print(_summary_table(result, f"replay of {batch_id}"))


@app.command("profile")
@handle_errors
def profile(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    label: Annotated[str | None, typer.Option(help="The label column (balance, leakage).")] = None,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    out: Annotated[Path | None, typer.Option("--json-out", help="Write the profile JSON.")] = None,
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
) -> None:
    """Profile a table: missing, distinct, ranges, quantiles, categories, outliers, leakage."""
    from aweigh.data.profile import profile_table
    from aweigh.report.profile_html import render_profile_html

    table = read_table(path, delimiter=delimiter, encoding=encoding)
    if label is not None and label not in table.columns:
        raise InvalidInputError(f"{str(path)!r} has no column {label!r} for --label.")
    prof = profile_table(table, label=label)
    if out is not None:
        out.write_text(prof.to_json())
    if html is not None:
        html.write_text(render_profile_html(prof, title=f"Profile of {path.name}"))
        console.print(f"Wrote {html}.")
    _print_profile(prof)


def _print_profile(prof: Any) -> None:
    summary = prof.summary()
    table = Table(
        title=f"Profile: {summary['rows']:,} rows, {summary['duplicates']:,} duplicate rows",
        title_justify="left",
    )
    for column in ("column", "kind", "missing", "distinct", "min", "max", "mean", "flags"):
        table.add_column(column)
    for col in summary["column_profiles"]:
        table.add_row(
            col["name"],
            str(col.get("kind", "")),
            f"{col.get('missing_share', 0):.1%}",
            f"{col.get('distinct', '')}",
            _fmt(col.get("min")),
            _fmt(col.get("max")),
            _fmt(col.get("mean")),
            ", ".join(col.get("flags", [])),
        )
    console.print(table)
    if summary.get("label_balance"):
        balance = ", ".join(
            f"{k}: {v:.1%}" if isinstance(v, float) else f"{k}: {v}"
            for k, v in summary["label_balance"]
        )
        console.print(f"label {summary['label']!r}: {balance}", markup=False)
    if summary.get("leakage_suspects"):
        console.print(
            f"possible label leakage: {', '.join(summary['leakage_suspects'])}", markup=False
        )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


@app.command("register")
@handle_errors
def register(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset name.")],
    contract: Annotated[
        Path | None, typer.Option(help="Adopted contract (default: inferred).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="The label column.")] = None,
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
    as_json: JsonFlag = False,
) -> None:
    """Register a dataset version: content hash, rows, contract, profile, source."""
    from aweigh.data.yaml_io import load_contract

    table = read_table(path, delimiter=delimiter, encoding=encoding)
    version = registry().datasets.register(
        table,
        name,
        source=str(path.resolve()),
        label=label,
        description=description,
        contract=load_contract(contract) if contract is not None else None,
    )
    if as_json:
        emit_json(_dataset_json(version))
    else:
        console.print(
            f"Registered dataset [bold]{version.ref}[/] ({version.rows:,} rows, "
            f"sha256 {version.sha256[:12]})."
        )


def _dataset_json(version: Any) -> dict[str, Any]:
    data: dict[str, Any] = version.to_dict()
    data.pop("profile", None)
    return data


@app.command("list")
@handle_errors
def list_datasets(as_json: JsonFlag = False) -> None:
    """Registered datasets and their latest versions."""
    found = registry().datasets.latest()
    if as_json:
        emit_json([_dataset_json(v) for v in found])
        return
    table = Table(title="Datasets", title_justify="left")
    for column in ("dataset", "latest", "rows", "columns", "sha256", "source"):
        table.add_column(column)
    for v in found:
        table.add_row(
            v.name, str(v.version), f"{v.rows:,}", str(len(v.columns)), v.sha256[:10], v.source
        )
    console.print(table if found else "No datasets registered yet.")


@app.command("show")
@handle_errors
def show(
    ref: Annotated[str, typer.Argument(help="'name' (latest) or 'name/2'.")],
    as_json: JsonFlag = False,
) -> None:
    """One dataset version: hash, rows, source, contract and profile summary."""
    from aweigh.data.profile import Profile
    from aweigh.data.yaml_io import contract_to_yaml

    reg = registry()
    version = reg.datasets.get(ref)
    if as_json:
        emit_json(version.to_dict())
        return
    console.print(
        f"[bold]{version.ref}[/]: {version.rows:,} rows, {len(version.columns)} "
        f"columns, sha256 {version.sha256}\nsource: {version.source or '-'}\n"
        f"registered {version.created_at:%Y-%m-%d %H:%M} by {version.author}"
    )
    models = [
        v.ref
        for m in reg.models()
        for v in reg.versions(m.name)
        if v.dataset == (version.name, version.version)
    ]
    console.print(f"models trained on it: {', '.join(models) or '-'}")
    console.print(contract_to_yaml(reg.datasets.contract_of(version)), markup=False)
    _print_profile(Profile.from_dict(thaw(version.profile)))


def _columns_of(prof: Any) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in prof.summary()["column_profiles"]}


@app.command("diff")
@handle_errors
def diff(
    old: Annotated[str, typer.Argument(help="Dataset version, e.g. adult/1.")],
    new: Annotated[str, typer.Argument(help="Dataset version, e.g. adult/2.")],
) -> None:
    """What changed between two dataset versions: contract rules and profile figures."""
    from aweigh.data.diff import diff_contracts, render_diff

    reg = registry()
    a, b = reg.datasets.get(old), reg.datasets.get(new)
    changes = diff_contracts(reg.datasets.contract_of(a), reg.datasets.contract_of(b))
    console.print(
        f"[bold]{a.ref} → {b.ref}[/]: rows {a.rows:,} → {b.rows:,}"
        + (" (same content)" if a.sha256 == b.sha256 else "")
    )
    console.print(render_diff(changes) if changes else "Contracts are the same.", markup=False)
    table = Table(title="Profile changes", title_justify="left")
    for column in ("column", "figure", a.ref, b.ref):
        table.add_column(column)
    from aweigh.data.profile import Profile

    before = _columns_of(Profile.from_dict(thaw(a.profile)))
    after = _columns_of(Profile.from_dict(thaw(b.profile)))
    for name in sorted(set(before) | set(after)):
        for figure in ("missing_share", "mean", "std", "min", "max", "distinct"):
            x, y = (before.get(name) or {}).get(figure), (after.get(name) or {}).get(figure)
            if x != y:
                table.add_row(name, figure, _fmt(x), _fmt(y))
    console.print(table)
