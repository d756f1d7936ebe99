"""``aweigh demo``: two real models on the shipped Adult data, the better one promoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from aweigh.cli._context import registry
from aweigh.demo import load_adult
from aweigh.demo.datasets import with_customers
from tests.cli._support import USER, invoke_json, invoke_ok


@pytest.mark.slow
def test_demo_registers_promotes_and_serves_real_traffic(cli_home: Path) -> None:
    output = invoke_ok("demo", "--rows", "300", "--concurrency", "8").stdout
    for expected in (
        "adult-income/1",
        "adult-income/2",
        "champion",
        "beats",
        "Loaded adult-income@champion",
        "Served traffic",
        "300 (0 errors)",
        "300 (0 unknown)",
        "curl -s -X POST http://127.0.0.1:",
        "tritonclient.http",
        "rejected by the contract",
        "Data contract of adult-income/2",
        "quarantined as batch",
        "age=999 is above max",
        "What the event log holds",
        '"kind": "erasure"',
        "Phase 2: 300 shifted requests",
        "Monitoring, per phase of traffic",
        "phase 1 (like training): no feature drift.",
        "Drift detected in phase 2",
        "  age: KS distance",
        "Fairness by sex and race",
        "four-fifths",
        "Monitoring report (HTML, opens offline)",
    ):
        assert expected in output, expected
    assert "events logged" in output
    [report] = (cli_home / "reports").glob("monitor-*.html")
    assert "adult-income monitoring" in report.read_text()

    versions = invoke_json("models", "show", "adult-income")["versions"]
    assert [v["ref"] for v in versions] == ["adult-income/1", "adult-income/2"]
    assert versions[1]["parent"] == "adult-income/1"
    first, second = (v["metrics"]["roc_auc"] for v in versions)
    assert second > first

    champion = invoke_json("models", "history", "adult-income", "--alias", "champion")
    assert [(e["from_version"], e["to_version"]) for e in champion] == [(None, 1), (1, 2)]
    assert all(e["actor"] == USER for e in champion)
    assert "beats" in champion[1]["reason"]
    assert invoke_json("models", "show", "adult-income@champion")["ref"] == "adult-income/2"

    loaded = registry().load("adult-income@champion")
    rows = with_customers(load_adult("test")).head(8)
    predicted = loaded.predict(rows.drop(columns=["income"]))
    assert len(predicted) == 8
    assert set(predicted) <= {"<=50K", ">50K"}
    proba = loaded.predict_proba(rows.drop(columns=["income"]))
    assert proba.shape == (8, 2)
