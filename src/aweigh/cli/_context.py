"""The registry a CLI command works on, built from Settings once per process."""

from __future__ import annotations

from functools import lru_cache

from aweigh.bootstrap import build_registry
from aweigh.registry.service import Registry
from aweigh.settings import load_settings


@lru_cache(maxsize=1)
def registry() -> Registry:
    return build_registry(load_settings())
