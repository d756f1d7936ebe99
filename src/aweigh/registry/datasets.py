"""Dataset versions: register a table with its content hash, contract and profile.

Registering the same table again (same content hash, any row order or file format)
under the same name returns the existing version instead of adding a duplicate.
"""

from __future__ import annotations

from typing import Any

from aweigh.core.clock import Clock
from aweigh.core.entities import DatasetVersion, NewDatasetVersion, thaw
from aweigh.core.errors import InvalidInputError
from aweigh.core.names import validate_model_name
from aweigh.core.refs import parse_ref
from aweigh.data.contract import Contract
from aweigh.data.hashing import as_pandas, content_hash
from aweigh.storage.base import MetadataStore


class Datasets:
    """The dataset half of the registry (models live in ``Registry``)."""

    def __init__(
        self,
        store: MetadataStore,
        clock: Clock,
        actor: str,
        *,
        subject_field: str | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.actor = actor
        self.subject_field = subject_field
        self.secret = secret

    def register(
        self,
        table: Any,
        name: str,
        *,
        source: str = "",
        contract: Contract | None = None,
        label: str | None = None,
        description: str = "",
    ) -> DatasetVersion:
        """Store a version of dataset ``name``: hash, rows, contract (inferred unless
        given), profile. The same content under the same name returns its version."""
        from aweigh.data.infer import infer_contract
        from aweigh.data.profile import profile_table

        validate_model_name(name)
        frame = as_pandas(table)
        if frame.shape[1] == 0:
            raise InvalidInputError(f"The table for dataset {name!r} has no columns.")
        sha = content_hash(frame)
        for existing in self.store.dataset_versions_with_sha256(sha):
            if existing.name == name:
                return existing
        chosen = contract or infer_contract(frame)
        profile = profile_table(frame, label=label)
        subjects = self._subjects(frame)
        return self.store.create_dataset_version(
            NewDatasetVersion(
                name=name,
                sha256=sha,
                rows=len(frame),
                columns=tuple(str(c) for c in frame.columns),
                contract=chosen.to_dict(),
                profile=profile.to_dict(),
                source=source,
                description=description,
                author=self.actor,
                created_at=self.clock.now(),
                subjects=subjects,
            )
        )

    def get(self, ref: str) -> DatasetVersion:
        """``adult/2`` or ``adult`` (its latest version)."""
        parsed = parse_ref(ref)
        if parsed.alias is not None:
            raise InvalidInputError(
                f"Datasets have no aliases; use 'name' or 'name/3', not {ref!r}."
            )
        if parsed.version is None:
            return self.store.latest_dataset_version(parsed.name)
        return self.store.get_dataset_version(parsed.name, parsed.version)

    def latest(self) -> list[DatasetVersion]:
        return self.store.list_datasets()

    def versions(self, name: str) -> list[DatasetVersion]:
        return self.store.list_dataset_versions(validate_model_name(name))

    def _subjects(self, frame: Any) -> dict[str, Any] | None:
        """Digests of the keyed-hashed subject ids, so erasure can find this version."""
        field = self.subject_field
        if field is None or field not in frame.columns or self.secret is None:
            return None
        from aweigh.registry.subjects import pack_subjects

        return pack_subjects(field, frame[field].dropna().astype(str), self.secret)

    @staticmethod
    def contract_of(version: DatasetVersion) -> Contract:
        return Contract.from_dict(thaw(version.contract), where=f"dataset {version.ref}")
