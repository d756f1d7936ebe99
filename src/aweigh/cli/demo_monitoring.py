"""The monitoring part of ``aweigh demo``: shifted traffic, drift per phase, live and
estimated accuracy from the feedback, the fairness table by sex and race, an HTML report.

Both phases are windows the server computes from its own event log (``POST
/v1/admin/monitor/run`` with the phase's time range), exactly as its schedule does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from rich.table import Table

from aweigh.cli._render import console
from aweigh.core.errors import AweighError

SHIFTED_ROWS = 8000


@dataclass(frozen=True)
class Phase:
    """One stretch of demo traffic and the window the server computed for it."""

    name: str
    start: datetime
    end: datetime
    payloads: Mapping[str, Any]
    alerts: list[Mapping[str, Any]]


def timed(send: Callable[[], object]) -> tuple[datetime, datetime]:
    """The time range that covers everything ``send`` did. The server stamps an event
    just after its reply, and ``send`` ends with the labels, sent after every reply came:
    so the range holds all of the phase's predictions and none of the next phase's."""
    start = datetime.now(UTC)
    send()
    return start, datetime.now(UTC)


def evaluate(
    base_url: str, model: str, version: int, name: str, span: tuple[datetime, datetime]
) -> Phase:
    """Ask the server to compute drift, quality and fairness for one phase's window."""
    body = {
        "model": model,
        "version": version,
        "start": span[0].isoformat(),
        "end": span[1].isoformat(),
    }
    answer = httpx.post(f"{base_url}/v1/admin/monitor/run", json=body, timeout=300)
    if answer.status_code != 200:
        raise AweighError(f"The monitor run for {name} failed: {answer.text[:300]}")
    data = answer.json()
    if data["errors"]:
        raise AweighError(f"The monitor run for {name} failed: {data['errors'][0]}")
    [window] = data["windows"]
    return Phase(name, span[0], span[1], window["payloads"], data["alerts"])


def _accuracy(overall: Mapping[str, Any] | None, key: str) -> str:
    section = (overall or {}).get(key) or {}
    value = section.get("accuracy")
    return "-" if value is None else f"{value:.3f}"


def phases_table(phases: list[Phase]) -> Table:
    """Per phase: rows, drifted columns, live accuracy from feedback, estimated accuracy."""
    table = Table(title="Monitoring, per phase of traffic", title_justify="left")
    for column in ("phase", "rows", "drift", "accuracy (labels)", "estimated (no labels)"):
        table.add_column(column, overflow="fold")
    for p in phases:
        drift = p.payloads.get("drift") or {}
        overall = (p.payloads.get("quality") or {}).get("overall")
        drifted = list(drift.get("drifted") or [])
        table.add_row(
            p.name,
            f"{drift.get('rows', 0):,}",
            "[red]" + _first(drifted, 4) + "[/]" if drifted else "[green]none[/]",
            _accuracy(overall, "metrics"),
            _accuracy(overall, "estimated"),
        )
    return table


