"""The monitoring pages: self-contained, escaped, every drifted column named, plots drawn."""

from __future__ import annotations

import doctest
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.report import (
    monitor_drift,
    monitor_fairness,
    monitor_html,
    monitor_plots,
    monitor_quality,
)
from aweigh.report.monitor_html import (
    render_drift_html,
    render_fairness_html,
    render_monitor_html,
    render_quality_html,
)
from tests.report._monitor_samples import (
    HOSTILE,
    drift_report,
    drift_result,
    fairness_report,
    parse,
    quality_window,
)


def _summary(page: str, element_id: str) -> str:
    match = re.search(rf'<div class="summary[^"]*" id="{element_id}">(.*?)</div>', page, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(1)


def _self_contained(page: str) -> None:
    tags = parse(page)
    assert "script" not in tags.seen
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"(src|href)=['\"](?!#)", page), "the page links to something"
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "@import" not in page
    assert "url(" not in page


@pytest.mark.parametrize(
    "module", [monitor_html, monitor_plots], ids=lambda m: m.__name__.rsplit(".", 1)[-1]
)
def test_docstring_examples_run(module: object) -> None:
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0
    assert failures == 0


def test_summary_names_every_drifted_column_of_many() -> None:
    results = [
        drift_result(f"feature_{i}", drifted=i % 4 == 0, effect=0.02 + i / 200) for i in range(25)
    ]
    page = render_drift_html(drift_report(results), title="weekly drift")
    summary = _summary(page, "drift-summary")
    drifted = [f"feature_{i}" for i in range(0, 25, 4)]
    assert "7 of 25 columns drifted" in summary
    assert re.findall(r'<li class="drifted-column">(.*?)</li>', summary) == sorted(
        drifted, key=lambda c: -int(c.split("_")[1])
    )
    _self_contained(page)


def test_summary_adds_columns_only_the_report_list_names() -> None:
    report = drift_report([drift_result("age", drifted=False, effect=0.01)])
    report["drifted"] = ["age", "hours"]
    summary = _summary(render_drift_html(report), "drift-summary")
    assert "age" in summary
    assert "hours" in summary


def test_no_drift_summary_says_so() -> None:
    report = drift_report([drift_result("age", drifted=False, effect=0.01)])
    assert "No drift" in _summary(render_drift_html(report), "drift-summary")


def test_table_ranks_drifted_first_then_effect_over_threshold() -> None:
    results = [
        drift_result("small", drifted=False, effect=0.01),
        drift_result("psi_big", drifted=True, effect=0.3, method="psi", threshold=0.25),
        drift_result("ks_big", drifted=True, effect=0.2),
        drift_result("middle", drifted=False, effect=0.04),
        drift_result("unmeasured", drifted=False, effect=0.0, reason="too few rows"),
    ]
    results[-1].update(effect=None, statistic=None)
    page = render_drift_html(drift_report(results))
    table = page[page.index("<table class='drift'>") :]
    order = re.findall(r"<td class='name'>(\w+)</td>", table)
    assert order == ["ks_big", "psi_big", "middle", "small", "unmeasured"]
    assert "too few rows" in table


def test_each_column_gets_reference_and_current_bins() -> None:
    page = render_drift_html(drift_report([drift_result("age", drifted=True, effect=0.2)]))
    svg = re.search(r'<svg[^>]*class="plot plot-bins".*?</svg>', page, re.S)
    assert svg is not None
    assert svg.group(0).count("<rect") == 6  # two bars in each of three bins
    assert "[0, 10): reference 30.0%, current 10.0%" in svg.group(0)


@pytest.mark.parametrize(
    "detail",
    [
        {"labels": ["a", "b"], "reference": [0.5, 0.5], "current": [0.2, 0.8]},
        {"categories": ["a", "b"], "reference": [0.5, 0.5], "current": [0.2, 0.8]},
        {"edges": [0, 1, 2], "reference": [0.5, 0.5], "current": [0.2, 0.8]},
        {
            "bins": [
                {"category": "a", "reference_share": 0.5, "current_share": 0.2},
                {"category": "b", "reference_share": 0.5, "current_share": 0.8},
            ]
        },
    ],
    ids=["labels", "categories", "edges", "bin-objects"],
)
def test_bins_are_read_from_each_detail_shape(detail: dict[str, object]) -> None:
    labels, reference, current = monitor_drift.bins_of(detail) or ([], [], [])
    assert len(labels) == 2
    assert reference == [0.5, 0.5]
    assert current == [0.2, 0.8]


@pytest.mark.parametrize(
    "detail",
    [None, {}, {"reference": [0.5], "current": [0.2, 0.8]}, {"reference": [None], "current": [1]}],
)
def test_a_result_without_usable_bins_says_so_instead_of_plotting(detail: object) -> None:
    result = drift_result("age", drifted=False, effect=0.01)
    result["detail"] = detail
    page = render_drift_html(drift_report([result]))
    assert "no distribution detail to plot" in page


