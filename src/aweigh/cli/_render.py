"""Rich tables for people and JSON for scripts: every command can print either."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from aweigh.core.entities import AliasEvent, Model, ModelVersion

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def models_table(models: Sequence[Model], aliases: dict[str, dict[str, int]]) -> Table:
    table = Table(title="Registered models", title_justify="left")
    for column in ("model", "latest", "aliases", "updated"):
        table.add_column(column)
    for m in models:
        named = ", ".join(f"{a}→{v}" for a, v in sorted(aliases.get(m.name, {}).items()))
        table.add_row(
            m.name,
            str(m.latest_version or "-"),
            named or "-",
            _when(m.updated_at),
        )
    return table


def versions_table(name: str, versions: Sequence[ModelVersion]) -> Table:
    table = Table(title=f"Versions of {name}", title_justify="left")
    table.add_column("v", justify="right", no_wrap=True)
    table.add_column("aliases", min_width=10)
    table.add_column("flavor", no_wrap=True)
    table.add_column("metrics", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("author")
    for v in versions:
        metrics = "\n".join(f"{k}={val:.4g}" for k, val in sorted(v.metrics.items()))
        table.add_row(
            str(v.version),
            "\n".join(v.aliases) or "-",
            v.flavor,
            metrics or "-",
            v.sha256[:8],
            v.created_at.strftime("%m-%d %H:%M"),
            v.author,
        )
    return table


def version_table(v: ModelVersion) -> Table:
    table = Table(title=f"{v.ref}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    fp = v.data_fingerprint
    rows: list[tuple[str, str]] = [
        ("aliases", ", ".join(v.aliases) or "-"),
        ("flavor", v.flavor),
        ("output", v.output.task + (f" {list(v.output.classes)}" if v.output.classes else "")),
        ("inputs", ", ".join(f"{c.name}:{c.dtype}" for c in v.signature.columns) or "-"),
        ("sha256", v.sha256),
        ("size", f"{v.artifact_size:,} bytes"),
        (
            "training data",
            f"{fp.sha256[:16]} ({fp.rows:,} rows, {len(fp.columns)} columns)" if fp else "-",
        ),
        ("params", json.dumps(dict(v.params), default=str) if v.params else "-"),
        ("metrics", ", ".join(f"{k}={val:.4g}" for k, val in sorted(v.metrics.items())) or "-"),
        ("code version", v.code_version or "-"),
        ("parent", f"{v.parent[0]}/{v.parent[1]}" if v.parent else "-"),
        ("tags", ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items())) or "-"),
        ("description", v.description or "-"),
        ("author", v.author),
        ("created", _when(v.created_at)),
        ("runtime", ", ".join(f"{k} {val}" for k, val in sorted(v.runtime.items()))),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def history_table(name: str, events: Sequence[AliasEvent]) -> Table:
    table = Table(title=f"Alias history of {name}", title_justify="left")
    for column in ("when", "alias", "from", "to", "by", "reason"):
        table.add_column(column)
    for e in events:
        table.add_row(
            _when(e.at), e.alias, _num(e.from_version), _num(e.to_version), e.actor, e.reason or ""
        )
    return table


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)
