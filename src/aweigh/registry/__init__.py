"""The registry service: register versions, resolve references, move aliases, load models."""

from aweigh.registry.loaded import LoadedModel
from aweigh.registry.service import Registry

__all__ = ["LoadedModel", "Registry"]
