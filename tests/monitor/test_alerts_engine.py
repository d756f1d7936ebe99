"""The alert engine: pending, firing, deduplicated updates, resolution, cooldown, restarts."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.core.errors import ConfigError, InvalidInputError
from aweigh.monitor.alerts import AlertEngine, AlertRule, MetricPoint, alert_key, parse_rules
from aweigh.storage.memory import MemoryStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ELECTRICITY = Path(__file__).resolve().parents[2].parent / "shared/data/electricity/electricity.csv"


def errors_rule(**changes: Any) -> AlertRule:
    raw = {
        "name": "errors-high",
        "metric": "serving.error_rate",
        "condition": "> 0.05",
        "severity": "critical",
    }
    return parse_rules([{**raw, **changes}])[0]


def point(
    value: float,
    minute: float,
    *,
    model: str = "churn",
    version: int | None = 3,
    metric: str = "serving.error_rate",
    **labels: str,
) -> MetricPoint:
    return MetricPoint(model, version, metric, value, T0 + timedelta(minutes=minute), labels)


def feed(engine: AlertEngine, values: list[float], start: float = 0, **kw: Any) -> list[Any]:
    """One point a minute; the transitions as (state, minute) pairs."""
    out = []
    for i, value in enumerate(values):
        for t in engine.observe([point(value, start + i, **kw)]):
            out.append((t.state, start + i))
    return out


def test_an_alert_fires_once_and_repeats_update_the_same_record() -> None:
    engine = AlertEngine([errors_rule()])
    [fired] = engine.observe([point(0.07, 0, route="/v1/predict")])
    assert fired.state == "firing"
    alert = fired.alert
    assert (alert.rule, alert.model, alert.version, alert.severity) == (
        "errors-high",
        "churn",
        3,
        "critical",
    )
    assert alert.key == alert_key("errors-high", "churn", 3, "serving.error_rate")
    assert alert.message == "serving.error_rate is 0.07 (> 0.05) on churn/3"
    assert dict(alert.labels) == {"route": "/v1/predict"}
    assert engine.observe([point(0.09, 1), point(0.2, 2)]) == []
    [current] = engine.firing()
    assert (current.id, current.value, current.updated_at) == (
        alert.id,
        0.2,
        T0 + timedelta(minutes=2),
    )
    changed = engine.pop_changed()
    assert [a.id for a in changed] == [alert.id]
    assert changed[0].value == 0.2
    assert engine.pop_changed() == []


def test_the_condition_must_hold_for_for_s_before_firing() -> None:
    engine = AlertEngine([errors_rule(for_s=180)])
    history = feed(engine, [0.1, 0.1, 0.01, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert history == [("firing", 6)]  # the dip at minute 2 restarted the wait
    assert engine.firing()[0].started_at == T0 + timedelta(minutes=3)


def test_an_alert_resolves_when_the_condition_stops_holding() -> None:
    engine = AlertEngine([errors_rule()])
    assert feed(engine, [0.1, 0.2, 0.01]) == [("firing", 0), ("resolved", 2)]
    [resolved] = engine.pop_changed()
    assert resolved.state == "resolved"
    assert resolved.resolved_at == T0 + timedelta(minutes=2)
    assert resolved.value == 0.01
    assert "back to 0.01" in resolved.message
    assert engine.firing() == []


def test_no_new_alert_fires_within_the_cooldown() -> None:
    engine = AlertEngine([errors_rule(cooldown_s=600)])
    assert feed(engine, [0.1, 0.01]) == [("firing", 0), ("resolved", 1)]
    first = engine.pop_changed()[0]
    assert feed(engine, [0.1] * 11, start=2) == [("firing", 11)]  # cooldown ends at minute 11
    second = engine.firing()[0]
    assert second.id != first.id
    assert second.started_at == T0 + timedelta(minutes=2)


def test_each_model_version_and_series_has_its_own_alert() -> None:
    engine = AlertEngine([errors_rule()])
    fired = engine.observe(
        [
            point(0.1, 0, version=1),
            point(0.1, 0, version=2),
            point(0.1, 0, model="fraud"),
            point(0.1, 0, version=None),
        ]
    )
    assert len({t.alert.key for t in fired}) == 4
    assert {t.alert.message.rsplit(" on ", 1)[1] for t in fired} == {
        "churn/1",
        "churn/2",
        "fraud/3",
        "churn",
    }


def test_model_filters_and_metric_patterns_choose_the_series() -> None:
    rules = parse_rules(
        [
            {
                "name": "drifted",
                "metric": "drift.column.*.drifted",
                "condition": ">= 1",
                "model": "churn*",
            },
        ]
    )
    engine = AlertEngine(rules)
    fired = engine.observe(
        [
            point(1, 0, metric="drift.column.age.drifted"),
            point(1, 0, metric="drift.column.income.drifted"),
            point(0, 0, metric="drift.column.sex.drifted"),
            point(1, 0, metric="drift.column.age.drifted", model="fraud"),
            point(9, 0, metric="drift.column.age.effect"),
        ]
    )
    assert sorted(t.alert.metric for t in fired) == [
        "drift.column.age.drifted",
        "drift.column.income.drifted",
    ]


def test_missing_values_and_late_points_change_nothing() -> None:
    engine = AlertEngine([errors_rule()])
    assert engine.observe([point(math.nan, 0)]) == []
    assert len(engine.observe([point(0.1, 5)])) == 1
    assert engine.observe([point(0.0, 4)]) == []  # older than the last point: ignored
    assert engine.firing()[0].value == 0.1


def test_points_without_a_time_are_stamped_by_the_clock() -> None:
    clock = ManualClock(T0)
    engine = AlertEngine([errors_rule(for_s=60)], clock=clock)
    assert engine.observe([MetricPoint("churn", 3, "serving.error_rate", 0.1)]) == []
    clock.advance(61)
    [fired] = engine.observe([MetricPoint("churn", 3, "serving.error_rate", 0.1)])
    assert fired.alert.started_at == T0
    assert fired.alert.updated_at == T0 + timedelta(seconds=61)


def test_an_anomaly_rule_fires_on_a_latency_spike_and_resolves_after_it() -> None:
    rules = parse_rules(
        [{"name": "p99-odd", "metric": "serving.latency_p99_ms", "condition": "anomaly"}]
    )
    engine = AlertEngine(rules)
    latency = list(120 + np.random.default_rng(42).normal(0, 5, 60))
    latency[45] = 400.0
    history = feed(engine, latency[:45], metric="serving.latency_p99_ms")
    [fired] = engine.observe([point(400.0, 45, metric="serving.latency_p99_ms")])
    history += feed(engine, latency[46:], start=46, metric="serving.latency_p99_ms")
    assert history == [("resolved", 46)]
    assert fired.state == "firing"
    assert fired.alert.message.startswith("serving.latency_p99_ms is 400, expected about 12")
    assert "sigma, anomaly) on churn/3" in fired.alert.message


def test_an_ewma_anomaly_rule_learns_the_daily_cycle_of_real_demand() -> None:
    """Half-hourly NSW electricity demand as a traffic series (30 days, season 48)."""
    demand = pd.read_csv(ELECTRICITY, usecols=["nswdemand"])["nswdemand"].to_numpy()[: 48 * 30]
    demand = 1000 * demand
    demand[1200] += 300
    rules = parse_rules(
        [
            {
                "name": "traffic-odd",
                "metric": "serving.requests",
                "condition": "anomaly:ewma",
                "season": 48,
                "for_s": 0,
            }
        ]
    )
    engine = AlertEngine(rules)
    history = feed(engine, list(demand), metric="serving.requests", version=None)
    fired_at = [m for state, m in history if state == "firing"]
    assert 1200 in fired_at
    assert len(fired_at) <= 8  # few alerts on a month of real, seasonal traffic


def test_a_restarted_engine_does_not_send_firing_alerts_again() -> None:
    store = MemoryStore()
    rule = errors_rule(cooldown_s=3600)
    first = AlertEngine([rule])
    feed(first, [0.1, 0.2])
    feed(first, [0.1], metric="serving.error_rate", version=4)
    feed(first, [0.01], start=2, version=4)  # version 4 resolved at minute 2: cooling down
    for record in first.pop_changed():
        store.save_alert(record)
    restarted = AlertEngine([rule])
    assert restarted.restore(store.alerts()) == []
    assert feed(restarted, [0.3], start=5) == []  # still firing: not sent again
    assert feed(restarted, [0.3], start=6, version=4) == []  # cooling down
    [again] = restarted.firing()
    assert again.id == store.alerts(state="firing")[0].id
    assert again.value == 0.3
    assert feed(restarted, [0.01], start=7) == [("resolved", 7)]


def test_restoring_alerts_of_a_removed_rule_resolves_them() -> None:
    clock = ManualClock(T0 + timedelta(hours=1))
    old = AlertEngine([errors_rule()])
    [fired] = old.observe([point(0.5, 0)])
    engine = AlertEngine([errors_rule(name="errors-very-high", condition="> 0.3")], clock=clock)
    [gone] = engine.restore([fired.alert])
    assert (gone.state, gone.rule, gone.alert.id) == ("resolved", None, fired.alert.id)
    assert gone.alert.resolved_at == clock.now()
    assert "no longer watches" in gone.alert.message


def test_stale_firing_alerts_are_resolved_by_the_clock() -> None:
    clock = ManualClock(T0)
    engine = AlertEngine([errors_rule()], clock=clock)
    engine.observe([point(0.5, 0)])
    clock.advance(600)
    assert engine.resolve_stale(900) == []
    clock.advance(600)
    [gone] = engine.resolve_stale(900)
    assert gone.alert.state == "resolved"
    assert "no data for 900 s" in gone.alert.message
    assert engine.firing() == []


def test_concurrent_observers_raise_one_alert_per_series() -> None:
    engine = AlertEngine([errors_rule()])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: engine.observe([point(0.1, 0)]), range(40)))
    assert sum(len(r) for r in results) == 1


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (MetricPoint("churn", 1, "serving.error_rate", "high"), "must be a number; got 'high'"),
        (
            MetricPoint("churn", 1, "serving.error_rate", 0.1, datetime(2026, 3, 1)),
            "must be timezone-aware",
        ),
        (MetricPoint("", 1, "serving.error_rate", 0.1), "needs a model and a metric name"),
        ({"model": "churn"}, "takes MetricPoint objects; got dict"),
    ],
)
def test_bad_points_are_refused_by_name(bad: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        AlertEngine([errors_rule()]).observe([bad])


def test_an_engine_refuses_two_rules_with_one_name() -> None:
    with pytest.raises(ConfigError, match="repeated: errors-high"):
        AlertEngine([errors_rule(), errors_rule(condition="> 0.5")])
