"""``aweigh.fairness.audit`` on Adult: predictions from a column or a registered model, data
from a frame or a file, and bad input that names the column or value at fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

import aweigh
from aweigh import fairness
from aweigh.core.errors import InvalidInputError

FEATURES = ["age", "education_num", "hours_per_week"]


@pytest.fixture(scope="module")
def scored(adult_train: pd.DataFrame) -> tuple[pd.DataFrame, DecisionTreeClassifier]:
    """Adult rows 4000-7999 with a depth-4 tree's predictions (trained on rows 0-3999)."""
    train = adult_train.head(4000)
    model = DecisionTreeClassifier(max_depth=4, random_state=42).fit(
        train[FEATURES], train["income"]
    )
    rows = adult_train.iloc[4000:8000].reset_index(drop=True)
    return rows.assign(predicted=model.predict(rows[FEATURES])), model


@pytest.fixture
def registered(
    tmp_path: Path, scored: tuple[pd.DataFrame, DecisionTreeClassifier]
) -> Iterator[Any]:
    aweigh.connect(store_url="memory://", artifacts_url=str(tmp_path / "a"), home=tmp_path)
    rows, model = scored
    yield aweigh.register(model, "income", sample=rows[FEATURES].head(20), alias="champion")
    aweigh.connect(store_url="memory://", artifacts_url=str(tmp_path / "b"), home=tmp_path)


def test_audit_of_a_prediction_column_equals_the_table(
    scored: tuple[pd.DataFrame, DecisionTreeClassifier],
) -> None:
    rows, _ = scored
    report = fairness.audit(
        rows, label="income", sensitive=["sex", "race"], prediction="predicted", positive=">50K"
    )
    table = fairness.fairness_table(
        rows["income"], rows["predicted"], rows[["sex", "race"]], positive=">50K"
    )
    assert report.to_dict() == table.to_dict()
    assert report.n == 4000
    assert report.attribute("sex").four_fifths is False  # Adult's well-known gap


def test_audit_reads_csv_and_parquet_files(
    tmp_path: Path, scored: tuple[pd.DataFrame, DecisionTreeClassifier]
) -> None:
    rows, _ = scored
    frame = rows.assign(y=(rows["income"] == ">50K").astype(int))
    frame = frame.assign(yhat=(frame["predicted"] == ">50K").astype(int))
    frame.to_csv(tmp_path / "scored.csv", index=False)
    frame.to_parquet(tmp_path / "scored.parquet")
    options: dict[str, Any] = {"label": "y", "sensitive": "sex", "prediction": "yhat"}
    from_csv = fairness.audit(tmp_path / "scored.csv", **options)  # positive 1 by default
    from_parquet = fairness.audit(str(tmp_path / "scored.parquet"), **options)
    assert from_csv.to_dict() == from_parquet.to_dict()
    assert from_csv.positive == 1
    assert from_csv.group("sex", "Female").n == int((rows["sex"] == "Female").sum())


def test_audit_predicts_with_a_registered_model_by_reference_or_loaded(
    registered: Any, scored: tuple[pd.DataFrame, DecisionTreeClassifier]
) -> None:
    rows, _ = scored
    data = rows.drop(columns=["predicted"])
    by_ref = fairness.audit(
        data, label="income", sensitive=["sex"], model="income@champion", positive=">50K"
    )
    by_object = fairness.audit(
        data, label="income", sensitive=["sex"], model=aweigh.load("income/1"), positive=">50K"
    )
    expected = fairness.audit(
        rows, label="income", sensitive=["sex"], prediction="predicted", positive=">50K"
    )
    assert by_ref.to_dict() == expected.to_dict() == by_object.to_dict()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sensitive": ["sex", "gender"]}, r"no sensitive attribute column 'gender'; .*race, sex"),
        ({"label": "salary"}, "no label column 'salary'"),
        ({"prediction": "score"}, "no prediction column 'score'"),
        ({"prediction": None}, "exactly one way"),
        ({"model": "income@champion"}, "exactly one way"),
        ({"positive": None}, r"Name the positive class .* '<=50K', '>50K'"),
        ({"positive": ">50k"}, "'>50k' occurs in neither"),
        ({"sensitive": []}, "at least one sensitive attribute"),
    ],
)
def test_bad_audit_input_names_the_problem(
    scored: tuple[pd.DataFrame, DecisionTreeClassifier], options: dict[str, Any], match: str
) -> None:
    rows, _ = scored
    call: dict[str, Any] = {
        "label": "income", "sensitive": ["sex"], "prediction": "predicted", "positive": ">50K",
    }  # fmt: skip
    with pytest.raises(InvalidInputError, match=match):
        fairness.audit(rows, **(call | options))


def test_bad_audit_data_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="No file at"):
        fairness.audit(tmp_path / "none.csv", label="y", sensitive="g", prediction="p")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(InvalidInputError, match=r"Cannot read .*broken\.parquet"):
        fairness.audit(tmp_path / "broken.parquet", label="y", sensitive="g", prediction="p")
    with pytest.raises(InvalidInputError, match="got int"):
        fairness.audit(3, label="y", sensitive="g", prediction="p")
