"""Framework flavors: recognise a model, write it to one file, and load it back as a Predictor.

Importing this package imports no ML framework; each flavor imports its own when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aweigh.core.entities import OutputKind
from aweigh.core.errors import NotAModelError, UnsupportedFlavorError
from aweigh.runtimes._common import loading, type_name
from aweigh.runtimes.base import Flavor, Predictor, has_proba
from aweigh.runtimes.lightgbm import LightGBMFlavor
from aweigh.runtimes.onnx import OnnxFlavor
from aweigh.runtimes.python import PythonFlavor
from aweigh.runtimes.sklearn import SklearnFlavor
from aweigh.runtimes.xgboost import XGBoostFlavor

__all__ = [
    "FLAVORS",
    "Flavor",
    "Predictor",
    "flavor_for_file",
    "flavor_for_object",
    "get_flavor",
    "has_proba",
    "load_predictor",
    "suffixes",
]

#: supported flavor names, in the order objects are checked against them
FLAVORS: tuple[str, ...] = ("lightgbm", "xgboost", "onnx", "sklearn", "python")

_REGISTRY: dict[str, Flavor] = {
    f.name: f
    for f in (LightGBMFlavor(), XGBoostFlavor(), OnnxFlavor(), SklearnFlavor(), PythonFlavor())
}
_KINDS = {
    "lightgbm": "LightGBM Booster or LGBMClassifier/LGBMRegressor",
    "xgboost": "XGBoost Booster or XGBClassifier/XGBRegressor",
    "onnx": "onnx.ModelProto",
    "sklearn": "scikit-learn estimator or Pipeline with a predict method",
    "python": "callable f(frame) or an object with a predict(frame) method",
}


def suffixes() -> dict[str, tuple[str, ...]]:
    """The file suffixes each flavor recognises, e.g. {"onnx": (".onnx",), ...}."""
    return {n: tuple(getattr(_REGISTRY[n], "suffixes", (_REGISTRY[n].suffix,))) for n in FLAVORS}


def get_flavor(name: str) -> Flavor:
    """The flavor called ``name``; UnsupportedFlavorError for any other name."""
    key = name.strip().lower() if isinstance(name, str) else name
    flavor = _REGISTRY.get(key) if isinstance(key, str) else None
    if flavor is None:
        raise UnsupportedFlavorError(
            f"The flavor must be one of {', '.join(FLAVORS)}. Got {name!r} instead.",
            {"flavor": repr(name), "supported": list(FLAVORS)},
        )
    return flavor


def _detect(obj: Any) -> Flavor | None:
    return next((_REGISTRY[n] for n in FLAVORS if _REGISTRY[n].matches_object(obj)), None)


def flavor_for_object(obj: Any, hint: str | None = None) -> Flavor:
    """The flavor of the in-memory model ``obj``: ``hint`` checked, or the first that matches."""
    if hint is None:
        detected = _detect(obj)
        if detected is None:
            kinds = "; ".join(f"{n} ({_KINDS[n]})" for n in FLAVORS)
            raise UnsupportedFlavorError(
                f"The model must be an object of a supported flavor: {kinds}. "
                f"Got {type_name(obj)} instead.",
                {"type": type_name(obj), "supported": list(FLAVORS)},
            )
        return detected
    flavor = get_flavor(hint)
    if flavor.matches_object(obj):
        return flavor
    detected = _detect(obj)
    advice = (
        f" It looks like a '{detected.name}' model: pass flavor '{detected.name}' or none."
        if detected is not None
        else ""
    )
    raise NotAModelError(
        f"A '{flavor.name}' model must be a {_KINDS[flavor.name]}. "
        f"Got {type_name(obj)} instead.{advice}",
        {"type": type_name(obj), "flavor": flavor.name},
    )


def _check_file(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise NotAModelError(
            f"No file at '{path}'. Check the path; a model must be one existing file.",
            {"path": str(path)},
        )
    if not path.is_file():
        raise NotAModelError(
            f"The path '{path}' must be a single model file. Got a directory instead; "
            f"pass the model file inside it.",
            {"path": str(path)},
        )
    return path


def flavor_for_file(path: Path, hint: str | None = None) -> Flavor:
    """The flavor of the model file at ``path``: ``hint``, or found from its suffix and bytes."""
    path = _check_file(path)
    if hint is not None:
        return get_flavor(hint)
    suffix = path.suffix.lower()
    candidates = [n for n, sfx in suffixes().items() if suffix in sfx]
    if not candidates:
        known = ", ".join(f"{n}: {' '.join(s)}" for n, s in suffixes().items())
        raise UnsupportedFlavorError(
            f"The model file must have a known suffix ({known}). Got '{path.name}' instead; "
            f"rename it or pass the flavor explicitly.",
            {"path": str(path), "suffix": suffix},
        )
    for name in candidates:
        if _REGISTRY[name].matches_file(path):
            return _REGISTRY[name]
    names = " or ".join(f"'{n}'" for n in candidates)
    raise NotAModelError(
        f"The file '{path}' must be a {names} model to have the suffix '{suffix}'. Got a file "
        f"whose contents are not such a model instead; check it is the model file, not data.",
        {"path": str(path), "flavors": candidates},
    )


def load_predictor(path: Path, flavor: str, output: OutputKind) -> Predictor:
    """Load the model file at ``path`` with ``flavor``; failures become NotAModelError."""
    path = _check_file(path)
    chosen = get_flavor(flavor)
    with loading(path, chosen.name):
        return chosen.load(path, output)
