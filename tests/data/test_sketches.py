"""Mergeable sketches: error bounds on real data, merge properties, exact round trips."""

from __future__ import annotations

import doctest
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.data import sketches
from aweigh.data.sketches import (
    NULL_HASH,
    DistinctCount,
    FrequentItems,
    Histogram,
    Moments,
    QuantileSketch,
    hash_values,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FLIGHTS = SHARED_DATA / "flights_3m" / "flights-3m.parquet"
ELECTRICITY = SHARED_DATA / "electricity" / "electricity.csv"
RANKS = np.linspace(0.001, 0.999, 999)
PINNED_ALPHA = 11253740550467869395
PINNED_ONE_AND_A_HALF = 9430797515276531939

numbers = st.lists(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_subnormal=False),
    max_size=200,
)
small_ints = st.lists(st.integers(min_value=0, max_value=30), max_size=200)
fast = settings(max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def delays() -> np.ndarray:
    if not FLIGHTS.exists():
        pytest.skip(f"{FLIGHTS} is not there (the shared data sets)")
    column = pq.read_table(FLIGHTS, columns=["delay"])["delay"]
    return np.asarray(column.slice(0, 1_000_000), dtype=np.float64)


@pytest.fixture(scope="module")
def electricity() -> pd.DataFrame:
    if not ELECTRICITY.exists():
        pytest.skip(f"{ELECTRICITY} is not there (the shared data sets)")
    return pd.read_csv(ELECTRICITY)


def _sketch(cls: type, values: Any, **options: Any) -> Any:
    sketch = cls(**options)
    sketch.update(np.asarray(values, dtype=np.float64))
    return sketch


def _worst_rank_error(sketch: QuantileSketch, data: np.ndarray) -> float:
    """Largest normalised rank error of 999 quantile queries and 999 rank queries."""
    ordered = np.sort(data)
    n = ordered.size
    values = sketch.quantiles(RANKS)
    below = np.searchsorted(ordered, values, side="left")
    upto = np.searchsorted(ordered, values, side="right")
    target = RANKS * n
    quantile_error = np.maximum(0, np.maximum(below - target, target - upto)).max() / n
    points = ordered[np.linspace(0, n - 1, 999).astype(int)]
    truth = np.searchsorted(ordered, points, side="right")
    rank_error = np.abs(sketch.ranks(points) - truth).max() / n
    return float(max(quantile_error, rank_error))


def _true_ranks(data: list[float], points: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.sort(np.asarray(data, dtype=np.float64)), points, side="right")


def test_docstring_examples_run() -> None:
    result = doctest.testmod(sketches)
    assert result.attempted > 10
    assert result.failed == 0


# --- quantiles: error bound on real data -----------------------------------------------


def test_quantiles_of_a_million_flight_delays_stay_within_epsilon(delays: np.ndarray) -> None:
    whole = QuantileSketch()
    whole.update(delays)
    streamed = QuantileSketch()
    for start in range(0, delays.size, 1000):
        streamed.update(delays[start : start + 1000])
    parts = []
    for start in range(0, delays.size, 50_000):
        part = QuantileSketch()
        part.update(delays[start : start + 50_000])
        parts.append(part)
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)

    for sketch in (whole, streamed, merged):
        assert sketch.n == 1_000_000
        assert sketch.min == delays.min()
        assert sketch.max == delays.max()
        assert sketch.retained < 3 * sketch.k + 200
        assert _worst_rank_error(sketch, delays) <= sketch.epsilon()
    assert whole.epsilon() <= 0.003  # one array: one compaction per level
    assert streamed.epsilon() <= 0.014  # the documented bound for any stream at k=200


@pytest.mark.parametrize(
    "column", ["date", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]
)
def test_quantiles_of_electricity_columns_stay_within_epsilon(
    electricity: pd.DataFrame, column: str
) -> None:
    data = electricity[column].to_numpy(dtype=np.float64)
    sketch = QuantileSketch(k=100)
    for start in range(0, data.size, 500):
        sketch.update(data[start : start + 500])

    assert sketch.n == data.size
    assert _worst_rank_error(sketch, data) <= sketch.epsilon()
    assert sketch.epsilon() < 0.03


