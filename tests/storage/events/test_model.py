"""Events and their Arrow form: validation, JSON encoding of any feature, round trips."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events import Event
from aweigh.storage.events.model import (
    EVENT_SCHEMA,
    event_from_dict,
    event_to_json_line,
    events_to_table,
    table_to_events,
    to_json,
)
from tests.storage.events.helpers import T0, as_stored, without_nan

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
feature_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
events_strategy = st.builds(
    Event,
    kind=st.sampled_from(["prediction", "feedback"]),
    request_id=st.text(min_size=1),
    row=st.integers(min_value=0, max_value=10_000),
    model=st.text(min_size=1),
    version=st.none() | st.integers(min_value=1, max_value=2**31),
    ts=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    inputs=st.none() | st.dictionaries(st.text(), feature_values, max_size=6),
    output=feature_values,
    proba=st.none()
    | st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=4).map(tuple),
    latency_ms=st.none() | st.floats(min_value=0, max_value=1e6),
    subject_id=st.none() | st.text(),
    label=feature_values,
    flags=st.none() | st.lists(st.text(), max_size=3).map(tuple),
    purposes=st.none()
    | st.lists(st.sampled_from(["serving", "training", "monitoring"]) | st.text(), max_size=4).map(
        tuple
    ),
    child=st.none() | st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(events_strategy, max_size=8))
def test_any_events_round_trip_through_arrow(events: list[Event]) -> None:
    table = events_to_table(events)

    assert table.schema.equals(EVENT_SCHEMA)
    assert table_to_events(table) == [as_stored(e) for e in events]


@settings(max_examples=100, deadline=None)
@given(events_strategy)
def test_any_event_round_trips_through_its_spool_line(event: Event) -> None:
    back = event_from_dict(orjson.loads(event_to_json_line(event)))

    assert back == as_stored(event)


def test_realistic_events_round_trip(adult_rows_100: list[dict[str, Any]]) -> None:
    events = [
        Event(
            kind="prediction",
            request_id=f"r{i}",
            model="adult",
            version=3,
            ts=T0 + timedelta(milliseconds=i),
            inputs=row,
            output=">50K",
            proba=(0.25, 0.75),
            latency_ms=1.5,
        )
        for i, row in enumerate(adult_rows_100)
    ]

    assert table_to_events(events_to_table(events)) == [as_stored(e) for e in events]


@pytest.fixture
def adult_rows_100(adult_train: Any) -> list[dict[str, Any]]:
    return adult_train.drop(columns=["income"]).head(100).to_dict("records")


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (
            {"n": np.int64(3), "x": np.float32(0.5), "v": np.array([1, 2])},
            {"n": 3, "x": 0.5, "v": [1, 2]},
        ),
        ({"nan": float("nan"), "inf": np.float64("inf")}, {"nan": None, "inf": None}),
        (
            {"when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
            {"when": "2026-01-02T03:04:05+00:00"},
        ),
        ({"day": date(2026, 1, 2), "price": Decimal("1.5")}, {"day": "2026-01-02", "price": 1.5}),
        ({"tags": ("a", "b"), "raw": b"bytes"}, {"tags": ["a", "b"], "raw": "bytes"}),
        ({1: "int key", "big": 2**70}, {"1": "int key", "big": str(2**70)}),
        ({"bad": "\ud800"}, {"bad": "?"}),
        ({"obj": object}, {"obj": str(object)}),
    ],
)
def test_any_feature_value_becomes_json(value: Any, stored: Any) -> None:
    encoded = to_json(value)

    assert encoded is not None
    assert orjson.loads(encoded) == stored


def test_timestamps_are_kept_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    event = Event(
        kind="feedback", request_id="r", model="m", ts=datetime(2026, 1, 1, 1, tzinfo=paris)
    )

    assert event.ts == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert event.ts.tzinfo is UTC


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"ts": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"ts": "2026-01-01"}, "must be a datetime"),
        ({"kind": "guess"}, "'prediction' or 'feedback'"),
        ({"request_id": ""}, "request_id must be a non-empty string"),
        ({"model": None}, "model must be a non-empty string"),
    ],
)
def test_an_invalid_event_is_refused_with_the_field_named(
    fields: dict[str, Any], problem: str
) -> None:
    values: dict[str, Any] = {"kind": "prediction", "request_id": "r", "model": "m", "ts": T0}
    with pytest.raises(InvalidInputError, match=problem):
        Event(**(values | fields))


def test_proba_becomes_a_tuple_of_floats() -> None:
    event = Event(kind="prediction", request_id="r", model="m", ts=T0, proba=np.array([0.2, 0.8]))

    assert event.proba == (0.2, 0.8)
    assert all(type(p) is float for p in event.proba)


def test_a_table_without_the_core_columns_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="no column 'ts'"):
        table_to_events(pa.table({"kind": ["prediction"], "request_id": ["r"], "model": ["m"]}))


def test_nan_in_json_columns_reads_back_as_null() -> None:
    event = Event(kind="prediction", request_id="r", model="m", ts=T0, output=float("nan"))

    (back,) = table_to_events(events_to_table([event]))

    assert back.output is None
    assert without_nan([math.inf]) == [None]


def test_consent_fields_round_trip_through_arrow_and_the_spool() -> None:
    event = Event(
        kind="prediction",
        request_id="r",
        model="m",
        ts=T0,
        purposes=["serving", "training"],
        child=True,
    )

    assert event.purposes == ("serving", "training")
    (back,) = table_to_events(events_to_table([event]))
    assert (back.purposes, back.child) == (("serving", "training"), True)
    line = event_from_dict(orjson.loads(event_to_json_line(event)))
    assert (line.purposes, line.child) == (("serving", "training"), True)


def test_one_purpose_given_as_a_string_is_one_purpose_not_its_letters() -> None:
    event = Event(kind="prediction", request_id="r", model="m", ts=T0, purposes="training")

    assert event.purposes == ("training",)


def test_a_spool_line_written_before_consent_fields_existed_still_reads() -> None:
    old = {"kind": "prediction", "request_id": "r", "model": "m", "ts": T0.isoformat()}

    event = event_from_dict(old)

    assert (event.purposes, event.child) == (None, None)


def test_a_table_without_the_consent_columns_reads_with_them_unknown() -> None:
    table = events_to_table([Event(kind="prediction", request_id="r", model="m", ts=T0)])
    old = table.drop_columns(["purposes", "child"])

    (event,) = table_to_events(old)

    assert (event.purposes, event.child) == (None, None)


@pytest.mark.parametrize("child", [1, "yes", 0.0])
def test_a_child_flag_that_is_not_a_bool_is_refused(child: Any) -> None:
    with pytest.raises(InvalidInputError, match="child flag must be True, False or None"):
        Event(kind="prediction", request_id="r", model="m", ts=T0, child=child)


def test_the_schema_has_the_consent_columns_and_says_it_is_version_2() -> None:
    assert EVENT_SCHEMA.field("purposes").type == pa.list_(pa.string())
    assert EVENT_SCHEMA.field("child").type == pa.bool_()
    assert EVENT_SCHEMA.metadata == {b"aweigh.events.schema": b"2"}
