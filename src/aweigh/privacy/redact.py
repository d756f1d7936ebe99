"""Applying a redaction policy on the request path, fast and without ever raising on a value.

``compile_redactor(policy, secret)`` turns a :class:`RedactionPolicy` into one small
function per column, once; ``Redactor.redact_columns(columns, rows)`` (the server's
shape: a request decoded to ``{column: [values]}``) and ``redact_record(record)`` then
cost a few microseconds per row.

Values of any type are handled, never raised on:

- ``None`` (and NaN, pandas' ``NA`` and ``NaT``) becomes ``None`` under every action
  but ``drop`` and ``keep`` (a null hides nothing);
- ``hash`` hashes a canonical byte form: ``str`` as UTF-8, ``bytes`` as they are (so a
  UTF-8 ``bytes`` value and the equal ``str`` give the same token), whole numbers in
  decimal (``12345`` and ``12345.0`` give the token of ``"12345"``, so ids survive a
  trip through a float column), other floats by ``repr``, booleans as ``true`` /
  ``false``, dates in ISO 8601, anything else by ``str``;
- ``mask`` and ``mask_text`` work on text: ``bytes`` are decoded as UTF-8 with
  replacement characters, other values are written as above;
- ``generalize`` returns ``None`` for a value it cannot read (an age of ``"abc"``, a
  five-digit PIN code): the value is suppressed rather than passed through;
- should an action still fail on a value, that value becomes ``None`` and
  ``Redactor.failures`` counts it.

Columns the policy does not name (or names with ``keep``) are kept: the output holds
the very same list objects, so callers must not mutate them afterwards.

Tokens are ``"h:"`` plus the first 32 hex digits (128 bits) of HMAC-SHA256(secret,
value). 128 bits keep the event log small while collisions stay out of reach (about
2**64 distinct values before one is likely), and without the secret a token cannot be
recomputed from a guessed value. :func:`hash_subject` is the same hash for
data-subject ids, so erasure can search the event log by the token.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from aweigh.core.errors import ConfigError, InvalidInputError
from aweigh.privacy.policy import ColumnRule, RedactionPolicy, parse_generalization

__all__ = [
    "MIN_SECRET_BYTES",
    "TOKEN_PATTERN",
    "Redactor",
    "check_secret",
    "compile_redactor",
    "generalize_value",
    "hash_subject",
    "hash_value",
    "is_token",
    "shape_mask",
]

log = logging.getLogger("aweigh.privacy")

MIN_SECRET_BYTES = 16
TOKEN_PATTERN = re.compile(r"h:[0-9a-f]{32}")
_TOKEN_BYTES = 16  # 32 hex digits
_SEPARATORS = " \t\n\r-./+()@_:,#"
_MASKABLE = re.compile("[^" + re.escape(_SEPARATORS) + "]")
_KEEP_LAST = 4

ValueFn = Callable[[Any], Any]


# --- secrets and hashing ----------------------------------------------------------------


def check_secret(secret: Any) -> bytes:
    """The secret as bytes; refuses anything shorter than :data:`MIN_SECRET_BYTES`."""
    if isinstance(secret, bytearray | memoryview):
        secret = bytes(secret)
    if not isinstance(secret, bytes):
        raise ConfigError(
            f"The privacy secret must be bytes, not {type(secret).__name__}; pass "
            "secret.encode() or the raw bytes from settings."
        )
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"The privacy secret is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
            "random bytes (for example secrets.token_bytes(32)) and keep it in settings."
        )
    return secret


def _canonical_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        text: str = value
        return text
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        try:
            return str(value)
        except ValueError:  # more digits than int->str allows
            return hex(value)
    if kind is float:
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):  # subclasses: StrEnum and friends
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):  # IntEnum and friends
        return _canonical_text(int(value))
    if isinstance(value, float):  # numpy.float64 and friends
        return _canonical_text(float(value))
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            plain = item()
        except Exception:
            plain = value
        if type(plain) in (bool, int, float, str, bytes):
            return _canonical_text(plain)
    return str(value)


def _canonical_bytes(value: Any) -> bytes:
    if type(value) is bytes:
        data: bytes = value
        return data
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return _canonical_text(value).encode("utf-8", "surrogatepass")


def _missing(value: Any) -> bool:
    """``None``, NaN (any float type), and pandas' ``NA`` and ``NaT``."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NAType", "NaTType")


def _token(secret: bytes, data: bytes) -> str:
    return "h:" + hmac.digest(secret, data, "sha256")[:_TOKEN_BYTES].hex()


def hash_value(secret: bytes, value: Any) -> str | None:
    """The keyed token of ``value`` (``None`` for ``None`` and NaN); see the module
    docstring for how each type is written before hashing."""
    if _missing(value):
        return None
    return _token(check_secret(secret), _canonical_bytes(value))


