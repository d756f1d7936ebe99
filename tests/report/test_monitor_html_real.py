"""The monitoring pages drawn from real results computed on the Adult census data."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from aweigh.report.monitor_html import (
    render_drift_html,
    render_fairness_html,
    render_monitor_html,
    render_quality_html,
)
from tests.report import _monitor_real as real
from tests.report._monitor_samples import parse


def _summary(page: str, element_id: str) -> str:
    match = re.search(rf'<div class="summary[^"]*" id="{element_id}">(.*?)</div>', page, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(1)


def test_drift_page_names_exactly_the_shifted_adult_columns() -> None:
    report = real.drift_dict()
    assert set(report["drifted"]) == real.SHIFTED
    page = render_drift_html(report, title="Adult: train vs older, more educated")
    listed = re.findall(r'<li class="drifted-column">(.*?)</li>', _summary(page, "drift-summary"))
    assert set(listed) == real.SHIFTED
    assert f"{len(real.SHIFTED)} of {len(real.DRIFT_COLUMNS)} columns drifted" in page
    # one card per column, each with its reference and current bins drawn
    assert page.count('<section class="card') == len(real.DRIFT_COLUMNS)
    assert page.count("plot-bins") == len(real.DRIFT_COLUMNS)
    assert "no distribution detail" not in page


def test_drift_page_from_stored_json_is_the_same_page() -> None:
    report = real.drift_dict()
    stored = json.loads(json.dumps(report, allow_nan=False))
    assert render_drift_html(stored) == render_drift_html(report)


def test_quality_page_shows_both_versions_realised_and_estimated() -> None:
    windows = real.quality_dicts()
    assert len(windows) == 14  # 13,281 rows at 1,000 an hour
    page = render_quality_html(windows, title="income quality")
    parse(page)
    summary = _summary(page, "quality-summary")
    assert "14 windows" in summary
    assert "v1" in summary
    assert "v2" in summary
    accuracy = re.search(r'<svg[^>]*aria-label="accuracy over time.*?</svg>', page, re.S)
    assert accuracy is not None
    assert accuracy.group(0).count("<path") == 4  # two versions, realised and estimated
    assert page.count("plot-reliability") == 2
    assert 'aria-label="label coverage over time' in page


def test_fairness_page_names_every_failing_attribute_and_flagged_group() -> None:
    report = real.fairness_dict()
    page = render_fairness_html(report, title="income fairness")
    summary = _summary(page, "fairness-summary")
    failing = [a["attribute"] for a in report["attributes"] if a["four_fifths"] is False]
    flagged = [g for g in report["groups"] if g["flagged"]]
    assert failing  # the model selects men far more often than women on Adult
    for attribute in failing:
        assert f"<b>{escape(attribute)}</b> fails the four-fifths rule" in summary
    for group in flagged:
        value = group["group"] if isinstance(group["group"], str) else " & ".join(group["group"])
        assert escape(f"{group['attribute']}={value}") + "</b> flagged" in summary
    small = [g for g in report["groups"] if g["too_small"]]
    assert page.count("(too small)") == 4 * len(small)


def test_combined_page_of_real_results_is_well_formed() -> None:
    parts: dict[str, Any] = {
        "drift": real.drift_dict(),
        "quality": real.quality_dicts(),
        "fairness": real.fairness_dict(),
    }
    page = render_monitor_html(**parts, title="income: weekly monitoring")
    tags = parse(page)
    assert "script" not in tags.seen
    plots = page.count('<svg xmlns="http://www.w3.org/2000/svg" class="plot')
    assert plots == (1 + 10) + (8 + 1 + 2) + 3 * 4  # drift, quality, fairness
