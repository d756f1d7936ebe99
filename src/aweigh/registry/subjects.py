"""Which data subjects a registered dataset version holds, kept as 64-bit digests.

Only digests of the keyed-hash tokens are stored (never the raw ids), sorted, so a
membership test for an erasure request is a binary search.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def digest(token: str) -> int:
    """The 64-bit digest of a subject token (first 8 bytes of its sha256)."""
    return int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big")


def pack(field: str, tokens: Iterable[str]) -> dict[str, Any]:
    """The ``subjects`` record of a dataset version: field name, count, sorted digests."""
    values = np.unique(np.fromiter((digest(t) for t in tokens), dtype=np.uint64))
    return {
        "field": field,
        "count": int(values.size),
        "tokens": base64.b64encode(values.astype(">u8").tobytes()).decode("ascii"),
    }


def contains(subjects: Mapping[str, Any] | None, token: str) -> bool:
    """True when the dataset version holds the subject with this token."""
    if not subjects or not subjects.get("tokens"):
        return False
    values = np.frombuffer(base64.b64decode(str(subjects["tokens"])), dtype=">u8")
    target = np.uint64(digest(token))
    i = int(np.searchsorted(values.astype(np.uint64), target))
    return i < values.size and int(values[i]) == int(target)


def pack_subjects(field: str, ids: Iterable[str], secret: bytes) -> dict[str, Any]:
    """Hash each raw id with the privacy key, then pack the digests (raw ids never kept)."""
    from aweigh.privacy.redact import hash_subject

    return pack(field, (hash_subject(secret, i) for i in ids))
