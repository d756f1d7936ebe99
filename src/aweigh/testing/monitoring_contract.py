"""The part of the store contract about monitor results and alerts.

``MetadataStoreContract`` inherits it, so memory, SQLite and PostgreSQL all run it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from aweigh.core.entities import AlertRecord, MonitorRecord
from aweigh.core.errors import InvalidInputError, PayloadTooLargeError
from aweigh.storage.base import MetadataStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
_ids = itertools.count()


def monitor_record(model: str, hour: int = 0, /, **changes: Any) -> MonitorRecord:
    """A drift result for the hour-long window starting ``hour`` hours after T0."""
    start = T0 + hour * HOUR
    base = MonitorRecord(
        id=f"m-{next(_ids)}",
        model=model,
        version=1,
        kind="drift",
        window_start=start,
        window_end=start + HOUR,
        created_at=start + HOUR + timedelta(minutes=5),
        summary="2 of 14 columns drifted",
        payload={
            "share_drifted": 2 / 14,
            "columns": {"age": {"psi": 0.31, "drifted": True, "bins": [0.1, 0.2, None]}},
            "rows": 5210,
        },
    )
    return dataclasses.replace(base, **changes)


def alert(model: str, n: int = 0, /, **changes: Any) -> AlertRecord:
    """A firing alert on the error rate of ``model`` version 1, started ``n`` minutes after T0."""
    started = T0 + timedelta(minutes=n)
    base = AlertRecord(
        id=f"a-{next(_ids)}",
        key=f"errors-high|{model}|1|serving.error_rate",
        rule="errors-high",
        model=model,
        version=1,
        metric="serving.error_rate",
        severity="critical",
        state="firing",
        value=0.12,
        condition="> 0.05",
        message=f"serving.error_rate = 0.12 > 0.05 on {model}/1",
        started_at=started,
        updated_at=started,
        resolved_at=None,
        labels={"route": "/v1/predict"},
    )
    return dataclasses.replace(base, **changes)


class MonitoringStoreContract:
    """Monitor records and alerts: round trips, upserts, filters, limits, refusals."""

    # -- monitor records -------------------------------------------------------------
    def test_a_monitor_record_round_trips_every_field(
        self, store: MetadataStore, name: str
    ) -> None:
        saved = store.save_monitor_record(monitor_record(name))
        [read] = store.monitor_records(name)
        assert read == saved
        assert read.to_dict()["payload"]["columns"]["age"]["bins"] == [0.1, 0.2, None]
        assert read.window_start == T0
        assert read.window_start.tzinfo is not None
        with pytest.raises(TypeError):
            read.payload["rows"] = 0  # type: ignore[index]

    def test_a_recomputed_window_replaces_the_record_and_keeps_its_id(
        self, store: MetadataStore, name: str
    ) -> None:
        first = store.save_monitor_record(monitor_record(name, kind="quality"))
        late = monitor_record(
            name,
            kind="quality",
            summary="accuracy 0.83 on 412 labels",
            payload={"accuracy": 0.83, "labels": 412},
            created_at=first.created_at + timedelta(days=1),
        )
        again = store.save_monitor_record(late)
        assert again.id == first.id
        assert (again.summary, dict(again.payload)) == (
            late.summary,
            {"accuracy": 0.83, "labels": 412},
        )
        assert store.monitor_records(name) == [again]

    def test_model_wide_records_are_one_per_window_too(
        self, store: MetadataStore, name: str
    ) -> None:
        store.save_monitor_record(monitor_record(name, version=None, summary="old"))
        store.save_monitor_record(monitor_record(name, version=None, summary="new"))
        store.save_monitor_record(monitor_record(name, version=2, summary="v2"))
        found = store.monitor_records(name)
        assert sorted((r.version or 0, r.summary) for r in found) == [(0, "new"), (2, "v2")]

    def test_monitor_records_come_newest_window_first_and_filter(
        self, store: MetadataStore, name: str
    ) -> None:
        for hour in (2, 0, 3, 1):
            store.save_monitor_record(monitor_record(name, hour))
            store.save_monitor_record(monitor_record(name, hour, kind="quality", version=2))
        store.save_monitor_record(monitor_record(f"{name}-other", 9))
        drift = store.monitor_records(name, kind="drift")
        assert [r.window_start for r in drift] == [T0 + h * HOUR for h in (3, 2, 1, 0)]
        assert {r.kind for r in store.monitor_records(name, version=2)} == {"quality"}
        recent = store.monitor_records(name, since=T0 + 4 * HOUR)
        assert [r.window_end for r in recent] == [T0 + 4 * HOUR] * 2
        assert len(store.monitor_records(name, limit=3)) == 3
        assert store.monitor_records(name, limit=0) == []
        assert store.monitor_records("nobody") == []

    def test_payload_nan_becomes_null_and_numpy_values_plain_numbers(
        self, store: MetadataStore, name: str
    ) -> None:
        payload = {
            "p_value": math.nan,
            "psi": np.float64(0.2),
            "rows": np.int64(7),
            "edges": np.array([0.0, np.inf, 1.5]),
            "flags": (True, False),
        }
        saved = store.save_monitor_record(monitor_record(name, payload=payload))
        [read] = store.monitor_records(name)
        expected = {
            "p_value": None,
            "psi": 0.2,
            "rows": 7,
            "edges": [0.0, None, 1.5],
            "flags": [True, False],
        }
        assert read.to_dict()["payload"] == saved.to_dict()["payload"] == expected

    def test_a_payload_over_8_mb_is_refused_and_nothing_is_stored(
        self, store: MetadataStore, name: str
    ) -> None:
        huge = {"rows": ["x" * 1000] * 8500}
        with pytest.raises(PayloadTooLargeError, match=r"payload is 8\.\d MB as JSON; the limit"):
            store.save_monitor_record(monitor_record(name, payload=huge))
        assert store.monitor_records(name) == []

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"kind": "drfit"}, "kind must be one of drift, quality"),
            ({"window_start": datetime(2026, 3, 1)}, "window_start must be a timezone-aware"),
            ({"window_end": T0 - HOUR}, "window_start .* is after its window_end"),
            ({"payload": {"model": object()}}, "payload cannot be stored as JSON"),
            ({"payload": [1, 2]}, "payload must be a JSON object"),
            ({"version": 0}, "version must be a version number >= 1"),
            ({"model": ""}, "model must be a non-empty string"),
            ({"id": "x" * 65}, "id must be a non-empty string of at most 64"),
        ],
    )
    def test_bad_monitor_records_are_refused_naming_the_field(
        self, store: MetadataStore, name: str, changes: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            store.save_monitor_record(monitor_record(name, **changes))
        assert store.monitor_records(name) == []

    def test_monitor_record_queries_refuse_unknown_kinds_and_naive_times(
        self, store: MetadataStore, name: str
    ) -> None:
        with pytest.raises(InvalidInputError, match="kind must be one of"):
            store.monitor_records(name, kind="drifts")
        with pytest.raises(InvalidInputError, match="since must be a timezone-aware"):
            store.monitor_records(name, since=datetime(2026, 1, 1))
        with pytest.raises(InvalidInputError, match="limit must be a whole number >= 0"):
            store.monitor_records(name, limit=-1)

    # -- alerts ---------------------------------------------------------------------------
    def test_an_alert_round_trips_and_is_updated_in_place_by_id(
        self, store: MetadataStore, name: str
    ) -> None:
        firing = store.save_alert(alert(name))
        assert store.alerts(model=name) == [firing]
        later = firing.started_at + timedelta(minutes=10)
        updated = store.save_alert(dataclasses.replace(firing, value=0.2, updated_at=later))
        resolved = store.save_alert(
            dataclasses.replace(updated, state="resolved", resolved_at=later, value=0.01)
        )
        [read] = store.alerts(model=name)
        assert read == resolved
        assert (read.state, read.value, read.resolved_at) == ("resolved", 0.01, later)
        assert dict(read.labels) == {"route": "/v1/predict"}

    def test_alerts_come_newest_first_and_filter_by_model_state_and_time(
        self, store: MetadataStore, name: str
    ) -> None:
        other = f"{name}-other"
        for n in (5, 1, 3):
            store.save_alert(alert(name, n))
        gone = T0 + timedelta(minutes=2)
        store.save_alert(alert(name, 0, state="resolved", resolved_at=gone, updated_at=gone))
        store.save_alert(alert(other, 4, version=None))
        mine = store.alerts(model=name)
        assert [a.started_at.minute for a in mine] == [5, 3, 1, 0]
        assert [a.started_at.minute for a in store.alerts(model=name, state="firing")] == [5, 3, 1]
        assert [a.state for a in store.alerts(model=name, state="resolved")] == ["resolved"]
        assert [a.started_at.minute for a in store.alerts(model=name, since=gone)] == [5, 3, 0]
        later = T0 + timedelta(minutes=3)
        assert [a.started_at.minute for a in store.alerts(model=name, since=later)] == [5, 3]
        assert len(store.alerts(model=name, limit=2)) == 2
        assert {a.model for a in store.alerts()} >= {name, other}
        assert store.alerts(model=other)[0].version is None

    def test_a_non_finite_alert_value_is_kept_as_none(
        self, store: MetadataStore, name: str
    ) -> None:
        saved = store.save_alert(alert(name, value=math.inf))
        assert saved.value is None
        assert store.alerts(model=name)[0].value is None

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"severity": "urgent"}, "severity must be one of info, warning, critical"),
            ({"state": "open"}, "state must be one of firing, resolved"),
            ({"state": "resolved"}, "state 'resolved' must have resolved_at set"),
            ({"resolved_at": T0}, "state 'firing' must not have resolved_at set"),
            ({"started_at": datetime(2026, 3, 1)}, "started_at must be a timezone-aware"),
            ({"value": "high"}, "value must be a number or None"),
            ({"labels": {"x": {1, 2}}}, "labels cannot be stored as JSON"),
            ({"rule": ""}, "rule must be a non-empty string"),
        ],
    )
    def test_bad_alerts_are_refused_naming_the_field(
        self, store: MetadataStore, name: str, changes: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            store.save_alert(alert(name, **changes))
        assert store.alerts(model=name) == []

    def test_alert_queries_refuse_unknown_states(self, store: MetadataStore) -> None:
        with pytest.raises(InvalidInputError, match="state must be one of firing, resolved"):
            store.alerts(state="open")
        with pytest.raises(InvalidInputError, match="since must be a timezone-aware"):
            store.alerts(since=datetime(2026, 1, 1))
