"""Datasets shipped inside the package, so demos and examples run without a network."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import pandas as pd

ADULT_TARGET = "income"
ADULT_CATEGORICAL = (
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
)
ADULT_NUMERIC = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")


def load_adult(split: Literal["train", "test"] = "train") -> pd.DataFrame:
    """The UCI Adult census table (32,561 train / 16,281 test rows; target ``income``)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    source = resources.files("aweigh.demo") / "data" / f"adult_{split}.csv.gz"
    with resources.as_file(source) as path:
        return pd.read_csv(path, compression="gzip")
