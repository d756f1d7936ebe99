"""The univariate methods by name, and which column kinds each one compares."""

from __future__ import annotations

from collections.abc import Callable

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift import chi_square, jensen_shannon, ks, psi, wasserstein
from aweigh.monitor.drift.base import Measurement
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["CATEGORICAL_METHODS", "MEASURES", "NUMERIC_METHODS", "check_method", "default_method"]

Measure = Callable[[str, ColumnSketch, ColumnSketch], Measurement]

MEASURES: dict[str, Measure] = {
    "ks": ks.measure,
    "psi": psi.measure,
    "wasserstein": wasserstein.measure,
    "jensen_shannon": jensen_shannon.measure,
    "chi_square": chi_square.measure,
}
NUMERIC_METHODS = ("ks", "psi", "wasserstein", "jensen_shannon")
CATEGORICAL_METHODS = ("chi_square", "psi", "jensen_shannon")


def check_method(method: object, kind: str, parameter: str, where: str) -> str:
    """``method`` if it compares columns of ``kind``, else an error listing the choices."""
    allowed = CATEGORICAL_METHODS if kind == "categorical" else NUMERIC_METHODS
    if method not in allowed:
        raise InvalidInputError(
            f"The {parameter!r} parameter of {where} must be one of {list(allowed)} for "
            f"{kind} columns. Got {method!r} instead."
        )
    return str(method)


def default_method(kind: str) -> str:
    """``ks`` for numbers, ``chi_square`` for categories."""
    return "chi_square" if kind == "categorical" else "ks"
