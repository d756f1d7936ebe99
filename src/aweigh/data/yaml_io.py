"""Contracts as YAML: stable, human-readable, edited by hand, read back with checks.

The file is ``Contract.to_dict()`` in that key order (``format_version``,
``description``, ``source``, ``extra_columns``, ``columns``); lists of plain values
(categories, quantiles) are written inline (``[Female, Male]``), and whole-number
bounds of ``int`` columns are written without ``.0``. Reading uses ``yaml.safe_load``
and ``Contract.from_dict``, so every problem names the file, the line or the column,
and the fix. A YAML mapping with a duplicated key (the same column twice) is refused
rather than silently keeping the last one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from aweigh.core.errors import InvalidInputError
from aweigh.data.contract import Contract

__all__ = ["contract_from_yaml", "contract_to_yaml", "load_contract", "save_contract"]


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes lists of scalars inline and indents nested lists."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: Any, data: Any) -> yaml.Node:
    flow = all(isinstance(v, str | int | float | bool) or v is None for v in data)
    node: yaml.Node = dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)
    return node


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)


def contract_to_yaml(contract: Contract) -> str:
    """The contract as a YAML document (stable key order, inline category lists)."""
    data = contract.to_dict()
    for name, rules in data["columns"].items():
        if rules.get("type") == "int":
            for key in ("min", "max"):
                value = rules.get(key)
                if isinstance(value, float) and value.is_integer():
                    rules[key] = int(value)
        data["columns"][name] = rules
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text


def contract_from_yaml(text: str, *, where: str = "the contract") -> Contract:
    """Parse a YAML contract; malformed YAML names ``where`` and the line."""
    try:
        data = yaml.safe_load(text)
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), where)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown line"
        problem = exc.problem or exc.context or "it is not valid YAML"
        raise InvalidInputError(
            f"{where} is not valid YAML at {at}: {problem}. Fix the file (a YAML linter "
            "shows the spot) or write it again with save_contract.",
            {"where": where, "line": mark.line + 1 if mark else None},
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{where} is not valid YAML: {exc}.", {"where": where}) from exc
    if data is None:
        raise InvalidInputError(
            f"{where} is empty; it must be a mapping with a 'columns' section "
            "(infer_contract and save_contract write one)."
        )
    return Contract.from_dict(data, where=where)


def load_contract(path: str | Path, *, columns: Iterable[str] | None = None) -> Contract:
    """Read a contract file; with ``columns`` (the data's column names), also refuse a
    contract that lists columns the data lacks."""
    file = Path(path)
    where = f"contract file {str(file)!r}"
    if not file.exists():
        raise InvalidInputError(
            f"The {where} does not exist; check the path or create it with "
            "`save_contract(infer_contract(table), path)`."
        )
    if file.is_dir():
        raise InvalidInputError(f"The {where} is a directory; pass the path of a YAML file.")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"The {where} is not UTF-8 text (byte {exc.start}); save it as UTF-8 YAML."
        ) from exc
    except OSError as exc:
        raise InvalidInputError(
            f"The {where} cannot be read ({exc.strerror or exc}); check its permissions."
        ) from exc
    contract = contract_from_yaml(text, where=where)
    if columns is not None:
        present = set(columns)
        lacking = [name for name in contract.names if name not in present]
        if lacking:
            raise InvalidInputError(
                f"The {where} describes column(s) {lacking} that the data lacks; remove "
                "them from the contract, or fix the data's column names.",
                {"where": where, "columns": lacking},
            )
    return contract


def save_contract(contract: Contract, path: str | Path) -> Path:
    """Write ``contract`` as YAML to ``path`` (parents are created); returns the path."""
    file = Path(path)
    if file.is_dir():
        raise InvalidInputError(
            f"Cannot save the contract to {str(file)!r}: it is a directory; "
            "pass a file path such as contract.yaml."
        )
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(contract_to_yaml(contract), encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(
            f"Cannot save the contract to {str(file)!r} ({exc.strerror or exc}); "
            "check the folder exists and is writable."
        ) from exc
    return file


def _refuse_duplicate_keys(node: yaml.Node | None, where: str) -> None:
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise InvalidInputError(
                            f"{where} has the key {key.value!r} twice (line "
                            f"{key.start_mark.line + 1}); keep one of them.",
                            {"where": where, "line": key.start_mark.line + 1},
                        )
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
