"""The quarantine store: a dead-letter Parquet dataset of the rows a batch job refused.

Layout under ``root``::

    batch=<id>/rows.parquet     the bad rows of one batch (zstd), written atomically
    batch=<id>/replayed.json    written once the batch was replayed (what into, when)
    contracts/<sha256>.yaml     the contract text each batch was validated with

``<id>`` is ``<UTC timestamp>-<8 hex>``, so ids sort by creation time. A batch file
holds the rows as the validator gave them (original values as text, ``_row``,
``_violations``: a list of ``{column, rule, value, message, policy}``) plus, on every
row, ``_source``, ``_contract_sha256``, ``_model``, ``_model_version`` and
``_dataset``, so the whole folder can be queried as one hive-partitioned dataset
(``read_parquet('root/batch=*/*.parquet', hive_partitioning=true, union_by_name=true)``
in DuckDB). The batch's summary (violations per column, rule and policy) also sits in
the file's Parquet metadata, so :meth:`QuarantineStore.list` reads only footers.

Writes go to a hidden temporary file that is fsynced and then renamed: a reader never
sees half a batch, and a crash leaves at most a temporary file that is ignored. A
batch file that cannot be read is listed with its ``error`` and skipped, never
hiding the other batches.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.errors import (
    AlreadyExistsError,
    ArtifactIntegrityError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)

__all__ = ["QuarantineBatch", "QuarantineStore"]

ROW = "_row"
VIOLATIONS = "_violations"
ERRORS = "_errors"
DATA_FILE = "rows.parquet"
REPLAYED_FILE = "replayed.json"
META_KEY = b"aweigh.quarantine"
BOOKKEEPING = ("_source", "_contract_sha256", "_model", "_model_version", "_dataset")
_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}")

SummaryItem = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class QuarantineBatch:
    """One quarantined batch as :meth:`QuarantineStore.list` shows it.

    ``summary``: (column, rule, policy, count) of the batch's violations, sorted.
    ``error``: why the batch file could not be read (the other fields are then
    what its folder name tells), else None.
    """

    id: str
    created_at: datetime
    source: str
    rows: int
    summary: tuple[SummaryItem, ...]
    contract_sha256: str
    model: str | None
    model_version: int | None
    dataset: str | None
    path: Path
    replayed: bool = False
    replayed_into: str | None = None
    replayed_at: datetime | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "rows": self.rows,
            "summary": [list(item) for item in self.summary],
            "contract_sha256": self.contract_sha256,
            "model": self.model,
            "model_version": self.model_version,
            "dataset": self.dataset,
            "path": str(self.path),
            "replayed": self.replayed,
            "replayed_into": self.replayed_into,
            "replayed_at": None if self.replayed_at is None else self.replayed_at.isoformat(),
            "error": self.error,
        }


class QuarantineStore:
    """Quarantined rows on local disk under ``root`` (created at the first put)."""

    def __init__(self, root: Path | str, *, clock: Clock | None = None) -> None:
        self.root = Path(root).expanduser().absolute()
        self._clock: Clock = clock or SystemClock()

    # -- writing ----------------------------------------------------------------------
    def put(
        self,
        bad: pa.Table,
        *,
        source: str,
        contract_yaml: str,
        model: str | None = None,
        model_version: int | None = None,
        dataset: str | None = None,
    ) -> QuarantineBatch:
        """Store the bad rows of one batch (``BatchResult.bad``) as a new batch."""
        _check_bad(bad)
        created = self._clock.now()
        batch_id = f"{created:%Y%m%dT%H%M%S%fZ}-{uuid4().hex[:8]}"
        sha = hashlib.sha256(contract_yaml.encode("utf-8")).hexdigest()
        contract_path = self.root / "contracts" / f"{sha}.yaml"
        if not contract_path.exists():  # the contract first: no batch points at nothing
            _atomic(contract_path, lambda tmp: tmp.write_text(contract_yaml, encoding="utf-8"))
        rows = bad.num_rows
        constants: list[tuple[str, Any, pa.DataType]] = [
            ("_source", source, pa.string()),
            ("_contract_sha256", sha, pa.string()),
            ("_model", model, pa.string()),
            ("_model_version", model_version, pa.int64()),
            ("_dataset", dataset, pa.string()),
        ]
        table = bad.drop_columns([c for c in BOOKKEEPING if c in bad.column_names])
        for name, value, kind in constants:
            table = table.append_column(name, pa.repeat(pa.scalar(value, kind), rows))
        summary = _summary(bad)
        meta = {
            "id": batch_id,
            "created_at": created.isoformat(),
            "source": source,
            "rows": rows,
            "summary": [list(item) for item in summary],
            "contract_sha256": sha,
            "model": model,
            "model_version": model_version,
            "dataset": dataset,
        }
        schema_meta = dict(table.schema.metadata or {})
        schema_meta[META_KEY] = json.dumps(meta).encode("utf-8")
        table = table.replace_schema_metadata(schema_meta)
        path = self._folder(batch_id) / DATA_FILE
        _atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return _batch(meta, path, None)

    def mark_replayed(self, batch_id: str, replayed_into: str) -> QuarantineBatch:
        """Record that ``batch_id`` was replayed (its good rows went to ``replayed_into``)."""
        batch = self._batch(batch_id)
        if batch.error is not None:
            raise self._corrupt(batch_id, batch.error)
        if batch.replayed:
            raise ConflictError(
                f"Quarantine batch {batch_id} was already replayed into "
                f"{batch.replayed_into!r} at {batch.replayed_at}. Replay its remaining bad "
                "rows from the batch that replay created instead.",
                {"batch": batch_id},
            )
        record = {"replayed_into": replayed_into, "replayed_at": self._clock.now().isoformat()}
        marker = self._folder(batch_id) / REPLAYED_FILE
        _atomic(marker, lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
        return self._batch(batch_id)

    def export(self, batch_id: str, path: Path | str, *, overwrite: bool = False) -> Path:
        """Write a batch's rows for a human to fix: ``.csv`` or ``.parquet``.

        Columns: the original values as text, ``_row``, and ``_errors`` (the messages
        of the row's violations, joined by "; "). Edit the values, keep ``_row``,
        and hand the file back to replay.
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise InvalidInputError(
                f"Cannot export quarantine batch {batch_id} to {target}: the file name must "
                "end in .csv or .parquet.",
                {"path": str(target)},
            )
        if target.exists() and not overwrite:
            raise AlreadyExistsError(
                f"{target} already exists (perhaps with fixes in it). Choose another file "
                "name, or pass overwrite=True.",
                {"path": str(target)},
            )
        table = self.read(batch_id)
        data = [n for n in table.column_names if n not in (*BOOKKEEPING, ROW, VIOLATIONS)]
        out = table.select(data).append_column(ROW, table.column(ROW))
        out = out.append_column(ERRORS, _errors(table.column(VIOLATIONS)))
        out = out.replace_schema_metadata(None)
        if suffix == ".csv":
            _atomic(target, lambda tmp: pacsv.write_csv(out, tmp))
        else:
            _atomic(target, lambda tmp: pq.write_table(out, tmp, compression="zstd"))
        return target

    # -- reading ----------------------------------------------------------------------
    def list(self) -> builtins.list[QuarantineBatch]:
        """Every batch, oldest first; unreadable ones with their ``error`` set."""
        if not self.root.is_dir():
            return []
        batches = []
        for folder in sorted(self.root.glob("batch=*")):
            batch_id = folder.name.removeprefix("batch=")
            if _ID.fullmatch(batch_id) and (folder / DATA_FILE).exists():
                batches.append(self._batch(batch_id))
        return batches

    def get(self, batch_id: str) -> QuarantineBatch:
        """One batch as :meth:`list` shows it."""
        return self._batch(batch_id)

    def read(self, batch_id: str) -> pa.Table:
        """All rows of one batch, with their violations and bookkeeping columns."""
        path = self._data_path(batch_id)
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise self._corrupt(batch_id, f"{type(exc).__name__}: {exc}") from exc

    def contract_text(self, batch_id: str) -> str:
        """The contract (YAML) the batch was validated with."""
        batch = self._batch(batch_id)
        if batch.error is not None:
            raise self._corrupt(batch_id, batch.error)
        path = self.root / "contracts" / f"{batch.contract_sha256}.yaml"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ArtifactIntegrityError(
                f"The contract of quarantine batch {batch_id} ({path}) cannot be read: "
                f"{exc}. Replay the batch with the contract file you have.",
                {"batch": batch_id, "path": str(path)},
            ) from exc
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != batch.contract_sha256:
            raise ArtifactIntegrityError(
                f"The contract file {path} of quarantine batch {batch_id} does not match "
                "its sha256 (it was edited or damaged). Replay the batch with the "
                "contract file you have.",
                {"batch": batch_id, "path": str(path)},
            )
        return text

    # -- helpers ----------------------------------------------------------------------
    def _folder(self, batch_id: str) -> Path:
        if not isinstance(batch_id, str) or not _ID.fullmatch(batch_id):
            raise InvalidInputError(
                f"{batch_id!r} is not a quarantine batch id (they look like "
                "20260101T120000000000Z-1a2b3c4d). Run 'aweigh data quarantine list' to "
                "see the batches.",
                {"batch": str(batch_id)},
            )
        return self.root / f"batch={batch_id}"

    def _data_path(self, batch_id: str) -> Path:
        path = self._folder(batch_id) / DATA_FILE
        if not path.exists():
            raise NotFoundError(
                f"No quarantine batch {batch_id} under {self.root}. Run 'aweigh data "
                "quarantine list' to see the batches.",
                {"batch": batch_id},
            )
        return path

    def _batch(self, batch_id: str) -> QuarantineBatch:
        path = self._data_path(batch_id)
        try:
            raw = pq.read_metadata(path).metadata or {}
            meta = json.loads(raw[META_KEY])
            replayed = _replayed(path.parent / REPLAYED_FILE)
            return _batch(meta, path, replayed)
        except (OSError, KeyError, ValueError, TypeError, pa.ArrowException) as exc:
            error = (
                f"{path} cannot be read ({type(exc).__name__}: {exc}). The other batches "
                f"are intact; restore the file from a backup, or move {path.parent} away to "
                "drop this batch."
            )
            created = datetime.strptime(batch_id[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
            return QuarantineBatch(
                id=batch_id,
                created_at=created,
                source="",
                rows=0,
                summary=(),
                contract_sha256="",
                model=None,
                model_version=None,
                dataset=None,
                path=path,
                error=error,
            )

    def _corrupt(self, batch_id: str, why: str) -> ArtifactIntegrityError:
        path = self._folder(batch_id) / DATA_FILE
        if why.startswith(str(path)):
            message = f"Quarantine batch {batch_id}: {why}"
        else:
            message = (
                f"Quarantine batch {batch_id}: {path} cannot be read ({why}). The other "
                f"batches are intact; restore the file from a backup, or move {path.parent} "
                "away to drop this batch."
            )
        return ArtifactIntegrityError(message, {"batch": batch_id, "path": str(path)})


def _check_bad(bad: Any) -> None:
    if not isinstance(bad, pa.Table):
        raise InvalidInputError(
            f"QuarantineStore.put takes the bad rows as a pyarrow Table (BatchResult.bad). "
            f"Got {type(bad).__name__} instead."
        )
    missing = [c for c in (ROW, VIOLATIONS) if c not in bad.column_names]
    if missing:
        raise InvalidInputError(
            f"The rows to quarantine have no {missing} column(s); pass BatchResult.bad "
            "as validate_table returns it.",
            {"missing": missing},
        )
    kind = bad.schema.field(VIOLATIONS).type
    if not (
        pa.types.is_list(kind)
        and pa.types.is_struct(kind.value_type)
        and {"column", "rule", "message"} <= {f.name for f in kind.value_type}
    ):
        raise InvalidInputError(
            f"The {VIOLATIONS} column of the rows to quarantine must be a list of "
            f"{{column, rule, value, message, policy}}. Got {kind} instead; pass "
            "BatchResult.bad as validate_table returns it.",
            {"column": VIOLATIONS},
        )
    if not bad.num_rows:
        raise InvalidInputError(
            "There are no bad rows to quarantine; put a batch only when "
            "BatchResult.bad.num_rows > 0."
        )


def _summary(bad: pa.Table) -> list[SummaryItem]:
    flat = pc.list_flatten(bad.column(VIOLATIONS))
    fields = {f.name for f in flat.type}
    policy = (
        pc.struct_field(flat, "policy")
        if "policy" in fields
        else pa.repeat(pa.scalar("reject"), len(flat))
    )
    table = pa.table(
        {
            "column": pc.struct_field(flat, "column"),
            "rule": pc.struct_field(flat, "rule"),
            "policy": policy,
        }
    )
    counted = table.group_by(["column", "rule", "policy"]).aggregate([([], "count_all")])
    return sorted(
        (str(r["column"]), str(r["rule"]), str(r["policy"]), int(r["count_all"]))
        for r in counted.to_pylist()
    )


def _errors(violations: pa.ChunkedArray) -> pa.ChunkedArray:
    """Per row, the messages of its violations joined by "; " (one text cell for CSV)."""
    chunks = []
    for chunk in violations.chunks:
        messages = pa.ListArray.from_arrays(
            chunk.offsets, pc.struct_field(chunk.values, "message"), mask=chunk.is_null()
        )
        chunks.append(pc.binary_join(messages, "; "))
    return pa.chunked_array(chunks, pa.string())


def _replayed(marker: Path) -> dict[str, Any] | None:
    """The replay record, None if never replayed; a damaged record still means replayed."""
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"replayed_into": f"(unreadable: {marker})"}
    return record if isinstance(record, dict) else {"replayed_into": f"(unreadable: {marker})"}


def _batch(meta: dict[str, Any], path: Path, replayed: dict[str, Any] | None) -> QuarantineBatch:
    return QuarantineBatch(
        id=str(meta["id"]),
        created_at=datetime.fromisoformat(meta["created_at"]),
        source=str(meta["source"]),
        rows=int(meta["rows"]),
        summary=tuple((str(c), str(r), str(p), int(n)) for c, r, p, n in meta["summary"]),
        contract_sha256=str(meta["contract_sha256"]),
        model=meta.get("model"),
        model_version=meta.get("model_version"),
        dataset=meta.get("dataset"),
        path=path,
        replayed=replayed is not None,
        replayed_into=None if replayed is None else str(replayed.get("replayed_into")),
        replayed_at=_when(replayed),
    )


def _when(replayed: dict[str, Any] | None) -> datetime | None:
    value = None if replayed is None else replayed.get("replayed_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a hidden temporary file: write, fsync, rename, fsync folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
