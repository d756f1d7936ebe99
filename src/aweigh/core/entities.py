"""Frozen entities: the only shape in which registry rows leave a store.

They hold plain values (str, int, float, tuples, read-only mappings) so they can
cross process boundaries, be cached, and be turned into JSON with ``to_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

JSONValue = Any
TaskKind = Literal["classification", "regression", "other"]


def _freeze(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


def _deep_freeze(value: Any) -> Any:
    """Read-only all the way down: mappings become proxies, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _deep_freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_deep_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable copy (dicts and lists) of a frozen entity field."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Entity:
    """Shared helpers; subclasses are frozen slotted dataclasses."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ColumnSpec(_Entity):
    """One input column: its name, its dtype in aweigh's small vocabulary, nullability."""

    name: str
    dtype: str
    nullable: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        return cls(
            name=str(data["name"]),
            dtype=str(data["dtype"]),
            nullable=bool(data.get("nullable", True)),
        )


@dataclass(frozen=True, slots=True)
class Signature(_Entity):
    """The input columns a version expects, in order (a data contract replaces it later)."""

    columns: tuple[ColumnSpec, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Signature:
        data = data or {}
        return cls(columns=tuple(ColumnSpec.from_dict(c) for c in data.get("columns", ())))


@dataclass(frozen=True, slots=True)
class OutputKind(_Entity):
    """What a version predicts: class labels (classification) or numbers (regression)."""

    task: TaskKind
    classes: tuple[JSONValue, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> OutputKind:
        data = data or {"task": "other"}
        return cls(task=data.get("task", "other"), classes=tuple(data.get("classes", ())))


@dataclass(frozen=True, slots=True)
class DataFingerprint(_Entity):
    """Identity of a training table: content hash, row count and column names."""

    sha256: str
    rows: int
    columns: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DataFingerprint | None:
        if not data:
            return None
        return cls(
            sha256=str(data["sha256"]), rows=int(data["rows"]), columns=tuple(data["columns"])
        )


@dataclass(frozen=True, slots=True)
class Model(_Entity):
    """A named thing that predicts; its versions hold the trained artifacts."""

    name: str
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    latest_version: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", _freeze(self.tags))


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What a caller gives the store to create a version; the store assigns the number."""

    model_name: str
    sha256: str
    flavor: str
    artifact_size: int
    signature: Signature = Signature()
    output: OutputKind = OutputKind(task="other")
    data_fingerprint: DataFingerprint | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    code_version: str | None = None
    parent: tuple[str, int] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    author: str = ""
    runtime: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    contract: Mapping[str, Any] | None = None
    dataset: tuple[str, int] | None = None
    privacy_policy: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ModelVersion(_Entity):
    """One immutable trained artifact of a model, with everything needed to trust it."""

    model_name: str
    version: int
    sha256: str
    flavor: str
    artifact_size: int
    signature: Signature
    output: OutputKind
    data_fingerprint: DataFingerprint | None
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    code_version: str | None
    parent: tuple[str, int] | None
    tags: Mapping[str, str]
    description: str
    author: str
    runtime: Mapping[str, str]
    created_at: datetime
    aliases: tuple[str, ...] = ()
    contract: Mapping[str, Any] | None = None
    dataset: tuple[str, int] | None = None
    privacy_policy: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.privacy_policy is not None:
            object.__setattr__(self, "privacy_policy", _deep_freeze(self.privacy_policy))
        for name in ("params", "metrics", "tags", "runtime"):
            object.__setattr__(self, name, _freeze(getattr(self, name)))
        if self.contract is not None:
            object.__setattr__(self, "contract", _deep_freeze(self.contract))

    @property
    def ref(self) -> str:
        return f"{self.model_name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        data = _Entity.to_dict(self)
        data["parent"] = f"{self.parent[0]}/{self.parent[1]}" if self.parent else None
        data["dataset"] = f"{self.dataset[0]}/{self.dataset[1]}" if self.dataset else None
        data["ref"] = self.ref
        return data


@dataclass(frozen=True, slots=True)
class Alias(_Entity):
    """Where an alias points now."""

    model_name: str
    alias: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class AliasEvent(_Entity):
    """One move of an alias: who moved it from what to what, when and why.

    ``from_version`` is None when the alias was created, ``to_version`` None when removed.
    """

    model_name: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    reason: str
    at: datetime
    seq: int = 0


@dataclass(frozen=True, slots=True)
class NewDatasetVersion:
    """What a caller gives the store to add a dataset version; the store numbers it."""

    name: str
    sha256: str
    rows: int
    columns: tuple[str, ...]
    contract: Mapping[str, Any]
    profile: Mapping[str, Any]
    source: str = ""
    description: str = ""
    author: str = ""
    created_at: datetime | None = None
    subjects: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DatasetVersion(_Entity):
    """A registered table: order-independent content hash, rows, contract, profile, source."""

    name: str
    version: int
    sha256: str
    rows: int
    columns: tuple[str, ...]
    contract: Mapping[str, Any]
    profile: Mapping[str, Any]
    source: str
    description: str
    author: str
    created_at: datetime
    status: str = "ok"
    subjects: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "contract", _deep_freeze(self.contract))
        object.__setattr__(self, "profile", _deep_freeze(self.profile))
        if self.subjects is not None:
            object.__setattr__(self, "subjects", _deep_freeze(self.subjects))

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        data = _Entity.to_dict(self)
        data["ref"] = self.ref
        data["subjects"] = (  # the hashed ids stay in the store; say only which column
            {"field": self.subjects.get("field"), "count": self.subjects.get("count")}
            if self.subjects
            else None
        )
        return data


@dataclass(frozen=True, slots=True)
class AuditEntry(_Entity):
    """One audited action (erasure, retention, access export, policy change).

    ``subject`` is the keyed hash of a data subject's id, never the raw id.
    """

    action: str
    actor: str
    at: datetime
    subject: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", _deep_freeze(self.details))


ALERT_STATES: tuple[str, ...] = ("firing", "resolved")
ALERT_SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
MONITOR_KINDS: tuple[str, ...] = (
    "drift",
    "quality",
    "fairness",
    "estimated_quality",
    "reference",  # the baseline a version's later windows are compared with
)


@dataclass(frozen=True, slots=True)
class AlertRecord(_Entity):
    """One alert: a rule's condition held on one metric series of one model version.

    ``key`` is the deduplication key (rule, model, version, metric): while an alert
    fires, new observations update ``value`` and ``updated_at`` of the same record.
    ``version`` is None for model-wide series. ``condition`` is the rule's text
    (``"> 0.1"``, ``"anomaly"``).
    """

    id: str
    key: str
    rule: str
    model: str
    version: int | None
    metric: str
    severity: str
    state: str
    value: float | None
    condition: str
    message: str
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    labels: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _deep_freeze(self.labels))


@dataclass(frozen=True, slots=True)
class MonitorRecord(_Entity):
    """The stored result of one monitor run on one window of a model version.

    One record per (model, version, kind, window_start, window_end): recomputing a
    window (late labels) replaces it. ``payload`` is the monitor's JSON result,
    ``summary`` one line for people.
    """

    id: str
    model: str
    version: int | None
    kind: str
    window_start: datetime
    window_end: datetime
    created_at: datetime
    summary: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", _deep_freeze(self.payload))
