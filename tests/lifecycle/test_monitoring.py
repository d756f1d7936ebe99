"""The monitor service end to end: Adult traffic in a real Parquet event log, a registered
model with its training dataset, late labels, shifted traffic, stored records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.core.entities import ModelVersion
from aweigh.core.errors import InvalidInputError
from aweigh.lifecycle.monitoring import MonitorConfig, MonitorService, window_bounds
from aweigh.registry.service import Registry
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.events import Event, ParquetEventLog
from aweigh.storage.memory import MemoryStore

FEATURES = ["age", "education", "hours_per_week", "sex", "race", "capital_gain"]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass
class World:
    registry: Registry
    log: ParquetEventLog
    version: ModelVersion
    model: Any
    test: pd.DataFrame
    clock: ManualClock


@pytest.fixture(scope="module")
def trained(adult_train: pd.DataFrame) -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = adult_train[[*FEATURES, "income"]].dropna()
    features = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["education", "sex", "race"]),
        (StandardScaler(), ["age", "hours_per_week", "capital_gain"]),
    )
    model = make_pipeline(features, LogisticRegression(max_iter=500))
    return model.fit(frame[FEATURES], frame["income"])


@pytest.fixture
def world(
    tmp_path: Path, adult_train: pd.DataFrame, adult_test: pd.DataFrame, trained: Any
) -> Iterator[World]:
    clock = ManualClock(T0 + 2 * HOUR)
    registry = Registry(
        MemoryStore(),
        LocalArtifactStore(tmp_path / "artifacts"),
        actor="test",
        clock=clock,
        record_git=False,
    )
    train = adult_train[[*FEATURES, "income"]].dropna().reset_index(drop=True)
    registry.datasets.register(train, name="adult", label="income")
    version = registry.register(
        trained, name="income", sample=train[FEATURES].head(50), dataset="adult/1"
    )
    log = ParquetEventLog(tmp_path / "events", flush_interval_s=30)
    test = adult_test[[*FEATURES, "income"]].dropna().reset_index(drop=True)
    yield World(registry, log, version, trained, test, clock)
    log.close()


def _serve(w: World, rows: pd.DataFrame, start: datetime, prefix: str) -> list[Event]:
    """Prediction events for ``rows`` as the server records them, one per second."""
    predicted = w.model.predict(rows[FEATURES])
    proba = w.model.predict_proba(rows[FEATURES])
    records = rows[FEATURES].to_dict("records")
    events = [
        Event(
            kind="prediction",
            request_id=f"{prefix}-{i}",
            model="income",
            version=w.version.version,
            ts=start + timedelta(seconds=i * 3600 / len(rows)),
            inputs=records[i],
            output=predicted[i],
            proba=tuple(proba[i]),
            latency_ms=2.0 + (i % 7),
        )
        for i in range(len(rows))
    ]
    w.log.append(events)
    return events


def _label(w: World, events: list[Event], labels: list[str], delay: timedelta) -> None:
    w.log.append(
        [
            Event(
                kind="feedback",
                request_id=e.request_id,
                model="income",
                version=e.version,
                ts=e.ts + delay,
                label=label,
            )
            for e, label in zip(events, labels, strict=True)
        ]
    )


def _shifted(test: pd.DataFrame, n: int, seed: int = 7) -> pd.DataFrame:
    """Older people with another education mix, as in the demo's second phase."""
    weights = np.where(test["age"] >= 45, 6.0, 1.0) * np.where(
        test["education"].isin(["Bachelors", "Masters", "Doctorate"]), 3.0, 1.0
    )
    return test.sample(n, weights=weights, random_state=seed, replace=True).reset_index(drop=True)


def _service(w: World, **options: Any) -> MonitorService:
    config = MonitorConfig(
        reference_events=1000,
        segments={"income": ["sex", "age"]},
        fairness={"income": {"sensitive": ["sex", "race"], "n_boot": 200}},
        **options,
    )
    return MonitorService(w.registry.store, w.log, config=config, clock=w.clock)


