"""``aweigh alerts list``: alerts an engine stored, read back from the home's SQLite store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from aweigh.cli import alerts
from aweigh.cli._context import registry
from aweigh.core.entities import AlertRecord
from aweigh.monitor.alerts import AlertEngine, MetricPoint, parse_rules
from tests.cli._support import assert_error

root = typer.Typer()
root.add_typer(alerts.app, name="alerts")  # as the lead registers it in cli/app.py
NOW = datetime.now(UTC).replace(microsecond=0)


def aweigh(*args: str) -> Result:
    result = CliRunner().invoke(root, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}") from result.exception
    return result


@pytest.fixture
def stored() -> list[AlertRecord]:
    """What a monitoring pass leaves: churn/3 errors firing, churn/2 accuracy resolved,
    fraud latency firing; saved the way the service saves them (``pop_changed``)."""
    engine = AlertEngine(
        parse_rules(
            [
                {
                    "name": "errors-high",
                    "metric": "serving.error_rate",
                    "condition": "> 0.05",
                    "severity": "critical",
                },
                {"name": "accuracy-low", "metric": "quality.accuracy", "condition": "< 0.8"},
                {
                    "name": "p99-slow",
                    "metric": "serving.latency_p99_ms",
                    "condition": "> 250",
                    "severity": "info",
                },
            ]
        )
    )
    two_days, one_hour = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    engine.observe(
        [
            MetricPoint("churn", 2, "quality.accuracy", 0.71, two_days),
            MetricPoint("churn", 2, "quality.accuracy", 0.86, two_days + timedelta(hours=3)),
            MetricPoint("churn", 3, "serving.error_rate", 0.12, one_hour),
            MetricPoint("fraud", 1, "serving.latency_p99_ms", 812.5, NOW - timedelta(minutes=5)),
        ]
    )
    store = registry().store
    return [store.save_alert(a) for a in engine.pop_changed()]


def test_lists_firing_alerts_newest_first_as_a_table(
    stored: list[AlertRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts.console, "width", 200)  # a wide terminal: no wrapped cells
    result = aweigh("alerts", "list")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Firing alerts (2)" in out
    for text in ("critical", "churn/3", "errors-high", "serving.error_rate", "0.12", "firing"):
        assert text in out
    assert out.index("fraud/1") < out.index("churn/3")
    assert "accuracy-low" not in out


def test_json_output_carries_every_field(stored: list[AlertRecord]) -> None:
    result = aweigh("alerts", "list", "--state", "all", "--json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(a["rule"], a["state"]) for a in listed] == [
        ("p99-slow", "firing"),
        ("errors-high", "firing"),
        ("accuracy-low", "resolved"),
    ]
    resolved = listed[2]
    assert resolved["resolved_at"] == (NOW - timedelta(days=2, hours=-3)).isoformat()
    assert (
        resolved["message"] == "quality.accuracy is back to 0.86 (< 0.8 no longer holds) on churn/2"
    )
    assert set(resolved) == {f.name for f in dataclasses.fields(AlertRecord)}


def test_filters_by_model_state_time_and_count(stored: list[AlertRecord]) -> None:
    def rules(*args: str) -> list[str]:
        result = aweigh("alerts", "list", *args, "--json")
        assert result.exit_code == 0, result.stderr
        return [a["rule"] for a in json.loads(result.stdout)]

    assert rules("--model", "churn", "--state", "all") == ["errors-high", "accuracy-low"]
    assert rules("--state", "resolved") == ["accuracy-low"]
    assert rules("--state", "all", "--since", "1d") == ["p99-slow", "errors-high"]
    since = (NOW - timedelta(minutes=30)).replace(tzinfo=None).isoformat()
    assert rules("--since", since) == ["p99-slow"]  # naive: UTC
    assert rules("--state", "all", "--limit", "1") == ["p99-slow"]


def test_says_so_when_nothing_is_firing() -> None:
    result = aweigh("alerts", "list", "--model", "churn")
    assert result.exit_code == 0
    assert "No firing alerts for model 'churn' (--state all shows resolved ones too)." in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--state", "open"), ("--state must be one of firing, resolved, all; got 'open'",)),
        (("--since", "yesterday"), ("--since must be a time like", "got 'yesterday'")),
        (("--limit", "0"), ("--limit must be 1 or more; got 0",)),
    ],
)
def test_bad_arguments_get_a_clear_error(args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    assert_error(aweigh("alerts", "list", *args), "invalid_input", *fragments)
