"""Drift detectors, one per module, and ``compare(reference, current)``.

Numbers: Kolmogorov-Smirnov (:mod:`.ks`, the default), PSI on reference quantile bins
(:mod:`.psi`), Wasserstein distance in reference sds (:mod:`.wasserstein`),
Jensen-Shannon distance (:mod:`.jensen_shannon`). Categories: chi-square with an
explicit ``(unseen)`` bucket (:mod:`.chi_square`, the default), PSI, Jensen-Shannon.
Every column also gets a missing-share check (:mod:`.missing`) when either side has
missing values. Multivariate: a domain classifier (:mod:`.domain_classifier`) and PCA
reconstruction error (:mod:`.pca`). Model outputs: :func:`compare_predictions`,
:func:`compare_labels`. Streams: :class:`StreamingDrift` (river's shape).

Everything univariate runs on mergeable sketches (:class:`ColumnSketch`,
:class:`WindowSketch`): a window of events is reduced in one pass and constant memory,
windows merge, and a training ``Profile`` is a reference.

The decision rule
-----------------
Each check yields an effect size (KS distance, PSI, Wasserstein/sd, JS distance,
chi-square distance, Cohen's h, AUC - 0.5, relative PCA error increase), its null
distribution at these sample sizes, and ``approx_error``, a bound on the sketch's
error in the effect (0 when exact). Then::

    drifted  iff  effect - approx_error >= max(min_effect, critical(alpha_i))

- ``critical(alpha_i)`` is the effect a no-change comparison exceeds with probability
  ``alpha_i`` (analytic asymptotic nulls: Kolmogorov for KS, chi-square for PSI, JS and
  chi-square, normal for missing shares, AUC and PCA, a Borell-TIS bound for
  Wasserstein). It shrinks like ``1 / sqrt(n)``.
- ``alpha_i`` comes from Holm's procedure over all checks of one comparison at
  family-wise ``alpha`` (0.01 by default): with 25 unchanged columns the chance of
  *any* false alarm is at most 1%, not 25 times that.
- ``min_effect`` is a floor per method (:data:`base.MIN_EFFECT`), the size of a 0.1-sd
  mean shift (KS 0.04, PSI 0.01, Wasserstein 0.1 sd, JS 0.035, chi-square distance 0.1).
  It stops p-value creep: at a million rows a 0.01-sd shift is "significant" (KS p ~
  1e-11) but never crosses the floor, while a real 0.3-sd shift in 1,000 rows (KS 0.12)
  clears both the floor and the critical value (0.066 at alpha 0.01/25).
- Subtracting ``approx_error`` means sketch error can hide a borderline change but
  never invent one; monitor sketches use ``k=2000`` so that error stays far below the
  floors.

Fewer than 30 present values on a side, all values missing, an absent or new column:
the result says so (``drifted=False``, ``reason``) and nothing raises; the
missing-share check flags a column that went all-null or disappeared.
"""

from aweigh.monitor.drift.base import MIN_EFFECT, MIN_ROWS, DriftResult
from aweigh.monitor.drift.chi_square import chi_square_test
from aweigh.monitor.drift.compare import compare
from aweigh.monitor.drift.jensen_shannon import jensen_shannon_test
from aweigh.monitor.drift.ks import ks_test
from aweigh.monitor.drift.missing import missing_share_test
from aweigh.monitor.drift.outputs import compare_labels, compare_predictions
from aweigh.monitor.drift.psi import psi_test
from aweigh.monitor.drift.report import DriftReport
from aweigh.monitor.drift.sketch import ColumnSketch, WindowSketch
from aweigh.monitor.drift.streaming import StreamingDrift
from aweigh.monitor.drift.wasserstein import wasserstein_test

__all__ = [
    "MIN_EFFECT",
    "MIN_ROWS",
    "ColumnSketch",
    "DriftReport",
    "DriftResult",
    "StreamingDrift",
    "WindowSketch",
    "chi_square_test",
    "compare",
    "compare_labels",
    "compare_predictions",
    "jensen_shannon_test",
    "ks_test",
    "missing_share_test",
    "psi_test",
    "wasserstein_test",
]
