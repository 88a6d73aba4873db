"""The operations files (Prometheus alert rules, the Grafana dashboard) as the tests read them.

Used by the unit tests (promtool, the metric contract) and the integration tests (every expression
against a real Prometheus fed by real workers). PyYAML (a dev dependency) reads the rule files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DASHBOARD_FILE",
    "PROMETHEUS_CONFIG",
    "REPO",
    "RULES_DIR",
    "RULES_FILE",
    "alert_rules",
    "dashboard",
    "dashboard_exprs",
    "metric_names",
    "panels",
    "probe_expr",
    "rules_for_test",
]

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
RULES_FILE = RULES_DIR / "pitchside.yml"
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD_FILE = REPO / "deploy" / "grafana" / "dashboards" / "pitchside.json"

# Grafana's one variable allowed in the dashboard's expressions, and what tests put in its place.
RATE_INTERVAL = "$__rate_interval"
RATE_INTERVAL_FOR_TEST = "1m"


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of every group in ``deploy/prometheus/rules/*.yml``, as parsed."""
    rules: list[dict[str, Any]] = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            rules.extend(rule for rule in group["rules"] if "alert" in rule)
    return rules


def dashboard() -> dict[str, Any]:
    """The provisioned Grafana dashboard."""
    loaded: dict[str, Any] = json.loads(DASHBOARD_FILE.read_text())
    return loaded


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those folded into collapsed rows."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query, with ``$__rate_interval`` replaced by ``1m``."""
    return [
        (panel["title"], target["expr"].replace(RATE_INTERVAL, RATE_INTERVAL_FOR_TEST))
        for panel in panels(dashboard())
        for target in panel.get("targets", [])
    ]


# A PromQL string literal ("...", '...' or `...`): comparison signs inside one are label values.
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`")
# A comparison followed by a number literal (not by `bool`, a vector or a string).
_THRESHOLD = re.compile(r"(==|!=|>=|<=|>|<)\s*(?=[-+]?(?:\d|\.\d))")


def probe_expr(expr: str) -> str:
    """``expr`` with ``bool`` after each ``<op> <number>``: 0/1 series instead of a filter.

    An alert expression then returns data whenever its inputs exist, firing or not, so a test can
    tell a rule that is quiet from one whose metric names or labels match nothing.
    """
    out: list[str] = []
    start = 0
    for literal in _STRING.finditer(expr):
        out.append(_THRESHOLD.sub(r"\1 bool ", expr[start : literal.start()]))
        out.append(literal.group())
        start = literal.end()
    out.append(_THRESHOLD.sub(r"\1 bool ", expr[start:]))
    return "".join(out)


# What names no metric: label lists after these, keywords, and function or aggregation calls.
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"})
_NAME = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (``rate(x_bucket[5m])`` -> ``{"x_bucket"}``)."""
    bare = _STRING.sub('""', expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", bare)
    bare = _LABEL_LIST.sub(" ", bare)
    return {name for name in _NAME.findall(bare) if name.lower() not in _KEYWORDS}


def rules_for_test(for_seconds: int, path: Path = RULES_FILE) -> str:
    """The rules file with every ``for:`` set to ``for_seconds``, for a Prometheus evaluating often."""
    return re.sub(r"(?m)^(\s*)for:.*$", lambda m: f"{m.group(1)}for: {for_seconds}s", path.read_text())