def test_traffic_like_training_shows_no_drift_and_real_quality(world: World) -> None:
    w = world
    rows = w.test.sample(4000, random_state=1).reset_index(drop=True)
    events = _serve(w, rows, T0, "a")
    _label(w, events, list(rows["income"]), delay=timedelta(hours=5))
    w.log.flush(timeout_s=30)

    run = _service(w).run()

    assert not run.errors
    [outcome] = run.windows
    assert (outcome.start, outcome.end) == (T0, T0 + HOUR)
    drift = outcome.record("drift")
    assert drift is not None
    assert not drift.payload["drifted"], drift.summary
    quality = outcome.record("quality")
    assert quality is not None
    overall = quality.payload["overall"]
    expected = float((w.model.predict(rows[FEATURES]) == rows["income"]).mean())
    assert overall["n_labeled"] == 4000
    assert overall["metrics"]["accuracy"] == pytest.approx(expected)
    assert abs(overall["estimated"]["accuracy"] - expected) < 0.03
    assert quality.payload["traffic"]["requests"] == 4000
    segments = {tuple(s["segment"].items()) for s in quality.payload["segments"]}
    assert (("sex", "Female"),) in {tuple(x for x in s if x[0] == "sex") for s in segments}
    fairness = outcome.record("fairness")
    assert fairness is not None
    assert {a["attribute"] for a in fairness.payload["report"]["attributes"]} >= {"sex", "race"}


def test_shifted_traffic_is_caught_in_its_own_window_naming_the_columns(world: World) -> None:
    w = world
    before = w.test.sample(3000, random_state=2).reset_index(drop=True)
    after = _shifted(w.test, 3000)
    _serve(w, before, T0, "a")
    _serve(w, after, T0 + HOUR, "b")
    w.log.flush(timeout_s=30)

    run = _service(w).run()

    by_start = {o.start: o for o in run.windows}
    calm, shifted = by_start[T0].record("drift"), by_start[T0 + HOUR].record("drift")
    assert calm is not None
    assert shifted is not None
    assert not calm.payload["drifted"]
    assert {"age", "education"} <= set(shifted.payload["drifted"])
    assert "output:score" in shifted.payload["drifted"]  # the model's outputs moved too
    assert "age" in shifted.summary
    assert "education" in shifted.summary


def test_a_late_label_revises_the_window_of_its_prediction(world: World) -> None:
    w = world
    rows = w.test.sample(1500, random_state=3).reset_index(drop=True)
    events = _serve(w, rows, T0, "a")
    w.log.flush(timeout_s=30)
    service = _service(w)
    first = service.run().windows[0].record("quality")
    assert first is not None
    assert first.payload["overall"]["n_labeled"] == 0

    _label(w, events[:500], list(rows["income"][:500]), delay=timedelta(days=1))
    w.log.flush(timeout_s=30)
    w.clock.advance(2 * 86_400)  # the labels arrived a day after their predictions
    second = service.run()

    assert [o.start for o in second.windows] == [T0]  # only the window the labels belong to
    stored = w.registry.store.monitor_records("income", kind="quality")
    assert len(stored) == 1  # revised in place, not duplicated
    assert stored[0].payload["overall"]["n_labeled"] == 500


def test_nothing_new_means_nothing_recomputed(world: World) -> None:
    w = world
    _serve(w, w.test.head(200), T0, "a")
    w.log.flush(timeout_s=30)
    service = _service(w)
    assert len(service.run().windows) == 1
    w.clock.advance(600)
    assert service.run().windows == []


def test_an_empty_window_and_a_one_event_window_report_instead_of_failing(world: World) -> None:
    w = world
    service = _service(w)
    empty = service.evaluate("income", w.version.version, T0, T0 + HOUR)
    drift = empty.record("drift")
    assert drift is not None
    assert drift.summary == "no predictions in this window"
    _serve(w, w.test.head(1), T0, "one")
    w.log.flush(timeout_s=30)
    one = service.evaluate("income", w.version.version, T0, T0 + HOUR)
    assert one.rows == 1
    drift = one.record("drift")
    assert drift is not None
    assert not drift.payload["drifted"]
    fairness = one.record("fairness")
    assert fairness is not None
    assert "too few" in fairness.summary


def test_a_sensitive_attribute_missing_from_the_events_is_reported(world: World) -> None:
    w = world
    rows = w.test.head(300)
    _serve(w, rows, T0, "a")
    w.log.flush(timeout_s=30)
    config = {"income": {"sensitive": ["sex", "religion"], "n_boot": 100}}
    service = MonitorService(
        w.registry.store, w.log, config=MonitorConfig(fairness=config), clock=w.clock
    )
    outcome = service.evaluate("income", w.version.version, T0, T0 + HOUR)
    fairness = outcome.record("fairness")
    assert fairness is not None
    assert list(fairness.payload["missing_attributes"]) == ["religion"]
    assert "religion" in fairness.summary


def test_labels_of_the_wrong_type_are_counted_not_fatal(world: World) -> None:
    w = world
    rows = w.test.head(400).reset_index(drop=True)
    events = _serve(w, rows, T0, "a")
    labels: list[Any] = list(rows["income"])
    labels[:50] = [["not", "a", "label"]] * 50
    labels[50:60] = [7] * 10
    _label(w, events, labels, delay=timedelta(minutes=5))
    w.log.flush(timeout_s=30)
    outcome = _service(w).evaluate("income", w.version.version, T0, T0 + HOUR)
    quality = outcome.record("quality")
    assert quality is not None
    assert quality.payload["overall"]["invalid_labels"] == 60
    assert quality.payload["overall"]["n_labeled"] == 340


