"""Erasure of one data subject from the event log, and the register that makes it stick.

A data subject is known to the event log only by a token: the keyed hash
(HMAC-SHA256) of their id that the caller computed and stored in ``subject_id``.
:meth:`EventLog.erase_subject` removes every event whose ``subject_id`` is the
token, and every feedback event without a ``subject_id`` that labels one of the
subject's predictions (same ``request_id`` and ``row``): a label is the subject's
data too.

The erasure register is what makes an erasure hold against events still in flight
(on a queue, in a spool file another process has not replayed yet, written by a
replica while the erasure runs). It records ``(token, erased_at)``; from then on every
writer drops an event of that subject whose ``ts`` is at or before ``erased_at`` before
it reaches a segment. Events of the subject stamped after the erasure are new data and
are kept. The register holds keyed hashes and times only, no payload: it is the
tokenised record of the erasure (hashed subject and when) that the DPDP Rules'
one-year log retention asks for, and retention prunes it once any event it could
screen is older than every retention period.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson

from aweigh.core.errors import InvalidInputError, StoreError
from aweigh.storage.events._spool import fsync_dir
from aweigh.storage.events.model import Event

__all__ = [
    "MAX_TOKEN_CHARS",
    "ErasureOutcome",
    "ErasureRegister",
    "Removed",
    "check_moment",
    "check_subject_token",
    "split_subject",
]

MAX_TOKEN_CHARS = 256
Key = tuple[str, int]


def check_subject_token(token: object) -> str:
    """``token`` if it can be a subject token, else ``InvalidInputError`` naming the problem.

    A token is what the caller's keyed hash produced (hex or base64url): 1 to 256
    characters with no path separators, ``..``, NUL or other control characters, no
    surrounding whitespace.
    """
    if not isinstance(token, str):
        raise InvalidInputError(
            f"The subject token must be a string (the keyed hash of the subject id). "
            f"Got {type(token).__name__} instead.",
            {"field": "subject", "problem": "type"},
        )
    if not token.strip():
        raise InvalidInputError(
            "The subject token is empty. Give the keyed hash of the subject id.",
            {"field": "subject", "problem": "empty"},
        )
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidInputError(
            f"The subject token is too long: {len(token)} characters, at most "
            f"{MAX_TOKEN_CHARS}. Give the keyed hash of the subject id, not the raw data.",
            {"field": "subject", "problem": "too_long", "length": len(token)},
        )
    if "\x00" in token:
        raise InvalidInputError(
            "The subject token contains a NUL character, which no keyed hash has.",
            {"field": "subject", "problem": "nul"},
        )
    if "/" in token or "\\" in token or ".." in token:
        raise InvalidInputError(
            "The subject token contains a path character ('/', '\\\\' or '..'), "
            "which no keyed hash has.",
            {"field": "subject", "problem": "path_characters"},
        )
    if any(unicodedata.category(c) == "Cc" for c in token):
        raise InvalidInputError(
            "The subject token contains a control character, which no keyed hash has.",
            {"field": "subject", "problem": "control_characters"},
        )
    if token != token.strip():
        raise InvalidInputError(
            "The subject token has leading or trailing whitespace; strip it first.",
            {"field": "subject", "problem": "whitespace"},
        )
    return token


def check_moment(value: object, name: str = "now") -> datetime:
    """``value`` as an aware UTC datetime, else ``InvalidInputError`` naming ``name``."""
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"The {name!r} argument must be a datetime. Got {type(value).__name__} instead.",
            {"field": name},
        )
    offset = value.utcoffset()
    if offset is None:
        raise InvalidInputError(
            f"The {name!r} argument must be timezone-aware (e.g. datetime.now(UTC)). "
            f"Got the naive {value.isoformat()} instead.",
            {"field": name},
        )
    return (value - offset).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureOutcome:
    """What one erasure searched and removed: the event log's part of an erasure receipt.

    ``events_removed`` counts every removed event: from segments (or stored events),
    ``spool_removed`` from the spool and ``queue_removed`` from the in-memory queue.
    ``segments_rewritten`` and ``segments_deleted`` count the files rewritten without
    the subject's rows and those deleted because nothing else was left in them (for
    :class:`MemoryEventLog`, its model/day partitions). ``models`` are the models whose
    events were removed; ``earliest`` and ``latest`` the range of their ``ts`` (None
    when nothing was removed). ``stores_searched`` names every place that was searched.
    """

    subject: str
    erased_at: datetime
    events_removed: int = 0
    segments_rewritten: int = 0
    segments_deleted: int = 0
    spool_removed: int = 0
    queue_removed: int = 0
    stores_searched: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    earliest: datetime | None = None
    latest: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (datetimes as RFC 3339 text) for receipts and audit entries."""
        return {
            "subject": self.subject,
            "erased_at": self.erased_at.isoformat(),
            "events_removed": self.events_removed,
            "segments_rewritten": self.segments_rewritten,
            "segments_deleted": self.segments_deleted,
            "spool_removed": self.spool_removed,
            "queue_removed": self.queue_removed,
            "stores_searched": list(self.stores_searched),
            "models": list(self.models),
            "earliest": None if self.earliest is None else self.earliest.isoformat(),
            "latest": None if self.latest is None else self.latest.isoformat(),
        }