def test_quantiles_are_exact_before_the_first_compaction() -> None:
    data = np.random.default_rng(42).normal(size=150)
    sketch = QuantileSketch(k=200)
    sketch.update(data)

    assert sketch.max_rank_error == 0
    assert sketch.epsilon() == 0.0
    expected = np.quantile(data, RANKS, method="inverted_cdf")
    np.testing.assert_array_equal(sketch.quantiles(RANKS), expected)


def test_quantiles_skip_nan_and_infinities() -> None:
    sketch = QuantileSketch()
    sketch.update([1.0, np.nan, np.inf, -np.inf, 3.0])
    empty = QuantileSketch()
    empty.update([np.nan, np.inf])

    assert (sketch.n, sketch.min, sketch.max) == (2, 1.0, 3.0)
    assert empty.n == 0
    assert np.isnan(empty.quantile(0.5))
    assert np.isnan(empty.cdf(0.0))


@fast
@given(numbers, numbers)
def test_merged_quantiles_answer_like_the_sketch_of_both(a: list[float], b: list[float]) -> None:
    merged = _sketch(QuantileSketch, a, k=8).merge(_sketch(QuantileSketch, b, k=8))
    direct = _sketch(QuantileSketch, a + b, k=8)
    points = np.asarray([*sorted(set(a + b)), 0.0], dtype=np.float64)
    truth = _true_ranks(a + b, points)

    assert merged.n == direct.n == len(a + b)
    assert np.all(np.abs(merged.ranks(points) - truth) <= merged.max_rank_error)
    assert np.all(np.abs(direct.ranks(points) - truth) <= direct.max_rank_error)
    if a or b:
        assert merged.min == direct.min == min(a + b)
        assert merged.max == direct.max == max(a + b)


@fast
@given(numbers, numbers, numbers)
def test_quantile_merge_is_associative_and_commutative_within_bounds(
    a: list[float], b: list[float], c: list[float]
) -> None:
    sa, sb, sc = (_sketch(QuantileSketch, x, k=8) for x in (a, b, c))
    points = np.asarray([*sorted(set(a + b + c)), 0.0], dtype=np.float64)
    truth = _true_ranks(a + b + c, points)
    for merged in (sa.merge(sb).merge(sc), sa.merge(sb.merge(sc)), sc.merge(sb).merge(sa)):
        assert merged.n == len(a + b + c)
        assert np.all(np.abs(merged.ranks(points) - truth) <= merged.max_rank_error)


@fast
@given(numbers)
def test_quantile_sketch_round_trips_through_json_exactly(data: list[float]) -> None:
    sketch = _sketch(QuantileSketch, data, k=8)
    again = QuantileSketch.from_dict(json.loads(json.dumps(sketch.to_dict())))

    assert again.to_dict() == sketch.to_dict()
    np.testing.assert_array_equal(again.quantiles(RANKS), sketch.quantiles(RANKS))


@fast
@given(numbers)
def test_empty_quantile_sketch_is_the_merge_identity(data: list[float]) -> None:
    sketch = _sketch(QuantileSketch, data, k=8)

    assert sketch.merge(QuantileSketch(k=8)).to_dict() == sketch.to_dict()
    assert QuantileSketch(k=8).merge(sketch).to_dict()["levels"] == sketch.to_dict()["levels"]


def test_quantile_sketch_rejects_bad_parameters_and_documents() -> None:
    with pytest.raises(InvalidInputError, match="'k' parameter of QuantileSketch"):
        QuantileSketch(k=2)
    with pytest.raises(InvalidInputError, match="must lie in"):
        QuantileSketch().quantiles([1.5])
    with pytest.raises(InvalidInputError, match="weigh 1 values but 'n' says 5"):
        QuantileSketch.from_dict({**QuantileSketch().to_dict(), "n": 5, "levels": [[1.0]]})
    with pytest.raises(InvalidInputError, match="type 'kll'"):
        QuantileSketch.from_dict({"type": "histogram"})
    with pytest.raises(InvalidInputError, match="takes numbers"):
        QuantileSketch().update(["a", "b"])


