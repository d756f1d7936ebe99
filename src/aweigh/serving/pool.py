"""The model versions a server holds: loading, state, alias resolution, batchers.

Versions load on worker threads (never on the event loop). A version that fails to
load is kept with its reason, so requests for it get a 503 naming the cause while
every other model keeps serving. Versions not loaded at start load on first use.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from aweigh.core.entities import ModelVersion
from aweigh.core.errors import AweighError, ModelUnavailableError, VersionNotFoundError
from aweigh.core.refs import ModelRef
from aweigh.registry.loaded import LoadedModel
from aweigh.registry.service import DEFAULT_ALIAS, Registry
from aweigh.serving.batcher import Batcher, BatchObserver, BatchOutput, Columns

log = logging.getLogger("aweigh.serving")
State = Literal["loading", "ready", "failed"]


@dataclass(frozen=True, slots=True)
class BatchConfig:
    """Batching for one model (global defaults, overridable per model)."""

    enabled: bool = True
    max_batch_size: int = 64
    max_wait_ms: float = 2.0


@dataclass
class Served:
    """One model version in the server."""

    version: ModelVersion
    state: State = "loading"
    reason: str = ""
    model: LoadedModel | None = None
    batcher: Batcher | None = None
    executor: ThreadPoolExecutor | None = None
    validator: Any = None
    redactor: Any = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def key(self) -> tuple[str, int]:
        return (self.version.model_name, self.version.version)


class ModelPool:
    """Loads versions from the registry and finds the one a request names."""

    def __init__(
        self,
        registry: Registry,
        *,
        defaults: BatchConfig,
        per_model: dict[str, dict[str, float]] | None = None,
        compute_threads: int = 1,
        model_threads: int = 1,
        secret: bytes | None = None,
        observer_for: Any = None,
    ) -> None:
        self.registry = registry
        self.defaults = defaults
        self.per_model = per_model or {}
        self.compute_threads = compute_threads
        self.model_threads = model_threads
        self.secret = secret
        self._observer_for = observer_for
        self._served: dict[tuple[str, int], Served] = {}
        self._aliases: dict[tuple[str, str], int] = {}
        self._io = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aweigh-load")
        # one load at a time: two threads unpickling their first scikit-learn model can
        # both start importing sklearn and one sees a partially initialised module
        self._load_lock = threading.Lock()

    # -- what is loaded ---------------------------------------------------------------
    def served(self) -> list[Served]:
        return sorted(self._served.values(), key=lambda s: s.key)

    def is_ready(self) -> bool:
        return all(s.state != "loading" for s in self._served.values())

    async def run_io(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    async def load_startup(self, refs: list[str]) -> None:
        """Load ``refs`` (default: every model's champion, else its latest version)."""
        versions: list[ModelVersion] = await self.run_io(self._startup_versions, refs)
        await self.refresh_aliases()
        await asyncio.gather(*(self.load(v) for v in versions))

    def _startup_versions(self, refs: list[str]) -> list[ModelVersion]:
        if refs:
            return [self.registry.resolve(r) for r in refs]
        found = []
        for model in self.registry.models():
            try:
                found.append(self.registry.resolve(model.name))
            except VersionNotFoundError:
                continue  # a model without versions has nothing to serve
        return found

    async def load(self, version: ModelVersion) -> Served:
        """Load one version (once); failures are recorded, not raised."""
        served = self._served.get((version.model_name, version.version))
        if served is not None:
            await served.ready.wait()
            return served
        served = Served(version)
        self._served[served.key] = served
        try:
            model: LoadedModel = await self.run_io(self._load_one, version.ref)
            served.model = model
            served.validator = _validator(version)
            served.redactor = _redactor(version, self.secret)
            served.executor = ThreadPoolExecutor(
                max_workers=self.compute_threads,
                thread_name_prefix=f"aweigh-{version.ref}",
                initializer=limit_native_threads,
                initargs=(self.model_threads,),
            )
            config = self._config(version.model_name)
            observer = self._observer_for(version) if self._observer_for else BatchObserver()
            served.batcher = Batcher(
                _predict_fn(model),
                served.executor,
                max_batch_size=config.max_batch_size,
                max_wait_ms=config.max_wait_ms,
                enabled=config.enabled,
                observer=observer,
            )
            served.state = "ready"
            log.info("loaded %s (%s)", version.ref, version.flavor)
        except AweighError as exc:
            served.state, served.reason = "failed", exc.message
            log.error("cannot load %s: %s", version.ref, exc.message)
        except Exception as exc:  # a broken model must not take the server down
            served.state, served.reason = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("cannot load %s", version.ref)
        finally:
            served.ready.set()
        return served

    def _load_one(self, ref: str) -> LoadedModel:
        with self._load_lock:
            return self.registry.load(ref)

    async def unload(self, name: str, version: int) -> bool:
        served = self._served.pop((name, version), None)
        if served is None:
            return False
        if served.batcher is not None:
            await served.batcher.close()
        if served.executor is not None:
            served.executor.shutdown(wait=False)
        return True

    def _config(self, name: str) -> BatchConfig:
        override = self.per_model.get(name, {})
        return BatchConfig(
            enabled=bool(override.get("enabled", self.defaults.enabled)),
            max_batch_size=int(override.get("max_batch_size", self.defaults.max_batch_size)),
            max_wait_ms=float(override.get("max_wait_ms", self.defaults.max_wait_ms)),
        )

    # -- finding the version a request names ------------------------------------------------
    async def refresh_aliases(self) -> None:
        self._aliases = await self.run_io(self._read_aliases)

    def _read_aliases(self) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for model in self.registry.models():
            for alias, version in self.registry.aliases(model.name).items():
                found[(model.name, alias)] = version
        return found

    def set_alias_cache(self, name: str, alias: str, version: int | None) -> None:
        if version is None:
            self._aliases.pop((name, alias), None)
        else:
            self._aliases[(name, alias)] = version

    async def get(self, ref: ModelRef) -> Served:
        """The ready version ``ref`` names, loading it on first use."""
        number = ref.version
        if number is None:
            alias = ref.alias or DEFAULT_ALIAS
            number = self._aliases.get((ref.name, alias))
            if number is None and ref.alias is not None:
                await self.refresh_aliases()
                number = self._aliases.get((ref.name, alias))
            if number is None and ref.alias is None:
                number = self._latest_loaded(ref.name)
        served = self._served.get((ref.name, number)) if number is not None else None
        if served is None:
            version: ModelVersion = await self.run_io(
                self.registry.resolve, f"{ref.name}/{number}" if number else ref
            )
            served = await self.load(version)
        elif served.state == "loading":
            await served.ready.wait()
        if served.state != "ready":
            raise ModelUnavailableError(
                f"{served.version.ref} cannot serve: {served.reason}. Fix the model and "
                "reload it with POST /v1/admin/models/{name}/versions/{v}/load.",
                {
                    "model": served.version.model_name,
                    "version": served.version.version,
                    "reason": served.reason,
                },
            )
        return served

    def _latest_loaded(self, name: str) -> int | None:
        numbers = [v for (n, v), s in self._served.items() if n == name]
        return max(numbers) if numbers else None

    async def close(self) -> None:
        for key in list(self._served):
            await self.unload(*key)
        self._io.shutdown(wait=False)


def _validator(version: ModelVersion) -> Any:
    """The version's contract compiled into a row validator (None without a contract)."""
    if version.contract is None:
        return None
    from aweigh.core.entities import thaw
    from aweigh.data.contract import Contract
    from aweigh.data.online import compile_validator

    contract = Contract.from_dict(thaw(version.contract), where=f"the contract of {version.ref}")
    return compile_validator(contract)


def _redactor(version: ModelVersion, secret: bytes | None) -> Any:
    """The version's privacy policy compiled for events (None: inputs are kept as sent)."""
    if version.privacy_policy is None or secret is None:
        return None
    from aweigh.core.entities import thaw
    from aweigh.privacy.policy import RedactionPolicy
    from aweigh.privacy.redact import compile_redactor

    policy = RedactionPolicy.from_dict(
        thaw(version.privacy_policy), where=f"the privacy policy of {version.ref}"
    )
    return compile_redactor(policy, secret)


def limit_native_threads(threads: int) -> None:
    """Cap OpenMP/BLAS threads of a compute thread: small batches run fastest on one
    thread, and on a busy machine extra threads stall on each other (seen: 8 ms vs
    1 s for 64 rows of the demo model)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def _predict_fn(model: LoadedModel) -> Any:
    """The function a batcher calls on a worker thread: columns in, lists out."""
    names = list(model.version.signature.names)
    want_proba = model.has_proba
    both = getattr(model.predictor, "predict_with_proba", None)

    def predict(columns: Columns, rows: int) -> BatchOutput:
        frame = pd.DataFrame(columns, columns=names or list(columns))
        proba = None
        if want_proba:
            if both is not None:
                labels, raw = both(frame)
            else:
                labels = model.predictor.predict(frame)
                raw = model.predictor.predict_proba(frame)  # type: ignore[attr-defined]
            predictions = np.asarray(labels)
            proba = np.asarray(raw, dtype=np.float64).tolist()
        else:
            predictions = np.asarray(model.predictor.predict(frame))
        if len(predictions) != rows:
            raise ValueError(f"the model returned {len(predictions)} predictions for {rows} rows")
        return BatchOutput(predictions.tolist(), proba)

    return predict
