"""A streaming drift detector in river's shape: ``update(x)``, then ``drift_detected``.

``StreamingDrift(reference, method="ks", window=1000)`` collects values into tumbling
windows of ``window`` values (missing ones included) and, each time a window fills,
tests it against the reference sketch with the univariate method. ``update`` takes a
scalar or an array (an array may close several windows at once);
``drift_detected`` says whether a window closed by the latest ``update`` drifted and
``result`` holds that window's :class:`DriftResult` (the last closed one otherwise).

Many windows mean many tests. Window ``j`` (counting from 1) is tested at
``alpha / (j * (j + 1))``; these levels sum to ``alpha``, so the chance of any false
alarm over the detector's whole life is at most ``alpha``. Thresholds rise slowly (as
``sqrt(log j)``) and the per-method effect floors keep large windows unaffected.

>>> import numpy as np
>>> rng = np.random.default_rng(42)
>>> reference = ColumnSketch()
>>> reference.update(rng.normal(size=20_000))
>>> detector = StreamingDrift(reference, window=500)
>>> stream = np.concatenate([rng.normal(size=3_000), rng.normal(0.5, 1.0, size=2_000)])
>>> for i, x in enumerate(stream):
...     detector.update(x)
...     if detector.drift_detected:
...         print(f"drift at value {i}, window {detector.n_windows}")
...         break
drift at value 3499, window 7
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift._decide import check_alpha, decide_one, not_tested, screen
from aweigh.monitor.drift._values import arrow_kind, as_arrow
from aweigh.monitor.drift.base import MIN_ROWS, DriftResult
from aweigh.monitor.drift.methods import MEASURES, check_method, default_method
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["StreamingDrift"]


class StreamingDrift:
    """Tumbling-window drift detection of one column against a reference (module notes)."""

    def __init__(
        self,
        reference: Any,
        *,
        method: str | None = None,
        window: int = 1000,
        alpha: float = 0.01,
        min_effect: float | None = None,
        column: str = "value",
    ) -> None:
        if not isinstance(reference, ColumnSketch):
            values = as_arrow(reference)
            kind = arrow_kind(values.type)
            reference = ColumnSketch("numeric" if kind == "unknown" else kind)
            reference.update(values)
        if reference.kind == "unknown" or reference.n < MIN_ROWS:
            raise InvalidInputError(
                f"The reference of StreamingDrift needs at least {MIN_ROWS} present values; "
                f"it has {reference.n}."
            )
        kind = "numeric" if reference.kind in ("numeric", "datetime") else "categorical"
        if isinstance(window, bool) or not isinstance(window, int) or window < MIN_ROWS:
            raise InvalidInputError(
                f"The 'window' parameter of StreamingDrift must be a whole number >= {MIN_ROWS}. "
                f"Got {window!r} instead."
            )
        self._reference = reference
        self._method = check_method(
            method or default_method(kind), kind, "method", "StreamingDrift"
        )
        self._window = window
        self._alpha = check_alpha(alpha, "StreamingDrift")
        self._min_effect = min_effect
        self._column = column
        self._reset()

    def _reset(self) -> None:
        self._current = ColumnSketch(self._reference.kind)
        self._pending: list[Any] = []
        self._filled = 0
        self._windows = 0
        self._detected = False
        self._result: DriftResult | None = None

    # -- reading
    @property
    def drift_detected(self) -> bool:
        """Whether a window closed by the latest ``update`` drifted."""
        return self._detected

    @property
    def result(self) -> DriftResult | None:
        """The drifted window's result after a detection, else the last closed window's."""
        return self._result

    @property
    def n_windows(self) -> int:
        """Windows tested so far."""
        return self._windows

    @property
    def window(self) -> int:
        return self._window

    # -- writing
    def update(self, x: Any) -> None:
        """Add one value or an array of values."""
        self._detected = False
        if x is None or np.isscalar(x):
            self._pending.append(x)
            self._filled += 1
            if self._filled >= self._window:
                self._close()
            return
        values = as_arrow(x)
        start, size = 0, len(values)
        while start < size:
            take = min(self._window - self._filled, size - start)
            self._flush()
            self._current.update(values.slice(start, take))
            self._filled += take
            start += take
            if self._filled >= self._window:
                self._close()

    def _flush(self) -> None:
        if self._pending:
            self._current.update(self._pending)
            self._pending = []

    def _close(self) -> None:
        self._flush()
        self._windows += 1
        j = self._windows
        level = self._alpha / (j * (j + 1))
        why = screen(self._reference, self._current)
        if why is None:
            measure = MEASURES[self._method](self._column, self._reference, self._current)
            result = decide_one(measure, alpha=level, min_effect=self._min_effect)
        else:
            kind = "numeric" if self._reference.kind != "categorical" else "categorical"
            result = not_tested(self._column, self._method, kind, why)
        if result.drifted or not self._detected:
            self._result = result
        self._detected = self._detected or result.drifted
        self._current = ColumnSketch(self._reference.kind)
        self._filled = 0
