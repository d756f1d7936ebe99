"""Monitoring reports as self-contained HTML pages: drift, quality over time, fairness.

Like the profile page, each report is one file with inline CSS and inline SVG plots, no
JavaScript and nothing to fetch (a Content-Security-Policy forbids scripts and loads), so
it opens offline and can be mailed or archived. Every user-supplied string (column
names, group values, reasons) is escaped.

The renderers read plain data, the JSON form of the monitor results
(``DriftReport.to_dict()``, a list of ``QualityWindow.to_dict()``,
``FairnessReport.to_dict()``), so a report can be rebuilt later from stored JSON without
the code that computed it.

>>> page = render_monitor_html(drift={"results": [{"column": "<age>", "drifted": True}]})
>>> "&lt;age&gt;" in page and "<age>" not in page
True
"""

from __future__ import annotations

from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.report.monitor_drift import drift_sections, render_drift_html
from aweigh.report.monitor_fairness import fairness_sections, render_fairness_html
from aweigh.report.monitor_page import page
from aweigh.report.monitor_quality import quality_sections, render_quality_html

__all__ = [
    "render_drift_html",
    "render_fairness_html",
    "render_monitor_html",
    "render_quality_html",
]


def render_monitor_html(
    drift: Any = None,
    quality: Any = None,
    fairness: Any = None,
    *,
    title: str = "Monitoring report",
) -> str:
    """One page with the drift, quality and fairness parts that are given (at least one)."""
    if drift is None and quality is None and fairness is None:
        raise InvalidInputError(
            "render_monitor_html needs at least one of drift=, quality= or fairness=."
        )
    body: list[str] = []
    links = []
    for name, value, sections in (
        ("drift", drift, drift_sections),
        ("quality", quality, quality_sections),
        ("fairness", fairness, fairness_sections),
    ):
        if value is not None:
            body += sections(value)
            links.append(f"<a href='#{name}'>{name}</a>")
    separator = " \u00b7 "
    nav = f"<p class='sub'>{separator.join(links)}</p>" if len(links) > 1 else ""
    return page(title, "aweigh monitoring report", [nav, *body])