@dataclass(slots=True)
class Removed:
    """A running tally of removed events: how many, of which models, over which times."""

    count: int = 0
    models: set[str] = field(default_factory=set)
    earliest: datetime | None = None
    latest: datetime | None = None

    def add(self, count: int, models: Iterable[str], first: datetime, last: datetime) -> None:
        if count <= 0:
            return
        first, last = first.astimezone(UTC), last.astimezone(UTC)
        self.count += count
        self.models.update(models)
        self.earliest = first if self.earliest is None else min(self.earliest, first)
        self.latest = last if self.latest is None else max(self.latest, last)

    def add_events(self, events: Sequence[Event]) -> None:
        if events:
            times = [e.ts for e in events]
            self.add(len(events), {e.model for e in events}, min(times), max(times))


def split_subject(
    events: Iterable[Event], token: str, keys: set[Key]
) -> tuple[list[Event], list[Event]]:
    """``(kept, removed)``: removed are the subject's events and their unowned feedback.

    ``keys`` gains the ``(request_id, row)`` of the subject's predictions found here;
    an event without ``subject_id`` is the subject's when it is a feedback to one of
    ``keys``.
    """
    events = list(events)
    keys.update((e.request_id, e.row) for e in events if e.subject_id == token)
    kept: list[Event] = []
    removed: list[Event] = []
    for e in events:
        mine = e.subject_id == token or (
            e.subject_id is None and e.kind == "feedback" and (e.request_id, e.row) in keys
        )
        (removed if mine else kept).append(e)
    return kept, removed


class ErasureRegister:
    """Erased subjects and when, screening events of theirs that arrive afterwards.

    Kept in memory, and with a ``path`` also in a JSON-lines file that every event
    log sharing the folder reloads when it changes (:meth:`refresh`, one ``stat``).
    Lookups need no lock: the mapping is replaced, never changed in place.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cutoffs: dict[str, datetime] = {}
        self._signature: tuple[int, int, int] | None = None

    @property
    def active(self) -> bool:
        return bool(self._cutoffs)

    def cutoff(self, token: str) -> datetime | None:
        return self._cutoffs.get(token)

    def __len__(self) -> int:
        return len(self._cutoffs)

    def screen(self, events: Sequence[Event]) -> tuple[Sequence[Event], list[Event]]:
        """``(kept, removed)``: removed are events of erased subjects stamped by the erasure."""
        cutoffs = self._cutoffs
        if not cutoffs:
            return events, []
        kept: list[Event] = []
        removed: list[Event] = []
        for e in events:
            subject = getattr(e, "subject_id", None)  # not an Event: the writer drops it
            at = cutoffs.get(subject) if type(subject) is str else None
            (removed if at is not None and e.ts <= at else kept).append(e)
        return (events if not removed else kept), removed

    def add(self, token: str, at: datetime) -> None:
        """Record an erasure; written to the file (fsync) before this returns."""
        with self._lock:
            cutoffs = dict(self._cutoffs)
            previous = cutoffs.get(token)
            cutoffs[token] = at if previous is None else max(previous, at)
            self._cutoffs = cutoffs
            if self.path is None:
                return
            line = orjson.dumps({"subject": token, "erased_at": at.isoformat()}) + b"\n"
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                fsync_dir(self.path.parent)
            except OSError as exc:
                raise StoreError(
                    f"The erasure register {self.path} could not be written ({exc}). "
                    "Nothing was erased; check the events folder (disk, permissions) "
                    "and try again.",
                    {"path": str(self.path)},
                ) from exc

    def refresh(self) -> None:
        """Reload the file if another log (or process) changed it. May raise ``OSError``."""
        if self.path is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        signature = (st.st_ino, st.st_size, st.st_mtime_ns)
        if signature == self._signature:
            return
        with self._lock:
            self._cutoffs = _read_register(self.path)
            self._signature = signature

    def prune(self, before: datetime) -> int:
        """Forget erasures older than ``before``; returns how many were forgotten."""
        with self._lock:
            if self.path is not None and self.path.exists():
                self._cutoffs = _read_register(self.path)
            kept = {t: at for t, at in self._cutoffs.items() if at >= before}
            gone = len(self._cutoffs) - len(kept)
            if not gone:
                return 0
            self._cutoffs = kept
            if self.path is None:
                return gone
            tmp = self.path.with_name(f".{self.path.name}.{uuid4().hex[:8]}.tmp")
            try:
                data = b"".join(
                    orjson.dumps({"subject": t, "erased_at": at.isoformat()}) + b"\n"
                    for t, at in sorted(kept.items())
                )
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
            fsync_dir(self.path.parent)
            self._signature = None
            return gone


def _read_register(path: Path) -> dict[str, datetime]:
    cutoffs: dict[str, datetime] = {}
    for line in path.read_bytes().splitlines():
        try:
            entry = orjson.loads(line)
            token = entry["subject"]
            at = datetime.fromisoformat(entry["erased_at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a torn last line after a crash: its erasure did not finish either
        if isinstance(token, str) and at.tzinfo is not None:
            previous = cutoffs.get(token)
            cutoffs[token] = at if previous is None else max(previous, at)
    return cutoffs
