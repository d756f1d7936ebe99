"""The data-guardrail part of ``aweigh demo``: the inferred contract, a rejected request,
and a file with injected bad rows validated with quarantine."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from rich.table import Table

from aweigh.cli._render import console
from aweigh.core.entities import thaw
from aweigh.data.contract import Contract
from aweigh.registry.service import Registry


def version_contract(reg: Registry, ref: str) -> Contract:
    version = reg.resolve(ref)
    assert version.contract is not None, f"{version.ref} was registered without a contract"
    return Contract.from_dict(thaw(version.contract), where=f"the contract of {version.ref}")


def show_contract(reg: Registry, ref: str) -> None:
    """One line per column: type, nullability, range or categories, policy."""
    contract = version_contract(reg, ref)
    table = Table(
        title=f"Data contract of {ref} (inferred from the Adult training data; edit it as YAML)",
        title_justify="left",
    )
    for column in ("column", "type", "null", "rule", "policy"):
        table.add_column(column)
    for c in contract.columns:
        if c.min is not None or c.max is not None:
            rule = f"{c.min:g} .. {c.max:g}"
        elif c.categories is not None:
            shown = ", ".join(map(str, c.categories[:4]))
            rule = (
                f"{len(c.categories)} categories: {shown}{', ...' if len(c.categories) > 4 else ''}"
            )
        elif c.pattern is not None:
            rule = f"pattern {c.format or c.pattern}"
        else:
            rule = "-"
        table.add_row(c.name, c.type, "yes" if c.nullable else "no", rule, c.policy)
    console.print(table)


def inject_bad_rows(test: pd.DataFrame, count: int = 60, seed: int = 42) -> pd.DataFrame:
    """A copy of ``test`` with ``count`` rows broken the way real feeds break."""
    rng = np.random.default_rng(seed)
    broken = test.astype({"age": object, "hours_per_week": object}).copy()
    rows = rng.choice(len(broken), size=min(count, len(broken)), replace=False)
    faults: list[tuple[str, object]] = [
        ("age", -4),
        ("age", 217),
        ("hours_per_week", 400),
        ("sex", "Unknown"),
        ("age", "forty"),
        ("race", None),
    ]
    columns = {name: broken[name].tolist() for name in ("age", "hours_per_week", "sex", "race")}
    for i, row in enumerate(rows):
        column, value = faults[i % len(faults)]
        columns[column][int(row)] = value
    for name, values in columns.items():
        broken[name] = pd.Series(values, index=broken.index, dtype=object)
    return broken


def validate_with_quarantine(reg: Registry, ref: str, test: pd.DataFrame, quarantine: Any) -> None:
    """Write a CSV with injected bad rows, validate it, quarantine the bad ones."""
    from aweigh.cli._io import read_table
    from aweigh.cli.data import _summary_table
    from aweigh.data.batch import validate_table
    from aweigh.data.yaml_io import contract_to_yaml

    contract = version_contract(reg, ref)
    with tempfile.TemporaryDirectory(prefix="aweigh-demo-") as tmp:
        path = Path(tmp) / "adult_test_with_bad_rows.csv"
        inject_bad_rows(test.drop(columns=["income"])).to_csv(path, index=False)
        result = validate_table(read_table(path), contract, max_bad_share=0.01)
        version = reg.resolve(ref)
        batch = quarantine.put(
            result.bad,
            source=path.name,
            contract_yaml=contract_to_yaml(contract),
            model=version.model_name,
            model_version=version.version,
            dataset=None,
        )
    console.print(_summary_table(result, path.name))
    console.print(
        f"{len(result.bad):,} bad rows quarantined as batch {batch.id} with every "
        f"failing rule; the other {len(result.good):,} rows go on. See "
        "'aweigh data quarantine list'."
    )


def show_rejected_request(base_url: str, name: str, row: dict[str, Any]) -> None:
    """Send one request with an impossible age and print the server's explanation."""
    bad = {**row, "age": 999}
    response = httpx.post(
        f"{base_url}/v1/models/{name}/predict", json={"instances": [bad]}, timeout=10
    )
    error = response.json().get("error", {})
    console.print(
        f"A request with age=999 is refused: HTTP {response.status_code} "
        f"{error.get('code')}: {error.get('message')}",
        markup=False,
    )


def show_privacy(base_url: str, settings: Any, name: str, customer: str) -> None:
    """What the event log holds (hashed and masked values only), then one customer erased
    through the admin route, with the signed receipt."""
    import json

    from aweigh.storage.events.parquet import query_folder

    events = settings.resolved_events_url.removeprefix("file://")
    sample = query_folder(
        events,
        "SELECT json_extract_string(inputs, '$.customer_id') AS "
        "customer_id, json_extract_string(inputs, '$.email') AS email, "
        "subject_id FROM events WHERE kind = 'prediction' AND model = ? "
        "LIMIT 3",
        [name],
    ).to_pylist()
    table = Table(
        title="What the event log holds (redacted before it was written)", title_justify="left"
    )
    for column in ("customer_id", "email", "subject_id"):
        table.add_column(column, overflow="fold")
    for row in sample:
        table.add_row(*(str(row[c]) for c in ("customer_id", "email", "subject_id")))
    console.print(table)
    response = httpx.delete(f"{base_url}/v1/admin/subjects/{customer}", timeout=60)
    body = response.json()
    receipt = body.get("receipt", body)
    console.print(
        f"Erased customer {customer} (HTTP {response.status_code}); the signed "
        f"receipt, also kept at {body.get('receipt_path')}:",
        markup=False,
    )
    console.print(json.dumps(receipt, indent=1), markup=False)
