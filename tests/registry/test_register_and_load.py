"""Registering versions from objects and files, resolving references, loading safely."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.core.errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    InvalidInputError,
    InvalidNameError,
    InvalidReferenceError,
    ModelNotFoundError,
    NotAModelError,
    UnsupportedFlavorError,
    VersionNotFoundError,
)
from aweigh.registry.service import Registry
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.memory import MemoryStore
from tests.registry.conftest import NUMERIC


def test_a_version_records_everything_needed_to_trust_it(
    registry: Registry, income_model: Any, adult: pd.DataFrame
) -> None:
    v = registry.register(
        income_model,
        "income",
        sample=adult[NUMERIC].head(50),
        training_data=adult,
        params={"max_iter": 30, "missing": np.nan, "obj": object()},
        metrics={"roc_auc": np.float64(0.88)},
        tags={"team": "risk"},
        description="baseline",
        code_version="deadbeef",
    )
    assert (v.ref, v.flavor, v.author, v.description, v.code_version) == (
        "income/1",
        "sklearn",
        "ana",
        "baseline",
        "deadbeef",
    )
    assert len(v.sha256) == 64
    assert v.artifact_size > 0
    assert v.signature.names == tuple(NUMERIC)
    assert {c.dtype for c in v.signature.columns} == {"int"}
    assert (v.output.task, v.output.classes) == ("classification", ("<=50K", ">50K"))
    assert v.data_fingerprint is not None
    assert (v.data_fingerprint.rows, v.data_fingerprint.columns) == (3000, tuple(adult.columns))
    assert v.params["max_iter"] == 30
    assert v.params["missing"] == "nan"
    assert v.params["obj"].startswith("<object object")
    assert dict(v.metrics) == {"roc_auc": 0.88}
    assert "scikit-learn" in v.runtime
    assert "python" in v.runtime
    assert v.created_at == registry.clock.now()


def test_fingerprints_identify_the_training_table(
    registry: Registry, income_model: Any, adult: pd.DataFrame
) -> None:
    a = registry.register(income_model, "income", training_data=adult)
    b = registry.register(income_model, "income", training_data=adult.copy())
    c = registry.register(income_model, "income", training_data=adult.iloc[::-1])
    assert a.data_fingerprint == b.data_fingerprint
    assert c.data_fingerprint is not None
    assert a.data_fingerprint is not None
    assert c.data_fingerprint.sha256 != a.data_fingerprint.sha256


def test_loaded_model_predicts_like_the_original(
    registry: Registry, income_model: Any, adult: pd.DataFrame
) -> None:
    registry.register(income_model, "income", sample=adult[NUMERIC].head(20))
    loaded = registry.load("income/1")
    rows = adult.head(200)
    np.testing.assert_array_equal(loaded.predict(rows), income_model.predict(rows[NUMERIC]))
    np.testing.assert_allclose(
        loaded.predict_proba(rows), income_model.predict_proba(rows[NUMERIC])
    )
    records = rows[list(reversed(NUMERIC))].head(3).to_dict("records")
    np.testing.assert_array_equal(
        loaded.predict(records), income_model.predict(rows[NUMERIC].head(3))
    )
    with pytest.raises(InvalidInputError, match=r"lacks column\(s\) \['capital_gain'\]"):
        loaded.predict(rows[NUMERIC[:3]])


def test_references_resolve_to_versions(
    registry: Registry, income_model: Any, clock: ManualClock
) -> None:
    for _ in range(3):
        registry.register(income_model, "income")
        clock.advance()
    assert registry.resolve("income").version == 3, "no champion: the latest version"
    registry.set_alias("income", "champion", 2, reason="stable")
    assert registry.resolve("income").version == 2, "a bare name means the champion"
    assert registry.resolve("income@champion").version == 2
    assert registry.resolve("income/1").version == 1
    assert registry.load("income").version.version == 2


def test_unknown_models_versions_and_aliases_are_clear(
    registry: Registry, income_model: Any
) -> None:
    registry.register(income_model, "income")
    with pytest.raises(ModelNotFoundError, match="No model called 'churn'"):
        registry.load("churn")
    with pytest.raises(VersionNotFoundError, match="has no version 7"):
        registry.load("income/7")
    with pytest.raises(Exception, match="has no alias 'canary'"):
        registry.load("income@canary")
    with pytest.raises(InvalidReferenceError):
        registry.load("income/seven")


def test_lineage_names_the_parent_version(registry: Registry, income_model: Any) -> None:
    registry.register(income_model, "income")
    child = registry.register(income_model, "income-small", parent="income/1")
    assert child.parent == ("income", 1)
    assert child.to_dict()["parent"] == "income/1"
    with pytest.raises(VersionNotFoundError):
        registry.register(income_model, "income-small", parent="income/9")
    assert len(registry.versions("income-small")) == 1


def test_alias_at_registration_and_alias_history(
    registry: Registry, income_model: Any, clock: ManualClock
) -> None:
    t0 = clock.now()
    registry.register(income_model, "income", alias="champion", reason="first")
    clock.advance(60)
    registry.register(income_model, "income")
    clock.advance(60)
    registry.set_alias("income", "champion", "income/2", reason="better", actor="bo")
    history = registry.alias_history("income", "champion")
    assert [(e.from_version, e.to_version, e.actor, e.reason) for e in history] == [
        (None, 1, "ana", "first"),
        (1, 2, "bo", "better"),
    ]
    at_30s = registry.alias_at("income", "champion", t0.replace(second=30))
    assert at_30s is not None
    assert at_30s.version == 1
    assert registry.alias_at("income", "champion", clock.now()).version == 2  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        registry.alias_at("income", "champion", clock.now().replace(tzinfo=None))


def test_an_alias_must_point_inside_its_model(registry: Registry, income_model: Any) -> None:
    registry.register(income_model, "income")
    registry.register(income_model, "other")
    with pytest.raises(InvalidInputError, match="its own versions"):
        registry.set_alias("income", "champion", "other/1")
    with pytest.raises(InvalidNameError):
        registry.set_alias("income", "7", 1)


def test_deleting_an_aliased_version_is_refused_naming_the_alias(
    registry: Registry, income_model: Any
) -> None:
    registry.register(income_model, "income", alias="champion")
    with pytest.raises(Exception, match="alias 'champion' points to it"):
        registry.delete_version("income/1")
    with pytest.raises(InvalidInputError, match="name a version number"):
        registry.delete_version("income@champion")


def test_artifacts_are_shared_by_hash_and_removed_with_the_last_version(
    registry: Registry, income_model: Any
) -> None:
    first = registry.register(income_model, "income")
    second = registry.register(income_model, "income")
    assert first.sha256 == second.sha256
    registry.delete_version("income/1")
    assert registry.artifacts.exists(first.sha256)
    registry.delete_version("income/2")
    assert not registry.artifacts.exists(first.sha256)


def test_a_tampered_artifact_is_refused_before_it_is_unpickled(
    registry: Registry, income_model: Any, tmp_path: Path
) -> None:
    v = registry.register(income_model, "income")
    path = Path(registry.artifacts.location(v.sha256))
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path.touch, (marker,))

    path.chmod(0o644)
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ArtifactIntegrityError) as info:
        registry.load("income/1")
    assert v.sha256 in str(info.value)
    assert info.value.details["actual"] in str(info.value)
    assert not marker.exists(), "the tampered file must never be deserialised"


def test_a_missing_artifact_is_reported(registry: Registry, income_model: Any) -> None:
    v = registry.register(income_model, "income")
    Path(registry.artifacts.location(v.sha256)).unlink()
    with pytest.raises(ArtifactNotFoundError, match=v.sha256):
        registry.load("income")


def test_registers_model_files_of_each_kind(
    registry: Registry, income_model: Any, adult: pd.DataFrame, tmp_path: Path
) -> None:
    import lightgbm

    path = tmp_path / "model.joblib"
    joblib.dump(income_model, path)
    from_joblib = registry.register(path, "from-file", sample=adult[NUMERIC].head(10))
    assert (from_joblib.flavor, from_joblib.output.classes) == ("sklearn", ("<=50K", ">50K"))

    booster = lightgbm.LGBMRegressor(n_estimators=10, verbose=-1).fit(
        adult[NUMERIC[:3]], adult["capital_gain"]
    )
    txt = tmp_path / "model.txt"
    booster.booster_.save_model(txt)
    from_txt = registry.register(txt, "gain")
    assert (from_txt.flavor, from_txt.output.task) == ("lightgbm", "regression")
    np.testing.assert_allclose(
        registry.load("gain").predict(adult[NUMERIC[:3]].head(5)),
        booster.predict(adult[NUMERIC[:3]].head(5)),
    )


@pytest.mark.parametrize(
    ("content", "suffix", "error", "message"),
    [
        (b"age,income\n1,2\n", ".joblib", NotAModelError, "not|model|load"),
        (b"\x00\x01garbage", ".onnx", NotAModelError, "onnx|ONNX|model"),
        (b"hello", ".xyz", UnsupportedFlavorError, "suffix|xyz"),
    ],
)
def test_files_that_are_not_models_are_refused_and_nothing_is_registered(
    registry: Registry,
    tmp_path: Path,
    content: bytes,
    suffix: str,
    error: type[Exception],
    message: str,
) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        registry.register(path, "broken")
    assert registry.models() == []


def test_a_missing_model_file_is_named(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(NotAModelError, match="No file at"):
        registry.register(tmp_path / "nope.joblib", "broken")


@pytest.mark.parametrize("obj", [{"a": 1}, 42, None, [1, 2], b"bytes"])
def test_objects_of_no_flavor_are_refused(registry: Registry, obj: Any) -> None:
    with pytest.raises(UnsupportedFlavorError, match="supported flavor"):
        registry.register(obj, "broken")
    assert registry.models() == []


def test_a_model_that_cannot_predict_its_sample_is_refused(
    registry: Registry, income_model: Any, adult: pd.DataFrame
) -> None:
    with pytest.raises(NotAModelError, match="failed to predict on the sample"):
        registry.register(income_model, "income", sample=adult[["age", "sex"]].head(5))
    assert registry.models() == []


def test_callables_learn_their_output_kind_from_the_sample(
    registry: Registry, adult: pd.DataFrame
) -> None:
    def rule(frame: pd.DataFrame) -> np.ndarray:
        return np.where(frame["education_num"] > 12, ">50K", "<=50K")

    v = registry.register(rule, "rule", sample=adult.head(500))
    assert (v.flavor, v.output.task, v.output.classes) == (
        "python",
        "classification",
        ("<=50K", ">50K"),
    )
    score = registry.register(lambda f: f["age"] * 0.5, "score", sample=adult.head(5))
    assert score.output.task == "regression"
    stated = registry.register(rule, "rule2", classes=["<=50K", ">50K"], task="classification")
    assert stated.output.classes == ("<=50K", ">50K")
    np.testing.assert_array_equal(registry.load("rule").predict(adult.head(4)), rule(adult.head(4)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": {"auc": "high"}}, "must be a number"),
        ({"metrics": {"auc": float("nan")}}, "must be finite"),
        ({"task": "clustering"}, "'task' parameter"),
        ({"description": "x" * 20_000}, "at most"),
        ({"alias": "1st"}, "alias"),
        ({"sample": "rows.csv"}, "must be a pandas DataFrame"),
    ],
)
def test_bad_registration_options_are_refused_before_anything_is_stored(
    registry: Registry, income_model: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises((InvalidInputError, InvalidNameError), match=message):
        registry.register(income_model, "income", **kwargs)
    assert registry.models() == []


@pytest.mark.parametrize("name", ["", "a b", "../etc", "x" * 300, "bad/name"])
def test_unsafe_model_names_are_refused(registry: Registry, income_model: Any, name: str) -> None:
    with pytest.raises(InvalidNameError):
        registry.register(income_model, name)


def test_records_the_git_commit_when_inside_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, income_model: Any
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for cmd in (
        ["git", "init", "-q"],
        [
            "git",
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=a",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
    ):
        subprocess.run(cmd, cwd=repo, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.chdir(repo)
    reg = Registry(MemoryStore(), LocalArtifactStore(tmp_path / "a"), actor="ana")
    assert reg.register(income_model, "income").code_version == head
    monkeypatch.chdir(tmp_path)
    assert reg.register(income_model, "income").code_version is None
