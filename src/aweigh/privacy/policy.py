"""Redaction policies: what happens to each column before data leaves the request path.

A policy is plain data, saved as YAML next to a model version and edited by hand::

    format_version: 1
    subject_field: customer_id
    kinds:                        # per-kind defaults
      email: {action: hash}
      phone: {action: mask}
    columns:                      # per-column rules
      email: {kind: email}        # no action: the kind's default applies
      phone: {kind: phone}
      age: {action: generalize, generalize: age_band}
      notes: {action: mask_text}
      customer_id: {kind: subject}

Actions:

- ``drop``: the field is removed;
- ``mask``: the value's shape is kept and all but its last 4 characters become ``X``
  (``+XX XXXXX X3210``), by kind when the column names one;
- ``hash``: a keyed HMAC-SHA256 token ``h:<32 hex>``, the same for the same value and
  secret, so joins on hashed values still work (see :mod:`aweigh.privacy.redact`);
- ``generalize``: coarsened as the column's ``generalize`` says: ``age_band`` (39 →
  ``"30-39"``, 90 and over → ``"90+"``), ``month`` (a date → ``"2026-11"``), ``pin3``
  (an Indian PIN code → ``"560XXX"``), ``zip3`` (a US ZIP → ``"941XX"``),
  ``bucket:<n>`` (a number → the lower bound of its bucket of width n);
- ``mask_text``: free text whose embedded PII spans are masked;
- ``keep``: unchanged.

A column rule without an ``action`` takes the action of its ``kind``: from the
policy's ``kinds`` section, else from :data:`DEFAULT_KIND_RULES`. Columns the policy
does not name are kept unchanged. :func:`default_policy` builds a policy from a scan.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from aweigh.core.errors import InvalidInputError

__all__ = [
    "ACTIONS",
    "DEFAULT_KIND_RULES",
    "FORMAT_VERSION",
    "GENERALIZATIONS",
    "Action",
    "ColumnRule",
    "RedactionPolicy",
    "default_policy",
    "load_policy",
    "parse_generalization",
    "policy_from_yaml",
    "policy_to_yaml",
    "save_policy",
]

Action = Literal["drop", "mask", "hash", "generalize", "mask_text", "keep"]
ACTIONS: tuple[str, ...] = ("drop", "mask", "hash", "generalize", "mask_text", "keep")
#: generalisations by name; ``bucket`` is written ``bucket:<n>`` with n > 0
GENERALIZATIONS: tuple[str, ...] = ("age_band", "month", "pin3", "zip3", "bucket:<n>")
FORMAT_VERSION = 1

#: how strongly an action hides a value; the strongest wins when kinds disagree
_STRENGTH = {"drop": 5, "hash": 4, "mask_text": 3, "mask": 3, "generalize": 2, "keep": 1}


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """What to do with one column (or, in ``kinds``, with every column of one kind).

    ``action`` may be ``None`` in a column rule that names a ``kind``: the kind's
    default applies. ``generalize`` is set exactly when the action is ``generalize``.
    """

    action: Action | None = None
    generalize: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.action is not None:
            out["action"] = self.action
        if self.generalize is not None:
            out["generalize"] = self.generalize
        if self.kind is not None:
            out["kind"] = self.kind
        return out


#: the default action per PII kind (used by :func:`default_policy`, and for a column
#: whose ``kind`` the policy's ``kinds`` section does not list). Identifiers that must
#: still join (contact details, national ids, the data subject) are hashed; payment
#: numbers are masked (the last 4 digits are what support staff ask for); a date of
#: birth keeps only its month. A kind not listed here is hashed.
DEFAULT_KIND_RULES: Mapping[str, ColumnRule] = {
    "email": ColumnRule("hash"),
    "phone": ColumnRule("hash"),
    "aadhaar": ColumnRule("hash"),
    "pan": ColumnRule("hash"),
    "passport": ColumnRule("hash"),
    "indian_passport": ColumnRule("hash"),
    "voter_id": ColumnRule("hash"),
    "gstin": ColumnRule("hash"),
    "vehicle_registration": ColumnRule("hash"),
    "ssn": ColumnRule("hash"),
    "us_ssn": ColumnRule("hash"),
    "ip": ColumnRule("hash"),
    "ipv4": ColumnRule("hash"),
    "ipv6": ColumnRule("hash"),
    "person": ColumnRule("hash"),
    "location": ColumnRule("hash"),
    "subject": ColumnRule("hash"),
    "card": ColumnRule("mask"),
    "iban": ColumnRule("mask"),
    "date_of_birth": ColumnRule("generalize", "month"),
}


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """Per-column rules, per-kind defaults, and the data-subject field."""

    columns: Mapping[str, ColumnRule] = field(default_factory=dict)
    kinds: Mapping[str, ColumnRule] = field(default_factory=dict)
    subject_field: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        for name, rule in self.kinds.items():
            _check_rule(rule, f"the redaction policy, kind {name!r}", {}, False)
        for name, rule in self.columns.items():
            _check_rule(rule, f"the redaction policy, column {name!r}", self.kinds, True)

    def rule_for(self, column: str) -> ColumnRule | None:
        """The rule that applies to ``column``, its action resolved; ``None`` when the
        policy does not name the column (it is kept)."""
        rule = self.columns.get(column)
        if rule is None or rule.action is not None:
            return rule
        assert rule.kind is not None  # __post_init__ guarantees it
        default = self.kinds.get(rule.kind) or _default_for(rule.kind)
        return ColumnRule(default.action, default.generalize, rule.kind)

    def with_rule(self, column: str, rule: ColumnRule | None) -> RedactionPolicy:
        """A copy where ``column`` follows ``rule`` (``None`` removes the column's rule)."""
        columns = dict(self.columns)
        if rule is None:
            columns.pop(column, None)
        else:
            columns[column] = rule
        return replace(self, columns=columns)

    def validate_against(self, columns: Iterable[str]) -> None:
        """Refuse a policy that names columns the data lacks (a typo would otherwise
        leave the real column unredacted)."""
        known = list(dict.fromkeys(columns))
        present = set(known)
        unknown = [name for name in self.columns if name not in present]
        if unknown:
            shown = known if len(known) <= 50 else [*known[:50], f"... {len(known) - 50} more"]
            raise InvalidInputError(
                f"The redaction policy names column(s) {unknown} that the data does not "
                f"have; the data's columns are {shown}. Fix the names in the policy's "
                "'columns' section or remove those entries.",
                {"unknown": unknown, "known": known},
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain data in a stable key order (what the YAML file holds)."""
        out: dict[str, Any] = {"format_version": FORMAT_VERSION}
        if self.description:
            out["description"] = self.description
        if self.subject_field is not None:
            out["subject_field"] = self.subject_field
        out["kinds"] = {k: r.to_dict() for k, r in self.kinds.items()}
        out["columns"] = {c: r.to_dict() for c, r in self.columns.items()}
        return out

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "the redaction policy") -> RedactionPolicy:
        """Parse and check a policy; every problem names the column (or kind) and the fix."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                f"{where} must be a mapping with a 'columns' section "
                "(default_policy and save_policy write one)."
            )
        allowed = {"format_version", "description", "subject_field", "kinds", "columns"}
        unknown = sorted(str(k) for k in set(data) - allowed)
        if unknown:
            raise InvalidInputError(
                f"{where} has unknown top-level key(s) {unknown}; known keys are {sorted(allowed)}."
            )
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise InvalidInputError(
                f"{where} has format_version {version!r}; this aweigh reads version "
                f"{FORMAT_VERSION}."
            )
        subject = data.get("subject_field")
        if subject is not None and (not isinstance(subject, str) or not subject):
            raise InvalidInputError(
                f"{where}: 'subject_field' must be a column name such as customer_id. "
                f"Got {subject!r}."
            )
        kinds = _section(data.get("kinds"), "kinds", where)
        columns = _section(data.get("columns"), "columns", where)
        kind_rules = {
            name: _rule(raw, f"{where}, kind {name!r}", {}, in_columns=False)
            for name, raw in kinds.items()
        }
        column_rules = {
            name: _rule(raw, f"{where}, column {name!r}", kind_rules, in_columns=True)
            for name, raw in columns.items()
        }
        description = data.get("description", "")
        return cls(
            columns=column_rules,
            kinds=kind_rules,
            subject_field=subject,
            description="" if description is None else str(description),
        )


def parse_generalization(spec: str, *, where: str = "the redaction policy") -> float | None:
    """Check a ``generalize`` value; returns the bucket width for ``bucket:<n>`` (an int
    when n is whole), else ``None``. An unknown name is refused with the known ones."""
    if spec in ("age_band", "month", "pin3", "zip3"):
        return None
    if isinstance(spec, str) and spec.startswith("bucket:"):
        text = spec[len("bucket:") :].strip()
        try:
            width: float = int(text)
        except ValueError:
            try:
                width = float(text)
            except ValueError:
                width = math.nan
        if math.isfinite(width) and width > 0:
            return width
        raise InvalidInputError(
            f"{where}: 'generalize: {spec}' needs a bucket width above 0, such as "
            "'bucket:10' or 'bucket:0.5'."
        )
    raise InvalidInputError(
        f"{where}: unknown generalisation {spec!r}; use one of {list(GENERALIZATIONS)} "
        "(for example 'generalize: age_band')."
    )


def _section(raw: Any, name: str, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(
            f"{where}: '{name}' must be a mapping of name to rule, such as "
            "{email: {action: hash}}."
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        text = str(key) if isinstance(key, int | float) and not isinstance(key, bool) else key
        if not isinstance(text, str) or not text:
            raise InvalidInputError(f"{where}: '{name}' has an empty or odd name {key!r}.")
        out[text] = value
    return out


def _rule(raw: Any, at: str, kinds: Mapping[str, ColumnRule], *, in_columns: bool) -> ColumnRule:
    if isinstance(raw, str):  # shorthand: ``age: keep``
        raw = {"action": raw}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(
            f"{at}: the rule must be a mapping such as {{action: hash}}. Got {raw!r}."
        )
    keys = {"action", "generalize", "kind"} if in_columns else {"action", "generalize"}
    unknown = sorted(str(k) for k in set(raw) - keys)
    if unknown:
        raise InvalidInputError(f"{at}: unknown key(s) {unknown}; known keys are {sorted(keys)}.")
    kind = raw.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind):
        raise InvalidInputError(f"{at}: 'kind' must be a PII kind such as email. Got {kind!r}.")
    generalize = raw.get("generalize")
    rule = ColumnRule(
        action=cast(Action | None, raw.get("action")),
        generalize=None if generalize is None else str(generalize),
        kind=kind,
    )
    _check_rule(rule, at, kinds, in_columns)
    return rule


def _check_rule(
    rule: ColumnRule, at: str, kinds: Mapping[str, ColumnRule], in_columns: bool
) -> None:
    if rule.action is None:
        if not in_columns:
            raise InvalidInputError(f"{at}: needs an 'action', one of {list(ACTIONS)}.")
        if rule.kind is None:
            raise InvalidInputError(
                f"{at}: needs an 'action' (one of {list(ACTIONS)}) or a 'kind' whose "
                "default action applies."
            )
        if rule.kind not in kinds and rule.kind.lower() not in DEFAULT_KIND_RULES:
            raise InvalidInputError(
                f"{at}: kind {rule.kind!r} has no default action; give the column an "
                f"'action', or add it under 'kinds' (known kinds: "
                f"{sorted({*kinds, *DEFAULT_KIND_RULES})})."
            )
        if rule.generalize is not None:
            raise InvalidInputError(
                f"{at}: 'generalize' goes with 'action: generalize'; add the action or "
                "remove 'generalize'."
            )
        return
    if rule.action not in ACTIONS:
        raise InvalidInputError(
            f"{at}: unknown action {rule.action!r}; use one of {list(ACTIONS)}."
        )
    if rule.action == "generalize":
        if rule.generalize is None:
            raise InvalidInputError(
                f"{at}: 'action: generalize' needs 'generalize:' set to one of "
                f"{list(GENERALIZATIONS)}."
            )
        parse_generalization(rule.generalize, where=at)
    elif rule.generalize is not None:
        raise InvalidInputError(
            f"{at}: 'generalize' only goes with 'action: generalize' (the action is "
            f"{rule.action!r}); remove it or change the action."
        )


def default_policy(
    scan: Mapping[str, Iterable[str]],
    *,
    subject_field: str | None = None,
    text_columns: Iterable[str] = (),
) -> RedactionPolicy:
    """The policy a model version starts with, from a scan of its training data.

    ``scan`` maps every column to the PII kinds found in it (an empty list for a clean
    column). Each PII column gets ``{kind: K}`` where K is its kind with the strongest
    default action in :data:`DEFAULT_KIND_RULES` (a kind not listed there is hashed);
    the ``kinds`` section holds those defaults, so editing one kind changes all its
    columns. Free-text columns (``text_columns``) that hold PII get ``mask_text``;
    clean columns are listed as ``keep`` so the file shows every column; the subject
    field is hashed (kind ``subject``) whatever the scan found in it.
    """
    texts = set(text_columns)
    columns: dict[str, ColumnRule] = {}
    kinds: dict[str, ColumnRule] = {}
    for column, found in scan.items():
        found = [str(k) for k in found if k]
        if column == subject_field:
            continue
        if not found:
            columns[column] = ColumnRule("keep")
        elif column in texts:
            columns[column] = ColumnRule("mask_text")
        else:
            kind = max(found, key=lambda k: _STRENGTH[_default_for(k).action or "hash"])
            kinds.setdefault(kind, _default_for(kind))
            columns[column] = ColumnRule(kind=kind)
    if subject_field is not None:
        kinds["subject"] = DEFAULT_KIND_RULES["subject"]
        columns[subject_field] = ColumnRule(kind="subject")
    return RedactionPolicy(columns=columns, kinds=kinds, subject_field=subject_field)


def _default_for(kind: str) -> ColumnRule:
    return DEFAULT_KIND_RULES.get(kind.lower(), ColumnRule("hash"))


# --- YAML -------------------------------------------------------------------------------


def policy_to_yaml(policy: RedactionPolicy) -> str:
    """The policy as YAML: stable key order, one rule per line (``email: {kind: email}``).

    Names in any script are written as they are, unless that would not read back
    (PyYAML takes a raw NEL or line separator for a line break): then non-ASCII
    characters are escaped.
    """
    data = policy.to_dict()
    for allow_unicode in (True, False):
        text: str = yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=allow_unicode,
            default_flow_style=False,
            width=100,
        )
        if not allow_unicode or yaml.safe_load(text) == data:
            break
    return text


class _Dumper(yaml.SafeDumper):
    """SafeDumper writing each rule (a mapping of plain values) inline."""


def _represent_dict(dumper: Any, data: Any) -> yaml.Node:
    flow = bool(data) and all(isinstance(v, str | int | float) for v in data.values())
    node: yaml.Node = dumper.represent_mapping(
        "tag:yaml.org,2002:map", data.items(), flow_style=flow
    )
    return node


_Dumper.add_representer(dict, _represent_dict)


def policy_from_yaml(text: str, *, where: str = "the redaction policy") -> RedactionPolicy:
    """Parse a YAML policy; malformed YAML names ``where`` and the line."""
    try:
        data = yaml.safe_load(text)
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), where)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown line"
        problem = exc.problem or exc.context or "it is not valid YAML"
        raise InvalidInputError(
            f"{where} is not valid YAML at {at}: {problem}. Fix the file (a YAML linter "
            "shows the spot) or write it again with save_policy.",
            {"where": where, "line": mark.line + 1 if mark else None},
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            f"{where} is not valid YAML: {exc}. Fix the file or write it again with save_policy.",
            {"where": where},
        ) from exc
    if data is None:
        raise InvalidInputError(
            f"{where} is empty; it must be a mapping with a 'columns' section "
            "(default_policy and save_policy write one)."
        )
    return RedactionPolicy.from_dict(data, where=where)


def load_policy(path: str | Path, *, columns: Iterable[str] | None = None) -> RedactionPolicy:
    """Read a policy file; with ``columns`` (the data's column names), also refuse a
    policy naming columns the data lacks."""
    file = Path(path)
    where = f"policy file {str(file)!r}"
    if not file.exists():
        raise InvalidInputError(
            f"The {where} does not exist; check the path or create it with "
            "`save_policy(default_policy(scan), path)`."
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
    policy = policy_from_yaml(text, where=where)
    if columns is not None:
        policy.validate_against(columns)
    return policy


def save_policy(policy: RedactionPolicy, path: str | Path) -> Path:
    """Write ``policy`` as YAML to ``path`` atomically (parents are created)."""
    file = Path(path)
    if file.is_dir():
        raise InvalidInputError(
            f"Cannot save the policy to {str(file)!r}: it is a directory; pass a file "
            "path such as redaction.yaml."
        )
    text = policy_to_yaml(policy)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInputError(
            f"Cannot save the policy to {str(file)!r} ({exc.strerror or exc}); check the "
            "folder exists and is writable."
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
