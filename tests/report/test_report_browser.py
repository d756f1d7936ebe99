"""The monitoring reports open in a real browser (headless Chromium) and their plots draw.

Needs Debian's ``chromium`` (``./scripts/ensure-browser.sh`` installs it) and the Python
``playwright`` package, which drives that browser: ``playwright install`` is never run,
so nothing is downloaded at test time. Without them the tests skip locally and fail
under ``CI``: a CI run must never silently lose them.

Each page is opened from a ``file://`` URL with JavaScript off in the page (its
Content-Security-Policy forbids scripts); the checks run through the DevTools protocol.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aweigh.report.monitor_html import render_monitor_html
from tests.report import _monitor_real as real
from tests.report._monitor_samples import (
    HOSTILE,
    drift_report,
    drift_result,
    fairness_group,
    fairness_report,
    quality_window,
)

# Per plot: its size, and how many marks (bars, whiskers, lines, dots) have a size.
_MEASURE = """
() => [...document.querySelectorAll("svg.plot")].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll("rect, path, circle")];
  const sized = marks.filter(m => {
    const b = m.getBoundingClientRect();
    return b.width > 0 && b.height > 0;
  });
  return {label: svg.getAttribute("aria-label"), kind: svg.getAttribute("class"),
          width: box.width, height: box.height, marks: marks.length, sized: sized.length,
          dots: svg.querySelectorAll("circle").length};
})
"""
_SHOW = (
    "(svg, v) => svg.querySelectorAll('rect, path, circle')"
    ".forEach(m => { m.style.visibility = v; })"
)


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(message: str) -> None:
    if _under_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        _missing("chromium is not on PATH; run ./scripts/ensure-browser.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is missing; pip install 'playwright>=1.45'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Opened:
    """A report open in a browser tab, with what the tab logged."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def plots(self) -> list[dict[str, Any]]:
        measured: list[dict[str, Any]] = self.page.evaluate(_MEASURE)
        return measured

    def marks_paint(self, index: int) -> bool:
        """Whether hiding the plot's marks changes its pixels (so they drew something)."""
        svg = self.page.locator("svg.plot").nth(index)
        before = svg.screenshot()
        svg.evaluate(_SHOW, "hidden")
        after = svg.screenshot()
        svg.evaluate(_SHOW, "")
        return bool(before != after)


def _open(browser: Any, tmp_path: Path, name: str, html: str) -> Opened:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return Opened(browser, path)


def _assert_plots_drew(opened: Opened, expected: int) -> list[dict[str, Any]]:
    """Every plot has a size and sized marks (lines and calibration plots: dots); the first
    plot of each kind is also checked pixel by pixel (hiding its marks changes the image)."""
    plots = opened.plots()
    assert len(plots) == expected, [p["label"] for p in plots]
    seen_kinds: set[str] = set()
    for i, plot in enumerate(plots):
        assert plot["width"] > 0, plot
        assert plot["height"] > 0, plot
        assert plot["sized"] > 0, plot
        if "plot-lines" in plot["kind"] or "plot-reliability" in plot["kind"]:
            assert plot["dots"] > 0, plot
        if plot["kind"] not in seen_kinds:
            seen_kinds.add(plot["kind"])
            assert opened.marks_paint(i), f"the marks of {plot['label']!r} paint no pixels"
    assert opened.errors == []
    assert opened.dialogs == []
    return plots


def test_adult_reports_draw_every_plot_in_chromium(browser: Any, tmp_path: Path) -> None:
    html = render_monitor_html(
        drift=real.drift_dict(),
        quality=real.quality_dicts(),
        fairness=real.fairness_dict(),
        title="income: weekly monitoring",
    )
    opened = _open(browser, tmp_path, "adult.html", html)
    plots = _assert_plots_drew(opened, expected=(1 + 10) + (8 + 1 + 2) + 3 * 4)
    kinds = {p["kind"] for p in plots}
    assert kinds == {f"plot plot-{k}" for k in ("bins", "hbars", "lines", "reliability")}
    summary = opened.page.inner_text("#drift-summary")
    assert f"{len(real.SHIFTED)} of {len(real.DRIFT_COLUMNS)} columns drifted" in summary
    for column in real.SHIFTED:
        assert column in summary
    assert "sex fails the four-fifths rule" in opened.page.inner_text("#fairness-summary")


def test_sparse_results_still_draw(browser: Any, tmp_path: Path) -> None:
    flat = drift_result("constant", drifted=False, effect=0.0)
    flat["detail"] = {"bins": [{"bin": "0", "reference": 1.0, "current": 1.0}]}
    empty_bins = drift_result("new", drifted=True, effect=0.5)
    empty_bins["detail"] = {"bins": [{"bin": "a", "reference": 0.0, "current": 0.0}]}
    window = quality_window(0)
    window["estimated"] = None
    html = render_monitor_html(
        drift=drift_report([flat, empty_bins]),
        quality=[window],
        fairness={"groups": [fairness_group("sex", "Female", 0.0, n=10)], "attributes": []},
    )
    opened = _open(browser, tmp_path, "sparse.html", html)
    _assert_plots_drew(opened, expected=(1 + 2) + (8 + 1 + 1) + 4)


def test_hostile_names_do_not_run_in_the_browser(browser: Any, tmp_path: Path) -> None:
    html = render_monitor_html(
        drift=drift_report([drift_result(HOSTILE, drifted=True, effect=0.3)]),
        quality=[quality_window(0) | {"segment": {"country": HOSTILE}}, quality_window(1)],
        fairness=fairness_report(hostile=True),
        title=HOSTILE,
    )
    opened = _open(browser, tmp_path, "combined.html", html)
    assert opened.page.title() == HOSTILE
    assert HOSTILE in opened.page.inner_text("#drift-summary")
    assert opened.page.locator("script").count() == 0
    assert opened.errors == []
    assert opened.dialogs == []
