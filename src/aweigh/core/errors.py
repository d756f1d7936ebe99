"""One error tree for all of aweigh.

Every error carries a stable ``code`` (for scripts and HTTP bodies), an HTTP
status, and a message that tells the user what to do next. Errors keep their
constructor arguments in ``args`` so they survive pickling to another process.

::

    AweighError (500 internal)
    ├── ConfigError (500 config_invalid)
    │   ├── StoreURLError (500 store_url_invalid)
    │   └── MissingDependencyError (500 missing_dependency)
    ├── InvalidInputError (422 invalid_input)
    │   ├── MalformedRequestError (400 malformed_request)
    │   ├── PayloadTooLargeError (413 payload_too_large)
    │   ├── InvalidNameError (422 invalid_name)
    │   ├── InvalidReferenceError (422 invalid_reference)
    │   ├── NotAModelError (422 not_a_model)
    │   └── UnsupportedFlavorError (422 unsupported_flavor)
    ├── NotFoundError (404 not_found)
    │   ├── ModelNotFoundError (404 model_not_found)
    │   ├── VersionNotFoundError (404 version_not_found)
    │   ├── AliasNotFoundError (404 alias_not_found)
    │   ├── DatasetNotFoundError (404 dataset_not_found)
    │   └── ArtifactNotFoundError (404 artifact_not_found)
    ├── ConflictError (409 conflict)
    │   ├── AlreadyExistsError (409 already_exists)
    │   ├── AliasInUseError (409 alias_in_use)
    │   └── ConcurrentUpdateError (409 concurrent_update)
    ├── ArtifactIntegrityError (500 artifact_integrity)
    ├── AuthError (401 unauthorized)
    │   └── ForbiddenError (403 forbidden)
    ├── ModelUnavailableError (503 model_unavailable)
    ├── OverloadedError (503 overloaded)
    ├── PredictionError (500 prediction_failed)
    └── StoreError (503 store_error)
        ├── StoreUnavailableError (503 store_unavailable)
        └── StoreLockedError (503 store_locked)
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AliasInUseError",
    "AliasNotFoundError",
    "AlreadyExistsError",
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "AuthError",
    "AweighError",
    "ConcurrentUpdateError",
    "ConfigError",
    "ConflictError",
    "DatasetNotFoundError",
    "ForbiddenError",
    "InvalidInputError",
    "InvalidNameError",
    "InvalidReferenceError",
    "MalformedRequestError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "ModelUnavailableError",
    "NotAModelError",
    "NotFoundError",
    "OverloadedError",
    "PayloadTooLargeError",
    "PredictionError",
    "StoreError",
    "StoreLockedError",
    "StoreURLError",
    "StoreUnavailableError",
    "UnsupportedFlavorError",
    "VersionNotFoundError",
    "all_error_classes",
]


class AweighError(Exception):
    """Base of every error aweigh raises on purpose."""

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON body an HTTP answer or ``--json`` output carries."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ConfigError(AweighError):
    """Settings or wiring that cannot work as given."""

    code = "config_invalid"


class StoreURLError(ConfigError):
    """A store or artifact URL that does not parse or names an unknown scheme."""

    code = "store_url_invalid"


class MissingDependencyError(ConfigError):
    """An optional extra is needed for what was asked (e.g. ``aweigh[postgres]``)."""

    code = "missing_dependency"


class InvalidInputError(AweighError):
    """Input that does not have the shape or values aweigh needs."""

    code = "invalid_input"
    http_status = 422


class MalformedRequestError(InvalidInputError):
    """A body that is not JSON (or not the protocol's shape at all)."""

    code = "malformed_request"
    http_status = 400


class PayloadTooLargeError(InvalidInputError):
    code = "payload_too_large"
    http_status = 413


class InvalidNameError(InvalidInputError):
    code = "invalid_name"


class InvalidReferenceError(InvalidInputError):
    code = "invalid_reference"


class NotAModelError(InvalidInputError):
    code = "not_a_model"


class UnsupportedFlavorError(InvalidInputError):
    code = "unsupported_flavor"


class NotFoundError(AweighError):
    code = "not_found"
    http_status = 404


class ModelNotFoundError(NotFoundError):
    code = "model_not_found"


class VersionNotFoundError(NotFoundError):
    code = "version_not_found"


class AliasNotFoundError(NotFoundError):
    code = "alias_not_found"


class DatasetNotFoundError(NotFoundError):
    code = "dataset_not_found"


class ArtifactNotFoundError(NotFoundError):
    code = "artifact_not_found"


class ConflictError(AweighError):
    code = "conflict"
    http_status = 409


class AlreadyExistsError(ConflictError):
    code = "already_exists"


class AliasInUseError(ConflictError):
    code = "alias_in_use"


class ConcurrentUpdateError(ConflictError):
    code = "concurrent_update"


class ArtifactIntegrityError(AweighError):
    """An artifact's bytes do not match the sha256 the registry recorded."""

    code = "artifact_integrity"


class AuthError(AweighError):
    """Missing or wrong credentials."""

    code = "unauthorized"
    http_status = 401


class ForbiddenError(AuthError):
    code = "forbidden"
    http_status = 403


class ModelUnavailableError(AweighError):
    """A model version exists but cannot serve (it failed to load, or is loading)."""

    code = "model_unavailable"
    http_status = 503


class OverloadedError(AweighError):
    code = "overloaded"
    http_status = 503


class PredictionError(AweighError):
    """The model raised while predicting; the reason is logged, not sent to clients."""

    code = "prediction_failed"


class StoreError(AweighError):
    """The metadata store failed; the call's transaction was rolled back."""

    code = "store_error"
    http_status = 503


class StoreUnavailableError(StoreError):
    code = "store_unavailable"


class StoreLockedError(StoreError):
    code = "store_locked"


def all_error_classes() -> list[type[AweighError]]:
    """Every class of the tree, base first (used by tests and the HTTP error map)."""
    seen: list[type[AweighError]] = []
    stack: list[type[AweighError]] = [AweighError]
    while stack:
        cls = stack.pop(0)
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
