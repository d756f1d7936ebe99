"""Segment files on disk: atomic writes and rewrites, listing, sweeping, the folder lock.

A segment is replaced only by writing the new content to a hidden temporary file in
the same folder, fsyncing it and renaming it over the old one (then fsyncing the
folder), so a reader or a crash sees either the whole old file or the whole new one.
A segment left with no rows is deleted instead.

The folder lock (``flock`` on ``root/.aweigh-events.lock``) keeps maintenance
(erasure, retention) apart from every writer sharing the folder, in this process or
another: a writer holds it shared for each write cycle, maintenance holds it
exclusive. Without ``fcntl`` (Windows) there is no lock and maintenance relies on
its second pass and the erasure register.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aweigh.storage.events._spool import fsync_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_NAME",
    "FolderLock",
    "Signature",
    "list_segments",
    "read_segment",
    "remove_segment",
    "rewrite_segment",
    "sweep",
    "write_segment",
]

LOCK_NAME = ".aweigh-events.lock"
_DELETING = ".deleting-"
Signature = tuple[int, int, int]  # inode, size, mtime_ns: a rewritten segment changes it


def write_segment(table: pa.Table, path: Path) -> None:
    """Write one segment atomically: a hidden temporary file, fsync, rename, fsync folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def read_segment(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One segment's table as written (no columns from the folder names)."""
    with pq.ParquetFile(path) as file:
        return file.read(columns=columns)


def remove_segment(path: Path) -> None:
    """Delete a segment and fsync its folder; empty ``date=``/``model=`` folders go too."""
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)
    for folder in (path.parent, path.parent.parent):
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): keep it
            break


@dataclass(frozen=True, slots=True)
class Rewrite:
    """What :func:`rewrite_segment` did: the rows it removed and how it left the file."""

    removed: pa.Table
    result: Literal["unchanged", "rewritten", "deleted"]


def rewrite_segment(path: Path, remove: Callable[[pa.Table], pa.Array]) -> Rewrite:
    """Remove the rows ``remove(table)`` marks (a boolean array) from one segment, atomically.

    The segment keeps its own schema (an old segment stays in its old schema).
    """
    table = read_segment(path)
    mask = remove(table)
    removed = table.filter(mask)
    if removed.num_rows == 0:
        return Rewrite(removed, "unchanged")
    if removed.num_rows == table.num_rows:
        remove_segment(path)
        return Rewrite(removed, "deleted")
    kept = table.filter(pc.invert(mask))
    write_segment(kept, path)
    return Rewrite(removed, "rewritten")


def _visible(name: str) -> bool:
    return not name.startswith(".")


def partitions(root: Path) -> Iterator[tuple[Path, Path]]:
    """Every ``(model folder, date folder)`` under ``root``, sorted."""
    try:
        models = sorted(root.iterdir())
    except FileNotFoundError:
        return
    for model in models:
        if not (model.name.startswith("model=") and model.is_dir()):
            continue
        try:
            days = sorted(model.iterdir())
        except FileNotFoundError:
            continue
        for day in days:
            if day.name.startswith("date=") and day.is_dir():
                yield model, day


def segments_in(folder: Path) -> list[Path]:
    try:
        return sorted(
            folder / entry.name
            for entry in os.scandir(folder)
            if _visible(entry.name) and entry.name.endswith(".parquet") and entry.is_file()
        )
    except FileNotFoundError:
        return []


def list_segments(root: Path) -> dict[Path, Signature]:
    """Every segment under ``root`` with its signature (inode, size, mtime)."""
    found: dict[Path, Signature] = {}
    for _, day in partitions(root):
        for path in segments_in(day):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            found[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def delete_partition(day: Path) -> None:
    """Delete a ``date=`` folder: renamed hidden first (readers stop seeing it at once)."""
    hidden = day.with_name(f".{day.name}{_DELETING}{uuid4().hex[:8]}")
    os.rename(day, hidden)
    fsync_dir(day.parent)
    shutil.rmtree(hidden, ignore_errors=True)
    with suppress(OSError):  # other days are left
        day.parent.rmdir()


def sweep(root: Path) -> int:
    """Remove what an interrupted write or deletion left behind; returns how many.

    Hidden temporary segments (a crash between write and rename) and partitions
    renamed for deletion. Call it only while holding the folder lock exclusively: a
    live writer's temporary file is otherwise indistinguishable from a stale one.
    """
    removed = 0
    try:
        models = list(root.iterdir())
    except FileNotFoundError:
        return 0
    for model in models:
        if not (model.name.startswith("model=") and model.is_dir()):
            continue
        for entry in list(model.iterdir()):
            if entry.name.startswith(".") and _DELETING in entry.name:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            elif entry.name.startswith("date=") and entry.is_dir():
                for leftover in entry.glob(".*.tmp"):
                    leftover.unlink(missing_ok=True)
                    removed += 1
    return removed


class FolderLock:
    """``flock`` on one file of the events folder: shared for writers, exclusive for maintenance.

    The shared side is the writer's (one thread at a time, under its cycle lock): it
    keeps one descriptor open. The exclusive side opens a descriptor of its own each
    time, so that it excludes this log's writer too.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._held = False

    def acquire_shared(self) -> bool:
        """Hold the lock shared (waits for maintenance); False without fcntl or folder."""
        if fcntl is None or self._held:  # pragma: no cover - Windows
            return self._held
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # no folder yet: nothing on disk to keep apart
                return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        except OSError:
            return False
        self._held = True
        return True

    def release_shared(self) -> None:
        if self._held and self._fd is not None and fcntl is not None:
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Held exclusive (True) on a descriptor of its own, or not at all (False)."""
        if fcntl is None:  # pragma: no cover - Windows
            yield False
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield False
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield True
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd, self._held = None, False
