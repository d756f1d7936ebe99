"""The artifact store interface: bytes in, keyed by their sha256; verified on every load.

Files live at ``<root>/<sha[:2]>/<sha[2:4]>/<sha>``. ``fetch`` always re-hashes the
bytes it hands out and refuses a mismatch, so a tampered or corrupted file never
reaches a deserialiser (pickle, joblib) unchecked.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from aweigh.core.errors import ArtifactIntegrityError

CHUNK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and size in bytes of a file, read in 1 MiB chunks."""
    with open(path, "rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def key_for(sha256: str) -> str:
    """The relative path of an artifact inside a store."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def check_digest(expected: str, actual: str, where: str) -> None:
    """Raise ``ArtifactIntegrityError`` naming both hashes when they differ."""
    if actual != expected:
        raise ArtifactIntegrityError(
            f"The artifact at {where} does not match its registered sha256: expected "
            f"{expected}, found {actual}. It was modified or corrupted; it will not be "
            "loaded. Restore the file or register the model again.",
            {"expected": expected, "actual": actual, "location": where},
        )


class ArtifactStore(ABC):
    """Stores immutable files by content hash."""

    @abstractmethod
    def put(self, path: Path) -> tuple[str, int]:
        """Copy the file at ``path`` into the store; return its sha256 and size."""

    @abstractmethod
    def fetch(self, sha256: str) -> Path:
        """A local path to the artifact's bytes, verified against ``sha256``."""

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """True when the store holds an artifact with this hash."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove an artifact (no error when absent)."""

    @abstractmethod
    def location(self, sha256: str) -> str:
        """Where the artifact lives, for messages (a path or URL)."""
