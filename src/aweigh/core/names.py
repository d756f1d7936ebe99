"""Validation of user-chosen names: models, aliases, tags."""

from __future__ import annotations

import re

from aweigh.core.errors import InvalidNameError

MAX_NAME_LENGTH = 128
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def validate_model_name(name: object) -> str:
    """Return ``name`` if it is a safe model name, else raise ``InvalidNameError``.

    Safe means: 1-128 characters, letters, digits, ``_``, ``.`` and ``-``, starting
    with a letter or digit, and no ``..`` (names become paths and URL segments).
    """
    return _validate(
        name,
        "model name",
        _NAME,
        "letters, digits, '_', '.' and '-', starting with a letter or digit",
    )


def validate_alias(alias: object) -> str:
    """Return ``alias`` if it is a valid alias name (it must start with a letter)."""
    return _validate(
        alias,
        "alias",
        _ALIAS,
        "letters, digits, '_' and '-', "
        "starting with a letter (so it never looks like a version number)",
    )


def _validate(value: object, what: str, pattern: re.Pattern[str], allowed: str) -> str:
    if not isinstance(value, str):
        raise InvalidNameError(f"The {what} must be a string. Got {type(value).__name__} instead.")
    if not value:
        raise InvalidNameError(f"The {what} is empty. Give a name of {allowed}.")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"The {what} {value[:20]!r}... is {len(value)} characters long; "
            f"use at most {MAX_NAME_LENGTH}."
        )
    if not pattern.match(value) or ".." in value:
        raise InvalidNameError(
            f"The {what} {value!r} is not allowed. Use only {allowed} (and no '..')."
        )
    return value