def test_many_bins_draw_as_columns_with_end_labels() -> None:
    bins = [{"label": f"b{i}", "reference": 0.05, "current": 0.05} for i in range(24)]
    result = drift_result("age", drifted=False, effect=0.01, detail={"bins": bins})
    page = render_drift_html(drift_report([result]))
    assert ">b0</text>" in page
    assert ">b23</text>" in page
    assert ">b7</text>" not in page


def test_hostile_names_are_escaped_everywhere() -> None:
    drift = drift_report([drift_result(HOSTILE, drifted=True, effect=0.3)])
    drift["results"][0]["detail"]["bins"][0]["label"] = HOSTILE
    windows = [quality_window(0) | {"segment": {"country": HOSTILE}}]
    page = render_monitor_html(
        drift=drift, quality=windows, fairness=fairness_report(hostile=True), title=HOSTILE
    )
    _self_contained(page)
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") >= 6


def test_quality_plots_realised_solid_and_estimated_dashed() -> None:
    windows = [quality_window(h) for h in range(6)] + [quality_window(h, version=2) for h in (4, 5)]
    page = render_quality_html(windows, title="income quality")
    _self_contained(page)
    accuracy = re.search(r'<svg[^>]*aria-label="accuracy over time.*?</svg>', page, re.S)
    assert accuracy is not None
    svg = accuracy.group(0)
    assert svg.count("<path") == 4  # v1 and v2, realised and estimated
    assert svg.count('stroke-dasharray="5 4"') == 2  # the two estimated lines
    assert svg.count("<circle") == 16
    assert 'aria-label="label coverage over time' in page
    assert page.count("plot-reliability") == 2  # one diagram per version
    summary = _summary(page, "quality-summary")
    assert "8 windows" in summary
    assert "v1" in summary
    assert "v2" in summary


def test_quality_window_without_a_metric_breaks_the_line() -> None:
    windows = [quality_window(0), quality_window(1, accuracy=None), quality_window(2)]
    page = render_quality_html(windows)
    svg = re.search(r'<svg[^>]*aria-label="accuracy over time.*?</svg>', page, re.S)
    assert svg is not None
    realised = re.search(
        r'<path d="([^"]*)" fill="none" stroke="#4c78a8" stroke-width="2">', svg.group(0)
    )
    assert realised is not None
    assert realised.group(1).count("M") == 2


def test_quality_windows_are_shown_in_time_order() -> None:
    page = render_quality_html([quality_window(3), quality_window(1), quality_window(2)])
    table = page[page.index("<table class='quality'>") :]
    starts = re.findall(r"<tr><td>(2026-[^<]+)</td>", table)
    assert starts == sorted(starts)
    assert len(starts) == 3


def test_quality_of_a_regressor_plots_its_errors() -> None:
    window = quality_window(0)
    window["metrics"] = {"n": 10, "mae": 1.5, "rmse": 2.0, "mape": 0.1, "r2": 0.7}
    window["estimated"] = {}
    page = render_quality_html([window, window | {"start": "2026-11-20T01:00:00Z"}])
    assert 'aria-label="mae over time' in page
    assert 'aria-label="accuracy' not in page
    assert "plot-reliability" not in page


def test_fairness_summary_names_failing_attribute_and_flagged_groups() -> None:
    page = render_fairness_html(fairness_report(), title="income fairness")
    _self_contained(page)
    summary = _summary(page, "fairness-summary")
    assert "Fairness: FAIL" in summary
    assert "<b>sex</b> fails the four-fifths rule" in summary
    assert "sex=Female</b> flagged" in summary
    assert "sex&amp;race=Female &amp; Black</b> flagged" in summary


def test_fairness_plots_draw_whiskers_and_grey_out_small_groups() -> None:
    page = render_fairness_html(fairness_report())
    svgs = re.findall(r'<svg[^>]*class="plot plot-hbars".*?</svg>', page, re.S)
    assert len(svgs) == 3 * 4  # three attributes, four metrics each
    race = next(s for s in svgs if "Amer-Indian-Eskimo (too small)" in s)
    assert 'fill="#c3c8d1"' in race  # the small group drawn grey
    assert race.count("<path") == 3  # one whisker per race group
    assert "too small" in page


def test_fairness_accepts_flat_rows() -> None:
    rows = [
        {"attribute": "sex", "group": "Male", "n": 100, "selection_rate": 0.3,
         "selection_rate_low": 0.25, "selection_rate_high": 0.35, "flagged": False},
        {"attribute": "sex", "group": "Female", "n": 100, "selection_rate": 0.1,
         "selection_rate_low": 0.05, "selection_rate_high": 0.15, "flagged": True},
    ]  # fmt: skip
    page = render_fairness_html(rows)
    assert "sex=Female</b> flagged" in page
    assert page.count("plot-hbars") == 1


def test_report_renders_the_same_from_its_json() -> None:
    report = drift_report([drift_result("age", drifted=True, effect=0.2)])
    assert render_drift_html(json.loads(json.dumps(report))) == render_drift_html(report)


