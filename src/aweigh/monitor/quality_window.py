"""One window of live quality: what :func:`aweigh.monitor.quality.quality_windows` returns.

A plain frozen record with ``to_dict()`` for reports, the dashboard and the metadata store;
realised and estimated metrics sit side by side, and ``estimate_gap()`` says how far the
estimate was from what the labels later showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["QualityWindow"]

_COMPARED = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True, slots=True)
class QualityWindow:
    """Quality of one version (and segment) over one range of prediction time.

    ``coverage`` is the share of predictions with a usable label; label delays are over
    predictions whose feedback arrived (seconds from prediction to latest feedback).
    ``metrics`` are realised on labelled rows, ``estimated`` from probabilities of all
    rows (None without a calibration). ``invalid_labels`` counts feedback that is no class
    (or no number) of the model, ``invalid_outputs`` predictions whose output is not,
    ``invalid_proba`` rows whose probabilities are missing or malformed.
    ``unknown_labels`` counts feedback received in this time range that matched no
    prediction; it has no version or segment, so every window of the range shows it.
    """

    start: datetime
    end: datetime
    version: Any
    segment: Mapping[str, Any]
    n_predictions: int
    n_labeled: int
    coverage: float | None
    label_delay_p50_s: float | None
    label_delay_p90_s: float | None
    label_delay_max_s: float | None
    metrics: Mapping[str, Any]
    estimated: Mapping[str, Any] | None = None
    invalid_labels: int = 0
    invalid_label_examples: tuple[str, ...] = ()
    invalid_outputs: int = 0
    invalid_proba: int = 0
    unknown_labels: int = 0
    reasons: Mapping[str, str] = field(default_factory=dict)

    def estimate_gap(self) -> dict[str, float]:
        """Realised minus estimated, for the metrics both have (how far CBPE was off)."""
        if self.estimated is None:
            return {}
        gap: dict[str, float] = {}
        for name in _COMPARED:
            real, guess = self.metrics.get(name), self.estimated.get(name)
            if real is not None and guess is not None:
                gap[name] = float(real) - float(guess)
        return gap

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (times as RFC 3339 text) for reports and the dashboard."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "version": self.version,
            "segment": dict(self.segment),
            "n": self.n_predictions,
            "n_labeled": self.n_labeled,
            "coverage": self.coverage,
            "label_delay_s": {
                "p50": self.label_delay_p50_s,
                "p90": self.label_delay_p90_s,
                "max": self.label_delay_max_s,
            },
            "metrics": dict(self.metrics),
            "estimated": None if self.estimated is None else dict(self.estimated),
            "estimate_gap": self.estimate_gap(),
            "invalid_labels": self.invalid_labels,
            "invalid_label_examples": list(self.invalid_label_examples),
            "invalid_outputs": self.invalid_outputs,
            "invalid_proba": self.invalid_proba,
            "unknown_labels": self.unknown_labels,
            "reasons": dict(self.reasons),
        }
