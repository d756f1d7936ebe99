"""Properties of the fairness statistics: order-free tables, ratios in [0, 1], a multinomial
bootstrap that matches a row bootstrap, Holm's adjustment and the two-proportion test."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from aweigh.monitor.fairness import fairness_table
from aweigh.monitor.fairness_stats import (
    bootstrap_counts,
    holm,
    metrics_from_counts,
    percentile_interval,
    two_proportion_p,
)

Rows = tuple[list[Any], list[int], list[str], list[str], random.Random]

rows = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([0, 1, None]), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
        st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_permuting_rows_does_not_change_the_table(data: Rows) -> None:
    y, pred, g, h, rnd = data
    order = list(range(len(y)))
    rnd.shuffle(order)

    def table(idx: list[int]) -> dict[str, object]:
        return fairness_table(
            np.array([y[i] for i in idx], dtype=object),
            [pred[i] for i in idx],
            {"g": [g[i] for i in idx], "h": [h[i] for i in idx]},
            min_group_size=2,
            n_boot=30,
            positive=1,
        ).to_dict()  # NaN as None, so undefined rates compare equal

    if 1 not in y and 1 not in pred:
        return  # no positive class anywhere: refused, covered elsewhere
    assert table(order) == table(list(range(len(y))))


@settings(max_examples=40, deadline=None)
@given(rows)
def test_parity_ratio_lies_in_0_1_and_difference_is_not_negative(data: Rows) -> None:
    y, pred, g, h, _ = data
    if 1 not in y and 1 not in pred:
        return
    report = fairness_table(
        np.array(y, dtype=object), pred, {"g": g, "h": h}, min_group_size=0, n_boot=20
    )
    for gap in report.attributes:
        for estimate in (gap.demographic_parity_ratio,):
            for value in (estimate.value, estimate.low, estimate.high):
                assert math.isnan(value) or 0.0 <= value <= 1.0
        for value in (gap.demographic_parity_difference.value, gap.equalized_odds_difference.value):
            assert math.isnan(value) or 0.0 <= value <= 1.0


def test_the_multinomial_bootstrap_matches_a_row_bootstrap() -> None:
    rng = np.random.default_rng(42)
    n = 2000
    group = rng.integers(0, 3, size=n)
    truth = rng.random(n) < 0.3
    pred = rng.random(n) < np.where(group == 2, 0.5, 0.2)
    cell = 2 * truth + pred
    fine = np.zeros((3, 6), dtype=np.int64)
    np.add.at(fine, (group, cell), 1)
    membership = np.eye(3)
    drawn = bootstrap_counts(fine, membership, 4000, np.random.default_rng(1))
    fast = metrics_from_counts(drawn)
    slow_sel, slow_tpr = [], []
    for _ in range(4000):
        idx = rng.integers(0, n, size=n)
        g, t, p = group[idx], truth[idx], pred[idx]
        slow_sel.append(p[g == 2].mean())
        slow_tpr.append(p[(g == 0) & t].mean())
    assert drawn.sum(axis=(1, 2)).tolist() == [n] * 4000
    assert fast["selection_rate"][:, 2].mean() == pytest.approx(np.mean(slow_sel), abs=2e-3)
    assert fast["selection_rate"][:, 2].std() == pytest.approx(np.std(slow_sel), rel=0.08)
    assert fast["tpr"][:, 0].std() == pytest.approx(np.std(slow_tpr), rel=0.08)


def test_percentile_interval_equals_numpy_quantiles_and_skips_nan() -> None:
    rng = np.random.default_rng(3)
    samples = rng.normal(size=(501, 4))
    samples[::7, 1] = np.nan
    samples[:, 3] = np.nan
    low, high = percentile_interval(samples, 0.9)
    for column in range(3):
        finite = samples[:, column][~np.isnan(samples[:, column])]
        assert low[column] == pytest.approx(np.quantile(finite, 0.05))
        assert high[column] == pytest.approx(np.quantile(finite, 0.95))
    assert math.isnan(low[3])
    assert math.isnan(high[3])


@given(st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), max_size=30))
def test_holm_adjusts_upward_keeps_order_and_leaves_nan(pvalues: list[float]) -> None:
    adjusted = holm(pvalues)
    pairs = [(p, a) for p, a in zip(pvalues, adjusted, strict=True) if not math.isnan(p)]
    for p, a in pairs:
        assert p <= a <= 1.0
    for (p1, a1), (p2, a2) in zip(sorted(pairs), sorted(pairs)[1:], strict=False):
        assert a1 <= a2 or p1 == p2
    assert [math.isnan(a) for a in adjusted] == [math.isnan(p) for p in pvalues]


def test_holm_multiplies_the_smallest_by_the_number_of_tests() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(30, 100, 20, 100), (5, 40, 90, 300)])
def test_two_proportion_p_equals_the_uncorrected_chi_square_test(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert two_proportion_p(x1, n1, x2, n2) == pytest.approx(expected)
    assert two_proportion_p(0, 10, 0, 10) == 1.0
    assert math.isnan(two_proportion_p(1, 0, 1, 10))
