"""Anomalies on metric series: robust z-scores and an EWMA detector with a seasonal baseline.

Series are what monitoring produces over time: latency p99, error rate, traffic volume,
drift scores, live accuracy. Two methods, both pure numpy:

- ``robust_zscores``: how many robust standard deviations each value lies from the
  median, with the scale from the median absolute deviation (MAD x 1.4826, which equals
  the standard deviation for normal data). One wild value cannot hide itself by
  inflating the scale, as it would with mean and standard deviation. With ``window``,
  each value is scored against the ``window`` values before it only.
- ``EwmaDetector``: a streaming baseline. Without a season the expected value is an
  exponentially weighted moving average (EWMA); with ``season=24`` (hourly data, daily
  cycle) it is the EWMA of the same phase in past seasons. The residual scale is an
  EWMA of absolute residuals. Residuals are clipped at the threshold before they update
  the state, so a spike does not drag the baseline after it, while a lasting shift is
  learnt within a few seasons.

NaN marks a missing value: it is skipped and never reported, and its step still counts
(EWMA phases assume regular steps). A constant series has no spread: a value that
differs from it scores infinity.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from aweigh.core.errors import InvalidInputError

MAD_TO_SIGMA = 1.4826  # MAD x this = standard deviation, for normal data
MEAN_AD_TO_SIGMA = math.sqrt(math.pi / 2)  # mean absolute deviation x this = sigma
MIN_HISTORY = 5  # values a rolling robust z-score needs before it scores
ROBUST_Z_THRESHOLD = 3.5  # Iglewicz and Hoaglin's cut-off for modified z-scores
Method = Literal["robust_z", "ewma"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class AnomalyPoint:
    """One anomalous value: where, what was expected, and how far off in robust sigmas."""

    index: int
    value: float
    expected: float
    score: float
    timestamp: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def robust_zscores(
    values: Sequence[float] | npt.ArrayLike, window: int | None = None
) -> FloatArray:
    """Robust z-score of every value (NaN where the value is missing or, with ``window``,
    fewer than 5 earlier values are known)."""
    return _robust(_as_series(values), window)[0]


def detect_anomalies(
    series: Sequence[float] | npt.ArrayLike,
    method: Method = "robust_z",
    *,
    threshold: float | None = None,
    window: int | None = None,
    alpha: float = 0.3,
    season: int | None = None,
    warmup: int | None = None,
    timestamps: Sequence[Any] | None = None,
) -> list[AnomalyPoint]:
    """The anomalous points of a series by ``robust_z`` (|z| > 3.5 unless ``threshold``,
    optional trailing ``window``) or ``ewma`` (see ``EwmaDetector``; threshold 4)."""
    values = _as_series(series)
    if timestamps is None:
        timestamps = _index_times(series)
    _check_timestamps(values, timestamps)
    if method == "ewma":
        detector = EwmaDetector(
            alpha=alpha,
            season=season,
            threshold=4.0 if threshold is None else threshold,
            warmup=warmup,
        )
        return detector.detect(values, timestamps)
    if method != "robust_z":
        raise InvalidInputError(
            f"Unknown anomaly method {method!r}; use 'robust_z' or 'ewma'.", {"method": method}
        )
    cut = ROBUST_Z_THRESHOLD if threshold is None else _positive(threshold, "threshold")
    scores, centers = _robust(values, window)
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(np.abs(scores) > cut)
    return [
        AnomalyPoint(
            index=int(i),
            value=float(values[i]),
            expected=float(centers[i]),
            score=float(scores[i]),
            timestamp=timestamps[i] if timestamps is not None else None,
        )
        for i in hits.tolist()
    ]


def score_against(history: Sequence[float] | npt.ArrayLike, value: float) -> tuple[float, float]:
    """The robust z-score of ``value`` against earlier values, and their median.

    NaN (score and median) with fewer than 5 finite earlier values; this is what one step
    of ``robust_zscores(..., window=len(history))`` computes, without the whole series.
    """
    past = _as_series(history)
    past = past[np.isfinite(past)]
    if past.size < MIN_HISTORY or not math.isfinite(value):
        return math.nan, math.nan
    center = float(np.median(past))
    spread = np.abs(past - center)
    scale = MAD_TO_SIGMA * float(np.median(spread)) or MEAN_AD_TO_SIGMA * float(spread.mean())
    score = _divide(np.array([value - center]), np.array([scale]))[0]
    return float(score), center


class EwmaDetector:
    """Streaming anomaly detector: an EWMA baseline (per phase, with ``season``) and an
    EWMA residual scale; a value more than ``threshold`` sigmas off is an anomaly.

    >>> rng = np.random.default_rng(42)
    >>> hourly = 100 + 20 * np.sin(np.arange(24 * 14) * 2 * np.pi / 24)
    >>> hourly = hourly + rng.normal(0, 2, hourly.size)
    >>> hourly[300] += 25
    >>> [p.index for p in EwmaDetector(season=24).detect(hourly)]
    [300]
    """

    def __init__(
        self,
        alpha: float = 0.3,
        season: int | None = None,
        threshold: float = 4.0,
        warmup: int | None = None,
    ) -> None:
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 1:
            raise InvalidInputError(
                f"alpha must be a number in (0, 1] (the weight of the newest value); "
                f"got {alpha!r}.",
                {"field": "alpha"},
            )
        if season is not None and (_not_int(season) or season < 2):
            raise InvalidInputError(
                f"season must be a whole number >= 2 (steps per cycle, e.g. 24 for hourly "
                f"values with a daily cycle) or None; got {season!r}.",
                {"field": "season"},
            )
        if warmup is not None and (_not_int(warmup) or warmup < 0):
            raise InvalidInputError(
                f"warmup must be a whole number >= 0; got {warmup!r}.", {"field": "warmup"}
            )
        self.alpha = float(alpha)
        self.season = season
        self.threshold = _positive(threshold, "threshold")
        self.warmup = warmup if warmup is not None else (2 * season if season else 10)
        self._scale_alpha = self.alpha / 3  # the scale moves slower than the level
        self._reset()

    def _reset(self) -> None:
        self._steps = 0
        self._fitted = 0
        self._levels: list[float] = [math.nan] * (self.season or 1)
        self._mean_abs = math.nan
        self._scale_seen = 0

    @property
    def n_seen(self) -> int:
        """Steps seen so far, missing values included."""
        return self._steps

    @property
    def expected(self) -> float:
        """The value expected at the next step (NaN until that phase has been seen)."""
        return self._levels[self._steps % len(self._levels)]

    @property
    def sigma(self) -> float:
        """The current residual scale in standard deviations (NaN before any residual)."""
        return MEAN_AD_TO_SIGMA * self._mean_abs

    def update(self, value: float, timestamp: Any = None) -> AnomalyPoint | None:
        """Take the next value of the series; return it as an ``AnomalyPoint`` if anomalous."""
        index, phase = self._steps, self._steps % len(self._levels)
        self._steps += 1
        x = float(value)
        if not math.isfinite(x):
            return None
        level = self._levels[phase]
        if math.isnan(level):
            self._levels[phase] = x
            self._fitted += 1
            return None
        residual, sigma = x - level, self.sigma
        found: AnomalyPoint | None = None
        if self._fitted >= self.warmup and not math.isnan(sigma):
            if sigma > 0:
                score = residual / sigma
            else:
                score = 0.0 if residual == 0 else math.copysign(math.inf, residual)
            if abs(score) > self.threshold:
                found = AnomalyPoint(index, x, level, score, timestamp)
        if sigma > 0:  # NaN compares False: nothing to clip against yet
            limit = self.threshold * sigma
            residual = min(max(residual, -limit), limit)
        self._levels[phase] = level + self.alpha * residual
        self._scale_seen += 1
        weight = max(self._scale_alpha, 1.0 / self._scale_seen)
        if math.isnan(self._mean_abs):
            self._mean_abs = abs(residual)
        else:
            self._mean_abs += weight * (abs(residual) - self._mean_abs)
        self._fitted += 1
        return found

    def detect(
        self, values: Sequence[float] | npt.ArrayLike, timestamps: Sequence[Any] | None = None
    ) -> list[AnomalyPoint]:
        """The anomalies of a whole series, scored from a fresh state (this detector's
        own streaming state is left as it is)."""
        series = _as_series(values)
        _check_timestamps(series, timestamps)
        fresh = EwmaDetector(self.alpha, self.season, self.threshold, self.warmup)
        found = []
        for i, x in enumerate(series.tolist()):
            point = fresh.update(x, timestamps[i] if timestamps is not None else None)
            if point is not None:
                found.append(point)
        return found


# -- helpers ----------------------------------------------------------------------------
def _robust(values: FloatArray, window: int | None) -> tuple[FloatArray, FloatArray]:
    """Robust z-scores and the medians they are measured from."""
    if window is None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            nan = np.full(values.shape, np.nan)
            return nan, nan.copy()
        center = float(np.median(finite))
        spread = np.abs(finite - center)
        scale = MAD_TO_SIGMA * float(np.median(spread)) or MEAN_AD_TO_SIGMA * float(spread.mean())
        return _divide(values - center, np.full(values.shape, scale)), np.full(values.shape, center)
    if _not_int(window) or window < MIN_HISTORY:
        raise InvalidInputError(
            f"window must be a whole number >= {MIN_HISTORY} (earlier values each one is "
            f"scored against) or None for the whole series; got {window!r}.",
            {"field": "window"},
        )
    n = values.size
    scores: FloatArray = np.full(n, np.nan)
    centers: FloatArray = np.full(n, np.nan)
    if n == 0:
        return scores, centers
    padded = np.concatenate([np.full(window, np.nan), values])
    past = np.lib.stride_tricks.sliding_window_view(padded, window)[:n]  # row i: values[i-w:i]
    usable = (np.isfinite(past).sum(axis=1) >= MIN_HISTORY) & np.isfinite(values)
    if not usable.any():
        return scores, centers
    rows = past[usable]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmedian(rows, axis=1)
        spread = np.abs(rows - center[:, None])
        scale = MAD_TO_SIGMA * np.nanmedian(spread, axis=1)
        fallback = MEAN_AD_TO_SIGMA * np.nanmean(spread, axis=1)
    scale = np.where(scale > 0, scale, fallback)
    centers[usable] = center
    scores[usable] = _divide(values[usable] - center, scale)
    return scores, centers


def _divide(deviation: FloatArray, scale: FloatArray) -> FloatArray:
    """deviation / scale, with 0/0 = 0 and x/0 = +-inf (a change from a constant)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(scale > 0, deviation / np.where(scale > 0, scale, 1.0), np.nan)
    flat = ~(scale > 0) & np.isfinite(deviation)
    out[flat] = np.where(deviation[flat] == 0, 0.0, np.copysign(np.inf, deviation[flat]))
    return out.astype(np.float64)


def _as_series(values: Any) -> FloatArray:
    try:
        if hasattr(values, "to_numpy"):
            array = np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))
        else:
            array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"A metric series must be numbers (NaN or None for missing values); {exc}.",
            {"field": "values"},
        ) from exc
    if array.ndim != 1:
        raise InvalidInputError(
            f"A metric series must be one-dimensional; got shape {array.shape}.",
            {"field": "values"},
        )
    return array


def _index_times(series: Any) -> list[Any] | None:
    """A pandas Series' DatetimeIndex as the timestamps of its points."""
    index = getattr(series, "index", None)
    if index is not None and str(getattr(index, "dtype", "")).startswith("datetime64"):
        return list(index)
    return None


def _check_timestamps(values: FloatArray, timestamps: Sequence[Any] | None) -> None:
    if timestamps is not None and len(timestamps) != values.size:
        raise InvalidInputError(
            f"timestamps has {len(timestamps)} entries but the series has {values.size} "
            "values; give one timestamp per value.",
            {"field": "timestamps"},
        )


def _positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidInputError(
            f"{name} must be a number > 0 (in robust standard deviations); got {value!r}.",
            {"field": name},
        )
    return float(value)


def _not_int(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int)
