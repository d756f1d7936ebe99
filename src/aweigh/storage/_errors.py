"""Messages shared by every store, so each backend fails in the same words."""

from __future__ import annotations

from aweigh.core.errors import (
    AliasInUseError,
    AliasNotFoundError,
    AlreadyExistsError,
    ConcurrentUpdateError,
    DatasetNotFoundError,
    ModelNotFoundError,
    VersionNotFoundError,
)


def model_not_found(name: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"No model called {name!r}. Run 'aweigh models list' to see the registered models.",
        {"model": name},
    )


def version_not_found(name: str, version: int) -> VersionNotFoundError:
    return VersionNotFoundError(
        f"Model {name!r} has no version {version}. "
        f"Run 'aweigh models show {name}' to see its versions.",
        {"model": name, "version": version},
    )


def no_versions(name: str) -> VersionNotFoundError:
    return VersionNotFoundError(
        f"Model {name!r} has no versions yet. Register one with 'aweigh models register'.",
        {"model": name},
    )


def alias_not_found(name: str, alias: str) -> AliasNotFoundError:
    return AliasNotFoundError(
        f"Model {name!r} has no alias {alias!r}. "
        f"Set it with 'aweigh models alias {name} {alias} VERSION'.",
        {"model": name, "alias": alias},
    )


def model_exists(name: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"A model called {name!r} already exists. Register a new version of it instead.",
        {"model": name},
    )


def version_aliased(name: str, version: int, aliases: list[str]) -> AliasInUseError:
    listed = ", ".join(repr(a) for a in sorted(aliases))
    return AliasInUseError(
        f"Cannot delete {name}/{version}: alias {listed} points to it. Move or delete the "
        f"alias first ('aweigh models alias {name} {sorted(aliases)[0]} OTHER_VERSION').",
        {"model": name, "version": version, "aliases": sorted(aliases)},
    )


def model_aliased(name: str, aliases: list[str]) -> AliasInUseError:
    listed = ", ".join(repr(a) for a in sorted(aliases))
    return AliasInUseError(
        f"Cannot delete model {name!r}: it still has alias {listed}. Delete the aliases "
        f"first ('aweigh models alias {name} ALIAS --delete').",
        {"model": name, "aliases": sorted(aliases)},
    )


def alias_moved(
    name: str, alias: str, expected: int | None, actual: int | None
) -> ConcurrentUpdateError:
    return ConcurrentUpdateError(
        f"Alias {name}@{alias} points to version {actual}, not {expected} as expected: "
        "someone else moved it. Read it again and retry.",
        {"model": name, "alias": alias, "expected": expected, "actual": actual},
    )


def dataset_not_found(name: str, version: int | None = None) -> DatasetNotFoundError:
    what = f"dataset {name!r}" if version is None else f"version {version} of dataset {name!r}"
    return DatasetNotFoundError(
        f"There is no {what}. Run 'aweigh data list' to see the registered datasets.",
        {"dataset": name, "version": version},
    )
