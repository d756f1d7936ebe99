"""Monitor results in their JSON form, for the report tests, plus an HTML structure check.

The samples follow the ``to_dict()`` shapes of ``DriftReport``, ``QualityWindow`` and
``FairnessReport``; the tests that render real results (computed on Adult) live next to
them.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect", "path", "circle"}


class Tags(HTMLParser):
    """Collects tags and attributes and checks that every non-void tag closes in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attributes += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.attributes += attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> closes the wrong tag"


def parse(page: str) -> Tags:
    """The page's tags; fails when a tag is left open or closed out of order."""
    parser = Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], parser.stack
    return parser


def drift_result(column: str, *, drifted: bool, effect: float, **extra: Any) -> dict[str, Any]:
    """One ``DriftResult.to_dict()`` with three bins of detail."""
    shift = effect if drifted else effect / 3
    return {
        "column": column,
        "method": "ks",
        "kind": "numeric",
        "statistic": effect,
        "effect": effect,
        "effect_name": "KS distance",
        "p_value": 1e-6 if drifted else 0.4,
        "threshold": 0.05,
        "alpha": 0.0004,
        "drifted": drifted,
        "n_reference": 30_000,
        "n_current": 1_000,
        "approx_error": 0.0,
        "reason": f"KS distance {effect:.2f} {'>' if drifted else '<'} 0.05",
        "detail": {
            "bins": [
                {"label": "[0, 10)", "reference": 0.3, "current": 0.3 - shift},
                {"label": "[10, 20)", "reference": 0.4, "current": 0.4},
                {"label": "[20, 30)", "reference": 0.3, "current": 0.3 + shift},
            ]
        },
        **extra,
    }


def drift_report(results: list[dict[str, Any]]) -> dict[str, Any]:
    drifted = [r["column"] for r in results if r["drifted"]]
    return {
        "results": results,
        "drifted": drifted,
        "n_reference": 30_000,
        "n_current": 1_000,
        "dataset_drift": bool(drifted),
        "summary": f"{len(drifted)} of {len(results)} columns drifted: {', '.join(drifted)}",
    }


def calibration(shift: float) -> list[dict[str, Any]]:
    return [
        {
            "low": b / 10,
            "high": (b + 1) / 10,
            "mean_predicted": b / 10 + 0.05,
            "observed": min(max(b / 10 + 0.05 + shift, 0.0), 1.0),
            "count": 100 - 8 * b,
        }
        for b in range(10)
    ]


def quality_window(hour: int, *, version: int = 1, accuracy: float | None = 0.84) -> dict[str, Any]:
    """One ``QualityWindow.to_dict()`` of a binary classifier, an hour long."""
    metrics: dict[str, Any] = {
        "n": 600,
        "accuracy": accuracy,
        "precision": 0.7,
        "recall": 0.6,
        "f1": 0.65,
        "roc_auc": 0.9,
        "log_loss": 0.35,
        "brier": 0.11,
        "ece": 0.02,
        "calibration": calibration(0.01 * version),
        "reasons": {},
    }
    return {
        "start": f"2026-11-2{hour // 24}T{hour % 24:02d}:00:00+00:00",
        "end": f"2026-11-2{(hour + 1) // 24}T{(hour + 1) % 24:02d}:00:00+00:00",
        "version": version,
        "segment": {},
        "n": 1000,
        "n_labeled": 600,
        "coverage": 0.6,
        "metrics": metrics,
        "estimated": {"accuracy": 0.83, "f1": 0.64, "roc_auc": 0.89},
        "invalid_labels": 0,
    }


def _estimate(value: float | None, spread: float = 0.03) -> dict[str, float | None]:
    if value is None:
        return {"value": None, "low": None, "high": None}
    return {"value": value, "low": max(value - spread, 0.0), "high": min(value + spread, 1.0)}


def fairness_group(
    attribute: str, group: Any, rate: float, *, n: int = 500, flagged: bool = False
) -> dict[str, Any]:
    """One ``GroupMetrics.to_dict()``."""
    return {
        "attribute": attribute,
        "group": group,
        "n": n,
        "n_labeled": n,
        "too_small": n < 30,
        "p_selection": 0.001 if flagged else 0.5,
        "p_tpr": 0.3,
        "flagged": flagged,
        "selection_rate": _estimate(rate),
        "tpr": _estimate(min(rate * 2.5, 1.0)),
        "fpr": _estimate(rate / 4),
        "precision": _estimate(0.7),
        "accuracy": _estimate(0.82),
    }


def fairness_report(*, hostile: bool = False) -> dict[str, Any]:
    """A report where sex fails four-fifths and one small race group is not judged."""
    race = HOSTILE if hostile else "Amer-Indian-Eskimo"
    groups = [
        fairness_group("sex", "Male", 0.25, n=6000),
        fairness_group("sex", "Female", 0.08, n=3000, flagged=True),
        fairness_group("race", "White", 0.2, n=8000),
        fairness_group("race", "Black", 0.12, n=900),
        fairness_group("race", race, 0.1, n=12),
        fairness_group("sex&race", ["Female", "Black"], 0.05, n=450, flagged=True),
    ]
    gap = {"value": 0.17, "low": 0.15, "high": 0.19}
    return {
        "n": 9000,
        "n_labeled": 9000,
        "positive": ">50K",
        "passed": False,
        "summary": "fairness FAIL: sex fails four-fifths",
        "overall": fairness_group("all", None, 0.19, n=9000),
        "groups": groups,
        "attributes": [
            {
                "attribute": "sex",
                "groups": 2,
                "judged": 2,
                "four_fifths": False,
                "demographic_parity_difference": gap,
                "demographic_parity_ratio": {"value": 0.32, "low": 0.28, "high": 0.36},
                "equalized_odds_difference": gap,
                "tpr_difference": gap,
                "fpr_difference": {"value": 0.04, "low": 0.03, "high": 0.05},
            },
            {
                "attribute": "race",
                "groups": 3,
                "judged": 2,
                "four_fifths": True,
                "demographic_parity_difference": {"value": 0.08, "low": None, "high": None},
                "demographic_parity_ratio": {"value": 0.81, "low": 0.7, "high": 0.9},
                "equalized_odds_difference": {"value": 0.1, "low": 0.05, "high": 0.15},
                "tpr_difference": gap,
                "fpr_difference": gap,
            },
        ],
        "settings": {"min_group_size": 30, "n_boot": 1000, "confidence": 0.95, "alpha": 0.05},
    }