def hash_subject(secret: bytes, subject_id: str) -> str:
    """The token of a data-subject id, used everywhere a subject is stored or searched.

    Equal to ``hash_value(secret, subject_id)``; an empty or non-string id is refused.
    """
    if not isinstance(subject_id, str):
        raise InvalidInputError(
            f"A data-subject id must be a string, not {type(subject_id).__name__}; pass "
            "str(subject_id)."
        )
    if not subject_id.strip():
        raise InvalidInputError("The data-subject id is empty; pass the id the data carries.")
    return _token(check_secret(secret), subject_id.encode("utf-8", "surrogatepass"))


def is_token(text: Any) -> bool:
    """Whether ``text`` looks like a token from :func:`hash_value` (``h:`` + 32 hex)."""
    return isinstance(text, str) and TOKEN_PATTERN.fullmatch(text) is not None


# --- masking ----------------------------------------------------------------------------


def shape_mask(text: str) -> str:
    """``text`` with every character but separators (space, ``-./+()@_:,#``) turned
    into ``X``, except the last 4 when there are at least 8 to hide: ``+91 98765
    43210`` -> ``+XX XXXXX X3210``, ``4111 1111 1111 1111`` -> ``XXXX XXXX XXXX 1111``.
    The length and the separators stay where they were."""
    seen = 0
    cut = len(text)
    i = len(text)
    while i > 0 and seen < 2 * _KEEP_LAST:
        i -= 1
        if text[i] not in _SEPARATORS:
            seen += 1
            if seen == _KEEP_LAST:
                cut = i
    if seen < 2 * _KEEP_LAST:  # too short to show anything
        cut = len(text)
    return _MASKABLE.sub("X", text[:cut]) + text[cut:]


def _mask_fn(kind: str | None, external: Callable[..., Any] | None) -> ValueFn:
    if external is not None and kind is not None:

        def mask_by_kind(value: Any) -> Any:
            if _missing(value):
                return None
            text = _canonical_text(value)
            try:
                out = external(kind, text)
            except Exception:
                out = None
            return out if isinstance(out, str) else shape_mask(text)

        return mask_by_kind

    def mask(value: Any) -> Any:
        if type(value) is str:
            return shape_mask(value)
        if _missing(value):
            return None
        return shape_mask(value if type(value) is str else _canonical_text(value))

    return mask


def _mask_text_fn(external: Callable[..., Any]) -> ValueFn:
    def mask_text(value: Any) -> Any:
        if _missing(value):
            return None
        out = external(value if type(value) is str else _canonical_text(value))
        return out if isinstance(out, str) else None

    return mask_text


def _masking() -> tuple[Callable[..., Any] | None, Callable[..., Any] | None]:
    """``aweigh.privacy.masking``'s ``mask`` and ``mask_text``, where they exist."""
    try:
        module = importlib.import_module("aweigh.privacy.masking")
    except ImportError:
        return None, None
    mask, mask_text = getattr(module, "mask", None), getattr(module, "mask_text", None)
    return (mask if callable(mask) else None, mask_text if callable(mask_text) else None)


# --- generalisation ---------------------------------------------------------------------

_BANDS = tuple(f"{lo}-{lo + 9}" for lo in range(0, 90, 10))
_MONTH = re.compile(r"\s*(\d{4})[-/](\d{1,2})(?![0-9])")


