"""The demo job: train two Adult census models, register both, move ``champion``, show it.

Each run adds two versions to the ``adult-income`` model of whatever registry it is
given, so running it twice shows a longer alias history, as a real team's would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich.console import Console

from aweigh.demo.datasets import (
    ADULT_CATEGORICAL,
    ADULT_NUMERIC,
    ADULT_TARGET,
    load_adult,
    with_customers,
)
from aweigh.registry.service import Registry

MODEL_NAME = "adult-income"
SUBJECT_FIELD = "customer_id"
DATASET_NAME = "adult-census"


@dataclass(frozen=True)
class DemoResult:
    """What the demo did, for callers and tests."""

    first: str
    second: str
    champion: str
    metrics: dict[str, dict[str, float]]


def build_pipeline(**params: Any) -> Any:
    """One-hot categoricals + gradient-boosted trees: a typical tabular baseline."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False),
    )
    features = ColumnTransformer(
        [
            ("categorical", categorical, list(ADULT_CATEGORICAL)),
            ("numeric", "passthrough", list(ADULT_NUMERIC)),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("model", HistGradientBoostingClassifier(random_state=42, **params)),
        ]
    )


def evaluate(model: Any, frame: pd.DataFrame) -> dict[str, float]:
    """Held-out accuracy, ROC AUC and F1 for the ``>50K`` class."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    truth = frame[ADULT_TARGET].to_numpy()
    features = frame.drop(columns=[ADULT_TARGET])
    predicted = model.predict(features)
    positive = list(model.classes_).index(">50K")
    scores = model.predict_proba(features)[:, positive]
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "roc_auc": float(roc_auc_score(truth == ">50K", scores)),
        "f1": float(f1_score(truth, predicted, pos_label=">50K")),
    }


def run_demo(registry: Registry, console: Console | None = None) -> DemoResult:
    """Train, register twice, and promote the better version to ``champion``."""
    out = console or Console()
    train = with_customers(load_adult("train"), "train")
    test = with_customers(load_adult("test"), "test")
    features = train.drop(columns=[ADULT_TARGET])
    out.print(
        f"[bold]aweigh demo[/]: UCI Adult census, {len(train):,} training rows, "
        f"{len(test):,} held-out rows, each with a synthetic customer_id and email."
    )
    candidates = {
        "baseline": {"max_iter": 60, "max_depth": 3, "learning_rate": 0.1},
        "deeper": {
            "max_iter": 200,
            "max_leaf_nodes": 31,
            "learning_rate": 0.08,
            "l2_regularization": 1.0,
        },
    }
    with out.status("Registering the training data as a dataset version (contract, profile)..."):
        dataset = registry.datasets.register(
            train,
            DATASET_NAME,
            source="aweigh/demo/data/adult_train.csv.gz",
            label=ADULT_TARGET,
            description="UCI Adult census, training split",
        )
    out.print(
        f"Dataset [bold]{dataset.ref}[/]: {dataset.rows:,} rows, sha256 "
        f"{dataset.sha256[:12]} (the same table in any row order or format has the "
        "same hash)."
    )
    refs: dict[str, str] = {}
    metrics: dict[str, dict[str, float]] = {}
    parent: str | None = None
    for label, params in candidates.items():
        with out.status(f"Training the {label} model ({params})..."):
            model = build_pipeline(**params).fit(features, train[ADULT_TARGET])
            scores = evaluate(model, test)
        version = registry.register(
            model,
            MODEL_NAME,
            sample=features.head(500),
            training_data=train,
            dataset=dataset,
            params=params,
            metrics=scores,
            parent=parent,
            tags={"dataset": "uci-adult", "candidate": label},
            description=f"HistGradientBoosting, {label} settings",
            alias="champion" if parent is None else "challenger",
            reason="first model" if parent is None else "new candidate",
        )
        refs[label], metrics[version.ref] = version.ref, scores
        parent = version.ref
        out.print(
            f"Registered [bold]{version.ref}[/]: accuracy {scores['accuracy']:.4f}, "
            f"ROC AUC {scores['roc_auc']:.4f}"
        )
    first, second = refs["baseline"], refs["deeper"]
    if metrics[second]["roc_auc"] > metrics[first]["roc_auc"]:
        registry.set_alias(
            MODEL_NAME,
            "champion",
            second,
            reason=(
                f"{second} beats {first} on held-out ROC AUC "
                f"({metrics[second]['roc_auc']:.4f} vs {metrics[first]['roc_auc']:.4f})"
            ),
        )
    champion = registry.resolve(f"{MODEL_NAME}@champion").ref
    return DemoResult(first=first, second=second, champion=champion, metrics=metrics)
