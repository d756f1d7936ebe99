"""The spool: append-only JSON-lines files of events not yet written as Parquet.

Each process appends to one *active* file, locked with ``flock`` from birth (it is
created under a hidden name, locked, then renamed), so another process sharing the
folder never replays a file that is still being written. A file is closed when it
grows past ``max_bytes`` or when the writer replays; closed files are immutable
until they are replayed and removed. A file whose owner died (its lock went with
it) is replayed by the next process that looks.

A line is one event as JSON (``event_to_json_line``). JSON has no NaN or infinity,
so a non-finite ``latency_ms`` or probability comes back from the spool as null/NaN.
Without ``fcntl`` (Windows) there is no locking: one process per spool folder.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import orjson

from aweigh.storage.events.model import Event, event_from_dict, event_to_json_line

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".jsonl"


def new_stem(now: datetime) -> str:
    """A unique, time-sortable file name stem: ``<utc-timestamp>-<uuid>``."""
    return f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}"


def _lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class Spool:
    """The spool folder of one event log. Thread-safe; every method may raise ``OSError``."""

    def __init__(
        self, folder: Path, *, now: Callable[[], datetime], max_bytes: int = 32 << 20
    ) -> None:
        self.folder = folder
        self._now = now
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._name: str | None = None
        self._size = 0
        self._dirty = False

    # -- writing ----------------------------------------------------------------
    def write(self, events: Sequence[Event], *, sync: bool) -> None:
        """Append the events; with ``sync`` they are on disk (fsync) when this returns."""
        data = b"".join([event_to_json_line(e) for e in events])
        with self._lock:
            fd = self._fd if self._fd is not None else self._open()
            _write_all(fd, data)
            self._size += len(data)
            self._dirty = True
            if sync:
                os.fsync(fd)
                self._dirty = False
            if self._size >= self._max_bytes:
                self._close_active()

    def sync(self) -> None:
        """fsync what was written without ``sync`` (the writer calls this every cycle)."""
        with self._lock:
            if not self._dirty or self._fd is None:
                return
            fd = os.dup(self._fd)
            self._dirty = False
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Close the active file (it stays on disk until replayed)."""
        with self._lock:
            self._close_active()

    def _open(self) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = new_stem(self._now())
        hidden = self.folder / f".{stem}{SUFFIX}.tmp"
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            _lock(fd)
            os.replace(hidden, self.folder / f"{stem}{SUFFIX}")
        except BaseException:
            os.close(fd)
            hidden.unlink(missing_ok=True)
            raise
        fsync_dir(self.folder)
        self._fd, self._name, self._size, self._dirty = fd, f"{stem}{SUFFIX}", 0, False
        return fd

    def _close_active(self) -> None:
        fd, self._fd, self._name = self._fd, None, None
        if fd is None:
            return
        try:
            if self._dirty:
                os.fsync(fd)
        finally:
            self._dirty = False
            self._size = 0
            os.close(fd)

    # -- replaying --------------------------------------------------------------
    def files(self) -> list[Path]:
        """Spool files that may be replayed, oldest first; closes the active one first."""
        with self._lock:
            if self._size:
                self._close_active()
            active = self._name
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self.folder)
                if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")
            )
        except FileNotFoundError:
            return []
        return [self.folder / name for name in names if name != active]

    @contextmanager
    def claim(self, path: Path) -> Iterator[Claim | None]:
        """Lock a spool file for replay; yields None if another live process holds it."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return
        try:
            if not _lock(fd) or os.fstat(fd).st_nlink == 0:
                yield None  # still written by its owner, or just replayed by someone else
            else:
                yield Claim(path, fd)
        finally:
            os.close(fd)


class Claim:
    """A locked spool file: read its events, then remove it once they are safe."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @property
    def stem(self) -> str:
        return self.path.name.removesuffix(SUFFIX)

    def read(self) -> tuple[list[Event], int]:
        """The events of the file, and how many lines could not be read (a torn last line)."""
        chunks = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        events: list[Event] = []
        bad = 0
        for line in b"".join(chunks).splitlines():
            if not line.strip():
                continue
            try:
                events.append(event_from_dict(orjson.loads(line)))
            except Exception:  # a corrupt line is counted, the rest replays
                bad += 1
        return events, bad

    def rewrite(self, drop: Callable[[Event | None, bytes], bool]) -> list[Event]:
        """Remove the lines ``drop(event, line)`` marks (event None: unreadable line).

        The rest is written to a hidden file in the same folder, fsynced and renamed
        over this one (a file left empty is removed), so a crash leaves the whole old
        file or the whole new one. Returns the removed events that could be read.
        """
        os.lseek(self._fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        kept: list[bytes] = []
        removed: list[Event] = []
        dropped = 0
        for line in b"".join(chunks).splitlines():
            if not line.strip():
                continue
            try:
                event: Event | None = event_from_dict(orjson.loads(line))
            except Exception:  # a torn or corrupt line: drop() decides on the raw bytes
                event = None
            if drop(event, line):
                dropped += 1
                if event is not None:
                    removed.append(event)
            else:
                kept.append(line + b"\n")
        if not dropped:
            return removed
        if not kept:
            self.remove()
            return removed
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _write_all(fd, b"".join(kept))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(self.path.parent)
        return removed

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)
