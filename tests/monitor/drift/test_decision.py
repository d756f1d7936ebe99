"""The decision rule: power, false alarms, Holm across columns, effect floors (seeded)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift import MIN_EFFECT, ColumnSketch, WindowSketch, compare
from aweigh.monitor.drift._decide import decide, decide_one
from aweigh.monitor.drift._nulls import ChiSquareNull, GammaNull, KolmogorovNull, NormalNull
from aweigh.monitor.drift.methods import MEASURES, NUMERIC_METHODS

COLUMNS = 25


def sketch(values: object, kind: str = "numeric") -> ColumnSketch:
    out = ColumnSketch(kind)
    out.update(values)
    return out


@pytest.mark.parametrize("method", NUMERIC_METHODS)
def test_a_real_0_3_sd_shift_in_1000_rows_is_caught_99_percent_of_the_time(
    method: str, normal_reference: ColumnSketch
) -> None:
    """Against 30,000 reference rows, at the level Holm gives the first of 25 columns."""
    rng = np.random.default_rng(1)
    caught = sum(
        decide_one(
            MEASURES[method]("x", normal_reference, sketch(rng.normal(0.3, 1.0, 1000))),
            alpha=0.01 / COLUMNS,
        ).drifted
        for _ in range(100)
    )
    assert caught >= 99


@pytest.mark.parametrize("method", NUMERIC_METHODS)
def test_a_0_02_sd_shift_in_a_million_rows_raises_no_alarm(method: str) -> None:
    rng = np.random.default_rng(2)
    reference = sketch(rng.normal(size=1_000_000))
    current = sketch(rng.normal(0.02, 1.0, size=1_000_000))
    result = decide_one(MEASURES[method]("x", reference, current), alpha=0.01)
    assert result.p_value is not None
    assert not result.drifted, result.reason
    assert result.threshold == MIN_EFFECT[method]  # the floor decides, not the p-value


def _columns(rng: np.random.Generator, rows: int) -> dict[str, object]:
    """25 columns of varied shapes: 20 numeric, 5 categorical."""
    levels = np.array(["a", "b", "c", "d", "e", "f"])
    shares = np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    out: dict[str, object] = {}
    draws = (
        lambda: rng.normal(0.0, 1.0, rows),
        lambda: rng.exponential(2.0, rows),
        lambda: rng.standard_t(5.0, rows),
        lambda: rng.poisson(4.0, rows).astype(np.float64),
    )
    for i in range(20):
        out[f"n{i}"] = draws[i % 4]()
    for i in range(5):
        out[f"c{i}"] = levels[rng.choice(6, size=rows, p=shares)]
    return out


def test_25_unchanged_columns_raise_at_most_one_alarm_in_40_windows() -> None:
    """Family-wise alpha 0.01 per window: about 0.4 false-alarm windows expected in 40."""
    rng = np.random.default_rng(3)
    reference = WindowSketch.of(pd.DataFrame(_columns(rng, 30_000)))
    alarms = sum(
        compare(reference, pd.DataFrame(_columns(rng, 1000))).dataset_drift for _ in range(40)
    )
    assert alarms <= 1


def test_a_million_unchanged_rows_in_25_columns_raise_no_alarm() -> None:
    rng = np.random.default_rng(4)
    reference = WindowSketch.of(pd.DataFrame(_columns(rng, 1_000_000)))
    report = compare(reference, pd.DataFrame(_columns(rng, 1_000_000)))
    assert report.drifted == []
    assert not report.dataset_drift
    assert report.summary == "No drift in 25 tested columns."


def test_holm_tests_the_strongest_first_and_stops_at_the_first_failure() -> None:
    rng = np.random.default_rng(5)
    reference = {n: rng.normal(size=5000) for n in "abcd"}
    current = {
        "a": rng.normal(1.0, 1.0, 1000),
        "b": rng.normal(0.5, 1.0, 1000),
        "c": rng.normal(size=1000),
        "d": rng.normal(size=1000),
    }
    report = compare(pd.DataFrame(reference), pd.DataFrame(current))
    assert report.drifted == ["a", "b"]
    alphas = {r.column: r.alpha for r in report.results}
    assert alphas["a"] == pytest.approx(0.01 / 4)
    assert alphas["b"] == pytest.approx(0.01 / 3)
    stop = alphas["c"]
    assert stop == pytest.approx(0.01 / 2)  # where the procedure stopped
    assert alphas["c"] == alphas["d"] == stop


def test_every_result_states_its_threshold_as_the_floor_or_the_critical_value() -> None:
    rng = np.random.default_rng(6)
    report = compare(
        pd.DataFrame({"x": rng.normal(size=3000)}), pd.DataFrame({"x": rng.normal(size=100)})
    )
    (result,) = report.results
    critical = result.detail["critical"]
    assert result.threshold == max(critical, MIN_EFFECT["ks"])
    assert result.threshold == critical > MIN_EFFECT["ks"]  # 100 rows: the null decides
    assert "critical" in result.reason
    assert "n=3,000 vs 100" in result.reason


def test_a_min_effect_override_moves_the_floor() -> None:
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": rng.normal(size=50_000)})
    cur = pd.DataFrame({"x": rng.normal(0.2, 1.0, size=50_000)})
    assert compare(ref, cur).drifted == ["x"]
    strict = compare(ref, cur, min_effect={"ks": 0.2})
    assert strict.drifted == []
    assert strict.results[0].threshold == 0.2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"kss": 0.1}, "unknown method 'kss'"),
        ({"ks": 0}, "must be a number > 0"),
        ({"ks": "big"}, "must be a number > 0"),
        (0.1, "must be a dict from method to a number"),
    ],
)
def test_a_bad_min_effect_is_refused_naming_the_problem(value: object, message: str) -> None:
    frame = pd.DataFrame({"x": [1.0] * 50})
    with pytest.raises(InvalidInputError, match=message):
        compare(frame, frame, min_effect=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("alpha", [0, 0.7, -1, "0.01", True])
def test_a_bad_alpha_is_refused(alpha: object) -> None:
    frame = pd.DataFrame({"x": [1.0] * 50})
    with pytest.raises(InvalidInputError, match="'alpha' parameter of compare must be"):
        compare(frame, frame, alpha=alpha)  # type: ignore[arg-type]


nulls = st.one_of(
    st.builds(KolmogorovNull, st.floats(1, 1e7)),
    st.builds(ChiSquareNull, st.integers(1, 60), st.floats(1, 1e7), st.sampled_from([1.0, 2.0])),
    st.builds(NormalNull, st.floats(1e-4, 1.0), st.booleans()),
    # the Wasserstein null's shape (mean / sd)**2 is about 9; keep it >= 1 here
    st.builds(lambda m, r: GammaNull(m, m * r), st.floats(1e-4, 1.0), st.floats(0.05, 1.0)),
)


@given(nulls, st.floats(1e-8, 0.4))
def test_the_critical_value_has_p_value_alpha(null: object, alpha: float) -> None:
    critical = null.critical(alpha)  # type: ignore[attr-defined]
    assert critical > 0
    assert null.p_value(critical) == pytest.approx(alpha, rel=1e-4)  # type: ignore[attr-defined]


@given(nulls, st.floats(0, 1), st.floats(0, 1))
def test_p_values_fall_as_effects_grow(null: object, a: float, b: float) -> None:
    low, high = sorted((a, b))
    p_low, p_high = null.p_value(low), null.p_value(high)  # type: ignore[attr-defined]
    assert 0.0 <= p_high <= p_low + 1e-12 <= 1.0 + 1e-12


def test_decide_keeps_the_given_order_and_uses_each_methods_floor(
    normal_reference: ColumnSketch,
) -> None:
    rng = np.random.default_rng(9)
    current = sketch(rng.normal(size=2000))
    found = [MEASURES[m](m, normal_reference, current) for m in NUMERIC_METHODS]
    results = decide(found, alpha=0.01, min_effect=MIN_EFFECT)
    assert [r.column for r in results] == list(NUMERIC_METHODS)
    for result in results:
        assert result.detail["min_effect"] == MIN_EFFECT[result.method]
        assert not result.drifted
        assert math.isfinite(result.margin)
        assert result.margin < 1
