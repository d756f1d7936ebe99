"""The error tree: stable codes, HTTP statuses, pickling, actionable messages."""

from __future__ import annotations

import pickle

import pytest

from aweigh.core import errors
from aweigh.core.errors import AweighError, all_error_classes

CLASSES = all_error_classes()


def test_every_class_has_a_unique_stable_code() -> None:
    codes = [cls.code for cls in CLASSES]
    assert len(codes) == len(set(codes))
    assert all(code and code == code.lower() and " " not in code for code in codes)


def test_every_error_is_exported_and_documented_in_the_tree() -> None:
    assert sorted(c.__name__ for c in CLASSES) == sorted(
        n for n in errors.__all__ if n != "all_error_classes"
    )
    for cls in CLASSES:
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_errors_survive_pickling_with_message_and_details(cls: type[AweighError]) -> None:
    original = cls("Model 'x' is missing. Register it first.", {"model": "x"})
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is cls
    assert str(copy) == str(original)
    assert copy.details == {"model": "x"}
    assert copy.to_dict() == {"code": cls.code, "message": str(original), "details": {"model": "x"}}


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.InvalidReferenceError, 422),
        (errors.ModelNotFoundError, 404),
        (errors.AliasInUseError, 409),
        (errors.StoreLockedError, 503),
        (errors.ArtifactIntegrityError, 500),
        (errors.ConfigError, 500),
    ],
)
def test_http_status_follows_the_kind_of_failure(cls: type[AweighError], status: int) -> None:
    assert cls.http_status == status


def test_subclasses_can_be_caught_by_their_family() -> None:
    with pytest.raises(errors.NotFoundError):
        raise errors.VersionNotFoundError("no version 3 of churn")
    with pytest.raises(AweighError):
        raise errors.StoreUnavailableError("db down")