def test_combined_page_links_its_parts() -> None:
    page = render_monitor_html(
        drift=drift_report([drift_result("age", drifted=True, effect=0.2)]),
        quality=[quality_window(0), quality_window(1)],
        fairness=fairness_report(),
    )
    _self_contained(page)
    for part in ("drift", "quality", "fairness"):
        assert f"<a href='#{part}'>" in page
        assert f"id='{part}'" in page


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: render_drift_html([]), "drift report must be a JSON object"),
        (lambda: render_drift_html({"columns": []}), "no 'results' list"),
        (lambda: render_drift_html({"results": [{"effect": 1}]}), "not an object with a 'column'"),
        (lambda: render_quality_html({"start": 1}), "must be a JSON list"),
        (lambda: render_quality_html([{"start": "yesterday"}]), "no readable 'start' time"),
        (lambda: render_quality_html([3]), "window #1 is not an object"),
        (lambda: render_fairness_html("x"), "must be a JSON object"),
        (lambda: render_fairness_html({"n": 3}), "no 'groups' list"),
        (lambda: render_fairness_html({"groups": [{"n": 1}]}), "not an object with an 'attr"),
        (lambda: render_fairness_html([{"attribute": "sex"}]), "'attribute' and 'group'"),
        (lambda: render_monitor_html(), "at least one of drift=, quality= or fairness="),
    ],
)  # fmt: skip
def test_malformed_input_is_refused_with_what_to_pass(call: object, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        call()  # type: ignore[operator]


def test_empty_inputs_render_a_page_that_says_so() -> None:
    assert "No drift" in render_drift_html({"results": []})
    assert "No quality windows" in render_quality_html([])
    assert "Fairness per group" in render_fairness_html({"groups": []})


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5, unique=True),
    effects=st.lists(st.floats(0, 1, allow_nan=False), min_size=5, max_size=5),
)
def test_any_column_names_give_a_well_formed_page_naming_every_drifted_one(
    names: list[str], effects: list[float]
) -> None:
    results = [
        drift_result(name, drifted=i % 2 == 0, effect=effects[i]) for i, name in enumerate(names)
    ]
    page = render_drift_html(drift_report(results))
    tags = parse(page)
    assert "script" not in tags.seen
    summary = _summary(page, "drift-summary")
    listed = re.findall(r'<li class="drifted-column">(.*?)</li>', summary, re.S)
    assert len(listed) == len(names[::2])


def test_plots_draw_marks_of_non_zero_size_for_zero_values() -> None:
    bars = monitor_plots.hbars(["a", "b"], [0.0, None], title="t")
    assert re.search(r'<rect[^>]*width="1"', bars)
    bins = monitor_plots.overlaid_bins(["a"], [0.0], [0.0], title="t")
    assert bins.count('width="1"') == 2
    one = monitor_plots.lines(
        [monitor_plots.Series("s", [5.0], [0.5])], title="t", x_labels=("a", "b")
    )
    assert "<circle" in one
    empty = monitor_plots.reliability([], [], [], title="t")
    assert "<rect" in empty
    assert "<circle" not in empty


def test_quality_module_orders_known_metrics_first() -> None:
    window = quality_window(0)
    window["metrics"]["zeta"] = 0.5
    names = monitor_quality._metric_names([window])
    assert names[:2] == ["accuracy", "f1"]
    assert names[-1] == "zeta"


def test_fairness_estimates_read_from_each_shape() -> None:
    assert monitor_fairness.estimate({"x": {"value": 1, "low": 0, "high": 2}}, "x") == (1, 0, 2)
    assert monitor_fairness.estimate({"x": 1, "x_low": 0, "x_high": 2}, "x") == (1, 0, 2)
    assert monitor_fairness.estimate({"x": 1, "x_ci": [0, 2]}, "x") == (1, 0, 2)
    assert monitor_fairness.estimate({}, "x") == (None, None, None)


def test_missing_share_and_multivariate_checks_get_their_own_plots() -> None:
    missing = drift_result("occupation", drifted=True, effect=0.3, method="missing_share")
    missing["detail"] = {"reference_share": 0.06, "current_share": 0.3}
    domain = drift_result("*", drifted=True, effect=0.2, method="domain_classifier")
    domain.update(kind="multivariate")
    domain["detail"] = {"top_features": [{"column": "age", "importance": 0.15}]}
    page = render_drift_html(drift_report([missing, domain]))
    summary = _summary(page, "drift-summary")
    assert '<li class="drifted-column">occupation</li>' in summary
    assert "<li class='drifted-check'>all features (domain classifier)</li>" in summary
    assert 'aria-label="missing share of occupation"' in page
    assert "missing: reference 6.0%, current 30.0%" in page
    assert 'aria-label="features that tell reference and current apart' in page
    assert "no distribution detail" not in page


def test_checks_of_one_column_share_one_card() -> None:
    ks = drift_result("age", drifted=False, effect=0.01)
    missing = drift_result("age", drifted=True, effect=0.3, method="missing_share", detail={})
    page = render_drift_html(drift_report([ks, missing]))
    assert page.count('<section class="card') == 1
    assert page.count("plot-bins") == 1  # the KS bins, drawn once
    assert "1 of 1 columns drifted" in page
