"""Artifact stores: content addressing and the sha256 check on every fetch."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.bootstrap import build_artifacts
from aweigh.core.errors import ArtifactIntegrityError, ArtifactNotFoundError, StoreURLError
from aweigh.storage.artifacts import ArtifactStore, FsspecArtifactStore, LocalArtifactStore


@pytest.fixture(params=["local", "fsspec-memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "local":
        yield LocalArtifactStore(tmp_path / "artifacts")
    else:
        yield FsspecArtifactStore(f"memory://aweigh-{uuid.uuid4().hex}", cache_dir=tmp_path)


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / f"in-{uuid.uuid4().hex}"
    path.write_bytes(data)
    return path


def test_stores_bytes_under_their_sha256(store: ArtifactStore, tmp_path: Path) -> None:
    data = b"model bytes" * 1000
    sha, size = store.put(_file(tmp_path, data))
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.exists(sha)
    assert store.fetch(sha).read_bytes() == data
    assert store.put(_file(tmp_path, data)) == (sha, size), "idempotent"
    store.delete(sha)
    assert not store.exists(sha)


def test_refuses_bytes_that_changed_after_registration(
    store: ArtifactStore, tmp_path: Path
) -> None:
    sha, _ = store.put(_file(tmp_path, b"original"))
    if isinstance(store, LocalArtifactStore):
        target = Path(store.location(sha))
        target.chmod(0o644)
        target.write_bytes(b"tampered")
    else:
        assert isinstance(store, FsspecArtifactStore)
        store.fs.pipe_file(store._remote(sha), b"tampered")
        for cached in tmp_path.rglob(sha):
            cached.unlink()
    with pytest.raises(ArtifactIntegrityError) as info:
        store.fetch(sha)
    assert sha in str(info.value)
    assert hashlib.sha256(b"tampered").hexdigest() in str(info.value)


def test_missing_artifacts_are_named(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError, match="a" * 64):
        store.fetch("a" * 64)


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=5000))
def test_any_bytes_round_trip_through_a_local_store(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalArtifactStore(Path(tmp) / "a")
        source = Path(tmp) / "f"
        source.write_bytes(data)
        sha, _ = store.put(source)
        assert store.fetch(sha).read_bytes() == data


def test_bootstrap_picks_the_store_by_url(tmp_path: Path) -> None:
    assert isinstance(build_artifacts(str(tmp_path), cache_dir=tmp_path), LocalArtifactStore)
    assert isinstance(build_artifacts(f"file://{tmp_path}", cache_dir=tmp_path), LocalArtifactStore)
    assert isinstance(build_artifacts("memory://x", cache_dir=tmp_path), FsspecArtifactStore)
    with pytest.raises(StoreURLError, match="empty"):
        build_artifacts("", cache_dir=tmp_path)
