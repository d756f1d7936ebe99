"""Signed receipts for erasure, retention and access: proof of what was searched and removed.

A receipt is a JSON object::

    {"receipt_id": "<uuid4>", "kind": "erasure", "subject": "h:<32 hex>" | null,
     "searched": ["events", "feedback", "cache"], "removed": {"events": 12, ...},
     "details": {...}, "created_at": "2026-11-29T10:00:00+00:00",
     "signature": "<64 hex>"}

``signature`` is HMAC-SHA256(secret, canonical JSON of every other field), where the
canonical JSON has sorted keys, no spaces and ASCII escapes; any change to any field
(or a field added or removed) makes :func:`verify_receipt` answer ``False``. The
subject is always the keyed token (:func:`aweigh.privacy.redact.hash_subject`), never
the raw id: :func:`make_receipt` refuses anything else. Callers must keep raw ids out
of ``details`` too. Receipts are written once, atomically, readable only by their
owner (mode 0o600), one file per receipt named by its id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aweigh.core.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from aweigh.privacy.redact import check_secret, is_token

__all__ = [
    "RECEIPT_FIELDS",
    "RECEIPT_KINDS",
    "make_receipt",
    "read_receipt",
    "verify_receipt",
    "write_receipt",
]

RECEIPT_KINDS: tuple[str, ...] = ("erasure", "retention", "access")
RECEIPT_FIELDS: tuple[str, ...] = (
    "receipt_id",
    "kind",
    "subject",
    "searched",
    "removed",
    "details",
    "created_at",
    "signature",
)


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def _sign(body: Mapping[str, Any], secret: bytes) -> str:
    return hmac.new(secret, _canonical(body), hashlib.sha256).hexdigest()


def make_receipt(
    kind: str,
    subject_token: str | None,
    searched: list[str],
    removed: dict[str, int],
    details: dict[str, Any],
    now: datetime,
    secret: bytes,
    *,
    receipt_id: str | None = None,
) -> dict[str, Any]:
    """A signed receipt (a plain dict, as :func:`read_receipt` returns it).

    ``subject_token`` is ``hash_subject(secret, id)`` or ``None`` (retention receipts
    cover no single subject); ``removed`` maps each store to a count (0 when the
    subject had no data there); ``details`` must be JSON data; ``now`` must carry a
    time zone. ``receipt_id`` defaults to a fresh uuid4.
    """
    key = check_secret(secret)
    if kind not in RECEIPT_KINDS:
        raise InvalidInputError(f"Unknown receipt kind {kind!r}; use one of {list(RECEIPT_KINDS)}.")
    if subject_token is not None and not is_token(subject_token):
        raise InvalidInputError(
            "A receipt's subject must be the keyed token from hash_subject(secret, id), "
            "never the raw id; pass hash_subject(secret, subject_id)."
        )
    if not isinstance(searched, list | tuple) or not all(
        isinstance(s, str) and s for s in searched
    ):
        raise InvalidInputError(
            "'searched' must be a list of store names such as ['events', 'feedback']."
        )
    if not isinstance(removed, Mapping) or not all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in removed.items()
    ):
        raise InvalidInputError(
            "'removed' must map each store name to a whole count >= 0, such as {'events': 3}."
        )
    if not isinstance(details, Mapping):
        raise InvalidInputError("'details' must be a mapping of JSON data.")
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInputError(
            "'now' must be a datetime with a time zone; pass datetime.now(UTC) or the "
            "injected clock's time."
        )
    if receipt_id is None:
        receipt_id = str(uuid.uuid4())
    _check_id(receipt_id)
    body = {
        "receipt_id": receipt_id,
        "kind": kind,
        "subject": subject_token,
        "searched": list(searched),
        "removed": dict(removed),
        "details": dict(details),
        "created_at": now.astimezone(UTC).isoformat(),
    }
    try:
        canonical = _canonical(body)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The receipt's details are not JSON data ({exc}); pass strings, numbers, "
            "booleans, lists and mappings only."
        ) from exc
    receipt: dict[str, Any] = json.loads(canonical)  # a copy the caller cannot change
    receipt["signature"] = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    return receipt


def verify_receipt(receipt: Any, secret: bytes) -> bool:
    """Whether ``receipt`` is exactly as signed with ``secret`` (constant-time compare)."""
    key = check_secret(secret)
    if not isinstance(receipt, Mapping) or set(receipt) != set(RECEIPT_FIELDS):
        return False
    signature = receipt["signature"]
    if not isinstance(signature, str):
        return False
    body = {k: v for k, v in receipt.items() if k != "signature"}
    try:
        expected = _sign(body, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def write_receipt(receipt: Mapping[str, Any], folder: str | Path) -> Path:
    """Write ``receipt`` to ``folder/<receipt_id>.json`` atomically, mode 0o600; an
    existing receipt is never overwritten."""
    receipt_id = receipt.get("receipt_id") if isinstance(receipt, Mapping) else None
    _check_id(receipt_id)
    directory = Path(folder)
    target = directory / f"{receipt_id}.json"
    try:
        text = json.dumps(dict(receipt), sort_keys=True, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"The receipt is not JSON data ({exc}).") from exc
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists():
            raise AlreadyExistsError(
                f"A receipt {receipt_id} already exists in {str(directory)!r}; receipts "
                "are written once. Make a new receipt instead."
            )
        fd, tmp = tempfile.mkstemp(prefix=f".{receipt_id}.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(directory)
    except OSError as exc:
        raise InvalidInputError(
            f"Cannot write the receipt to {str(directory)!r} ({exc.strerror or exc}); "
            "check the folder is writable."
        ) from exc
    return target


def read_receipt(path: str | Path) -> dict[str, Any]:
    """Read a receipt file (it is not verified: call :func:`verify_receipt`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"No receipt at {str(file)!r}; receipts are named <receipt_id>.json in the "
            "receipts folder."
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"The receipt {str(file)!r} cannot be read ({exc}); check the path and its permissions."
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"The receipt {str(file)!r} is not valid JSON (line {exc.lineno}); it may be "
            "damaged: keep the file and treat the receipt as unverified."
        ) from exc
    if not isinstance(data, dict) or set(data) != set(RECEIPT_FIELDS):
        raise InvalidInputError(
            f"The receipt {str(file)!r} does not have the receipt fields "
            f"{list(RECEIPT_FIELDS)}; it is not a receipt aweigh wrote."
        )
    return data


def _check_id(receipt_id: Any) -> None:
    try:
        ok = isinstance(receipt_id, str) and str(uuid.UUID(receipt_id)) == receipt_id
    except ValueError:
        ok = False
    if not ok:
        raise InvalidInputError(
            f"A receipt id must be a lower-case UUID such as {uuid.uuid4()}; got {receipt_id!r}."
        )


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
