"""The registry: the one place that turns models into versions and references into models.

It owns the rules (names, references, alias semantics, what a version records)
and delegates bytes to an ``ArtifactStore`` and rows to a ``MetadataStore``.
"""

from __future__ import annotations

import platform
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.entities import (
    AliasEvent,
    ColumnSpec,
    DataFingerprint,
    DatasetVersion,
    Model,
    ModelVersion,
    NewVersion,
    OutputKind,
    Signature,
)
from aweigh.core.errors import (
    AweighError,
    InvalidInputError,
    NotAModelError,
    VersionNotFoundError,
)
from aweigh.core.names import validate_alias, validate_model_name
from aweigh.core.refs import ModelRef, parse_ref
from aweigh.data.contract import Contract
from aweigh.registry.codeversion import git_commit
from aweigh.registry.datasets import Datasets
from aweigh.registry.loaded import LoadedModel
from aweigh.registry.signature import as_frame, fingerprint, infer_signature
from aweigh.runtimes import flavor_for_file, flavor_for_object, load_predictor
from aweigh.runtimes.base import Flavor
from aweigh.storage.artifacts.base import ArtifactStore
from aweigh.storage.base import MetadataStore

DEFAULT_ALIAS = "champion"
SMOKE_ROWS = 64
MAX_TEXT = 10_000
MAX_KEY = 256
MAX_ENTRIES = 1_000


