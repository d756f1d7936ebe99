"""Alert rules: which metric series to watch, the condition, how loud, how patient.

A rule comes from ``aweigh.toml`` (``[[alerts.rules]]``) or JSON::

    [[alerts.rules]]
    name = "errors-high"
    metric = "serving.error_rate"        # fnmatch patterns too: "drift.column.*.drifted"
    condition = "> 0.05"                 # > >= < <= == != a number, or "anomaly"
    severity = "critical"                # info | warning | critical
    for = "5m"                           # the condition must hold this long to fire
    cooldown = "30m"                     # after it resolves, no new alert this long
    model = "churn*"                     # optional filter on the model name

``for``/``for_s`` and ``cooldown``/``cooldown_s`` take seconds or "30s", "5m", "2h",
"1d". ``"anomaly"`` scores each value against the series' own past with a robust
z-score (``"anomaly:robust_z"``); ``"anomaly:ewma"`` uses the EWMA detector, with
``season`` (steps per cycle) for a seasonal baseline. Any mistake is a ``ConfigError``
naming the rule (``alerts.rules[2] ('errors-high')``) and the field.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase
from types import MappingProxyType
from typing import Any

from aweigh.core.entities import ALERT_SEVERITIES
from aweigh.core.errors import ConfigError

METRIC_FAMILIES = ("drift", "quality", "fairness", "serving", "data", "cost", "custom")
ANOMALY_METHODS = ("robust_z", "ewma")
_COMPARE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_ALIASES = {"for": "for_s", "cooldown": "cooldown_s"}
_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: a comparison with a threshold, or an anomaly method."""

    text: str
    op: str | None = None
    threshold: float | None = None
    anomaly: str | None = None

    def holds(self, value: float) -> bool:
        """Whether a comparison holds for ``value`` (anomalies are decided by the engine)."""
        assert self.op is not None
        assert self.threshold is not None
        return bool(_OPS[self.op](value, self.threshold))


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One alert rule, validated on construction (``ConfigError`` naming the field)."""

    name: str
    metric: str
    condition: str
    severity: str = "warning"
    for_s: float = 0.0
    cooldown_s: float = 0.0
    model: str | None = None
    season: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    parsed: Condition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = _normalize({f.name: getattr(self, f.name) for f in _INPUT_FIELDS}, None)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "parsed", _condition(self.condition, None, self.name))

    def matches(self, model: str, metric: str) -> bool:
        """Whether this rule watches ``metric`` of ``model``."""
        return fnmatchcase(metric, self.metric) and (
            self.model is None or fnmatchcase(model, self.model)
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in _INPUT_FIELDS} | {
            "labels": dict(self.labels)
        }


_INPUT_FIELDS = tuple(f for f in fields(AlertRule) if f.init)
_FIELD_NAMES = tuple(f.name for f in _INPUT_FIELDS)


def parse_rules(raw: Sequence[Mapping[str, Any]] | None) -> list[AlertRule]:
    """Alert rules from config (a list of tables/objects); ``ConfigError`` names the rule
    and the field of the first mistake. Rule names must be unique."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        raise ConfigError(
            f"alerts.rules must be a list of rules ([[alerts.rules]] tables in aweigh.toml); "
            f"got {type(raw).__name__}.",
            {"field": "alerts.rules"},
        )
    rules: list[AlertRule] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        rule = parse_rule(item, index=index)
        if rule.name in seen:
            raise ConfigError(
                f"{_where(index, rule.name)}: field 'name' repeats the name of "
                f"alerts.rules[{seen[rule.name]}]; give every rule its own name.",
                {"index": index, "rule": rule.name, "field": "name"},
            )
        seen[rule.name] = index
        rules.append(rule)
    return rules


