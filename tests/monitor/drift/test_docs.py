"""The docstring examples of the drift modules run and pin their figures."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import aweigh.drift
from aweigh.monitor.drift import (
    chi_square,
    column,
    jensen_shannon,
    ks,
    missing,
    outputs,
    psi,
    sketch,
    streaming,
    wasserstein,
)


@pytest.mark.parametrize(
    "module",
    [chi_square, column, jensen_shannon, ks, missing, outputs, psi, sketch, streaming, wasserstein],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_facade_example_runs() -> None:
    result = doctest.testmod(aweigh.drift)
    assert result.attempted > 0
    assert result.failed == 0
