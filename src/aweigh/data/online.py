"""Online validation: a contract compiled once into a validator for request rows.

``compile_validator(contract)`` builds, once, a msgspec ``Struct`` whose fields carry
the contract's rules as msgspec constraints (``ge``/``le``, ``max_length``, ``pattern``,
``Literal`` categories, ``| None`` for nullable columns) plus one specialised Python
check per column for what msgspec cannot say. A request whose values already have the
right types and pass every rule (the common case) is validated by one
``msgspec.convert`` call in C. Anything else (a value to coerce, a broken rule, a
missing or unknown column) takes the slow path: each column is converted on its own,
and only the columns msgspec refuses are checked value by value, so that *every*
violation is reported, not just the first.

Coercion table (what each column type accepts; everything else is a ``type`` violation):

=========  ===========================================  ================================
type       accepted as is                               coerced
=========  ===========================================  ================================
int        ``int`` (not ``bool``)                       whole-number float (``3.0``),
                                                        numeric string (``"3"``, ``"3.0"``),
                                                        numpy integers
float      ``float`` (finite)                           ``int``, numeric string
                                                        (``"2.5"``, ``"1e3"``), numpy numbers
bool       ``bool``                                     ``"true"``/``"false"`` (any case),
                                                        ints ``0``/``1``, ``numpy.bool_``
string     ``str``                                      nothing: numbers are a violation
category   a value of the categories' element type     as for that type (str, int, float,
                                                        bool); no categories: any scalar
datetime   ``datetime``                                 ``date`` (midnight), ISO 8601
                                                        string (``datetime.fromisoformat``)
=========  ===========================================  ================================

Nulls: ``None`` is allowed when the column is nullable, otherwise rule ``null``. A float
NaN (or the string ``"nan"`` in a numeric column) counts as null when the column is
nullable (kept as NaN in float columns, ``None`` elsewhere) and is a ``type`` violation
otherwise; infinity is always a ``type`` violation. ``pattern`` is searched
(``re.search``, like msgspec and Arrow's ``match_substring_regex``): anchor it with
``^...$`` to match the whole value. ``unique`` holds within one call. A missing column
is a ``missing_column`` violation on every row (its values become ``None``); a column
not in the contract is an ``unknown_column`` violation on every row when
``extra_columns`` is ``reject`` and is dropped silently when it is ``ignore``.
Violations carry the column's policy: ``reject`` rows are in ``rejected_rows``; rows
with only ``warn`` violations are in ``warned_rows`` (served, flagged). Strings longer
than 200 characters are cut to 200 in ``Violation.value``.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from types import GenericAlias
from typing import Annotated, Any, Literal

import msgspec
import numpy as np

from aweigh.core.errors import InvalidInputError
from aweigh.data.contract import ColumnContract, Contract, Violation

__all__ = ["OnlineResult", "RecordResult", "RowValidator", "compile_validator"]

_MAX_FLOAT = 1.7976931348623157e308
_MISSING: Any = object()
_convert = msgspec.convert
_asdict = msgspec.structs.asdict
_astuple = msgspec.structs.astuple


class OnlineResult(msgspec.Struct):
    """Validated columns (coerced), and what broke which rule on which row."""

    columns: dict[str, list[Any]]
    rows: int
    violations: list[Violation]
    rejected_rows: set[int]
    warned_rows: set[int]

    @property
    def ok(self) -> bool:
        """No row is rejected (warned rows are served)."""
        return not self.rejected_rows

    def raise_for_rejected(self, max_errors: int = 50) -> None:
        """Raise ``InvalidInputError`` (HTTP 422) naming row, column, value and rule of
        the first ``max_errors`` reject violations, if any row is rejected."""
        if not self.rejected_rows:
            return
        rejects = [v for v in self.violations if v.policy == "reject"]
        more = "+" if len(rejects) > max_errors else ""
        raise InvalidInputError(
            f"{len(self.rejected_rows)} of {self.rows} row(s) break the contract "
            f"({len(rejects)} violation(s)); first: row {rejects[0].row}: "
            f"{rejects[0].message}. Fix the values or the contract.",
            {
                "errors": [v.to_dict() for v in rejects[:max_errors]],
                "count": f"{len(rejects)}{more}",
                "rejected_rows": sorted(self.rejected_rows)[:max_errors],
            },
        )


class RecordResult(msgspec.Struct):
    """One validated record: its coerced values and violations."""

    values: dict[str, Any]
    violations: list[Violation]
    rejected: bool
    warned: bool


class RowValidator:
    """A contract compiled into fast checks; build it with ``compile_validator``.

    ``validate`` and ``validate_record`` are replaced, per instance, by closures that
    hold everything they need in local cells; the methods below document them. A
    validator pickles as its contract and is compiled again where it is unpickled.
    """

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        columns = contract.columns
        self._names: tuple[str, ...] = contract.names
        self._exact = contract.extra_columns == "reject"
        self._checks: dict[str, Check] = {}
        fast: dict[str, Any] = {}
        for column in columns:
            try:
                self._checks[column.name] = make_check(column)
                fast[column.name] = _fast_type(column)
            except (TypeError, ValueError, re.error) as exc:
                raise InvalidInputError(
                    f"The contract's column {column.name!r} cannot be compiled ({exc}); its "
                    "categories must be plain values and its pattern a valid regular expression."
                ) from exc
        self._column_type = {name: _list_of(t) for name, t in fast.items() if t is not None}
        self._always: tuple[tuple[str, Check, str], ...] = tuple(
            (c.name, self._checks[c.name], c.policy) for c in columns if fast[c.name] is None
        )
        self._unique = tuple(c for c in columns if c.unique)
        direct = all(_plain_name(n) for n in self._names)
        # Struct -> {column: value}: asdict when the names are the fields; otherwise
        # to_builtins for records of builtin values (it copies lists, so not for columns)
        names = self._names
        self._to_dict: Callable[[Any], dict[str, Any]] = (
            _asdict if direct else lambda struct: dict(zip(names, _astuple(struct), strict=False))
        )
        self._record_to_dict = (
            msgspec.to_builtins if not direct and not self._always else self._to_dict
        )
        cells = [fast[n] if fast[n] is not None else Any for n in self._names]
        # forbid_unknown_fields: an unknown column fails the fast path when it must be reported
        self._record = _struct("Record", self._names, cells, direct, self._exact)
        self._many = _struct(
            "Columns", self._names, [_list_of(t) for t in cells], direct, self._exact
        )
        ones = [Annotated[_list_of(t), _ONE] for t in cells]
        self._one = _struct("Column1", self._names, ones, direct, self._exact)
        # instance attributes shadow the methods: the specialised fast paths
        self.__dict__["validate"] = _fast_validate(self)
        self.__dict__["validate_record"] = _fast_record(self)

    def __reduce__(self) -> tuple[Any, tuple[Contract]]:
        return compile_validator, (self.contract,)

    def validate(self, columns: Mapping[str, Sequence[Any]], rows: int) -> OnlineResult:
        """Check ``rows`` rows given as ``{column: [value per row]}``; see the module doc."""
        return _fast_validate(self)(columns, rows)  # pragma: no cover - shadowed per instance

    def validate_record(self, record: Mapping[str, Any]) -> RecordResult:
        """Check one row given as ``{column: value}``; see the module doc."""
        return _fast_record(self)(record)  # pragma: no cover - shadowed per instance

    def _finish(self, out: dict[str, list[Any]], rows: int) -> OnlineResult:
        """After msgspec accepted the columns: the Python-checked columns and uniqueness."""
        _check_rows(rows)
        if rows != 1 and any(len(values) != rows for values in out.values()):
            raise InvalidInputError(
                f"Every column must have {rows} value(s), one per row; got lengths "
                f"{ {k: len(v) for k, v in out.items() if len(v) != rows} }."
            )
        violations: list[Violation] = []
        for name, check, policy in self._always:
            out[name] = _check_values(name, out[name], check, policy, violations)
        if rows > 1:
            for column in self._unique:
                _check_unique(column, out[column.name], violations)
        return _result(out, rows, violations)

    def _slow_record(self, record: Mapping[str, Any]) -> RecordResult:
        if not isinstance(record, Mapping):
            raise InvalidInputError(
                f"A record must be a mapping of column to value. Got {type(record).__name__}."
            )
        result = self._slow({k: [v] for k, v in record.items()}, 1)
        values = {k: v[0] for k, v in result.columns.items()}
        return RecordResult(
            values, result.violations, bool(result.rejected_rows), bool(result.warned_rows)
        )

    def _slow(self, columns: Mapping[str, Sequence[Any]], rows: int) -> OnlineResult:
        if not isinstance(columns, Mapping):
            raise InvalidInputError(
                f"Columns must be a mapping of column name to a list of values. "
                f"Got {type(columns).__name__}."
            )
        _check_rows(rows)
        violations: list[Violation] = []
        out: dict[str, list[Any]] = {}
        for column in self.contract.columns:
            name = column.name
            values = columns.get(name, _MISSING)
            if values is _MISSING:
                message = f"column {name!r} is missing; the contract requires it"
                violations.extend(
                    Violation(i, name, "missing_column", None, message, column.policy)
                    for i in range(rows)
                )
                out[name] = [None] * rows
                continue
            if not isinstance(values, list | tuple):
                raise InvalidInputError(
                    f"Column {name!r} must be a list of values, one per row. "
                    f"Got {type(values).__name__}."
                )
            if len(values) != rows:
                raise InvalidInputError(
                    f"Column {name!r} has {len(values)} value(s) but the request has {rows} "
                    "row(s); send one value per row in every column."
                )
            kind = self._column_type.get(name)
            converted: list[Any] | None = None
            if kind is not None:
                try:
                    converted = _convert(values, kind)
                except msgspec.ValidationError:
                    converted = None
            if converted is None:
                converted = _check_values(
                    name, values, self._checks[name], column.policy, violations
                )
            out[name] = converted
            if column.unique and rows > 1:
                _check_unique(column, converted, violations)
        if self._exact:
            known = set(self._names)
            for key in columns:
                if key not in known:
                    message = (
                        f"column {key!r} is not in the contract; remove it, "
                        "or set extra_columns: ignore in the contract"
                    )
                    violations.extend(
                        Violation(i, str(key), "unknown_column", None, message, "reject")
                        for i in range(rows)
                    )
        return _result(out, rows, violations)


def _fast_validate(
    validator: RowValidator,
) -> Callable[[Mapping[str, Sequence[Any]], int], OnlineResult]:
    one, many = validator._one, validator._many
    to_dict = validator._to_dict
    simple = not validator._always and not validator._unique
    slow, finish = validator._slow, validator._finish
    convert, invalid, result = msgspec.convert, msgspec.ValidationError, OnlineResult

    def validate(columns: Mapping[str, Sequence[Any]], rows: int) -> OnlineResult:
        try:
            struct = convert(columns, one if rows == 1 else many)
        except (invalid, TypeError):
            struct = None
        if struct is None:
            return slow(columns, rows)
        if simple and rows == 1:
            return result(to_dict(struct), 1, [], set(), set())
        return finish(to_dict(struct), rows)

    return validate


def _fast_record(validator: RowValidator) -> Callable[[Mapping[str, Any]], RecordResult]:
    kind = validator._record
    to_dict = validator._record_to_dict
    always = validator._always
    slow = validator._slow_record
    convert, invalid, result = msgspec.convert, msgspec.ValidationError, RecordResult

    def validate_record(record: Mapping[str, Any]) -> RecordResult:
        try:
            values = to_dict(convert(record, kind))
        except (invalid, TypeError):
            values = None
        if values is None:
            return slow(record)
        if not always:
            return result(values, [], False, False)
        violations: list[Violation] = []
        for name, check, policy in always:
            value, rule, message = check(values[name])
            values[name] = value
            if rule is not None:
                violations.append(
                    Violation(0, name, rule, short(value), f"{name}={message}", policy)  # type: ignore[arg-type]
                )
        rejected = any(v.policy == "reject" for v in violations)
        return result(values, violations, rejected, bool(violations) and not rejected)

    return validate_record


def compile_validator(contract: Contract) -> RowValidator:
    """Compile ``contract`` once into a ``RowValidator`` (reuse it for every request)."""
    if not isinstance(contract, Contract):
        raise InvalidInputError(
            f"compile_validator needs a Contract (see aweigh.data.infer_contract). "
            f"Got {type(contract).__name__}."
        )
    return RowValidator(contract)


_ONE = msgspec.Meta(min_length=1, max_length=1)


def _struct(
    kind: str, names: Sequence[str], types: Sequence[Any], direct: bool, exact: bool
) -> type[msgspec.Struct]:
    if direct:
        fields = list(zip(names, types, strict=True))
        return msgspec.defstruct(kind, fields, forbid_unknown_fields=exact)
    fields = [(f"c{i}", t) for i, t in enumerate(types)]
    rename = {f"c{i}": name for i, name in enumerate(names)}
    return msgspec.defstruct(kind, fields, rename=rename, forbid_unknown_fields=exact)


def _list_of(item: Any) -> Any:
    return GenericAlias(list, (item,))


def _plain_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def _fast_type(column: ColumnContract) -> Any:
    """The msgspec type that accepts exactly the values needing no coercion, or ``None``
    when the column is always checked in Python (datetimes, unusual rule mixes)."""
    kind = column.type
    base: Any
    if kind in ("int", "float") and column.categories is None:
        low, high = column.min, column.max
        if kind == "int":
            meta = msgspec.Meta(
                ge=None if low is None else _ceil(low), le=None if high is None else _floor(high)
            )
            base = Annotated[int, meta] if (low, high) != (None, None) else int
        else:
            meta = msgspec.Meta(
                ge=-_MAX_FLOAT if low is None else low, le=_MAX_FLOAT if high is None else high
            )
            base = Annotated[float, meta]
    elif kind == "bool" and column.categories is None:
        base = bool
    elif kind == "string" and column.categories is None:
        if column.max_length is None and column.pattern is None:
            base = str
        else:
            base = Annotated[
                str, msgspec.Meta(max_length=column.max_length, pattern=column.pattern)
            ]
    elif kind == "category" and column.max_length is None and column.pattern is None:
        categories = column.categories or ()
        if categories and (
            all(type(c) is str for c in categories) or all(type(c) is int for c in categories)
        ):
            base = Literal[tuple(categories)]
        else:
            return None
    else:
        return None
    return base | None if column.nullable else base


def _ceil(value: float) -> int:
    return math.ceil(value)


def _floor(value: float) -> int:
    return math.floor(value)


def _check_values(
    name: str, values: Sequence[Any], check: Check, policy: str, violations: list[Violation]
) -> list[Any]:
    out: list[Any] = []
    append = out.append
    for row, value in enumerate(values):
        new, rule, message = check(value)
        append(new)
        if rule is not None:
            violations.append(Violation(row, name, rule, short(value), f"{name}={message}", policy))  # type: ignore[arg-type]
    return out


def _check_rows(rows: Any) -> None:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise InvalidInputError(f"'rows' must be a whole number >= 0. Got {rows!r}.")


def _check_unique(column: ColumnContract, values: list[Any], violations: list[Violation]) -> None:
    seen: dict[Any, int] = {}
    for row, value in enumerate(values):
        if value is None or value != value:
            continue
        try:
            first = seen.setdefault(value, row)
        except TypeError:
            continue
        if first != row:
            violations.append(
                Violation(
                    row,
                    column.name,
                    "unique",
                    short(value),
                    f"{column.name}={short(value)!r} repeats row {first}; "
                    "the column must be unique",
                    column.policy,
                )
            )


def _result(out: dict[str, list[Any]], rows: int, violations: list[Violation]) -> OnlineResult:
    rejected = {v.row for v in violations if v.policy == "reject"}
    warned = {v.row for v in violations if v.policy == "warn"} - rejected
    return OnlineResult(out, rows, violations, rejected, warned)


# --- per-column checks (the slow path, and datetime/unusual columns always) -----------

#: ``check(value) -> (coerced value, broken rule or None, message after "column=")``
Check = Callable[[Any], tuple[Any, str | None, str | None]]
_NAN: Any = object()  # a coercer's "this is NaN" answer
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAN_TEXT = frozenset({"nan", "+nan", "-nan"})
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})
_SHORT = 200


def make_check(column: ColumnContract) -> Check:
    """The specialised Python check of one column (coercion, then each rule it has)."""
    coerce = _coercer(column)
    nullable = column.nullable
    nan_value = math.nan if column.type == "float" else None
    low, high = column.min, column.max
    ranged = low is not None or high is not None
    show_low, show_high = _number(low), _number(high)
    cats = frozenset(column.categories) if column.categories is not None else None
    shown_cats = _categories(column.categories or ())
    max_length = column.max_length
    search = re.compile(column.pattern).search if column.pattern is not None else None
    named = f" ({column.format})" if column.format else ""

    def check(value: Any) -> tuple[Any, str | None, str | None]:
        if value is None:
            if nullable:
                return None, None, None
            return None, "null", "null is not allowed: the column is not nullable"
        new, problem = coerce(value)
        if problem is not None:
            if problem is _NAN:
                if nullable:
                    return nan_value, None, None
                return (
                    value,
                    "type",
                    f"{_repr(value)} is NaN, a missing number, but the column is not nullable",
                )
            return value, "type", f"{_repr(value)} {problem}"
        if ranged and type(new) in (int, float):
            if low is not None and new < low:
                return new, "min", f"{_repr(new)} is below min {show_low}"
            if high is not None and new > high:
                return new, "max", f"{_repr(new)} is above max {show_high}"
        if cats is not None and new not in cats:
            return new, "category", f"{_repr(new)} is not one of the categories {shown_cats}"
        if type(new) is str:
            if max_length is not None and len(new) > max_length:
                return (
                    new,
                    "length",
                    f"{_repr(new)} has {len(new)} characters, above max_length {max_length}",
                )
            if search is not None and search(new) is None:
                return (
                    new,
                    "pattern",
                    f"{_repr(new)} does not match pattern {column.pattern}{named}",
                )
        return new, None, None

    return check


def _coercer(column: ColumnContract) -> Callable[[Any], tuple[Any, Any]]:
    kind = column.type
    if kind == "category":
        cats = column.categories or ()
        kinds = {type(c) for c in cats}
        if kinds == {str}:
            return _to_str
        if kinds == {bool}:
            return _to_bool
        if kinds == {int}:
            return _to_int
        if kinds and kinds <= {int, float}:
            return _to_float
        return _to_scalar
    return _COERCERS[kind]


def _to_int(value: Any) -> tuple[Any, Any]:
    if type(value) is int:
        return value, None
    if isinstance(value, bool | np.bool_):
        return value, "is a boolean, not an integer"
    if isinstance(value, int | np.integer):
        return int(value), None
    if isinstance(value, float | np.floating):
        return _whole(float(value))
    if isinstance(value, str):
        text = value.strip()
        if _INT.fullmatch(text):
            return int(text), None
        if _FLOAT.fullmatch(text):
            return _whole(float(text))
        if text.lower() in _NAN_TEXT:
            return value, _NAN
        return value, "is not an integer"
    return value, f"is {_kind(value)}, not an integer"


def _whole(number: float) -> tuple[Any, Any]:
    if number != number:
        return number, _NAN
    if math.isinf(number):
        return number, "is not a finite number"
    if not number.is_integer():
        return number, "is not a whole number"
    return int(number), None


def _to_float(value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool | np.bool_):
        return value, "is a boolean, not a number"
    if isinstance(value, float | np.floating):
        number = float(value)
    elif isinstance(value, int | np.integer):
        try:
            number = float(value)
        except OverflowError:
            return value, "is too large for a float"
    elif isinstance(value, str):
        text = value.strip()
        if _FLOAT.fullmatch(text):
            number = float(text)
        elif text.lower() in _NAN_TEXT:
            return value, _NAN
        else:
            return value, "is not a number"
    else:
        return value, f"is {_kind(value)}, not a number"
    if number != number:
        return number, _NAN
    if math.isinf(number):
        return number, "is not a finite number"
    return number, None


def _to_bool(value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, None
        return value, "is not a boolean (true or false)"
    if type(value) is int and value in (0, 1):
        return value == 1, None
    if _is_nan(value):
        return value, _NAN
    return value, f"is {_kind(value)}, not a boolean"


def _to_str(value: Any) -> tuple[Any, Any]:
    if isinstance(value, str):
        return str(value), None
    if _is_nan(value):
        return value, _NAN
    return value, f"is {_kind(value)}, not a string"


def _to_datetime(value: Any) -> tuple[Any, Any]:
    if isinstance(value, datetime):
        return value, None
    if isinstance(value, date):
        return datetime.combine(value, time()), None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()), None
        except ValueError:
            return value, "is not an ISO 8601 date-time"
    if _is_nan(value):
        return value, _NAN
    return value, f"is {_kind(value)}, not a date-time"


def _to_scalar(value: Any) -> tuple[Any, Any]:
    if _is_nan(value):
        return value, _NAN
    if isinstance(value, str | int | float):
        return value, None
    return value, f"is {_kind(value)}, not a category value"


_COERCERS: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "string": _to_str,
    "datetime": _to_datetime,
}


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and value != value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", tuple: "a list", str: "a string", bool: "a boolean"}
    name = type(value).__name__
    return names.get(type(value), f"{'an' if name[:1] in 'aeiou' else 'a'} {name}")


def _repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: float | None) -> str:
    if value is None:
        return ""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _categories(categories: Sequence[Any]) -> str:
    shown = ", ".join(repr(c) for c in list(categories)[:10])
    more = f", ... ({len(categories)} in all)" if len(categories) > 10 else ""
    return f"[{shown}{more}]"


def short(value: Any) -> Any:
    """The value as a violation keeps it: strings over 200 characters are cut."""
    if isinstance(value, str) and len(value) > _SHORT:
        return value[:_SHORT] + "..."
    return value
