"""aweigh: take a trained model to production and keep it good there.

The Python API is small: ``register`` a model, ``load`` it by reference
(``"churn@champion"``, ``"churn/3"``, ``"churn"``), list ``models``, move aliases.
Calls use a registry built from ``Settings`` (``AWEIGH_*`` variables, ``aweigh.toml``,
or the defaults under ``./.aweigh/``); ``connect`` gives one explicitly.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from aweigh.core.entities import AliasEvent, DatasetVersion, Model, ModelVersion
from aweigh.core.errors import AweighError
from aweigh.core.refs import ModelRef, parse_ref
from aweigh.data.contract import Contract
from aweigh.registry.loaded import LoadedModel
from aweigh.registry.service import Registry
from aweigh.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "AliasEvent",
    "AweighError",
    "Contract",
    "DatasetVersion",
    "LoadedModel",
    "Model",
    "ModelRef",
    "ModelVersion",
    "Registry",
    "Settings",
    "__version__",
    "alias_at",
    "alias_history",
    "connect",
    "drift",
    "fairness",
    "infer_contract",
    "load",
    "models",
    "parse_ref",
    "profile_table",
    "register",
    "register_dataset",
    "set_alias",
    "validate_table",
    "versions",
]

_lock = threading.Lock()
_default: Registry | None = None


def connect(settings: Settings | None = None, **overrides: Any) -> Registry:
    """A registry for ``settings`` (default: from the environment), made the default one."""
    global _default
    from aweigh.bootstrap import build_registry

    registry = build_registry(settings or load_settings(**overrides))
    with _lock:
        if _default is not None:
            _default.store.close()
        _default = registry
    return registry


def _registry() -> Registry:
    global _default
    with _lock:
        if _default is None:
            from aweigh.bootstrap import build_registry

            _default = build_registry(load_settings())
        return _default


def register(model: Any, name: str, **options: Any) -> ModelVersion:
    """Register ``model`` (an object or a model file) as the next version of ``name``.

    Options: ``sample``, ``training_data``, ``params``, ``metrics``, ``tags``,
    ``description``, ``author``, ``parent``, ``alias``, ``flavor``, ``task``, ``classes``.
    """
    return _registry().register(model, name, **options)


def load(ref: str) -> LoadedModel:
    """Load a version by reference for prediction (its sha256 is checked first)."""
    return _registry().load(ref)


def models() -> list[Model]:
    """Every registered model, sorted by name."""
    return _registry().models()


def versions(name: str) -> list[ModelVersion]:
    """Every version of a model, oldest first."""
    return _registry().versions(name)


def set_alias(name: str, alias: str, target: int | str, *, reason: str = "") -> AliasEvent:
    """Point ``name@alias`` at a version, recording who, when and why."""
    return _registry().set_alias(name, alias, target, reason=reason)


def alias_history(name: str, alias: str | None = None) -> list[AliasEvent]:
    """Every move of a model's aliases, oldest first."""
    return _registry().alias_history(name, alias)


def alias_at(name: str, alias: str, at: datetime) -> ModelVersion | None:
    """Which version ``name@alias`` pointed at at time ``at``."""
    return _registry().alias_at(name, alias, at)


def register_dataset(table: Any, name: str, **options: Any) -> DatasetVersion:
    """Register a table as the next version of dataset ``name`` (hash, contract, profile).

    Options: ``source``, ``contract``, ``label``, ``description``.
    """
    return _registry().datasets.register(table, name, **options)


def infer_contract(table: Any, **options: Any) -> Contract:
    """Infer a data contract from a reference table (see ``aweigh.data.infer``)."""
    from aweigh.data.infer import infer_contract as infer

    return infer(table, **options)


def validate_table(table: Any, contract: Contract, **options: Any) -> Any:
    """Validate a table: ``.good`` rows, ``.bad`` rows with their violations, ``.summary()``."""
    from aweigh.data.batch import validate_table as validate

    return validate(table, contract, **options)


def profile_table(table: Any, **options: Any) -> Any:
    """A mergeable quality profile of a table (see ``aweigh.data.profile``)."""
    from aweigh.data.profile import profile_table as profile

    return profile(table, **options)


_SUBMODULES = frozenset(("drift", "fairness"))


def __getattr__(name: str) -> Any:
    """``aweigh.drift`` and ``aweigh.fairness`` load on first use (they import scipy)."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"aweigh.{name}")
    raise AttributeError(f"module 'aweigh' has no attribute {name!r}")
