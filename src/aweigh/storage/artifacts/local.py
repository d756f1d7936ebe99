"""A content-addressed folder on the local disk (the embedded default)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from aweigh.core.errors import ArtifactNotFoundError
from aweigh.storage.artifacts.base import ArtifactStore, check_digest, key_for, sha256_file


class LocalArtifactStore(ArtifactStore):
    """Artifacts under ``root``; writes go to a temporary file first, then an atomic rename."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    def put(self, path: Path) -> tuple[str, int]:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            sha, size = sha256_file(tmp)
            target = self.root / key_for(sha)
            if target.exists() and sha256_file(target)[0] == sha:
                return sha, size
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            os.chmod(target, 0o444)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)

    def fetch(self, sha256: str) -> Path:
        target = self.root / key_for(sha256)
        if not target.is_file():
            raise ArtifactNotFoundError(
                f"The artifact {sha256} is missing from {self.root}. Restore the artifacts "
                "folder from a backup or register the model again.",
                {"sha256": sha256, "location": str(target)},
            )
        check_digest(sha256, sha256_file(target)[0], str(target))
        return target

    def exists(self, sha256: str) -> bool:
        return (self.root / key_for(sha256)).is_file()

    def delete(self, sha256: str) -> None:
        target = self.root / key_for(sha256)
        if target.exists():
            os.chmod(target, 0o644)
            target.unlink()

    def location(self, sha256: str) -> str:
        return str(self.root / key_for(sha256))