def _number(value: Any) -> int | float | None:
    kind = type(value)
    if kind is int:
        number: int | float = value
        return number
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str | bytes | bytearray):
        text = value.strip() if isinstance(value, str) else bytes(value).strip()
        try:
            return int(text)
        except ValueError:
            pass
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _age_band(value: Any) -> str | None:
    age = _number(value)
    if age is None or not 0 <= age < 150:
        return None
    return "90+" if age >= 90 else _BANDS[int(age) // 10]


def _month(value: Any) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    if not isinstance(value, str):
        value = _canonical_text(value)  # bytes, numpy.datetime64, other date-like values
    found = _MONTH.match(value)
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return f"{found[1]}-{int(found[2]):02d}"


def _digits(value: Any, width: int) -> str | None:
    if type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
        return f"{value:0{width}d}" if 0 <= value < 10**width else None
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text.isascii() else None


def _pin3(value: Any) -> str | None:
    text = _digits(value, 6)
    if text is None:
        return None
    text = text.replace(" ", "").replace("-", "")
    if len(text) != 6 or not text.isdigit() or text[0] == "0":
        return None
    return text[:3] + "XXX"


def _zip3(value: Any) -> str | None:
    text = _digits(value, 5)
    if text is None:
        return None
    if len(text) == 10 and text[5] == "-":  # ZIP+4
        text = text[:5] + text[6:]
    if len(text) not in (5, 9) or not text.isdigit():
        return None
    return text[:3] + "XX"


def _bucket_fn(width: float) -> ValueFn:
    whole = isinstance(width, int)

    def bucket(value: Any) -> int | float | None:
        number = _number(value)
        if number is None:
            return None
        if whole and type(number) is int:
            return number // int(width) * int(width)
        try:
            low = math.floor(number / width) * width
        except OverflowError:  # an int too large for a float
            return None
        return low if whole else round(low, 12)

    return bucket


_GENERALIZERS: dict[str, ValueFn] = {
    "age_band": _age_band,
    "month": _month,
    "pin3": _pin3,
    "zip3": _zip3,
}


def _generalizer(spec: str) -> ValueFn:
    width = parse_generalization(spec)
    return _GENERALIZERS[spec] if width is None else _bucket_fn(width)


def generalize_value(value: Any, spec: str) -> Any:
    """``value`` generalised as ``spec`` says (``age_band``, ``month``, ``pin3``,
    ``zip3``, ``bucket:<n>``); ``None`` when the value cannot be read that way."""
    return _generalizer(spec)(value)


# --- the compiled redactor --------------------------------------------------------------

_KEEP: Any = object()
_DROP: Any = None


class Redactor:
    """A policy compiled to one function per column; build it with :func:`compile_redactor`."""

    __slots__ = ("_plan", "_secret", "failures", "notes", "policy")

    def __init__(
        self,
        policy: RedactionPolicy,
        plan: Mapping[str, ValueFn | None],
        secret: bytes,
        notes: tuple[str, ...],
    ) -> None:
        self.policy = policy
        self._plan = dict(plan)
        self._secret = secret
        #: what the redactor does differently from the policy, and why
        self.notes = notes
        #: values an action failed on (each became ``None``)
        self.failures = 0

    def __repr__(self) -> str:
        return f"Redactor(columns={sorted(self._plan)!r})"

    def redact_columns(self, columns: Mapping[str, Any], rows: int) -> dict[str, Any]:
        """A redacted copy of ``{column: [values]}`` (each list ``rows`` long); dropped
        columns are left out, kept ones are the input's own lists."""
        plan = self._plan
        out: dict[str, Any] = {}
        for name, values in columns.items():
            if len(values) != rows:
                raise InvalidInputError(
                    f"Column {name!r} has {len(values)} values but the request has {rows} "
                    "rows; pass lists of equal length."
                )
            action = plan.get(name, _KEEP)
            if action is _KEEP:
                out[name] = values
            elif action is not _DROP:
                try:
                    out[name] = [action(v) for v in values]
                except Exception:
                    out[name] = [self._guarded(action, v) for v in values]
        return out

    def redact_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A redacted copy of one row as a mapping of column to value."""
        plan = self._plan
        out: dict[str, Any] = {}
        for name, value in record.items():
            action = plan.get(name, _KEEP)
            if action is _KEEP:
                out[name] = value
            elif action is not _DROP:
                try:
                    out[name] = action(value)
                except Exception:
                    out[name] = self._guarded(action, value)
        return out

    def subject_token(self, subject_id: Any) -> str | None:
        """The token stored with an event for its data subject (``None`` for none);
        equal to :func:`hash_subject` for a string id, and never raises."""
        if _missing(subject_id):
            return None
        return _token(self._secret, _canonical_bytes(subject_id))

    def _guarded(self, action: ValueFn, value: Any) -> Any:
        try:
            return action(value)
        except Exception:
            self.failures += 1
            return None


def compile_redactor(policy: RedactionPolicy, secret: bytes) -> Redactor:
    """Compile ``policy`` once; the result is cheap to call and safe to share."""
    key = check_secret(secret)
    mask, mask_text = _masking()
    plan: dict[str, ValueFn | None] = {}
    notes: list[str] = []
    for name in policy.columns:
        rule = policy.rule_for(name)
        assert rule is not None
        if rule.action == "mask_text" and mask_text is None:
            notes.append(
                f"column {name!r} is dropped: its policy says mask_text, but "
                "aweigh.privacy.masking.mask_text is not available in this installation"
            )
            plan[name] = _DROP
            continue
        fn = _action(rule, key, mask, mask_text)
        if fn is not _KEEP:
            plan[name] = fn
    for note in notes:
        log.warning("redaction: %s", note)
    return Redactor(policy, plan, key, tuple(notes))


def _action(
    rule: ColumnRule,
    key: bytes,
    mask: Callable[..., Any] | None,
    mask_text: Callable[..., Any] | None,
) -> ValueFn | None:
    action = rule.action
    if action == "keep":
        keep: ValueFn = _KEEP
        return keep
    if action == "drop":
        return None
    if action == "hash":

        def hash_one(value: Any) -> str | None:
            if type(value) is str:
                return _token(key, value.encode("utf-8", "surrogatepass"))
            if _missing(value):
                return None
            return _token(key, _canonical_bytes(value))

        return hash_one
    if action == "mask":
        return _mask_fn(rule.kind, mask)
    if action == "mask_text":
        assert mask_text is not None
        return _mask_text_fn(mask_text)
    if action == "generalize":
        assert rule.generalize is not None
        return _generalizer(rule.generalize)
    raise InvalidInputError(f"Unknown redaction action {action!r}.")  # pragma: no cover
