"""Model references: ``churn``, ``churn/3`` (or ``churn:3``) and ``churn@champion``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aweigh.core.errors import InvalidReferenceError
from aweigh.core.names import validate_alias, validate_model_name

_REF = re.compile(r"^(?P<name>[^/:@]+)(?:(?:[/:](?P<version>[^/:@]+))|(?:@(?P<alias>[^/:@]+)))?$")
_FORMS = "'name', 'name/3' or 'name@alias'"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed reference. At most one of ``version`` and ``alias`` is set.

    With neither set the reference means the model's champion, else its latest version.
    """

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def parse_ref(text: object) -> ModelRef:
    """Parse a reference string, raising ``InvalidReferenceError`` with the accepted forms."""
    if isinstance(text, ModelRef):
        return text
    if not isinstance(text, str):
        raise InvalidReferenceError(
            f"A model reference must be a string like {_FORMS}. Got {type(text).__name__}."
        )
    match = _REF.match(text.strip())
    if match is None:
        raise InvalidReferenceError(f"Cannot parse the model reference {text!r}; use {_FORMS}.")
    try:
        name = validate_model_name(match["name"])
        alias = validate_alias(match["alias"]) if match["alias"] is not None else None
    except Exception as exc:
        raise InvalidReferenceError(f"Bad model reference {text!r}: {exc}") from exc
    version: int | None = None
    if match["version"] is not None:
        raw = match["version"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
            raise InvalidReferenceError(
                f"The version in {text!r} must be a positive whole number like 'name/3'. "
                f"Got {raw!r}."
            )
        version = int(raw)
    return ModelRef(name=name, version=version, alias=alias)