# --- histogram: exact merges ------------------------------------------------------------


@fast
@given(numbers, numbers)
def test_merged_histogram_equals_the_histogram_of_both(a: list[float], b: list[float]) -> None:
    merged = _sketch(Histogram, a, max_bins=16).merge(_sketch(Histogram, b, max_bins=16))
    direct = _sketch(Histogram, a + b, max_bins=16)

    assert merged.to_dict() == direct.to_dict()
    assert direct.n == len(a + b)
    assert direct.counts.size <= 16


@fast
@given(numbers, numbers, numbers)
def test_histogram_merge_is_exactly_associative_and_commutative(
    a: list[float], b: list[float], c: list[float]
) -> None:
    ha, hb, hc = (_sketch(Histogram, x, max_bins=8) for x in (a, b, c))
    expected = ha.merge(hb).merge(hc).to_dict()

    assert ha.merge(hb.merge(hc)).to_dict() == expected
    assert hc.merge(ha).merge(hb).to_dict() == expected
    assert ha.merge(Histogram(8)).to_dict() == ha.to_dict()
    assert Histogram.from_dict(json.loads(json.dumps(expected))).to_dict() == expected


@fast
@given(numbers)
def test_every_value_falls_in_its_histogram_bin(data: list[float]) -> None:
    hist = _sketch(Histogram, data, max_bins=10)
    if not data:
        assert hist.n == 0
        assert hist.edges.size == 0
        return
    edges = hist.edges
    bins = np.searchsorted(edges, np.asarray(data), side="right") - 1
    np.testing.assert_array_equal(np.bincount(bins, minlength=hist.counts.size), hist.counts)


def test_histogram_handles_extreme_and_tiny_values() -> None:
    values = np.array([-1e308, 1e308, 5e-324, -5e-324, 0.0, -0.0, np.nan, np.inf])
    hist = Histogram(max_bins=4)
    hist.update(values)
    tiny = Histogram()
    tiny.update(np.array([-5e-324, 5e-324, 0.0]))
    constant = Histogram()
    constant.update(np.full(10, 7.25))

    assert hist.n == 6
    assert hist.counts.size <= 4
    assert tiny.n == 3
    assert constant.counts.tolist() == [10]
    assert constant.edges[0] <= 7.25 < constant.edges[1]


# --- moments ----------------------------------------------------------------------------


@fast
@given(numbers, numbers)
def test_merged_moments_match_a_direct_computation(a: list[float], b: list[float]) -> None:
    merged = _sketch(Moments, a).merge(_sketch(Moments, b))
    both = np.asarray(a + b, dtype=np.float64)

    assert merged.n == both.size
    if both.size:
        assert merged.min == both.min()
        assert merged.max == both.max()
        assert merged.mean == pytest.approx(both.mean(), rel=1e-9, abs=1e-6)
    if both.size > 1:
        assert merged.variance == pytest.approx(both.var(ddof=1), rel=1e-7, abs=1e-3)


@fast
@given(numbers, numbers, numbers)
def test_moments_merge_is_associative_commutative_and_round_trips(
    a: list[float], b: list[float], c: list[float]
) -> None:
    ma, mb, mc = (_sketch(Moments, x) for x in (a, b, c))
    left, right = ma.merge(mb).merge(mc), mc.merge(ma.merge(mb))

    assert left.n == right.n
    if left.n:
        assert left.mean == pytest.approx(right.mean, rel=1e-9, abs=1e-6)
    assert ma.merge(Moments()).to_dict() == ma.to_dict()
    assert Moments().merge(ma).to_dict() == ma.to_dict()
    assert Moments.from_dict(json.loads(json.dumps(left.to_dict()))).to_dict() == left.to_dict()


