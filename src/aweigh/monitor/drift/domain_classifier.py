"""Domain classifier: can a model tell current rows from reference rows?

Both sides are subsampled to at most 10,000 rows each (20,000 in all), labelled 0
(reference) and 1 (current), and a gradient-boosted tree model
(scikit-learn's ``HistGradientBoostingClassifier``, categories handled natively) is
scored by 5-fold stratified cross-validated ROC AUC. If the two samples come from one
distribution no model beats AUC 0.5 on held-out rows; joint changes that no single
column shows (a broken correlation) push it up.

The effect is ``mean fold AUC - 0.5``. Under no change each fold's AUC is a
Mann-Whitney statistic of held-out rows, so the mean has standard error
``sqrt((n0 + n1 + 1) / (12 n0 n1))`` (one-sided normal null); the floor is 0.03 (one
column shifted by 0.1 sd gives AUC 0.528). ``detail["top_features"]`` ranks features by
permutation importance (the AUC lost when one feature is shuffled in the first
held-out fold). The models run on one thread: drift checks are background work and must
not oversubscribe the cores a server needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from aweigh.monitor.drift._features import features
from aweigh.monitor.drift._nulls import NormalNull
from aweigh.monitor.drift.base import Measurement
from aweigh.monitor.drift.report import MULTIVARIATE

__all__ = ["FOLDS", "MAX_ROWS_PER_SIDE", "MIN_ROWS_PER_SIDE", "measure"]

MAX_ROWS_PER_SIDE = 10_000
MIN_ROWS_PER_SIDE = 50
FOLDS = 5
_TOP = 5


def _model(categorical: np.ndarray[Any, np.dtype[np.bool_]], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=60,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        early_stopping=False,
        categorical_features=categorical if categorical.any() else None,
        random_state=seed,
    )


def measure(
    reference: pa.Table,
    current: pa.Table,
    columns: Sequence[str],
    kinds: Mapping[str, str],
    *,
    seed: int = 42,
) -> Measurement | str:
    """The domain classifier's cross-validated AUC, or why it cannot run."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    if not columns:
        return "no feature columns to classify on"
    small = min(reference.num_rows, current.num_rows)
    if small < MIN_ROWS_PER_SIDE:
        return (
            f"too few rows: {small:,} on one side, the domain classifier needs {MIN_ROWS_PER_SIDE}"
        )
    data = features(reference, current, columns, kinds, max_rows=MAX_ROWS_PER_SIDE, seed=seed)
    x = np.vstack([data.ref, data.cur])
    y = np.concatenate([np.zeros(len(data.ref)), np.ones(len(data.cur))])
    rng = np.random.default_rng(seed)
    aucs: list[float] = []
    importance = np.zeros(x.shape[1])
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):  # background work: never oversubscribe the cores
        for fold, (train, test) in enumerate(folds.split(x, y)):
            model = _model(data.categorical, seed).fit(x[train], y[train])
            held, truth = x[test], y[test]
            auc = float(roc_auc_score(truth, model.predict_proba(held)[:, 1]))
            aucs.append(auc)
            if fold == 0:  # permutation importance on the first held-out fold
                for j in range(x.shape[1]):
                    shuffled = held.copy()
                    shuffled[:, j] = rng.permutation(shuffled[:, j])
                    score = model.predict_proba(shuffled)[:, 1]
                    importance[j] = auc - float(roc_auc_score(truth, score))
    n0, n1 = len(data.ref), len(data.cur)
    mean_auc = float(np.mean(aucs))
    order = np.argsort(-importance, kind="stable")[:_TOP]
    top = [
        {"column": data.names[j], "importance": float(importance[j])}
        for j in order
        if importance[j] > 0
    ]
    return Measurement(
        column=MULTIVARIATE,
        method="domain_classifier",
        kind="multivariate",
        statistic=mean_auc,
        effect=mean_auc - 0.5,
        effect_name="auc_minus_half",
        label=f"domain classifier AUC {mean_auc:.3f}: AUC - 0.5",
        null=NormalNull(math.sqrt((n0 + n1 + 1) / (12.0 * n0 * n1)), two_sided=False),
        n_reference=n0,
        n_current=n1,
        detail={"fold_auc": aucs, "top_features": top, "features": len(columns)},
    )
