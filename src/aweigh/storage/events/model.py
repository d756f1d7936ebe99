"""Prediction and feedback events, and the Arrow shape they have on disk.

An :class:`Event` is one row of one request: a prediction (inputs, output,
probabilities, latency) or, later, a feedback (the true label) that joins the
prediction by ``request_id`` and ``row``. It may carry the data subject's keyed-hash
token (``subject_id``), the purposes the subject consented to (``purposes``) and
whether the subject is a child (``child``: under 18 under India's DPDP Act).

On disk ``inputs``, ``output`` and ``label`` are JSON text (orjson), so features of
any type survive; NaN and infinities become ``null``, tuples become lists, numpy
scalars and arrays become numbers and lists, datetimes become RFC 3339 text.
``proba`` is ``list<float64>``, ``flags`` and ``purposes`` are ``list<string>``;
every other column is a plain scalar. Segments written before ``purposes`` and
``child`` existed (schema 1) still read: those columns are null there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import orjson
import pyarrow as pa

from aweigh.core.errors import InvalidInputError

__all__ = [
    "EVENT_SCHEMA",
    "Event",
    "EventKind",
    "event_from_dict",
    "event_to_json_line",
    "events_to_table",
    "table_to_events",
    "to_json",
]

EventKind = Literal["prediction", "feedback"]
KINDS: frozenset[str] = frozenset(("prediction", "feedback"))
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One prediction or one feedback for one row of one request.

    ``ts`` must be timezone-aware; it is kept in UTC. ``inputs`` is not copied (it
    is treated as read-only once handed over). ``proba`` becomes a tuple of floats,
    ``flags`` and ``purposes`` tuples of strings (one string is one purpose).

    ``purposes`` is what the data subject consented to, e.g. ``("serving",
    "training")``; None means no consent was recorded (a training export excludes
    such rows). ``child`` is True when the subject is a child (under 18 under India's
    DPDP Act), False when known not to be, None when unknown.
    """

    kind: EventKind
    request_id: str
    row: int = 0
    model: str
    version: int | None = None
    ts: datetime
    inputs: Mapping[str, Any] | None = None
    output: Any = None
    proba: tuple[float, ...] | None = None
    latency_ms: float | None = None
    subject_id: str | None = None
    label: Any = None
    flags: tuple[str, ...] | None = None
    purposes: tuple[str, ...] | None = None
    child: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInputError(
                f"The event kind must be 'prediction' or 'feedback'. Got {self.kind!r} instead.",
                {"field": "kind"},
            )
        rid, model = self.request_id, self.model
        if type(rid) is not str or not rid or type(model) is not str or not model:
            name = "model" if type(rid) is str and rid else "request_id"
            raise InvalidInputError(
                f"The event {name} must be a non-empty string. "
                f"Got {getattr(self, name)!r} instead.",
                {"field": name},
            )
        ts = self.ts
        if not isinstance(ts, datetime):
            raise InvalidInputError(
                f"The event ts must be a datetime. Got {type(ts).__name__} instead.",
                {"field": "ts"},
            )
        if ts.tzinfo is not UTC:
            offset = ts.utcoffset()
            if offset is None:
                raise InvalidInputError(
                    "The event ts must be timezone-aware; use datetime.now(UTC) "
                    f"or attach a tzinfo. Got the naive {ts.isoformat()} instead.",
                    {"field": "ts"},
                )
            object.__setattr__(self, "ts", (ts - offset).replace(tzinfo=UTC))
        proba = self.proba
        if proba is not None and type(proba) is not tuple:
            object.__setattr__(self, "proba", tuple(_float(p) for p in proba))
        flags = self.flags
        if flags is not None and type(flags) is not tuple:
            object.__setattr__(self, "flags", tuple(str(f) for f in flags))
        purposes = self.purposes
        if purposes is not None and type(purposes) is not tuple:
            if isinstance(purposes, str):
                purposes = (purposes,)
            object.__setattr__(self, "purposes", tuple(str(p) for p in purposes))
        child = self.child
        if child is not None and type(child) is not bool:
            raise InvalidInputError(
                "The event child flag must be True, False or None (unknown). "
                f"Got {child!r} instead.",
                {"field": "child"},
            )


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


# -- the Arrow schema ---------------------------------------------------------------
EVENT_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string()),
        pa.field("request_id", pa.string()),
        pa.field("row", pa.int64()),
        pa.field("model", pa.string()),
        pa.field("version", pa.int64()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("inputs", pa.string()),
        pa.field("output", pa.string()),
        pa.field("proba", pa.list_(pa.float64())),
        pa.field("latency_ms", pa.float64()),
        pa.field("subject_id", pa.string()),
        pa.field("label", pa.string()),
        pa.field("flags", pa.list_(pa.string())),
        pa.field("purposes", pa.list_(pa.string())),
        pa.field("child", pa.bool_()),
    ],
    metadata={b"aweigh.events.schema": b"2"},
)

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_INT64 = (-(2**63), 2**64 - 1)


