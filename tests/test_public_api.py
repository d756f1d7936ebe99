"""The public Python API: a pinned, sorted ``__all__`` and the module-level functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import aweigh
from aweigh.core.errors import ModelNotFoundError

EXPECTED = [
    "AliasEvent",
    "AweighError",
    "Contract",
    "DatasetVersion",
    "LoadedModel",
    "Model",
    "ModelRef",
    "ModelVersion",
    "Registry",
    "Settings",
    "__version__",
    "alias_at",
    "alias_history",
    "connect",
    "drift",
    "fairness",
    "infer_contract",
    "load",
    "models",
    "parse_ref",
    "profile_table",
    "register",
    "register_dataset",
    "set_alias",
    "validate_table",
    "versions",
]


def test_all_is_sorted_and_pinned() -> None:
    assert aweigh.__all__ == sorted(aweigh.__all__)
    assert aweigh.__all__ == EXPECTED
    for name in aweigh.__all__:
        assert hasattr(aweigh, name), name


def test_importing_aweigh_imports_no_optional_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aweigh; bad = [m for m in ('lightgbm', 'xgboost', 'onnxruntime', "
        "'torch', 'ray', 'psycopg', 'sklearn') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


@pytest.fixture
def connected(tmp_path: Path) -> Any:
    registry = aweigh.connect(
        store_url="memory://", artifacts_url=str(tmp_path / "a"), home=tmp_path, user="ana"
    )
    yield registry
    aweigh.connect(store_url="memory://", artifacts_url=str(tmp_path / "b"), home=tmp_path)


def test_module_functions_use_the_connected_registry(
    connected: Any, adult_train: pd.DataFrame
) -> None:
    from sklearn.tree import DecisionTreeClassifier

    cols = ["age", "education_num", "hours_per_week"]
    rows = adult_train.head(2000)
    model = DecisionTreeClassifier(max_depth=4, random_state=42).fit(rows[cols], rows["income"])
    v = aweigh.register(
        model, "income", sample=rows[cols].head(20), alias="champion", training_data=rows
    )
    assert v.ref == "income/1"
    assert v.author == "ana"
    aweigh.register(model, "income")
    event = aweigh.set_alias("income", "champion", 2, reason="newer")
    assert (event.from_version, event.to_version) == (1, 2)
    assert [m.name for m in aweigh.models()] == ["income"]
    assert [x.version for x in aweigh.versions("income")] == [1, 2]
    assert len(aweigh.alias_history("income")) == 2
    assert aweigh.alias_at("income", "champion", event.at).version == 2
    loaded = aweigh.load("income@champion")
    assert list(loaded.predict(rows[cols].head(3))) == list(model.predict(rows[cols].head(3)))
    assert aweigh.parse_ref("income/2") == aweigh.ModelRef("income", version=2)
    with pytest.raises(ModelNotFoundError):
        aweigh.load("churn")


def test_drift_and_fairness_are_reachable_from_the_top_level_on_adult(
    adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> None:
    report = aweigh.drift.compare(adult_train.drop(columns=["income"]), adult_test.head(5000))
    assert report.drifted == []
    older = adult_test.head(2000).assign(age=adult_test["age"].head(2000) + 8)
    assert "age" in aweigh.drift.compare(adult_train, older).drifted
    audit = aweigh.fairness.audit(
        adult_test.assign(predicted=adult_test["income"]),
        label="income",
        prediction="predicted",
        sensitive=["sex"],
        positive=">50K",
    )
    assert audit.attribute("sex").demographic_parity_difference.value > 0.1
