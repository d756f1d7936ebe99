"""Each detector's statistic against scipy/numpy on the raw values, within its sketch error."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift import (
    ColumnSketch,
    chi_square_test,
    jensen_shannon,
    jensen_shannon_test,
    ks,
    ks_test,
    missing_share_test,
    psi,
    psi_test,
    wasserstein,
    wasserstein_test,
)

Floats = npt.NDArray[np.float64]


def sketch(values: object, kind: str = "numeric") -> ColumnSketch:
    out = ColumnSketch(kind)
    out.update(values)
    return out


@pytest.fixture(scope="module")
def small() -> tuple[Floats, Floats]:
    """Samples small enough for exact sketches (no compaction at k=2000)."""
    rng = np.random.default_rng(42)
    return rng.normal(size=1000), rng.normal(0.2, 1.2, size=600)


@pytest.fixture(scope="module")
def large() -> tuple[Floats, Floats]:
    """Samples whose sketches compact: the statistics carry an error bound."""
    rng = np.random.default_rng(7)
    return rng.gamma(2.0, size=200_000), rng.gamma(2.1, size=50_000)


def raw_bins(ref: Floats, cur: Floats, bins: int = 10) -> tuple[Floats, Floats]:
    """Counts per bin as the binned detectors define them, from the raw values."""
    inner = np.quantile(ref, np.arange(1, bins) / bins, method="inverted_cdf")
    edges = np.unique(np.append(inner, ref.max()))

    def counts(x: Floats) -> Floats:
        below = float(np.sum(x < ref.min()))
        upto = np.searchsorted(np.sort(x), edges, side="right").astype(np.float64)
        return np.diff(np.concatenate([[0.0, below], upto, [float(x.size)]]))

    r, c = counts(ref), counts(cur)
    used = (r + c) > 0
    return r[used], c[used]


def test_ks_distance_equals_scipy_on_exact_sketches(small: tuple[Floats, Floats]) -> None:
    ref, cur = small
    measured = ks.measure("x", sketch(ref), sketch(cur))
    assert measured.approx_error == 0.0
    assert measured.statistic == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12)


def test_ks_p_value_agrees_with_scipys_asymptotic_one(small: tuple[Floats, Floats]) -> None:
    ref, cur = small
    ours = ks_test(sketch(ref), sketch(cur[:200])).p_value
    theirs = stats.ks_2samp(ref, cur[:200], method="asymp").pvalue
    assert ours is not None
    assert ours == pytest.approx(theirs, rel=0.25)


def test_ks_distance_stays_within_its_bound_on_compacted_sketches(
    large: tuple[Floats, Floats],
) -> None:
    ref, cur = large
    measured = ks.measure("x", sketch(ref), sketch(cur))
    exact = stats.ks_2samp(ref, cur).statistic
    assert 0 < measured.approx_error < 0.01
    assert abs(measured.statistic - exact) <= measured.approx_error


def test_wasserstein_equals_scipy_in_reference_sds(small: tuple[Floats, Floats]) -> None:
    ref, cur = small
    measured = wasserstein.measure("x", sketch(ref), sketch(cur))
    exact = stats.wasserstein_distance(ref, cur)
    assert measured.approx_error == 0.0
    assert measured.statistic == pytest.approx(exact, rel=1e-9)
    assert measured.effect == pytest.approx(exact / np.std(ref, ddof=1), rel=1e-9)


def test_wasserstein_stays_within_its_bound(large: tuple[Floats, Floats]) -> None:
    ref, cur = large
    measured = wasserstein.measure("x", sketch(ref), sketch(cur))
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref, ddof=1)
    assert abs(measured.effect - exact) <= measured.approx_error


def test_wasserstein_null_matches_the_simulated_distance() -> None:
    """The gamma null's 99th percentile against 400 exact two-sample distances."""
    rng = np.random.default_rng(3)
    ref = rng.normal(size=20_000)
    critical = wasserstein.measure("x", sketch(ref), sketch(ref[:1000])).null.critical(0.01)
    scale = np.std(ref, ddof=1)
    draws = [stats.wasserstein_distance(ref, rng.normal(size=1000)) / scale for _ in range(400)]
    assert critical == pytest.approx(np.quantile(draws, 0.99), rel=0.15)


def psi_raw(ref_counts: Floats, cur_counts: Floats) -> float:
    k = ref_counts.size
    r = (ref_counts + 0.5) / (ref_counts.sum() + 0.5 * k)
    c = (cur_counts + 0.5) / (cur_counts.sum() + 0.5 * k)
    return float(np.sum((c - r) * np.log(c / r)))


def test_psi_equals_the_raw_computation_on_reference_quantile_bins(
    small: tuple[Floats, Floats],
) -> None:
    ref, cur = small
    measured = psi.measure("x", sketch(ref), sketch(cur))
    assert measured.approx_error == 0.0
    assert measured.statistic == pytest.approx(psi_raw(*raw_bins(ref, cur)), rel=1e-9)


def test_psi_stays_within_its_bound(large: tuple[Floats, Floats]) -> None:
    ref, cur = large
    measured = psi.measure("x", sketch(ref), sketch(cur))
    assert abs(measured.statistic - psi_raw(*raw_bins(ref, cur))) <= measured.approx_error