def test_moments_count_missing_and_infinite_and_survive_huge_values() -> None:
    moments = Moments()
    moments.update(np.array([1e308, 1e308, np.nan, -np.inf, np.inf]))
    tiny = Moments()
    tiny.update(np.array([1e-300, 3e-300]))

    assert (moments.n, moments.missing, moments.nonfinite) == (2, 1, 2)
    assert moments.mean == 1e308
    assert moments.variance == 0.0
    assert tiny.mean == pytest.approx(2e-300)
    assert np.isnan(Moments().mean)
    assert np.isnan(Moments().std)


# --- frequent items ---------------------------------------------------------------------


def _check_counts(sketch: FrequentItems, data: list[Any]) -> None:
    truth = Counter(data)
    stored = dict(sketch.top())
    assert sketch.n == len(data)
    assert sketch.error * (sketch.capacity + 1) <= len(data) - sum(stored.values())
    for item, count in truth.items():
        estimate = sketch.estimate(item)
        assert estimate <= count <= estimate + sketch.error
        if count > sketch.error:
            assert item in stored


@fast
@given(small_ints, small_ints, st.integers(min_value=1, max_value=6))
def test_merged_frequent_items_keep_the_misra_gries_bounds(
    a: list[int], b: list[int], capacity: int
) -> None:
    fa, fb = FrequentItems(capacity), FrequentItems(capacity)
    fa.update(np.asarray(a, dtype=np.int64))
    fb.update(np.asarray(b, dtype=np.int64))

    for sketch, data in ((fa, a), (fb, b), (fa.merge(fb), a + b), (fb.merge(fa), b + a)):
        _check_counts(sketch, data)


@fast
@given(small_ints, small_ints, small_ints)
def test_frequent_items_merge_is_associative_within_bounds(
    a: list[int], b: list[int], c: list[int]
) -> None:
    parts = []
    for data in (a, b, c):
        sketch = FrequentItems(3)
        sketch.update([f"v{x}" for x in data])
        parts.append(sketch)
    fa, fb, fc = parts
    everything = [f"v{x}" for x in a + b + c]
    for merged in (fa.merge(fb).merge(fc), fa.merge(fb.merge(fc)), fc.merge(fa).merge(fb)):
        _check_counts(merged, everything)
    assert fa.merge(FrequentItems(3)).to_dict() == fa.to_dict()
    assert FrequentItems.from_dict(json.loads(json.dumps(fa.to_dict()))).to_dict() == fa.to_dict()


def test_frequent_items_are_exact_up_to_their_capacity() -> None:
    values = ["a"] * 5 + ["b"] * 3 + ["c"] + [None]
    sketch = FrequentItems(capacity=3)
    sketch.update(values)
    mixed = FrequentItems()
    mixed.update_counts(["x", 1, 2.5, "x"], [1, 2, 3, 4])
    again = FrequentItems.from_dict(json.loads(json.dumps(mixed.to_dict())))

    assert sketch.exact
    assert sketch.top() == [("a", 5), ("b", 3), ("c", 1)]
    assert mixed.top() == [("x", 5), (2.5, 3), (1, 2)]
    assert again.top() == mixed.top()
    with pytest.raises(InvalidInputError, match="one count >= 0 per item"):
        sketch.update_counts(["a"], [1, 2])


# --- distinct count ---------------------------------------------------------------------


@fast
@given(small_ints, small_ints)
def test_exact_distinct_counts_merge_into_the_union(a: list[int], b: list[int]) -> None:
    da, db = DistinctCount(exact_limit=20), DistinctCount(exact_limit=20)
    da.update(np.asarray(a, dtype=np.int64))
    db.update(np.asarray(b, dtype=np.int64))
    direct = DistinctCount(exact_limit=20)
    direct.update(np.asarray(a + b, dtype=np.int64))
    merged = da.merge(db)

    assert merged.count == direct.count
    assert merged.exact == direct.exact == (len(set(a + b)) <= 20)
    if merged.exact:
        assert merged.count == len(set(a + b))
    assert da.merge(DistinctCount(exact_limit=20)).to_dict() == da.to_dict()
    assert DistinctCount.from_dict(json.loads(json.dumps(merged.to_dict()))).count == merged.count