def test_a_window_that_ends_before_it_starts_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError, match="before it starts"):
        _service(world).evaluate("income", 1, T0, T0 - HOUR)


def test_windows_are_aligned_to_utc() -> None:
    moment = datetime(2026, 11, 2, 9, 41, 7, tzinfo=UTC)
    assert window_bounds(moment, 3600) == (T0, T0 + HOUR)
    assert window_bounds(moment, 86_400)[0] == datetime(2026, 11, 2, tzinfo=UTC)


class RecordingSink:
    """A sink that keeps what it was sent (the webhook sink has its own tests against a
    local HTTP receiver)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, transition: Any) -> None:
        self.sent.append(transition)

    def close(self, timeout_s: float = 5.0) -> None:
        pass


def test_drift_fires_one_stored_alert_per_series_and_resolves_when_it_ends(world: World) -> None:
    from aweigh.lifecycle.monitoring import DEFAULT_ALERT_RULES
    from aweigh.monitor.alerts import AlertEngine, parse_rules

    w = world
    sink = RecordingSink()
    engine = AlertEngine(parse_rules(list(DEFAULT_ALERT_RULES)), clock=w.clock)
    service = MonitorService(
        w.registry.store,
        w.log,
        config=MonitorConfig(reference_events=1000),
        clock=w.clock,
        engine=engine,
        sinks=[sink],
    )
    _serve(w, w.test.sample(2000, random_state=5), T0, "calm")  # the baseline traffic
    _serve(w, _shifted(w.test, 2000), T0 + HOUR, "a")
    _serve(w, _shifted(w.test, 2000, seed=8), T0 + 2 * HOUR, "b")
    w.log.flush(timeout_s=30)
    w.clock.advance(3600)

    first = service.run()

    fired = [t for t in first.transitions if t.alert.rule == "drift"]
    assert [t.state for t in fired] == ["firing"]  # two drifted windows, one alert
    assert "age" in fired[0].alert.labels["columns"]
    assert first.firing == {"warning": 1}
    assert sink.sent == first.transitions
    stored = w.registry.store.alerts(model="income", state="firing")
    assert [a.rule for a in stored] == ["drift"]

    _serve(w, w.test.sample(3000, random_state=9), T0 + 3 * HOUR, "c")
    w.log.flush(timeout_s=30)
    w.clock.advance(2 * 3600)
    second = service.run()
    assert [t.state for t in second.transitions if t.alert.rule == "drift"] == ["resolved"]
    assert w.registry.store.alerts(model="income", state="firing") == []


def test_a_restarted_monitor_reuses_the_stored_baseline(world: World) -> None:
    w = world
    _serve(w, w.test.sample(1500, random_state=11), T0, "a")
    w.log.flush(timeout_s=30)
    first = _service(w).evaluate("income", w.version.version, T0, T0 + HOUR)
    [reference] = w.registry.store.monitor_records("income", kind="reference")
    again = _service(w).evaluate("income", w.version.version, T0, T0 + HOUR)  # a new process
    assert w.registry.store.monitor_records("income", kind="reference") == [reference]
    a, b = first.record("drift"), again.record("drift")
    assert a is not None
    assert b is not None
    assert a.payload["outputs"] == b.payload["outputs"]


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"rule": []}, "unknown key"),
        ({"rules": [{"name": "x", "metric": "drift.dataset", "condition": "about 3"}]}, "x"),
        ({"sinks": [{"type": "pager"}]}, "'type'"),
    ],
)
def test_bad_alert_config_is_a_config_error_naming_it(
    tmp_path: Path, alerts: dict[str, Any], message: str
) -> None:
    from aweigh.bootstrap import build_monitor
    from aweigh.core.errors import ConfigError
    from aweigh.settings import Settings

    with pytest.raises(ConfigError, match=message):
        build_monitor(Settings(home=tmp_path, alerts=alerts), MemoryStore())


def test_the_configured_rules_and_sinks_reach_the_service(tmp_path: Path) -> None:
    from aweigh.bootstrap import build_monitor
    from aweigh.settings import Settings

    rule = {"name": "acc", "metric": "quality.accuracy", "condition": "< 0.8"}
    service = build_monitor(Settings(home=tmp_path, alerts={"rules": [rule]}), MemoryStore())
    assert service.engine is not None
    assert [r.name for r in service.engine.rules] == ["acc"]
    assert len(service.sinks) == 1  # the log, when no sink is configured