def test_jensen_shannon_equals_scipy_on_the_same_bins(small: tuple[Floats, Floats]) -> None:
    ref, cur = small
    measured = jensen_shannon.measure("x", sketch(ref), sketch(cur))
    r, c = raw_bins(ref, cur)
    assert measured.approx_error == 0.0
    assert measured.statistic == pytest.approx(jensenshannon(c, r), rel=1e-9)


def test_jensen_shannon_stays_within_its_bound(large: tuple[Floats, Floats]) -> None:
    ref, cur = large
    measured = jensen_shannon.measure("x", sketch(ref), sketch(cur))
    r, c = raw_bins(ref, cur)
    assert abs(measured.statistic - jensenshannon(c, r)) <= measured.approx_error


def categories(n: int, shares: list[float], seed: int) -> npt.NDArray[np.str_]:
    names = np.array([f"level_{i}" for i in range(len(shares))])
    rng = np.random.default_rng(seed)
    return names[rng.choice(len(shares), size=n, p=np.asarray(shares) / sum(shares))]


def test_chi_square_statistic_and_p_value_equal_scipys() -> None:
    ref = categories(2000, [0.5, 0.3, 0.2], seed=1)
    cur = categories(2000, [0.45, 0.3, 0.25], seed=2)
    result = chi_square_test(sketch(ref, "categorical"), sketch(cur, "categorical"))
    table = np.array(
        [[np.sum(x == f"level_{i}") for i in range(3)] for x in (ref, cur)], dtype=np.float64
    )
    scipy = stats.chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(scipy.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(scipy.pvalue, rel=1e-6)  # equal sizes: same test
    assert result.approx_error == 0.0


def test_chi_square_counts_unseen_categories_in_their_own_bucket() -> None:
    ref = categories(3000, [0.6, 0.4], seed=3)
    cur = np.concatenate([categories(900, [0.6, 0.4], seed=4), np.array(["new"] * 100)])
    result = chi_square_test(sketch(ref, "categorical"), sketch(cur, "categorical"))
    table = np.array(
        [
            [np.sum(ref == "level_0"), np.sum(ref == "level_1"), 0],
            [np.sum(cur == "level_0"), np.sum(cur == "level_1"), 100],
        ],
        dtype=np.float64,
    )
    assert result.statistic == pytest.approx(
        stats.chi2_contingency(table, correction=False).statistic
    )
    assert result.drifted
    assert result.detail["unseen_count"] == 100
    assert result.detail["unseen_examples"] == ["new"]
    assert [b["bin"] for b in result.detail["bins"]][-1] == "(unseen)"


def test_chi_square_distance_does_not_move_with_the_sample_sizes() -> None:
    ref = sketch(categories(50_000, [0.5, 0.3, 0.2], seed=5), "categorical")
    effects = [
        chi_square_test(ref, sketch(categories(n, [0.4, 0.3, 0.3], seed=6), "categorical")).effect
        for n in (5_000, 50_000)
    ]
    exact = math.sqrt(sum((c - r) ** 2 / ((c + r) / 2) for c, r in ((0.4, 0.5), (0.3, 0.3))))
    exact = math.sqrt(exact**2 + (0.3 - 0.2) ** 2 / 0.25)
    assert effects == pytest.approx([exact, exact], abs=0.02)


def test_categorical_sketch_error_is_reported_when_counts_are_approximate() -> None:
    rng = np.random.default_rng(8)
    ref = ColumnSketch("categorical", capacity=16)
    cur = ColumnSketch("categorical", capacity=16)
    ref.update(rng.zipf(1.5, size=20_000).astype(str))
    cur.update(rng.zipf(1.5, size=20_000).astype(str))
    for test in (chi_square_test, psi_test, jensen_shannon_test):
        result = test(ref, cur)
        assert result.approx_error > 0
        assert not result.drifted, result.reason


def test_missing_share_effect_is_cohens_h() -> None:
    ref, cur = ColumnSketch(), ColumnSketch()
    ref.update([1.0] * 900 + [None] * 100)
    cur.update([1.0] * 700 + [None] * 300)
    result = missing_share_test(ref, cur)
    h = abs(2 * math.asin(math.sqrt(0.3)) - 2 * math.asin(math.sqrt(0.1)))
    assert result.effect == pytest.approx(h)
    assert result.statistic == pytest.approx(0.2)
    assert result.drifted


@pytest.mark.parametrize(
    "test", [ks_test, psi_test, wasserstein_test, jensen_shannon_test, chi_square_test]
)
def test_detectors_refuse_raw_arrays_and_name_the_fix(test: object) -> None:
    with pytest.raises(InvalidInputError, match="takes ColumnSketch objects"):
        test([1.0, 2.0], [1.0, 2.0])  # type: ignore[operator]


def test_numeric_detectors_refuse_categorical_sketches() -> None:
    cats = sketch(["a"] * 50, "categorical")
    with pytest.raises(InvalidInputError, match="compares numeric or datetime columns"):
        ks_test(cats, cats)
    with pytest.raises(InvalidInputError, match="compares categorical columns"):
        chi_square_test(sketch([1.0] * 50), sketch([1.0] * 50))