def parse_rules_json(text: str) -> list[AlertRule]:
    """Rules from JSON text: a list, ``{"rules": [...]}`` or ``{"alerts": {"rules": [...]}}``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The alert rules are not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}).",
            {"field": "alerts.rules"},
        ) from exc
    if isinstance(data, Mapping):
        data = data.get("alerts", data)
        data = data.get("rules") if isinstance(data, Mapping) else data
    return parse_rules(data)


def parse_rule(raw: Mapping[str, Any], *, index: int | None = None) -> AlertRule:
    """One rule from a config mapping; ``index`` is its place in the list, for messages."""
    name = raw.get("name") if isinstance(raw, Mapping) else None
    where = _where(index, name if isinstance(name, str) else None)
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: a rule must be a table of fields (name, metric, condition, ...); "
            f"got {type(raw).__name__}.",
            {"index": index},
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        target = _ALIASES.get(key, key)
        if target not in _FIELD_NAMES:
            close = difflib.get_close_matches(str(key), [*_FIELD_NAMES, *_ALIASES], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{where}: unknown field {key!r}; a rule has {', '.join(_FIELD_NAMES)}.{hint}",
                _details(index, name, key),
            )
        if target in values:
            raise ConfigError(
                f"{where}: field {target!r} is given twice (as {target!r} and its short "
                "form); keep one.",
                _details(index, name, target),
            )
        values[target] = value
    for required in ("name", "metric", "condition"):
        if required not in values:
            raise ConfigError(
                f"{where}: field {required!r} is missing; every rule needs name, metric "
                "and condition.",
                _details(index, name, required),
            )
    normalized = _normalize(values, index)
    _condition(normalized["condition"], index, normalized["name"])
    return AlertRule(**normalized)


# -- checks --------------------------------------------------------------------------
def _normalize(values: dict[str, Any], index: int | None) -> dict[str, Any]:
    name = values.get("name")
    where = _where(index, name if isinstance(name, str) else None)
    out = dict(values)

    def fail(field_name: str, problem: str) -> ConfigError:
        return ConfigError(
            f"{where}: field {field_name!r} {problem}", _details(index, name, field_name)
        )

    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise fail("name", f"must be a non-empty string of at most 128 characters; got {name!r}.")
    out["metric"] = _metric(values.get("metric"), fail)
    condition = values.get("condition")
    if not isinstance(condition, str):
        raise fail("condition", f"must be a string like '> 0.1' or 'anomaly'; got {condition!r}.")
    out["condition"] = condition.strip()
    severity = values.get("severity", "warning")
    if severity not in ALERT_SEVERITIES:
        raise fail("severity", f"must be one of {', '.join(ALERT_SEVERITIES)}; got {severity!r}.")
    for key in ("for_s", "cooldown_s"):
        out[key] = _seconds(values.get(key, 0.0), functools.partial(fail, key))
    model = values.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise fail("model", f"must be a model name or pattern (e.g. 'churn*'); got {model!r}.")
    season = values.get("season")
    if season is not None:
        if isinstance(season, bool) or not isinstance(season, int) or season < 2:
            raise fail("season", f"must be a whole number >= 2 (steps per cycle); got {season!r}.")
        if out["condition"].replace(" ", "") != "anomaly:ewma":
            raise fail(
                "season",
                "only applies to condition 'anomaly:ewma'; remove it or change the condition.",
            )
    labels = values.get("labels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise fail("labels", f"must be a table of string keys and string values; got {labels!r}.")
    out["labels"] = MappingProxyType(dict(labels))
    return out


def _metric(metric: Any, fail: Callable[[str, str], ConfigError]) -> str:
    if not isinstance(metric, str) or not metric.strip():
        raise fail(
            "metric", f"must be a dotted metric name like 'serving.error_rate'; got {metric!r}."
        )
    name: str = metric.strip()
    parts = name.split(".")
    if len(parts) < 2 or any(not p or any(c.isspace() for c in p) for p in parts):
        raise fail(
            "metric",
            f"must be a dotted name with no empty parts or spaces, like 'serving.error_rate' "
            f"or 'drift.column.*.drifted'; got {name!r}.",
        )
    if not any(fnmatchcase(family, parts[0]) for family in METRIC_FAMILIES):
        raise fail(
            "metric",
            f"names an unknown metric family {parts[0]!r} in {name!r}; metrics start with "
            f"one of {', '.join(METRIC_FAMILIES)} (e.g. 'quality.accuracy').",
        )
    return name


def _seconds(value: Any, fail: Callable[[str], ConfigError]) -> float:
    if isinstance(value, bool):
        raise fail(f"must be a duration (seconds, or '30s', '5m', '2h', '1d'); got {value!r}.")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (found := _DURATION.match(value)):
        seconds = float(found.group(1)) * _UNITS[found.group(2)]
    else:
        negative = isinstance(value, str) and value.strip().startswith("-")
        problem = "must not be negative" if negative else "must be a duration"
        raise fail(f"{problem} (seconds, or '30s', '5m', '2h', '1d'); got {value!r}.")
    if not math.isfinite(seconds) or seconds < 0:
        raise fail(f"must be a duration >= 0 seconds; got {value!r}.")
    return seconds


def _condition(text: str, index: int | None, name: str) -> Condition:
    compact = text.replace(" ", "")
    if compact == "anomaly" or compact.startswith("anomaly:"):
        method = compact.partition(":")[2] or "robust_z"
        if method in ANOMALY_METHODS:
            return Condition(text=text, anomaly=method)
    elif found := _COMPARE.match(text):
        threshold = float(found.group(2))
        if math.isfinite(threshold):
            return Condition(text=text, op=found.group(1), threshold=threshold)
    raise ConfigError(
        f"{_where(index, name)}: field 'condition' must be a comparison with a number like "
        f"'> 0.1' or '<= 0.8' (operators > >= < <= == !=), or 'anomaly', 'anomaly:robust_z', "
        f"'anomaly:ewma'; got {text!r}.",
        _details(index, name, "condition"),
    )


def _where(index: int | None, name: str | None) -> str:
    place = f"alerts.rules[{index}]" if index is not None else "Alert rule"
    return f"{place} ({name!r})" if name else place


def _details(index: int | None, name: Any, field_name: str) -> dict[str, Any]:
    return {"index": index, "rule": name if isinstance(name, str) else None, "field": field_name}
