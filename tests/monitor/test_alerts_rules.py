"""Alert rules from config: parsed from TOML and JSON, and every mistake named precisely."""

from __future__ import annotations

import math
import operator
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aweigh.core.errors import ConfigError
from aweigh.monitor.alerts import AlertRule, parse_rules, parse_rules_json

TOML = """
[[alerts.rules]]
name = "errors-high"
metric = "serving.error_rate"
condition = "> 0.05"
severity = "critical"
for = "5m"
cooldown = "1h"
model = "churn*"
labels = { team = "risk" }

[[alerts.rules]]
name = "column-drift"
metric = "drift.column.*.drifted"
condition = ">= 1"

[[alerts.rules]]
name = "traffic-odd"
metric = "serving.requests"
condition = "anomaly:ewma"
season = 24
for_s = 120
"""


def rule(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "accuracy-low",
        "metric": "quality.accuracy",
        "condition": "< 0.8",
        "severity": "warning",
    }
    return {**base, **changes}


def test_rules_come_from_aweigh_toml_with_durations_and_defaults() -> None:
    errors, drift, traffic = parse_rules(tomllib.loads(TOML)["alerts"]["rules"])
    assert (errors.for_s, errors.cooldown_s, errors.model) == (300.0, 3600.0, "churn*")
    assert errors.parsed.op == ">"
    assert errors.parsed.threshold == 0.05
    assert dict(errors.labels) == {"team": "risk"}
    assert (drift.severity, drift.for_s, drift.cooldown_s, drift.model) == ("warning", 0, 0, None)
    assert (traffic.parsed.anomaly, traffic.season, traffic.for_s) == ("ewma", 24, 120.0)


def test_rules_come_from_json_in_any_of_three_shapes() -> None:
    body = '[{"name": "a", "metric": "quality.accuracy", "condition": "< 0.8"}]'
    for text in (body, f'{{"rules": {body}}}', f'{{"alerts": {{"rules": {body}}}}}'):
        [parsed] = parse_rules_json(text)
        assert parsed.name == "a"
    assert parse_rules(None) == []


def test_metric_patterns_and_model_filters_match_with_fnmatch() -> None:
    [drift] = parse_rules([rule(metric="drift.column.*.drifted", model="churn*")])
    assert drift.matches("churn-eu", "drift.column.age.drifted")
    assert not drift.matches("churn-eu", "drift.column.age.effect")
    assert not drift.matches("fraud", "drift.column.age.drifted")
    [anything] = parse_rules([rule(metric="drift.*")])
    assert anything.matches("any", "drift.share_drifted")


def test_the_anomaly_condition_defaults_to_robust_z() -> None:
    assert parse_rules([rule(condition="anomaly")])[0].parsed.anomaly == "robust_z"
    assert parse_rules([rule(condition=" anomaly : ewma ")])[0].parsed.anomaly == "ewma"


def test_a_rule_built_in_code_is_checked_the_same_way() -> None:
    built = AlertRule(name="p99", metric="serving.latency_p99_ms", condition="> 250", for_s="2m")
    assert built.for_s == 120.0
    assert built.to_dict()["condition"] == "> 250"
    with pytest.raises(ConfigError, match=r"Alert rule \('p99'\): field 'severity'"):
        AlertRule(name="p99", metric="serving.latency_p99_ms", condition="> 250", severity="high")


OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@given(
    st.sampled_from(sorted(OPS)),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
)
def test_a_comparison_holds_exactly_when_python_says_so(
    op: str, limit: float, value: float
) -> None:
    [parsed] = parse_rules([rule(condition=f"{op} {limit!r}")])
    assert parsed.parsed.holds(value) == OPS[op](value, limit)


# -- malformed rules: a ConfigError naming the rule and the field -------------------------
@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"metric": "latency.p99"}, "metric", "unknown metric family 'latency'"),
        ({"metric": "serving..error_rate"}, "metric", "no empty parts or spaces"),
        ({"metric": "serving"}, "metric", "must be a dotted name"),
        ({"metric": 3}, "metric", "must be a dotted metric name"),
        ({"condition": "above 0.1"}, "condition", "got 'above 0.1'"),
        ({"condition": "> high"}, "condition", "comparison with a number"),
        ({"condition": "anomaly:prophet"}, "condition", "'anomaly:ewma'"),
        ({"condition": 0.1}, "condition", "must be a string"),
        ({"severity": "urgent"}, "severity", "one of info, warning, critical; got 'urgent'"),
        ({"for_s": -5}, "for_s", "must be a duration >= 0 seconds; got -5"),
        ({"for": "-5m"}, "for_s", "must not be negative"),
        ({"cooldown_s": "soon"}, "cooldown_s", "must be a duration"),
        ({"cooldown": math.inf}, "cooldown_s", "must be a duration >= 0"),
        ({"for_s": True}, "for_s", "must be a duration"),
        ({"model": ""}, "model", "model name or pattern"),
        ({"season": 24}, "season", "only applies to condition 'anomaly:ewma'"),
        ({"condition": "anomaly:ewma", "season": 1}, "season", "whole number >= 2"),
        ({"labels": {"team": 1}}, "labels", "string keys and string values"),
    ],
)
def test_a_malformed_rule_is_named_with_its_field(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    rules = [rule(name="ok"), rule(**changes)]
    with pytest.raises(ConfigError) as caught:
        parse_rules(rules)
    message = caught.value.message
    assert message.startswith(f"alerts.rules[1] ('accuracy-low'): field {field!r}"), message
    assert fragment in message
    assert caught.value.details == {"index": 1, "rule": "accuracy-low", "field": field}


def test_an_unknown_field_is_named_with_a_suggestion() -> None:
    with pytest.raises(
        ConfigError,
        match=r"alerts.rules\[0\] \('accuracy-low'\): unknown field "
        r"'severty'.*Did you mean 'severity'\?",
    ):
        parse_rules([rule(severty="critical")])


def test_a_missing_field_is_named() -> None:
    raw = rule()
    del raw["condition"]
    with pytest.raises(ConfigError, match=r"\('accuracy-low'\): field 'condition' is missing"):
        parse_rules([raw])


def test_a_field_given_in_both_forms_is_refused() -> None:
    with pytest.raises(ConfigError, match="field 'for_s' is given twice"):
        parse_rules([rule(for_s=10, **{"for": "1m"})])


def test_a_rule_without_a_name_is_named_by_its_place() -> None:
    with pytest.raises(ConfigError, match=r"^alerts.rules\[0\]: field 'name' must be a non-empty"):
        parse_rules([rule(name="")])


def test_repeated_rule_names_are_refused() -> None:
    with pytest.raises(
        ConfigError,
        match=r"alerts.rules\[2\] \('a'\): field 'name' repeats the "
        r"name of alerts.rules\[0\]",
    ):
        parse_rules([rule(name="a"), rule(name="b"), rule(name="a")])


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("[not json", "not valid JSON"),
        ('{"rules": 3}', "alerts.rules must be a list of rules"),
        ('["errors-high"]', "alerts.rules[0]: a rule must be a table of fields"),
    ],
)
def test_rules_that_are_not_a_list_of_tables_are_refused(raw: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rules_json(raw)
    assert fragment in caught.value.message
