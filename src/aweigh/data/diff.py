"""What changes between two contracts, as data and as a diff a human reviews.

``diff_contracts(old, new)`` lists the changes: a column added or removed (rule
``column``), a rule set, dropped or changed on a column both have, and a change of
``extra_columns`` (column ``""``). ``render_diff`` prints them one per line::

    + column zip: string, pattern ^[0-9]{5}$, max_length 10
    - column legacy_id
    ~ age.max: 90 -> 95
    + email.format: email
    ~ race.categories: +Other -Unknown
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from aweigh.data.contract import ColumnContract, Contract

__all__ = ["ContractChange", "diff_contracts", "render_diff"]

ChangeKind = Literal["added", "removed", "changed"]
_RULES = (
    "type",
    "nullable",
    "min",
    "max",
    "categories",
    "pattern",
    "format",
    "max_length",
    "unique",
    "policy",
)
_FLAGS = ("type", "nullable", "unique", "policy")  # always set: only ever "changed"


@dataclass(frozen=True, slots=True)
class ContractChange:
    """One difference: ``rule`` is ``column`` for a whole column added or removed."""

    column: str
    rule: str
    old: Any
    new: Any
    kind: ChangeKind


def diff_contracts(old: Contract, new: Contract) -> list[ContractChange]:
    """Changes from ``old`` to ``new``, in ``new``'s column order (removed ones last)."""
    changes: list[ContractChange] = []
    if old.extra_columns != new.extra_columns:
        changes.append(
            ContractChange("", "extra_columns", old.extra_columns, new.extra_columns, "changed")
        )
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    for name, column in after.items():
        previous = before.get(name)
        if previous is None:
            changes.append(ContractChange(name, "column", None, column.to_dict(), "added"))
            continue
        changes.extend(_column_changes(previous, column))
    for name, column in before.items():
        if name not in after:
            changes.append(ContractChange(name, "column", column.to_dict(), None, "removed"))
    return changes


def render_diff(changes: list[ContractChange]) -> str:
    """One line per change: ``+`` added, ``-`` removed, ``~`` changed."""
    if not changes:
        return "no changes"
    return "\n".join(_line(change) for change in changes)


def _column_changes(old: ColumnContract, new: ColumnContract) -> list[ContractChange]:
    out: list[ContractChange] = []
    for rule in _RULES:
        a, b = getattr(old, rule), getattr(new, rule)
        if a == b:
            continue
        kind: ChangeKind = "changed"
        if rule not in _FLAGS and a is None:
            kind = "added"
        elif rule not in _FLAGS and b is None:
            kind = "removed"
        out.append(ContractChange(new.name, rule, a, b, kind))
    return out


def _line(change: ContractChange) -> str:
    if change.rule == "column":
        if change.kind == "added":
            return f"+ column {change.column}: {_summary(change.new)}"
        return f"- column {change.column}"
    where = f"{change.column}.{change.rule}" if change.column else change.rule
    if change.kind == "added":
        return f"+ {where}: {_show(change.new)}"
    if change.kind == "removed":
        return f"- {where} (was {_show(change.old)})"
    if change.rule == "categories" and change.old is not None and change.new is not None:
        added = [v for v in change.new if v not in change.old]
        removed = [v for v in change.old if v not in change.new]
        parts = [f"+{_show(v)}" for v in added] + [f"-{_show(v)}" for v in removed]
        if parts:
            return f"~ {where}: {' '.join(parts)}"
        return f"~ {where}: reordered"
    return f"~ {where}: {_show(change.old)} -> {_show(change.new)}"


def _summary(rules: dict[str, Any]) -> str:
    parts = [str(rules.get("type", "?"))]
    for key, value in rules.items():
        if key == "type":
            continue
        if key == "categories":
            parts.append(f"categories {_show(value)}")
        elif isinstance(value, bool):
            parts.append(key if value else f"not {key}")
        else:
            parts.append(f"{key} {_show(value)}")
    return ", ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        shown = [_show(v) for v in value[:20]]
        more = f", ... ({len(value) - 20} more)" if len(value) > 20 else ""
        return "[" + ", ".join(shown) + more + "]"
    return str(value)
