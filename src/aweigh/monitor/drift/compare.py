"""``compare(reference, current)``: every column tested, one family, one report.

Both sides become :class:`~aweigh.monitor.drift.sketch.WindowSketch` values (a
training ``Profile`` converts without raw data; tables are sketched in one pass), then
each column gets its distribution test and, where either side has missing values,
the missing-share check. All tests of one comparison form one family: Holm keeps the
chance of any false alarm at ``alpha``. See :mod:`aweigh.monitor.drift` for the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.data._tables import to_arrow
from aweigh.data.profile import Profile
from aweigh.monitor.drift import domain_classifier, missing, pca
from aweigh.monitor.drift._decide import (
    check_alpha,
    check_min_effect,
    decide,
    not_tested,
    screen,
)
from aweigh.monitor.drift.base import DriftResult, Measurement
from aweigh.monitor.drift.methods import MEASURES, check_method
from aweigh.monitor.drift.report import MULTIVARIATE, DriftReport, sort_results
from aweigh.monitor.drift.sketch import ColumnSketch, WindowSketch

__all__ = ["compare"]

_WHERE = "compare"


def _names(value: Any, parameter: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(
            f"The {parameter!r} parameter of compare must be a list of column names. "
            f"Got {value!r} instead."
        )
    return list(value)


def _is_table(data: Any) -> bool:
    if isinstance(data, pa.Table | pa.RecordBatch):
        return True
    return type(data).__module__.split(".")[0] in ("pandas", "polars")


def _window(
    data: Any, side: str, kinds: Mapping[str, str], categorical: Sequence[str]
) -> tuple[WindowSketch, pa.Table | None]:
    """``data`` as a window sketch, and as an Arrow table when it was raw rows."""
    if isinstance(data, WindowSketch):
        for name in categorical:
            if name in data and data[name].kind not in ("categorical", "unknown"):
                raise InvalidInputError(
                    f"Column {name!r} of the {side} window was sketched as {data[name].kind}; "
                    "sketch it with WindowSketch(kinds={...: 'categorical'}) to compare it "
                    "as categories."
                )
        return data, None
    if isinstance(data, Profile):
        return WindowSketch.from_profile(data, categorical=categorical), None
    if _is_table(data):
        table = to_arrow(data, what=f"The {side} table")
        return WindowSketch.of(table, kinds), table
    if isinstance(data, str) or hasattr(data, "__fspath__"):
        raise InvalidInputError(
            f"The {side} is a path; aweigh.drift.compare reads CSV, Parquet and profile JSON "
            "files (this function takes tables, profiles and window sketches)."
        )
    raise InvalidInputError(
        f"The {side} must be a pandas DataFrame, a pyarrow Table, a Profile or a WindowSketch. "
        f"Got {type(data).__name__} instead."
    )


def _columns(ref: WindowSketch, cur: WindowSketch, asked: list[str] | None) -> list[str]:
    if asked is not None:
        unknown = [c for c in asked if c not in ref and c not in cur]
        if unknown:
            raise InvalidInputError(
                f"Columns {unknown} are in neither table; the reference has "
                f"{list(ref.columns)[:20]}."
            )
        return list(dict.fromkeys(asked))
    if len(cur) and len(ref) and not set(ref.columns) & set(cur.columns):
        raise InvalidInputError(
            "The reference and current tables share no columns: the reference has "
            f"{list(ref.columns)[:10]}, the current has {list(cur.columns)[:10]}. "
            "Compare tables with the same column names."
        )
    return list(ref.columns) + [c for c in cur.columns if c not in ref]


def _column_checks(
    name: str,
    ref: WindowSketch,
    cur: WindowSketch,
    methods: Mapping[str, str],
    explicit: bool,
    with_missing: bool,
) -> tuple[list[Measurement], list[DriftResult]]:
    """One column's measurements (to decide as a family) and untested results."""
    if name not in ref:
        kind = "numeric" if cur[name].kind in ("numeric", "datetime") else "categorical"
        reason = "new column: not in the reference, nothing to compare with"
        return [], [not_tested(name, "schema", kind, reason, n_current=cur[name].n)]
    r = ref[name]
    if name in cur:
        c = cur[name]
    else:  # absent from the current window: every one of its rows is missing there
        c = ColumnSketch(r.kind if r.kind != "unknown" else "categorical")
        c.add_missing(cur.rows)
    kind = "numeric" if r.kind in ("numeric", "datetime") else "categorical"
    if r.kind == "unknown" and c.kind != "unknown":
        kind = "numeric" if c.kind in ("numeric", "datetime") else "categorical"
    method = methods[kind]
    measurements: list[Measurement] = []
    untested: list[DriftResult] = []
    why = screen(r, c)
    if name not in cur and cur.rows > 0:
        why = "all values missing in current: the column is absent"
    if why is None and c.kind not in (r.kind, "unknown"):
        why = (
            f"kinds differ: {r.kind} in the reference, {c.kind} in the current; sketch "
            "both with the same kinds"
        )
    if why is None and r.kind == "datetime" and not explicit:
        why = "datetime column skipped: time moves on in every window (name it in columns=)"
    if why is None:
        measurements.append(MEASURES[method](name, r, c))
    else:
        untested.append(not_tested(name, method, kind, why, n_reference=r.n, n_current=c.n))
    if with_missing and missing.needs_check(r, c) and missing.too_few(r, c) is None:
        measurements.append(missing.measure(name, r, c))
    return measurements, untested


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    numeric_method: str = "ks",
    categorical_method: str = "chi_square",
    alpha: float = 0.01,
    min_effect: Mapping[str, float] | None = None,
    multivariate: bool = False,
    prediction: str | None = None,
    label: str | None = None,
    missing_check: bool = True,
    seed: int = 42,
) -> DriftReport:
    """Test every column of ``current`` against ``reference`` for drift.

    ``reference`` and ``current`` are pandas DataFrames, pyarrow Tables, ``Profile``
    objects or ``WindowSketch`` objects (column kinds come from the reference).
    ``categorical`` names numeric columns to compare as categories. Numbers use
    ``numeric_method`` (``ks``, ``psi``, ``wasserstein``, ``jensen_shannon``),
    categories ``categorical_method`` (``chi_square``, ``psi``, ``jensen_shannon``).
    ``prediction`` and ``label`` name the model-output and label columns (their results
    have kind ``prediction``/``label``). ``multivariate=True`` adds a domain classifier
    and a PCA reconstruction check (raw tables only).

    Decision: a check drifted iff ``effect - approx_error >= max(min_effect, critical)``,
    the critical value being its null's at the Holm-corrected level (family-wise
    ``alpha`` over all checks of this comparison); ``min_effect`` overrides the
    per-method floors of :data:`aweigh.monitor.drift.base.MIN_EFFECT`. Columns with
    fewer than 30 values, all values missing, absent or new are reported with the
    reason and never raise.
    """
    level = check_alpha(alpha, _WHERE)
    floors = check_min_effect(min_effect, _WHERE)
    methods = {
        "numeric": check_method(numeric_method, "numeric", "numeric_method", _WHERE),
        "categorical": check_method(
            categorical_method, "categorical", "categorical_method", _WHERE
        ),
    }
    asked = _names(columns, "columns")
    forced = _names(categorical, "categorical") or []
    ref, ref_table = _window(reference, "reference", dict.fromkeys(forced, "categorical"), forced)
    kinds = {n: k for n, k in ref.kinds.items() if k != "unknown"}
    cur, cur_table = _window(current, "current", kinds, forced)
    names = _columns(ref, cur, asked)
    roles = {n: k for n, k in ((prediction, "prediction"), (label, "label")) if n is not None}
    measurements: list[Measurement] = []
    results: list[DriftResult] = []
    for name in names:
        found, untested = _column_checks(name, ref, cur, methods, asked is not None, missing_check)
        measurements += [replace(m, kind=roles.get(name, m.kind)) for m in found]
        results += [replace(r, kind=roles.get(name, r.kind)) for r in untested]
    if multivariate:
        features = [n for n in names if n in ref and n in cur and n not in roles]
        found, untested = _multivariate(ref_table, cur_table, features, ref.kinds, seed)
        measurements += found
        results += untested
    results += decide(measurements, alpha=level, min_effect=floors)
    return DriftReport(
        results=sort_results(results),
        columns=tuple(names),
        n_reference=ref.rows,
        n_current=cur.rows,
        alpha=level,
    )


def _multivariate(
    ref: pa.Table | None,
    cur: pa.Table | None,
    features: list[str],
    kinds: Mapping[str, str],
    seed: int,
) -> tuple[list[Measurement], list[DriftResult]]:
    if ref is None or cur is None:
        raise InvalidInputError(
            "multivariate=True needs the raw rows of both sides (DataFrames or Arrow tables); "
            "a Profile or WindowSketch keeps per-column sketches only."
        )
    measurements: list[Measurement] = []
    untested: list[DriftResult] = []
    for module, method in ((domain_classifier, "domain_classifier"), (pca, "pca")):
        found = module.measure(ref, cur, features, kinds, seed=seed)
        if isinstance(found, str):
            untested.append(
                not_tested(
                    MULTIVARIATE,
                    method,
                    "multivariate",
                    found,
                    n_reference=ref.num_rows,
                    n_current=cur.num_rows,
                )
            )
        else:
            measurements.append(found)
    return measurements, untested
