"""HTML reports: self-contained pages (inline CSS and SVG, no JavaScript, opens offline).

Domain layer: renders plain data handed to it (e.g. ``Profile.to_dict()``,
``DriftReport.to_dict()``) and does no I/O of its own; callers write the returned string
where they want it.
"""

from aweigh.report.monitor_html import (
    render_drift_html,
    render_fairness_html,
    render_monitor_html,
    render_quality_html,
)
from aweigh.report.profile_html import render_profile_html

__all__ = [
    "render_drift_html",
    "render_fairness_html",
    "render_monitor_html",
    "render_profile_html",
    "render_quality_html",
]