def test_hyperloglog_is_within_its_error_and_merges_like_the_union(delays: np.ndarray) -> None:
    values = np.arange(1_000_000, dtype=np.float64)
    halves = [DistinctCount(), DistinctCount()]
    halves[0].update(values[:600_000])
    halves[1].update(values[400_000:])
    whole = DistinctCount()
    whole.update(values)
    merged = halves[0].merge(halves[1])
    stamps = pq.read_table(FLIGHTS, columns=["date"])["date"]
    dates = DistinctCount()
    dates.update(stamps)
    dates_truth = len(np.unique(np.asarray(stamps.cast(pa.int64()))))

    assert not whole.exact
    assert whole.relative_error == pytest.approx(1.04 / 128)
    assert abs(whole.count / 1_000_000 - 1) <= 3 * whole.relative_error
    assert merged.count == whole.count
    assert merged.to_dict() == whole.to_dict()
    assert abs(dates.count / dates_truth - 1) <= 3 * dates.relative_error
    again = DistinctCount.from_dict(json.loads(json.dumps(whole.to_dict())))
    assert again.count == whole.count


def test_distinct_counts_of_different_precision_do_not_merge() -> None:
    with pytest.raises(InvalidInputError, match="different HyperLogLog precision"):
        DistinctCount(precision=12).merge(DistinctCount(precision=14))
    with pytest.raises(InvalidInputError, match="needs 'hashes' or 'registers'"):
        DistinctCount.from_dict({"type": "distinct", "exact_limit": 4, "precision": 14})
    with pytest.raises(InvalidInputError, match="not valid base64"):
        DistinctCount.from_dict(
            {"type": "distinct", "exact_limit": 4, "precision": 14, "hashes": "%%%"}
        )


# --- hashing ----------------------------------------------------------------------------


def test_hashes_are_stable_and_agree_across_input_types() -> None:
    strings = ["alpha", "", None, "\u00e9t\u00e9", "alpha"]
    from_arrow = hash_values(pa.array(strings))
    from_numpy = hash_values(np.asarray(strings, dtype=object))
    from_view = hash_values(pa.array(strings, type=pa.string_view()))

    np.testing.assert_array_equal(from_arrow, from_numpy)
    np.testing.assert_array_equal(from_arrow, from_view)
    assert from_arrow[0] == from_arrow[4] != from_arrow[1]
    assert from_arrow[2] == NULL_HASH
    np.testing.assert_array_equal(hash_values([1, 2]), hash_values(np.array([1.0, 2.0])))
    assert hash_values([0.0])[0] == hash_values([-0.0])[0]
    assert hash_values([np.nan])[0] == NULL_HASH
    # pinned: profiles saved today must merge with profiles made by later versions
    assert int(hash_values(["alpha"])[0]) == PINNED_ALPHA
    assert int(hash_values([1.5])[0]) == PINNED_ONE_AND_A_HALF


def test_huge_strings_hash_by_their_whole_content() -> None:
    big = "x" * 5_000_000
    changed = big[:-1] + "y"
    hashes = hash_values(pa.array([big, changed, big, "x"]))

    assert hashes[0] == hashes[2]
    assert len({int(h) for h in hashes}) == 3


def test_a_large_batch_is_not_kept_by_reference(delays: np.ndarray) -> None:
    """update() sorts a big batch once and keeps copies: changing the caller's array later
    changes nothing, and no level is a view into it."""
    values = delays.astype(np.float64)  # a copy the test may overwrite
    sketch = QuantileSketch(2000)
    sketch.update(values)
    before = sketch.quantiles([0.1, 0.5, 0.9]).tolist()
    values[:] = 1e9
    assert sketch.quantiles([0.1, 0.5, 0.9]).tolist() == before
    assert all(level.base is None for level in sketch._levels)
