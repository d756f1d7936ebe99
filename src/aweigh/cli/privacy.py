"""``aweigh privacy`` and ``aweigh erase``: PII scans, redaction policies, data-subject
requests (erasure, access, exposure), retention and receipts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aweigh.cli._context import registry
from aweigh.cli._io import parse_time, read_table
from aweigh.cli._render import console, emit_json
from aweigh.cli.app import handle_errors
from aweigh.core.entities import thaw
from aweigh.core.errors import InvalidInputError

app = typer.Typer(
    no_args_is_help=True, help="PII scans, redaction policies, subject requests, retention."
)
policy_app = typer.Typer(no_args_is_help=True, help="A model version's redaction policy.")
app.add_typer(policy_app, name="policy")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _service() -> Any:
    from aweigh.bootstrap import build_event_log, build_privacy
    from aweigh.settings import load_settings

    settings = load_settings()
    log = build_event_log(settings) if settings.events_enabled else None
    return build_privacy(settings, registry(), log)


@app.command("scan")
@handle_errors
def scan(
    path: Annotated[Path | None, typer.Argument(help="CSV or Parquet file.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Scan a dataset version's source file.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Which columns hold which kinds of personal data (examples are masked)."""
    from aweigh.privacy.scan import scan_table

    if (path is None) == (dataset is None):
        raise InvalidInputError("Give a FILE or --dataset REF (one of them).")
    if dataset is not None:
        version = registry().datasets.get(dataset)
        if not version.source or not Path(version.source).is_file():
            raise InvalidInputError(
                f"The source of {version.ref} ({version.source or '-'}) is "
                "not a readable file here; scan the file directly."
            )
        path = Path(version.source)
    assert path is not None
    report = scan_table(read_table(path))
    if as_json:
        emit_json(report.to_dict())
        return
    table = Table(title=f"PII in {path.name}", title_justify="left")
    for column in ("column", "kind", "share", "examples (masked)"):
        table.add_column(column)
    for column, found in report.columns.items():
        for kind, share, examples in found:
            table.add_row(column, kind, f"{share:.1%}", ", ".join(examples))
    for column, kinds in report.free_text.items():
        for kind, count in kinds.items():
            table.add_row(column, f"{kind} (in free text)", f"{count:,} values", "")
    console.print(table if table.row_count else "No personal data found.")
    for note in getattr(report, "notes", []):
        console.print(note, markup=False)


@policy_app.command("show")
@handle_errors
def policy_show(ref: Annotated[str, typer.Argument(help="Model reference.")]) -> None:
    """Print a model version's redaction policy as YAML."""
    from aweigh.privacy.policy import RedactionPolicy, policy_to_yaml

    version = registry().resolve(ref)
    if version.privacy_policy is None:
        console.print(
            f"{version.ref} has no redaction policy: its inputs hold no detected "
            "personal data, so events keep them as sent."
        )
        return
    print(policy_to_yaml(RedactionPolicy.from_dict(thaw(version.privacy_policy))), end="")


@policy_app.command("set")
@handle_errors
def policy_set(
    ref: Annotated[str, typer.Argument(help="Model reference, e.g. churn/3.")],
    path: Annotated[Path, typer.Argument(help="Policy YAML (edit 'policy show' output).")],
) -> None:
    """Replace a model version's redaction policy (applies after the server reloads it)."""
    from aweigh.privacy.policy import load_policy

    reg = registry()
    version = reg.resolve(ref)
    policy = load_policy(path, columns=version.signature.names or None)
    reg.set_privacy_policy(version.model_name, version.version, policy.to_dict())
    console.print(
        f"{version.ref} now redacts events with {path.name}. Reload it in a running "
        f"server: POST /v1/admin/models/{version.model_name}/versions/"
        f"{version.version}/load"
    )


@app.command("subject")
@handle_errors
def subject(
    subject_id: Annotated[str, typer.Argument(help="The data subject's id.")],
    out: Annotated[Path | None, typer.Option(help="Write the export here (JSON).")] = None,
) -> None:
    """Export everything held on one data subject (GDPR Art. 15, DPDP Act s.11)."""
    export = _service().export_subject(subject_id)
    text = json.dumps(export, indent=1, default=str)
    if out is None:
        print(text)
    else:
        out.write_text(text)
        console.print(f"Wrote {len(export['events']):,} events of the subject to {out}.")


@app.command("exposure")
@handle_errors
def exposure(
    start: Annotated[str, typer.Option("--from", help="Start, ISO 8601.")],
    end: Annotated[str, typer.Option("--to", help="End, ISO 8601.")],
    as_json: JsonFlag = False,
) -> None:
    """Which subjects' data the event log held in a time range (breach notifications)."""
    found = _service().exposure(parse_time(start, "--from"), parse_time(end, "--to"))
    rows = found.to_pylist()
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows):,} subject/model pairs exposed", title_justify="left")
    for column in found.column_names:
        table.add_column(column)
    for row in rows[:200]:
        table.add_row(*(str(row[c]) for c in found.column_names))
    console.print(table)


@app.command("retention")
@handle_errors
def retention(
    apply: Annotated[
        bool, typer.Option("--apply", help="Delete expired events (default: preview).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Drop events older than the retention period (AWEIGH_RETENTION_DAYS, per model)."""
    outcome, path = _service().retention(apply=apply)
    if as_json:
        emit_json({"receipt": outcome, "receipt_path": str(path) if path else None})
    elif path is None:
        console.print(
            f"Preview: events before {outcome['cutoff']} would be removed "
            f"(default {outcome['default_days']} days). Add --apply."
        )
    else:
        console.print(
            f"Removed {outcome['removed'].get('events', 0):,} expired events; receipt {path}."
        )


@app.command("verify")
@handle_errors
def verify(path: Annotated[Path, typer.Argument(help="A receipt JSON file.")]) -> None:
    """Check a receipt's signature with this installation's privacy key."""
    from aweigh.bootstrap import privacy_secret
    from aweigh.privacy.receipts import read_receipt, verify_receipt
    from aweigh.settings import load_settings

    receipt = read_receipt(path)
    if not verify_receipt(receipt, privacy_secret(load_settings())):
        raise InvalidInputError(
            f"The receipt {path.name} does not verify: it was changed, or signed with another key."
        )
    console.print(
        f"Receipt {receipt['receipt_id']} is authentic ({receipt['kind']}, "
        f"{receipt['created_at']})."
    )


@handle_errors
def erase(
    subject_id: Annotated[str, typer.Argument(help="The data subject's id (e.g. customer_id).")],
    as_json: JsonFlag = False,
) -> None:
    """Erase a data subject from every store and print the signed receipt."""
    receipt, path = _service().erase(subject_id)
    if as_json:
        emit_json({"receipt": receipt, "receipt_path": str(path)})
        return
    removed = receipt["removed"]
    pending = receipt["details"].get("erasure_pending", {})
    console.print(
        f"Erased subject {receipt['subject'][:14]}… : {removed.get('events', 0):,} "
        f"events removed; dataset versions marked erasure-pending: "
        f"{', '.join(pending.get('datasets', [])) or 'none'}; models: "
        f"{', '.join(pending.get('models', [])) or 'none'}."
    )
    console.print(f"Signed receipt: {path}")
    print(json.dumps(receipt, indent=1))
