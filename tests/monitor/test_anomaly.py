"""Anomalies on metric series: robust z-scores and the seasonal EWMA detector."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.anomaly import (
    MAD_TO_SIGMA,
    EwmaDetector,
    detect_anomalies,
    robust_zscores,
    score_against,
)

ELECTRICITY = Path(__file__).resolve().parents[2].parent / "shared/data/electricity/electricity.csv"
DAY = 24


def hourly(days: int, seed: int = 42, noise: float = 2.0) -> np.ndarray:
    """Hourly traffic with a daily cycle (100 +- 20) and Gaussian noise."""
    rng = np.random.default_rng(seed)
    k = np.arange(days * DAY)
    return 100 + 20 * np.sin(k * 2 * np.pi / DAY) + rng.normal(0, noise, k.size)


# -- robust z-scores -------------------------------------------------------------------
def test_robust_z_is_the_distance_from_the_median_in_mad_sigmas() -> None:
    z = robust_zscores([1.0, 2.0, 3.0, 4.0, 100.0])
    assert z[2] == 0.0
    assert z[4] == pytest.approx(97 / MAD_TO_SIGMA)
    assert z[0] == pytest.approx(-2 / MAD_TO_SIGMA)


def test_a_constant_series_scores_zero_and_a_lone_spike_stays_finite() -> None:
    assert robust_zscores([5.0] * 10).tolist() == [0.0] * 10
    z = robust_zscores([1.0] * 99 + [10.0])  # MAD is 0: the mean absolute deviation steps in
    assert np.isfinite(z).all()
    assert z[-1] > 50
    assert [p.index for p in detect_anomalies([1.0] * 99 + [10.0])] == [99]


def test_a_change_after_a_constant_past_scores_infinity_with_a_window() -> None:
    z = robust_zscores([0.0] * 30 + [0.05, 0.0], window=10)
    assert z[30] == math.inf
    assert z[31] == pytest.approx(0.0)


def test_missing_values_score_nan_and_are_never_reported() -> None:
    values = [1.0, 2.0, math.nan, 3.0, None, 2.5, 2.0, 1.5, 40.0]
    z = robust_zscores(values)
    assert np.isnan(z[[2, 4]]).all()
    assert np.isfinite(np.delete(z, [2, 4])).all()
    assert [p.index for p in detect_anomalies(values)] == [8]
    assert np.isnan(robust_zscores([math.nan, math.nan])).all()


def test_an_empty_series_has_no_scores_and_no_anomalies() -> None:
    assert robust_zscores([]).size == 0
    assert robust_zscores([], window=10).size == 0
    assert detect_anomalies([]) == []
    assert detect_anomalies([], method="ewma") == []


def test_a_trailing_window_scores_each_value_against_earlier_values_only() -> None:
    values = np.concatenate([np.full(40, 10.0) + np.sin(np.arange(40)), [30.0]])
    z = robust_zscores(values, window=20)
    assert np.isnan(z[:5]).all()  # fewer than 5 earlier values
    assert np.isfinite(z[5:]).all()
    assert z[-1] > 10
    assert score_against(values[-21:-1], float(values[-1]))[0] == pytest.approx(z[-1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-1000, 1000), min_size=3, max_size=40),
    st.floats(0.01, 100),
    st.floats(-1e3, 1e3),
)
def test_robust_z_does_not_depend_on_units_or_offset(
    values: list[int], scale: float, shift: float
) -> None:
    x = np.asarray(values, dtype=float) / 8  # exact in binary: no rounding in the median
    moved = robust_zscores(x * scale + shift)
    assert np.allclose(moved, robust_zscores(x), rtol=1e-6, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6) | st.just(math.nan), max_size=50))
def test_robust_z_is_nan_exactly_where_values_are_missing(values: list[float]) -> None:
    z = robust_zscores(values)
    assert (np.isnan(z) == np.isnan(np.asarray(values, dtype=float))).all()


# -- the EWMA detector ---------------------------------------------------------------------
def test_seasonal_ewma_finds_injected_spikes_in_a_daily_cycle() -> None:
    values = hourly(21)
    spikes = {200: 25.0, 333: -30.0, 410: 20.0}
    for index, jump in spikes.items():
        values[index] += jump
    found = EwmaDetector(season=DAY).detect(values)
    assert {p.index for p in found} == set(spikes)
    spike = next(p for p in found if p.index == 333)
    assert spike.score < -4
    assert spike.expected == pytest.approx(values[333] + 30, abs=8)


def test_a_spike_hidden_in_the_daily_cycle_is_found_only_with_a_seasonal_baseline() -> None:
    values = hourly(14, noise=0.5)
    values[250] += 6.0  # smaller than the cycle's hour-to-hour change (up to 5.2)
    assert 250 in {p.index for p in EwmaDetector(season=DAY).detect(values)}
    assert 250 not in {p.index for p in EwmaDetector().detect(values)}


@pytest.mark.parametrize("season", [None, DAY])
def test_false_alarms_on_gaussian_noise_stay_under_half_a_percent(season: int | None) -> None:
    flagged = total = 0
    for seed in range(5):
        values = hourly(40, seed=seed) if season else np.random.default_rng(seed).normal(50, 3, 960)
        flagged += len(EwmaDetector(season=season).detect(values))
        total += values.size
    assert flagged / total < 0.005


def test_robust_z_false_alarms_on_gaussian_noise_stay_under_half_a_percent() -> None:
    noise = np.random.default_rng(42).normal(0, 1, 5000)
    assert len(detect_anomalies(noise)) / noise.size < 0.001
    assert len(detect_anomalies(noise, window=100)) / noise.size < 0.005


def test_a_lasting_level_shift_is_flagged_then_learnt() -> None:
    rng = np.random.default_rng(42)
    values = np.concatenate([rng.normal(10, 0.5, 200), rng.normal(20, 0.5, 200)])
    found = [p.index for p in EwmaDetector().detect(values)]
    assert found[0] == 200
    assert max(found) < 210  # within a few steps the new level is the baseline


def test_a_constant_series_flags_the_first_change() -> None:
    values = [3.0] * 30 + [3.5] + [3.0] * 5
    found = EwmaDetector().detect(values)
    assert [(p.index, p.score) for p in found] == [(30, math.inf)]


def test_streaming_updates_match_the_batch_and_batch_leaves_the_stream_alone() -> None:
    values = hourly(10)
    values[150] += 40
    detector = EwmaDetector(season=DAY)
    streamed = [p for x in values[:200] if (p := detector.update(x)) is not None]
    assert detector.n_seen == 200
    batch = detector.detect(values[:200])
    assert streamed == batch
    assert detector.n_seen == 200
    assert math.isfinite(detector.expected)
    assert detector.sigma == pytest.approx(2.0, rel=0.5)


def test_missing_values_keep_their_step_in_the_season() -> None:
    values = hourly(14)
    values[[30, 31, 100]] = np.nan
    values[260] += 30
    found = EwmaDetector(season=DAY).detect(values)
    assert [p.index for p in found] == [260]


def test_warmup_holds_back_judgement() -> None:
    values = [1.0, 1.1, 0.9, 1.0, 50.0] + [1.0] * 20
    assert EwmaDetector().detect(values) == []  # default warmup: 10 values
    assert [p.index for p in EwmaDetector(warmup=3).detect(values)] == [4]


def test_timestamps_come_from_a_pandas_datetime_index() -> None:
    index = pd.date_range("2026-03-01", periods=14 * DAY, freq="h", tz="UTC")
    series = pd.Series(hourly(14), index=index)
    series.iloc[300] += 40
    [point] = detect_anomalies(series, method="ewma", season=DAY)
    assert point.timestamp == index[300]
    assert point.to_dict()["index"] == 300


def test_electricity_demand_spike_is_found_with_few_false_alarms() -> None:
    """60 days of half-hourly New South Wales demand (real data), daily season of 48."""
    demand = pd.read_csv(ELECTRICITY, usecols=["nswdemand"])["nswdemand"].to_numpy()[: 48 * 60]
    quiet = EwmaDetector(season=48).detect(demand)
    assert len(quiet) / demand.size < 0.005
    spiked = demand.copy()
    spiked[2000] += 0.3
    assert 2000 in {p.index for p in EwmaDetector(season=48).detect(spiked)}


# -- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: EwmaDetector(alpha=0), r"alpha must be a number in \(0, 1\]"),
        (lambda: EwmaDetector(alpha=1.5), r"alpha must be a number in \(0, 1\]"),
        (lambda: EwmaDetector(season=1), "season must be a whole number >= 2"),
        (lambda: EwmaDetector(threshold=0), "threshold must be a number > 0"),
        (lambda: EwmaDetector(warmup=-1), "warmup must be a whole number >= 0"),
        (lambda: robust_zscores([1.0, 2.0], window=2), "window must be a whole number >= 5"),
        (lambda: robust_zscores([[1.0, 2.0]]), "must be one-dimensional"),
        (lambda: robust_zscores(["fast", "slow"]), "must be numbers"),
        (lambda: detect_anomalies([1.0], method="prophet"), "Unknown anomaly method 'prophet'"),
        (lambda: detect_anomalies([1.0, 2.0], timestamps=[1]), "timestamps has 1 entries"),
        (lambda: detect_anomalies([1.0], threshold=-1), "threshold must be a number > 0"),
    ],
)
def test_bad_parameters_and_series_are_refused_by_name(make: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        make()  # type: ignore[operator]
