"""StreamingDrift: river's shape, tumbling windows, alpha spent across windows."""

from __future__ import annotations

import numpy as np
import pytest

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift import ColumnSketch, StreamingDrift


def test_scalar_and_array_updates_detect_at_the_same_window(
    normal_reference: ColumnSketch,
) -> None:
    rng = np.random.default_rng(1)
    stream = np.concatenate([rng.normal(size=2000), rng.normal(0.6, 1.0, size=1000)])
    by_value = StreamingDrift(normal_reference, window=500)
    detections = []
    for i, x in enumerate(stream[:2500]):
        by_value.update(float(x))
        if by_value.drift_detected:
            detections.append((i, by_value.n_windows))
    by_array = StreamingDrift(normal_reference, window=500)
    by_array.update(stream[:2500])
    assert detections == [(2499, 5)]  # the first window of shifted values
    assert by_array.drift_detected
    assert by_array.result is not None
    assert by_value.result is not None
    assert by_array.result.to_dict() == by_value.result.to_dict()


def test_an_unchanged_stream_raises_no_alarm_and_spends_alpha_per_window(
    normal_reference: ColumnSketch,
) -> None:
    rng = np.random.default_rng(2)
    detector = StreamingDrift(normal_reference, window=200, alpha=0.01)
    alarms = 0
    for _ in range(50):
        detector.update(rng.normal(size=200))
        alarms += detector.drift_detected
    assert alarms == 0
    assert detector.n_windows == 50
    assert detector.result is not None
    assert detector.result.alpha == pytest.approx(0.01 / (50 * 51))


def test_a_categorical_stream_with_a_new_category_drifts() -> None:
    reference = ColumnSketch("categorical")
    reference.update(["a", "b"] * 500)
    detector = StreamingDrift(reference, window=100)
    detector.update(["a", "b"] * 50)
    assert not detector.drift_detected
    detector.update(["a", "c"] * 50)
    assert detector.drift_detected
    assert detector.result is not None
    assert detector.result.detail["unseen_examples"] == ["c"]


def test_a_window_of_missing_values_is_reported_not_judged() -> None:
    detector = StreamingDrift(list(range(100)), window=40)
    detector.update([None] * 40)
    assert not detector.drift_detected
    assert detector.result is not None
    assert detector.result.reason == "all values missing in current"


def test_reset_forgets_the_windows(normal_reference: ColumnSketch) -> None:
    detector = StreamingDrift(normal_reference, window=50)
    detector.update(np.full(50, 5.0))
    assert detector.drift_detected
    detector._reset()
    assert (detector.n_windows, detector.drift_detected, detector.result) == (0, False, None)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window": 10}, "'window' parameter of StreamingDrift must be a whole number >= 30"),
        ({"method": "chi_square"}, "'method' parameter of StreamingDrift must be one of"),
        ({"alpha": 2}, "'alpha' parameter of StreamingDrift must be"),
    ],
)
def test_bad_settings_are_refused(
    normal_reference: ColumnSketch, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        StreamingDrift(normal_reference, **options)  # type: ignore[arg-type]


def test_a_reference_with_too_few_values_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="needs at least 30 present values; it has 3"):
        StreamingDrift([1.0, 2.0, 3.0])