def _first(names: list[str], shown: int) -> str:
    """The first names and how many more (the lines below the table list them all)."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def drift_lines(phase: Phase) -> list[str]:
    """When drift was detected and on which features, largest effect first."""
    report = (phase.payloads.get("drift") or {}).get("features") or {}
    found = [r for r in report.get("results", ()) if r.get("drifted")]
    if not found:
        return [f"{phase.name}: no feature drift."]
    lines = [
        f"Drift detected in {phase.name} (window {phase.start:%H:%M:%S}-{phase.end:%H:%M:%S} "
        f"UTC) on {len(found)} feature(s):"
    ]
    for r in sorted(found, key=lambda r: -(r.get("effect") or 0))[:8]:
        lines.append(f"  {r['column']}: {r['reason']}")
    return lines


def _interval(item: Mapping[str, Any] | None) -> str:
    if not item or item.get("value") is None:
        return "-"
    low, high = item.get("low"), item.get("high")
    text = f"{item['value']:.2f}"
    return text if low is None or high is None else f"{text} [{low:.2f}, {high:.2f}]"


def _flag(group: Mapping[str, Any]) -> str:
    if group.get("too_small"):
        return "too small"
    return "[red]flagged[/]" if group.get("flagged") else ""


def fairness_table(phase: Phase) -> Table | None:
    """Groups by sex and race: selection rate, TPR, FPR with 95% intervals; the gaps."""
    report = (phase.payloads.get("fairness") or {}).get("report")
    if not report:
        return None
    table = Table(
        title=f"Fairness by sex and race ({phase.name}, positive class '>50K')",
        title_justify="left",
    )
    for column in ("group", "n", "selection rate", "TPR", "FPR", "flag"):
        table.add_column(column, overflow="fold")
    for group in report["groups"]:
        if "&" in group["attribute"]:
            continue
        table.add_row(
            f"{group['attribute']}={group['group']}",
            f"{group['n']:,}",
            _interval(group.get("selection_rate")),
            _interval(group.get("tpr")),
            _interval(group.get("fpr")),
            "too small"
            if group.get("too_small")
            else ("[red]flagged[/]" if group.get("flagged") else ""),
        )
    for attribute in report["attributes"]:
        if "&" in attribute["attribute"]:
            continue
        verdict = {True: "passes", False: "[red]fails[/]", None: "not judged"}[
            attribute["four_fifths"]
        ]
        table.add_row(
            f"[bold]{attribute['attribute']}: gaps[/]",
            "",
            "parity diff " + _interval(attribute["demographic_parity_difference"]),
            "ratio " + _interval(attribute["demographic_parity_ratio"]),
            "eq. odds " + _interval(attribute["equalized_odds_difference"]),
            f"four-fifths {verdict}",
        )
    return table


def write_report(phases: list[Phase], home: Path) -> Path:
    """The HTML report: drift of the shifted phase, quality per phase, fairness."""
    from aweigh.report.monitor_html import render_monitor_html

    last = phases[-1]
    quality = [
        (p.payloads.get("quality") or {}).get("overall")
        for p in phases
        if (p.payloads.get("quality") or {}).get("overall")
    ]
    html = render_monitor_html(
        drift=(last.payloads.get("drift") or {}).get("features"),
        quality=quality or None,
        fairness=(phases[0].payloads.get("fairness") or {}).get("report"),
        title="aweigh demo: adult-income monitoring",
    )
    folder = home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"monitor-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.html"
    path.write_text(html, encoding="utf-8")
    return path.resolve()


def show_monitoring(
    base_url: str,
    model: str,
    version: int,
    first: tuple[datetime, datetime],
    test: pd.DataFrame,
    send: Callable[[pd.DataFrame, str], object],
    home: Path,
) -> list[Phase]:
    """Phase 2 (shifted traffic and its labels), then both phases' windows, printed."""
    from aweigh.demo.shift import shifted_rows

    shifted = shifted_rows(test, min(SHIFTED_ROWS, len(test)))
    console.print(
        f"\n[bold]Phase 2[/]: {len(shifted):,} shifted requests (older people, more degrees)"
    )
    second = timed(lambda: send(shifted, "phase 2"))
    with console.status("The server computes drift, quality and fairness per phase..."):
        phases = [
            evaluate(base_url, model, version, "phase 1 (like training)", first),
            evaluate(base_url, model, version, "phase 2 (shifted)", second),
        ]
    console.print(phases_table(phases))
    for line in drift_lines(phases[0]) + drift_lines(phases[1]):
        console.print(line, highlight=False)
    table = fairness_table(phases[0])
    if table is not None:
        console.print(table)
    fired = [a for p in phases for a in p.alerts if a.get("state") == "firing"]
    for alert in fired:
        console.print(
            f"[yellow]alert[/] ({alert['alert']['severity']}): {alert['alert']['message']}"
        )
    path = write_report(phases, home)
    console.print(f"Monitoring report (HTML, opens offline): {path}")
    return phases
