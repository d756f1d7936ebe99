"""``aweigh report``: monitoring reports as self-contained HTML (and their JSON).

``drift`` compares two files, ``fairness`` audits one, ``quality`` draws the stored
quality windows of a model (or windows from a JSON file, so it works without a server).
Each writes one HTML page (plots inline, opens offline), optionally the JSON it was drawn
from, and prints the page's path. Without ``--out`` the page goes under the aweigh home's
``reports/`` folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from aweigh.cli._context import registry
from aweigh.cli._io import read_table
from aweigh.cli.app import handle_errors
from aweigh.core.entities import MonitorRecord, thaw
from aweigh.core.errors import InvalidInputError, NotFoundError

app = typer.Typer(
    no_args_is_help=True, help="Monitoring reports (HTML and JSON): drift, quality, fairness."
)

Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write the HTML page here (default: AWEIGH_HOME/reports/)."),
]
JsonOut = Annotated[
    Path | None, typer.Option("--json", help="Also write the report's JSON to this file.")
]
Title = Annotated[str | None, typer.Option(help="The page title.")]
Delimiter = Annotated[str, typer.Option(help="CSV field separator.")]
Encoding = Annotated[str, typer.Option(help="CSV text encoding.")]


def default_path(kind: str) -> Path:
    """``<home>/reports/<kind>-<UTC time>.html``."""
    from aweigh.settings import load_settings

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return load_settings().home / "reports" / f"{kind}-{stamp}.html"


def _write(path: Path, content: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInputError(
            f"Cannot write the {what} to {str(path)!r}: {reason}. Choose a writable path "
            f"with {'--json' if what == 'JSON' else '--out'}."
        ) from exc


def _finish(
    html: str, data: Any, *, out: Path | None, json_out: Path | None, kind: str, summary: str
) -> None:
    """Write the page (and JSON), then print the summary line and the page's path."""
    path = out if out is not None else default_path(kind)
    if json_out is not None:
        _write(json_out, json.dumps(data, indent=2, sort_keys=True, default=str), "JSON")
    _write(path, html, "report")
    print(summary)
    print(path)


@app.command("drift")
@handle_errors
def drift(
    reference: Annotated[Path, typer.Argument(help="Reference CSV or Parquet (e.g. training).")],
    current: Annotated[Path, typer.Argument(help="Current CSV or Parquet (e.g. last week).")],
    out: Out = None,
    json_out: JsonOut = None,
    column: Annotated[
        list[str] | None, typer.Option(help="Compare only these columns (repeatable).")
    ] = None,
    categorical: Annotated[
        list[str] | None, typer.Option(help="Treat these columns as categorical (repeatable).")
    ] = None,
    alpha: Annotated[
        float, typer.Option(min=0, max=1, help="Family-wise false-alarm rate.")
    ] = 0.01,
    title: Title = None,
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
) -> None:
    """Drift between two files: summary, results by effect, distributions side by side."""
    from aweigh.drift import compare
    from aweigh.report.monitor_html import render_drift_html

    ref = read_table(reference, delimiter=delimiter, encoding=encoding)
    cur = read_table(current, delimiter=delimiter, encoding=encoding)
    report = compare(ref, cur, columns=column or None, categorical=categorical or None, alpha=alpha)
    data = report.to_dict()
    name = title or f"Drift: {reference.name} vs {current.name}"
    html = render_drift_html(data, title=name)
    _finish(html, data, out=out, json_out=json_out, kind="drift", summary=str(report.summary))


@app.command("fairness")
@handle_errors
def fairness(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet with labels and attributes.")],
    label: Annotated[str, typer.Option(help="The true label column.")],
    sensitive: Annotated[
        list[str], typer.Option(help="A sensitive attribute column (repeatable).")
    ],
    prediction: Annotated[
        str | None, typer.Option(help="A column that holds the predictions.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Predict with this model version (e.g. income@champion).")
    ] = None,
    positive: Annotated[
        str | None, typer.Option(help="The favourable label value (default: the model's).")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=0, help="Smaller groups are shown but not judged.")
    ] = 30,
    n_boot: Annotated[int, typer.Option(min=0, help="Bootstrap replicates for intervals.")] = 1000,
    out: Out = None,
    json_out: JsonOut = None,
    title: Title = None,
    delimiter: Delimiter = ",",
    encoding: Encoding = "utf-8",
) -> None:
    """Fairness audit of one file: per-group rates with intervals, gaps, four-fifths rule."""
    from aweigh.cli.fairness import parse_positive
    from aweigh.fairness import audit
    from aweigh.report.monitor_html import render_fairness_html

    if (prediction is None) == (model is None):
        raise InvalidInputError(
            "Give exactly one of --prediction COLUMN (predictions in the file) or "
            "--model REF (predict with a registered model)."
        )
    frame = read_table(data, delimiter=delimiter, encoding=encoding)
    loaded = registry().load(model) if model is not None else None
    report = audit(
        frame,
        label=label,
        sensitive=list(sensitive),
        prediction=prediction,
        model=loaded,
        positive=parse_positive(positive, frame[label]) if label in frame.columns else positive,
        min_group_size=min_group_size,
        n_boot=n_boot,
    )
    payload = report.to_dict()
    html = render_fairness_html(payload, title=title or f"Fairness: {data.name}")
    _finish(html, payload, out=out, json_out=json_out, kind="fairness", summary=str(report.summary))