class Registry:
    """Register, find, alias, load and delete model versions."""

    def __init__(
        self,
        store: MetadataStore,
        artifacts: ArtifactStore,
        *,
        actor: str = "unknown",
        clock: Clock | None = None,
        record_git: bool = True,
        subject_field: str | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.actor = actor
        self.subject_field = subject_field
        self.secret = secret
        self.clock: Clock = clock or SystemClock()
        self.record_git = record_git
        self.datasets = Datasets(
            store, self.clock, actor, subject_field=subject_field, secret=secret
        )

    # -- registering ------------------------------------------------------------
    def register(
        self,
        model: Any,
        name: str,
        *,
        sample: Any = None,
        flavor: str | None = None,
        training_data: Any = None,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        author: str | None = None,
        parent: str | None = None,
        code_version: str | None = None,
        alias: str | None = None,
        task: str | None = None,
        classes: list[Any] | None = None,
        reason: str = "",
        dataset: str | DatasetVersion | None = None,
        contract: Contract | None = None,
        privacy_policy: Any = None,
    ) -> ModelVersion:
        """Store ``model`` (an object, or a path to a model file) as the next version of ``name``.

        ``sample`` (a few input rows) gives the input columns and is used to check that
        the stored model predicts; ``training_data`` is fingerprinted for lineage;
        ``dataset`` (``"adult/2"``) links a registered dataset version. The version
        carries a data contract for its inputs: ``contract`` if given, else the
        dataset's, else one inferred from the training data (or the sample).
        """
        validate_model_name(name)
        if alias is not None:
            validate_alias(alias)
        _check_text(description, "description")
        _output(None, None, task, classes)  # refuse a bad task before any bytes move
        parent_ref = self._parent(parent)
        clean_params = _limited(_jsonable(dict(params or {})), "params")
        clean_metrics = _limited(_metrics(metrics), "metrics")
        clean_tags = _limited({str(k): str(v) for k, v in (tags or {}).items()}, "tags")
        sample_frame = as_frame(sample, "sample") if sample is not None else None
        data_print = self._fingerprint(training_data)
        linked = self._dataset(dataset)
        if linked is not None and data_print is None:
            data_print = DataFingerprint(
                sha256=linked.sha256, rows=linked.rows, columns=linked.columns
            )
        stored_sha: str | None = None
        try:
            with tempfile.TemporaryDirectory(prefix="aweigh-register-") as tmp:
                if isinstance(model, str | Path):
                    handler = flavor_for_file(Path(model), flavor)
                    sha, size = self.artifacts.put(Path(model))
                    stored_sha = sha
                    native = handler.read(self.artifacts.fetch(sha))
                else:
                    handler = flavor_for_object(model, flavor)
                    path = Path(tmp) / f"model{handler.suffix}"
                    handler.save(model, path)
                    sha, size = self.artifacts.put(path)
                    stored_sha = sha
                    native = model
                output = _output(handler, native, task, classes)
                predictor = load_predictor(self.artifacts.fetch(sha), handler.name, output)
                if sample_frame is not None:
                    output = _check_predicts(predictor, sample_frame, output, handler.name)
            inputs = _input_names(sample_frame, native)
            facts = _Facts(
                params=clean_params,
                metrics=clean_metrics,
                tags=clean_tags,
                parent=parent_ref,
                description=description,
                author=author,
                code_version=code_version,
                alias=alias,
                reason=reason,
                data_print=data_print,
                contract=_input_contract(contract, linked, training_data, sample_frame, inputs),
                dataset=(linked.name, linked.version) if linked is not None else None,
                privacy_policy=self._privacy_policy(
                    privacy_policy, training_data, sample_frame, inputs
                ),
            )
            return self._record_version(
                name, sha, size, handler, output, native, sample_frame, facts
            )
        except BaseException:
            if stored_sha is not None:
                self._collect(stored_sha)  # a failed registration leaves no orphan bytes
            raise

    def _record_version(
        self,
        name: str,
        sha: str,
        size: int,
        handler: Flavor,
        output: OutputKind,
        native: Any,
        sample_frame: pd.DataFrame | None,
        facts: _Facts,
    ) -> ModelVersion:
        signature = (
            infer_signature(sample_frame) if sample_frame is not None else _signature_from(native)
        )
        now = self.clock.now()
        version = self.store.create_version(
            NewVersion(
                model_name=name,
                sha256=sha,
                flavor=handler.name,
                artifact_size=size,
                signature=signature,
                output=output,
                data_fingerprint=facts.data_print,
                params=facts.params,
                metrics=facts.metrics,
                code_version=facts.code_version or (git_commit() if self.record_git else None),
                parent=facts.parent,
                tags=facts.tags,
                description=facts.description,
                author=facts.author or self.actor,
                runtime={"python": platform.python_version(), **handler.framework_versions()},
                created_at=now,
                contract=facts.contract.to_dict() if facts.contract is not None else None,
                dataset=facts.dataset,
                privacy_policy=facts.privacy_policy,
            ),
            create_model=True,
        )
        if facts.alias is not None:
            self.set_alias(
                name, facts.alias, version.version, reason=facts.reason or "set at registration"
            )
            version = self.store.get_version(name, version.version)
        return version

    def _parent(self, parent: str | None) -> tuple[str, int] | None:
        if parent is None:
            return None
        found = self.resolve(parent)
        return (found.model_name, found.version)

    def _privacy_policy(
        self, given: Any, training: Any, sample: pd.DataFrame | None, inputs: list[str] | None
    ) -> dict[str, Any] | None:
        """The redaction policy events of this version get: given, or defaulted from a PII
        scan of the training data (else the sample): PII columns and the subject field are
        hashed or masked, the rest kept."""
        from aweigh.privacy.policy import RedactionPolicy, default_policy

        if given is not None:
            policy = (
                given
                if isinstance(given, RedactionPolicy)
                else RedactionPolicy.from_dict(given, where="the privacy policy")
            )
            if inputs is not None:
                policy.validate_against(inputs)
            return policy.to_dict()
        frame = training if isinstance(training, pd.DataFrame) else sample
        if frame is None and training is not None and not isinstance(training, DataFingerprint):
            frame = as_frame(training, "training data")
        if frame is None:
            return None
        from aweigh.privacy.scan import scan_table

        columns = inputs if inputs is not None else [str(c) for c in frame.columns]
        report = scan_table(frame[[c for c in columns if c in frame.columns]])
        found = {c: [k for k, _share, _examples in report.columns.get(c, [])] for c in columns}
        texts = list(report.free_text)
        subject = self.subject_field if self.subject_field in columns else None
        if not any(found.values()) and not texts and subject is None:
            return None
        return default_policy(found, subject_field=subject, text_columns=texts).to_dict()

    def _dataset(self, dataset: str | DatasetVersion | None) -> DatasetVersion | None:
        if dataset is None or isinstance(dataset, DatasetVersion):
            return dataset
        return self.datasets.get(dataset)

    @staticmethod
    def _fingerprint(training_data: Any) -> DataFingerprint | None:
        if training_data is None:
            return None
        if isinstance(training_data, DataFingerprint):
            return training_data
        return fingerprint(as_frame(training_data, "training data"))

    # -- finding ----------------------------------------------------------------
    def resolve(self, ref: str | ModelRef) -> ModelVersion:
        """The version a reference names: ``name/3``, ``name@alias``, or ``name``.

        A bare name means the model's champion, else its latest version.
        """
        parsed = parse_ref(ref)
        if parsed.version is not None:
            return self.store.get_version(parsed.name, parsed.version)
        if parsed.alias is not None:
            target = self.store.get_alias(parsed.name, parsed.alias)
            return self.store.get_version(parsed.name, target.version)
        aliases = {a.alias: a.version for a in self.store.list_aliases(parsed.name)}
        if DEFAULT_ALIAS in aliases:
            return self.store.get_version(parsed.name, aliases[DEFAULT_ALIAS])
        return self.store.latest_version(parsed.name)

    def load(self, ref: str | ModelRef) -> LoadedModel:
        """Load a version for prediction; the artifact is verified against its sha256."""
        version = self.resolve(ref)
        path = self.artifacts.fetch(version.sha256)
        return LoadedModel(version, load_predictor(path, version.flavor, version.output))

    def models(self) -> list[Model]:
        return self.store.list_models()

    def get_model(self, name: str) -> Model:
        return self.store.get_model(validate_model_name(name))

    def versions(self, name: str) -> list[ModelVersion]:
        return self.store.list_versions(validate_model_name(name))

    def aliases(self, name: str) -> dict[str, int]:
        return {a.alias: a.version for a in self.store.list_aliases(validate_model_name(name))}

    # -- aliases ----------------------------------------------------------------
    def set_alias(
        self,
        name: str,
        alias: str,
        target: int | str,
        *,
        reason: str = "",
        actor: str | None = None,
        expected: int | None = None,
        expect_current: bool = False,
    ) -> AliasEvent:
        """Point ``name@alias`` at a version (a number or a reference to the same model)."""
        validate_model_name(name)
        validate_alias(alias)
        _check_text(reason, "reason")
        version = self._target_version(name, target)
        return self.store.set_alias(
            name,
            alias,
            version,
            actor=actor or self.actor,
            reason=reason,
            now=self.clock.now(),
            expected_version=expected,
            expect_current=expect_current,
        )

    def delete_alias(
        self, name: str, alias: str, *, reason: str = "", actor: str | None = None
    ) -> AliasEvent:
        validate_model_name(name)
        validate_alias(alias)
        return self.store.delete_alias(
            name, alias, actor=actor or self.actor, reason=reason, now=self.clock.now()
        )

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every move of the model's aliases, oldest first."""
        if alias is not None:
            validate_alias(alias)
        return self.store.alias_history(validate_model_name(name), alias)

    def alias_at(self, name: str, alias: str, at: datetime) -> ModelVersion | None:
        """The version ``name@alias`` pointed at at time ``at`` (None if it did not exist)."""
        if at.tzinfo is None:
            raise InvalidInputError("The time must be timezone-aware (e.g. 2026-11-29T10:00Z).")
        number = self.store.alias_at(validate_model_name(name), validate_alias(alias), at)
        if number is None:
            return None
        try:
            return self.store.get_version(name, number)
        except VersionNotFoundError:
            return None

    def _target_version(self, name: str, target: int | str) -> int:
        if isinstance(target, int) and not isinstance(target, bool):
            return target
        text = str(target)
        if text.isascii() and text.isdigit():
            return int(text)
        found = self.resolve(text)
        if found.model_name != name:
            raise InvalidInputError(
                f"An alias of {name!r} must point to one of its own versions; "
                f"{text!r} is a version of {found.model_name!r}."
            )
        return found.version

    def set_privacy_policy(
        self, name: str, version: int, policy: Mapping[str, Any]
    ) -> ModelVersion:
        """Replace a version's redaction policy (the one thing about a version that may be
        edited after registration besides tags and description)."""
        return self.store.update_version(name, version, privacy_policy=dict(policy))

    # -- deleting ---------------------------------------------------------------
    def delete_version(self, ref: str) -> ModelVersion:
        """Delete the version ``ref`` names (``name/3``); refused while an alias points to it."""
        parsed = parse_ref(ref)
        if parsed.version is None:
            raise InvalidInputError(
                f"Say which version to delete, e.g. '{parsed.name}/3'; {ref!r} does not "
                "name a version number."
            )
        gone = self.store.delete_version(parsed.name, parsed.version)
        self._collect(gone.sha256)
        return gone

    def delete_model(self, name: str) -> list[ModelVersion]:
        """Delete a model and all its versions; refused while it has aliases."""
        versions = self.store.list_versions(validate_model_name(name))
        self.store.delete_model(name)
        for version in versions:
            self._collect(version.sha256)
        return versions

    def _collect(self, sha256: str) -> None:
        """Remove an artifact no version uses any more (artifacts are shared by hash)."""
        if not self.store.versions_with_sha256(sha256):
            self.artifacts.delete(sha256)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a registration records besides the artifact (checked before bytes move)."""

    params: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]
    parent: tuple[str, int] | None
    description: str
    author: str | None
    code_version: str | None
    alias: str | None
    reason: str
    data_print: DataFingerprint | None
    contract: Contract | None
    dataset: tuple[str, int] | None
    privacy_policy: dict[str, Any] | None


def _input_names(sample: pd.DataFrame | None, native: Any) -> list[str] | None:
    if sample is not None:
        return [str(c) for c in sample.columns]
    names = getattr(native, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else None


def _input_contract(
    given: Contract | None,
    dataset: DatasetVersion | None,
    training: Any,
    sample: pd.DataFrame | None,
    inputs: list[str] | None,
) -> Contract | None:
    """The contract of the model's inputs: given, the dataset's, or inferred; restricted to
    the columns the model takes (the label and other training columns are dropped)."""
    if given is not None:
        chosen = given
    elif dataset is not None:
        chosen = Datasets.contract_of(dataset)
    elif training is not None and not isinstance(training, DataFingerprint):
        from aweigh.data.infer import infer_contract

        chosen = infer_contract(as_frame(training, "training data"))
    elif sample is not None:
        chosen = _types_only(sample)
    else:
        return None
    if inputs is None:
        return chosen
    known = set(chosen.names)
    missing = [n for n in inputs if n not in known]
    if missing:
        raise InvalidInputError(
            f"The contract lacks the model's input column(s) {missing}. Use a dataset or "
            "contract that describes every input column."
        )
    by_name = {c.name: c for c in chosen.columns}
    return replace(chosen, columns=tuple(by_name[n] for n in inputs))


def _types_only(sample: pd.DataFrame) -> Contract:
    """A contract from a few sample rows keeps only columns and types: ranges and categories
    learned from a handful of rows would reject legitimate values. Pass ``training_data``
    or ``dataset`` for a full contract."""
    from aweigh.data.infer import infer_contract

    inferred = infer_contract(sample)
    return replace(
        inferred,
        columns=tuple(
            replace(
                c,
                nullable=True,
                min=None,
                max=None,
                categories=None,
                pattern=None,
                format=None,
                max_length=None,
                unique=False,
                type="string" if c.type == "category" else c.type,
            )
            for c in inferred.columns
        ),
    )


def _output(
    handler: Flavor | None, native: Any, task: str | None, classes: list[Any] | None
) -> OutputKind:
    if task is not None and task not in ("classification", "regression", "other"):
        raise InvalidInputError(
            f"The 'task' parameter must be 'classification', 'regression' or 'other'. "
            f"Got {task!r} instead."
        )
    if classes is not None:
        return OutputKind(task="classification", classes=tuple(_plain(c) for c in classes))
    if task is not None:
        return OutputKind(task=task)  # type: ignore[arg-type]
    inferred = handler.infer_output(native) if handler is not None else None
    return inferred or OutputKind(task="other")


def _check_predicts(
    predictor: Any, sample: pd.DataFrame, output: OutputKind, flavor: str
) -> OutputKind:
    """Predict on the first sample rows; learn the output kind from them if still unknown."""
    head = sample.head(SMOKE_ROWS)
    try:
        predictions = np.asarray(predictor.predict(head))
    except AweighError:
        raise
    except Exception as exc:
        raise NotAModelError(
            f"The {flavor} model failed to predict on the sample ({type(exc).__name__}: "
            f"{str(exc)[:300]}). Pass a sample with the columns it was trained on.",
        ) from exc
    if len(predictions) != len(head):
        raise NotAModelError(
            f"The model returned {len(predictions)} predictions for {len(head)} sample rows; "
            "it must return one per row."
        )
    if output.task != "other":
        return output
    if predictions.dtype.kind == "f":
        return OutputKind(task="regression")
    labels = sorted({_plain(p) for p in predictions.ravel()}, key=str)
    return OutputKind(task="classification", classes=tuple(labels))


def _signature_from(native: Any) -> Signature:
    names = getattr(native, "feature_names_in_", None)
    if names is None:
        return Signature()
    return Signature(columns=tuple(ColumnSpec(name=str(n), dtype="unknown") for n in names))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _jsonable(value: Any) -> Any:
    """Params as JSON: numpy scalars unwrapped, NaN/inf and objects kept as their text."""
    value = _plain(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _metrics(metrics: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"The metric {key!r} must be a number. Got {value!r} instead."
            ) from exc
        if not np.isfinite(number):
            raise InvalidInputError(f"The metric {key!r} is {number}; metrics must be finite.")
        out[str(key)] = number
    return out


def _limited(values: dict[str, Any], what: str) -> dict[str, Any]:
    """Refuse oversized params, metrics or tags: they live in every registry row."""
    if len(values) > MAX_ENTRIES:
        raise InvalidInputError(f"There are {len(values)} {what}; use at most {MAX_ENTRIES}.")
    for key, value in values.items():
        if len(key) > MAX_KEY:
            raise InvalidInputError(
                f"A key of the {what} is {len(key)} characters long; use at most {MAX_KEY}."
            )
        size = len(value) if isinstance(value, str) else len(repr(value))
        if size > MAX_TEXT:
            raise InvalidInputError(
                f"The value of {what} {key[:40]!r} is {size} characters long; use at most "
                f"{MAX_TEXT}."
            )
    return values


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise InvalidInputError(f"The {what} must be a string. Got {type(value).__name__}.")
    if len(value) > MAX_TEXT:
        raise InvalidInputError(f"The {what} is {len(value)} characters; use at most {MAX_TEXT}.")
