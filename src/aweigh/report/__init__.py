"""HTML reports: self-contained pages (inline CSS and SVG, no JavaScript, opens offline).

Domain layer: renders plain data handed to it (e.g. ``Profile.to_dict()``) and does no
I/O of its own; callers write the returned string where they want it.
"""

from aweigh.report.profile_html import render_profile_html

__all__ = ["render_profile_html"]
