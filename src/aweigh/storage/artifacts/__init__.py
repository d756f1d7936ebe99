"""Content-addressed artifact stores: a local folder by default, any fsspec URL otherwise."""

from aweigh.storage.artifacts.base import ArtifactStore, sha256_file
from aweigh.storage.artifacts.fsspec_store import FsspecArtifactStore
from aweigh.storage.artifacts.local import LocalArtifactStore

__all__ = ["ArtifactStore", "FsspecArtifactStore", "LocalArtifactStore", "sha256_file"]