def _windows_from_json(path: Path) -> list[Any]:
    if not path.is_file():
        raise InvalidInputError(f"No file at {str(path)!r} for --from-json. Check the path.")
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(
            f"{str(path)!r} is not valid JSON ({str(exc)[:120]}); give a list of quality "
            "window objects."
        ) from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("windows"), list):
        loaded = loaded["windows"]
    if not isinstance(loaded, list):
        raise InvalidInputError(
            f"{str(path)!r} holds a JSON {type(loaded).__name__}; give a list of quality "
            "window objects (QualityWindow.to_dict())."
        )
    if not loaded:
        raise InvalidInputError(f"{str(path)!r} holds no quality windows (an empty list).")
    return loaded


def windows_of(record: MonitorRecord, *, segments: bool) -> list[dict[str, Any]]:
    """The quality windows of one stored record, timed by the record's window.

    The monitor stores ``{"overall": window, "segments": [window, ...], ...}`` with each
    window computed over the whole record; a record may also hold one window itself.
    """
    payload = thaw(record.payload)
    if isinstance(payload, dict) and "overall" in payload:
        found = [payload.get("overall")]
        if segments:
            found += list(payload.get("segments") or [])
    else:
        found = [payload]
    out = []
    for window in found:
        if not isinstance(window, dict):
            continue
        window = dict(window)
        window["start"] = record.window_start.isoformat()
        window["end"] = record.window_end.isoformat()
        if window.get("version") is None:
            window["version"] = record.version
        out.append(window)
    return out


def _stored_windows(model: str, version: int | None, limit: int, segments: bool) -> list[Any]:
    reg = registry()
    reg.get_model(model)  # NotFoundError naming the model when it is not registered
    records = reg.store.monitor_records(model, version=version, kind="quality", limit=limit)
    windows = [w for r in reversed(records) for w in windows_of(r, segments=segments)]
    if not windows:
        which = f"{model} version {version}" if version is not None else model
        raise NotFoundError(
            f"No stored quality windows for {which}. The monitor stores them once "
            "predictions arrive ('aweigh monitor run'); or pass windows with --from-json FILE."
        )
    return windows


@app.command("quality")
@handle_errors
def quality(
    model: Annotated[
        str | None, typer.Option(help="Model name whose stored quality windows to draw.")
    ] = None,
    version: Annotated[int | None, typer.Option(min=1, help="Only this version.")] = None,
    from_json: Annotated[
        Path | None, typer.Option(help="Draw windows from this JSON file instead of the store.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many recent windows.")] = 1000,
    segments: Annotated[
        bool, typer.Option("--segments/--no-segments", help="Also draw each stored segment.")
    ] = False,
    out: Out = None,
    json_out: JsonOut = None,
    title: Title = None,
) -> None:
    """Quality over time: realised and estimated metrics, label coverage, calibration."""
    from aweigh.report.monitor_html import render_quality_html

    if (model is None) == (from_json is None):
        raise InvalidInputError(
            "Give exactly one of --model NAME (stored windows) or --from-json FILE."
        )
    if from_json is not None:
        windows = _windows_from_json(from_json)
        name = title or f"Quality: {from_json.name}"
    else:
        assert model is not None
        windows = _stored_windows(model, version, limit, segments)
        name = title or f"Quality of {model}" + (f" version {version}" if version else "")
    html = render_quality_html(windows, title=name)
    summary = f"{len(windows)} quality windows."
    _finish(html, windows, out=out, json_out=json_out, kind="quality", summary=summary)
