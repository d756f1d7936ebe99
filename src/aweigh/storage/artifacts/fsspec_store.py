"""A content-addressed artifact store on any fsspec URL (s3://, gcs://, memory://, ...).

Fetched files are copied to a local cache folder and verified there, so the bytes
that get deserialised are exactly the bytes that were hashed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from aweigh.core.errors import ArtifactNotFoundError, MissingDependencyError, StoreURLError
from aweigh.storage.artifacts.base import (
    ArtifactStore,
    check_digest,
    key_for,
    sha256_file,
)


class FsspecArtifactStore(ArtifactStore):
    """Artifacts under an fsspec URL, with a local verified cache."""

    def __init__(self, url: str, cache_dir: Path | str, **storage_options: Any) -> None:
        import fsspec

        try:
            self.fs, self.root = fsspec.core.url_to_fs(url, **storage_options)
        except ImportError as exc:
            raise MissingDependencyError(
                f"The artifacts URL {url!r} needs an fsspec backend that is not installed "
                f"({exc}). Install it (for example 's3fs' for s3://).",
            ) from exc
        except (ValueError, TypeError) as exc:
            raise StoreURLError(f"Cannot use the artifacts URL {url!r}: {exc}.") from exc
        self.url = url.rstrip("/")
        self.cache_dir = Path(cache_dir).expanduser()

    def _remote(self, sha256: str) -> str:
        return f"{self.root.rstrip('/')}/{key_for(sha256)}"

    def put(self, path: Path) -> tuple[str, int]:
        sha, size = sha256_file(path)
        remote = self._remote(sha)
        if not self.fs.exists(remote):
            self.fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
            partial = f"{remote}.partial-{os.getpid()}"
            self.fs.put_file(str(path), partial)
            self.fs.mv(partial, remote)
        return sha, size

    def fetch(self, sha256: str) -> Path:
        remote = self._remote(sha256)
        if not self.fs.exists(remote):
            raise ArtifactNotFoundError(
                f"The artifact {sha256} is missing from {self.url}. Restore it or register "
                "the model again.",
                {"sha256": sha256, "location": self.location(sha256)},
            )
        local = self.cache_dir / key_for(sha256)
        if not (local.is_file() and sha256_file(local)[0] == sha256):
            local.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".fetch-", dir=local.parent)
            os.close(fd)
            try:
                self.fs.get_file(remote, tmp)
                check_digest(sha256, sha256_file(Path(tmp))[0], self.location(sha256))
                os.replace(tmp, local)
            finally:
                Path(tmp).unlink(missing_ok=True)
        return local

    def exists(self, sha256: str) -> bool:
        return bool(self.fs.exists(self._remote(sha256)))

    def delete(self, sha256: str) -> None:
        remote = self._remote(sha256)
        if self.fs.exists(remote):
            self.fs.rm_file(remote)
        (self.cache_dir / key_for(sha256)).unlink(missing_ok=True)

    def location(self, sha256: str) -> str:
        return f"{self.url}/{key_for(sha256)}"
