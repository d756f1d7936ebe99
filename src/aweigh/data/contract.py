"""Data contracts: what valid input looks like, as plain data (YAML on disk).

A contract lists columns; each column has a type, nullability, and optional rules:
a numeric range, allowed categories, a string pattern, a length limit, uniqueness.
Each column has a policy: ``reject`` (the row is invalid) or ``warn`` (the row is
served but flagged). Contracts are inferred from a reference table
(``aweigh.data.infer``), reviewed as a diff, edited by hand, and versioned with
dataset and model versions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from aweigh.core.errors import InvalidInputError

ColumnType = Literal["int", "float", "bool", "string", "category", "datetime"]
Policy = Literal["reject", "warn"]
TYPES: tuple[str, ...] = ("int", "float", "bool", "string", "category", "datetime")
POLICIES: tuple[str, ...] = ("reject", "warn")
FORMAT_VERSION = 1

#: rule names used in violations, metrics and quarantine records
RULES = (
    "missing_column",
    "unknown_column",
    "type",
    "null",
    "min",
    "max",
    "category",
    "pattern",
    "length",
    "unique",
)


@dataclass(frozen=True, slots=True)
class ColumnContract:
    """The rules of one column. ``None`` means "no such rule"."""

    name: str
    type: ColumnType
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    categories: tuple[Any, ...] | None = None
    pattern: str | None = None
    format: str | None = None
    max_length: int | None = None
    unique: bool = False
    policy: Policy = "reject"

    def to_dict(self) -> dict[str, Any]:
        """Only the rules that are set, in a stable order (what YAML files hold)."""
        out: dict[str, Any] = {"type": self.type}
        if not self.nullable:
            out["nullable"] = False
        for key in ("min", "max", "pattern", "format", "max_length"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.unique:
            out["unique"] = True
        if self.policy != "reject":
            out["policy"] = self.policy
        return out


@dataclass(frozen=True, slots=True)
class Contract:
    """The columns of a table, in order, and what to do with columns not listed."""

    columns: tuple[ColumnContract, ...]
    extra_columns: Literal["reject", "ignore"] = "reject"
    description: str = ""
    source: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnContract:
        for c in self.columns:
            if c.name == name:
                return c
        raise InvalidInputError(f"The contract has no column {name!r}; it has {list(self.names)}.")

    def with_column(self, column: ColumnContract) -> Contract:
        """A copy with ``column`` replacing the column of the same name."""
        return replace(
            self, columns=tuple(column if c.name == column.name else c for c in self.columns)
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format_version": FORMAT_VERSION}
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = dict(self.source)
        out["extra_columns"] = self.extra_columns
        out["columns"] = {c.name: c.to_dict() for c in self.columns}
        return out

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "the contract") -> Contract:
        """Parse and check a contract; every problem names the column and the fix."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"{where} must be a mapping with a 'columns' section.")
        unknown = set(data) - {
            "format_version",
            "description",
            "source",
            "extra_columns",
            "columns",
        }
        if unknown:
            raise InvalidInputError(f"{where} has unknown top-level keys {sorted(unknown)}.")
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise InvalidInputError(
                f"{where} has format_version {version!r}; this aweigh "
                f"reads version {FORMAT_VERSION}."
            )
        extra = data.get("extra_columns", "reject")
        if extra not in ("reject", "ignore"):
            raise InvalidInputError(
                f"{where}: 'extra_columns' must be 'reject' or 'ignore'. Got {extra!r}."
            )
        columns = data.get("columns")
        if not isinstance(columns, Mapping) or not columns:
            raise InvalidInputError(
                f"{where} needs a non-empty 'columns' mapping of column name to rules."
            )
        parsed = tuple(_column(str(name), rules, where) for name, rules in columns.items())
        source = data.get("source") or {}
        if not isinstance(source, Mapping):
            raise InvalidInputError(f"{where}: 'source' must be a mapping.")
        return cls(
            columns=parsed,
            extra_columns=extra,
            description=str(data.get("description", "")),
            source=dict(source),
        )


_COLUMN_KEYS = {f.name for f in fields(ColumnContract)} - {"name"}


def _column(name: str, rules: Any, where: str) -> ColumnContract:
    at = f"{where}, column {name!r}"
    if not isinstance(rules, Mapping):
        raise InvalidInputError(f"{at}: the rules must be a mapping like {{type: int}}.")
    unknown = set(rules) - _COLUMN_KEYS
    if unknown:
        raise InvalidInputError(
            f"{at}: unknown rule(s) {sorted(unknown)}; known rules are {sorted(_COLUMN_KEYS)}."
        )
    kind = rules.get("type")
    if kind not in TYPES:
        raise InvalidInputError(f"{at}: 'type' must be one of {list(TYPES)}. Got {kind!r}.")
    policy = rules.get("policy", "reject")
    if policy not in POLICIES:
        raise InvalidInputError(f"{at}: 'policy' must be 'reject' or 'warn'. Got {policy!r}.")
    low, high = _number(rules.get("min"), at, "min"), _number(rules.get("max"), at, "max")
    if low is not None and high is not None and low > high:
        raise InvalidInputError(f"{at}: 'min' ({low}) is above 'max' ({high}).")
    categories = rules.get("categories")
    if categories is not None:
        if not isinstance(categories, Sequence) or isinstance(categories, str):
            raise InvalidInputError(f"{at}: 'categories' must be a list.")
        odd = [c for c in categories if not isinstance(c, str | int | float | bool)]
        if odd:
            raise InvalidInputError(
                f"{at}: categories must be plain strings, numbers or booleans; {odd[0]!r} is not."
            )
        categories = tuple(categories)
    pattern = rules.get("pattern")
    if pattern is not None:
        import re

        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise InvalidInputError(
                f"{at}: 'pattern' is not a valid regular expression ({exc})."
            ) from exc
    max_length = rules.get("max_length")
    if max_length is not None and (
        not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 0
    ):
        raise InvalidInputError(f"{at}: 'max_length' must be a whole number >= 0.")
    for flag in ("nullable", "unique"):
        if flag in rules and not isinstance(rules[flag], bool):
            raise InvalidInputError(f"{at}: '{flag}' must be true or false.")
    return ColumnContract(
        name=name,
        type=kind,
        nullable=rules.get("nullable", True),
        min=low,
        max=high,
        categories=categories,
        pattern=None if pattern is None else str(pattern),
        format=None if rules.get("format") is None else str(rules["format"]),
        max_length=max_length,
        unique=rules.get("unique", False),
        policy=policy,
    )


def _number(value: Any, at: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{at}: '{key}' must be a number. Got {value!r}.")
    if not math.isfinite(value):
        raise InvalidInputError(f"{at}: '{key}' must be a finite number. Got {value!r}.")
    return float(value)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where, what value, which rule, and whether it rejects the row."""

    row: int
    column: str
    rule: str
    value: Any
    message: str
    policy: Policy = "reject"

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "value": self.value,
            "message": self.message,
            "policy": self.policy,
        }