def _default(value: Any) -> Any:
    """What orjson cannot write natively becomes plain JSON, never an error."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    item = getattr(value, "item", None)  # numpy scalars orjson does not know (float16, ...)
    if callable(item):
        return item()
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA, pandas.NaT
        return None
    return str(value)


def _sanitize(value: Any) -> Any:
    """A copy of ``value`` orjson can always write: big ints as text, bad UTF-8 replaced."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    if isinstance(value, Mapping):
        return {
            _sanitize(k if isinstance(k, str) else str(k)): _sanitize(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_sanitize(v) for v in value]
    return value


def to_json(value: Any) -> bytes | None:
    """``value`` as JSON bytes (None stays None): the encoding of inputs, output and label."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return orjson.dumps(_sanitize(value), default=_default, option=_OPTIONS)


def events_to_table(events: Iterable[Event]) -> pa.Table:
    """The events as an Arrow table with :data:`EVENT_SCHEMA`, built in one pass."""
    kind: list[str] = []
    request_id: list[str] = []
    row: list[int] = []
    model: list[str] = []
    version: list[int | None] = []
    ts: list[datetime] = []
    inputs: list[bytes | None] = []
    output: list[bytes | None] = []
    proba: list[tuple[float, ...] | None] = []
    latency: list[float | None] = []
    subject: list[str | None] = []
    label: list[bytes | None] = []
    flags: list[tuple[str, ...] | None] = []
    purposes: list[tuple[str, ...] | None] = []
    child: list[bool | None] = []
    dumps = orjson.dumps
    options = _OPTIONS
    default = _default
    for e in events:
        kind.append(e.kind)
        request_id.append(e.request_id)
        row.append(e.row)
        model.append(e.model)
        version.append(e.version)
        ts.append(e.ts)
        proba.append(e.proba)
        latency.append(e.latency_ms)
        subject.append(e.subject_id)
        flags.append(e.flags)
        purposes.append(e.purposes)
        child.append(e.child)
        try:
            x = e.inputs
            inputs.append(None if x is None else dumps(x, default=default, option=options))
            x = e.output
            output.append(None if x is None else dumps(x, default=default, option=options))
            x = e.label
            label.append(None if x is None else dumps(x, default=default, option=options))
        except orjson.JSONEncodeError:
            del inputs[len(kind) - 1 :], output[len(kind) - 1 :], label[len(kind) - 1 :]
            inputs.append(to_json(e.inputs))
            output.append(to_json(e.output))
            label.append(to_json(e.label))
    columns = (kind, request_id, row, model, version, ts, inputs, output, proba, latency)
    arrays = [
        pa.array(values, type=field.type)
        for values, field in zip(
            (*columns, subject, label, flags, purposes, child), EVENT_SCHEMA, strict=True
        )
    ]
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


_REQUIRED = ("kind", "request_id", "model", "ts")
_JSON_COLUMNS = ("inputs", "output", "label")


def table_to_events(table: pa.Table) -> list[Event]:
    """The events of a table written by :func:`events_to_table` (or a query over them).

    Columns other than the event's fields (such as ``date``) are ignored; optional
    fields that are missing take their defaults.
    """
    names = set(table.column_names)
    missing = [c for c in _REQUIRED if c not in names]
    if missing:
        raise InvalidInputError(
            f"The table has no column {missing[0]!r}; an event needs at least "
            f"{', '.join(_REQUIRED)}. Select these columns too.",
            {"missing": missing},
        )
    loads = orjson.loads
    columns: dict[str, list[Any]] = {}
    for field in EVENT_SCHEMA:
        if field.name not in names:
            continue
        values = table.column(field.name).to_pylist()
        if field.name in _JSON_COLUMNS:
            values = [None if v is None else loads(v) for v in values]
        columns[field.name] = values
    fields = list(columns)
    return [
        Event(**dict(zip(fields, values, strict=True)))
        for values in zip(*columns.values(), strict=True)
    ]


_FIELDS = tuple(field.name for field in EVENT_SCHEMA)


def event_to_json_line(event: Event) -> bytes:
    """One event as a line of JSON (the spool format); :func:`event_from_dict` reads it."""
    try:
        return orjson.dumps(event, default=_default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        plain = _sanitize({name: getattr(event, name) for name in _FIELDS})
        return orjson.dumps(plain, default=_default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """An event from its JSON form (``orjson.dumps(event)``); unknown keys are ignored."""
    ts = data["ts"]
    proba = data.get("proba")
    return Event(
        kind=data["kind"],
        request_id=data["request_id"],
        row=data.get("row", 0),
        model=data["model"],
        version=data.get("version"),
        ts=datetime.fromisoformat(ts) if isinstance(ts, str) else ts,
        inputs=data.get("inputs"),
        output=data.get("output"),
        proba=None if proba is None else tuple(_float(p) for p in proba),
        latency_ms=data.get("latency_ms"),
        subject_id=data.get("subject_id"),
        label=data.get("label"),
        flags=None if data.get("flags") is None else tuple(data["flags"]),
        purposes=None if data.get("purposes") is None else tuple(data["purposes"]),
        child=data.get("child"),
    )
