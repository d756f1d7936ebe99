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


_NAMES = ("ana", "ravi", "mei", "omar", "lena", "kofi", "sara", "ivan", "priya", "tom")


def with_customers(frame: pd.DataFrame, split: Literal["train", "test"] = "train") -> pd.DataFrame:
    """The frame with a synthetic ``customer_id`` and ``email`` per row (deterministic), as
    real customer tables carry: the demo's personal data to redact and erase. Test rows
    reuse training ids (returning customers), so an erasure reaches both the event log
    and the training dataset."""
    del split  # the same customers in both splits
    ids = [f"C{i:06d}" for i in range(len(frame))]
    emails = [f"{_NAMES[i % len(_NAMES)]}.{i}@example.com" for i in range(len(frame))]
    out = frame.copy()
    out.insert(0, "customer_id", ids)
    out.insert(1, "email", emails)
    return out
