"""Shifted Adult traffic for the demo's second phase: older people, another education mix.

Real rows of the Adult test split, drawn with weights, so every value is a real person's
and only the mix changes: the kind of drift a model meets when its market moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SENIOR_AGE = 45
SENIOR_WEIGHT = 6.0
DEGREES = ("Bachelors", "Masters", "Doctorate", "Prof-school")
DEGREE_WEIGHT = 3.0


def shifted_rows(frame: pd.DataFrame, n: int, *, seed: int = 7) -> pd.DataFrame:
    """``n`` rows of ``frame`` drawn with replacement, favouring people aged 45 and over
    (6x) and with a university degree (3x)."""
    weights = np.where(frame["age"] >= SENIOR_AGE, SENIOR_WEIGHT, 1.0) * np.where(
        frame["education"].isin(DEGREES), DEGREE_WEIGHT, 1.0
    )
    drawn = frame.sample(n, weights=weights, replace=True, random_state=seed)
    return drawn.reset_index(drop=True)
