"""The alert rules and the Grafana dashboard: valid PromQL (checked by promtool), written against the
metrics the workers and gateways export (the contract below), and in the shape the integration test
relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops_files import (
    PROMETHEUS_CONFIG,
    REPO,
    RULES_DIR,
    RULES_FILE,
    alert_rules,
    dashboard,
    dashboard_exprs,
    metric_names,
    panels,
    probe_expr,
    rules_for_test,
)

# The contract: every metric a worker exports, by type. Rules and dashboard may use only these (and
# the gateway's, below).
COUNTERS = {
    "pitchside_messages_consumed_total",
    "pitchside_frames_total",
    "pitchside_events_total",
    "pitchside_outputs_total",
    "pitchside_stale_frames_total",
    "pitchside_dead_letters_total",
    "pitchside_input_replayed_total",
    "pitchside_input_gap_fills_total",
    "pitchside_input_skipped_offsets_total",
    "pitchside_feature_events_total",
    "pitchside_redis_published_total",
    "pitchside_redis_errors_total",
    "pitchside_redis_retries_total",
    "pitchside_model_swaps_total",
    "pitchside_model_load_failures_total",
    "pitchside_challenger_scored_total",
    "pitchside_challenger_outcomes_total",
    "pitchside_challenger_log_loss_total",
}
GAUGES = {
    "pitchside_model_info",
    "pitchside_model_production_refused",
    "pitchside_consumer_lag_messages",
    "pitchside_match_input_age_seconds",
    "pitchside_publish_queue_outputs",
    "pitchside_model_drift_psi",
    "pitchside_model_drift_window_inputs",
}
HISTOGRAMS = {
    "pitchside_e2e_latency_seconds",
    "pitchside_worker_latency_seconds",
    "pitchside_feature_seconds",
    "pitchside_inference_seconds",
}
# The gateway's (stream/gateway/metrics.py), on its own /metrics, scraped as job pitchside-gateway.
GATEWAY_COUNTERS = {"pitchside_gateway_messages_sent_total", "pitchside_gateway_clients_dropped_total"}
GATEWAY_GAUGES = {"pitchside_gateway_clients", "pitchside_gateway_feeds"}
GATEWAY_HISTOGRAMS = {"pitchside_gateway_fanout_latency_seconds"}
# Faust's own sensor (faust-streaming's PrometheusMonitor, prefix `faust`): the few the dashboard shows.
FAUST = {"faust_consumer_commit_latency_bucket", "faust_total_rebalances"}
SERIES = (
    COUNTERS
    | GAUGES
    | GATEWAY_COUNTERS
    | GATEWAY_GAUGES
    | {f"{h}_{suffix}" for h in HISTOGRAMS | GATEWAY_HISTOGRAMS for suffix in ("bucket", "sum", "count")}
    | FAUST
    | {"up"}
)

# Alert name -> its `for` (None: fires at the first evaluation). The integration test uses the names.
ALERTS = {
    "PitchsideConsumerLagGrowing": "1m",
    "PitchsideLatencyOverBudget": "5m",
    "PitchsideDeadLetterRate": "5m",
    "PitchsideMatchSilent": "1m",
    "PitchsideModelLoadFailed": None,
    "PitchsideModelDrift": "10m",
    "PitchsideWorkerDown": "1m",
    "PitchsideRedisErrors": "2m",
    "PitchsideNoWorkers": "1m",
    "PitchsideGatewayFanoutSlow": "5m",
    "PitchsideGatewaySlowClientsDropped": "5m",
    "PitchsideGatewayRedisFailing": "1m",
    "PitchsideGatewayDown": "1m",
}
RUNBOOK_HEADING = "## Operating pitchside (SRE)"
RUNBOOK = "README.md#operating-pitchside-sre"

COMPARISON = re.compile(r"==|!=|>=|<=|>|<")
NUMBER_THRESHOLD = re.compile(r"(==|!=|>=|<=|>|<)\s*[-+]?(?:\d|\.\d)[\w.+-]*")
STRINGS_AND_MATCHERS = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\{[^}]*\}")


@pytest.fixture(scope="module")
def promtool() -> str:
    # Fails rather than skips: without promtool nothing here proves the PromQL valid.
    path = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    assert path, "promtool not found: install Debian's `prometheus` package (CI does)"
    return path


def check_rules(promtool: str, *files: Path) -> None:
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def recording_rules(exprs: list[str], path: Path) -> Path:
    """``exprs`` as recording rules in a rules file promtool can check (JSON is YAML)."""
    rules = [{"record": f"test:expr_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    path.write_text(json.dumps({"groups": [{"name": "test", "rules": rules}]}))
    return path


# --- rules -------------------------------------------------------------------------------------


def test_promtool_accepts_the_rules(promtool: str) -> None:
    check_rules(promtool, *sorted(RULES_DIR.glob("*.yml")))


def test_the_alerts_the_integration_test_expects_exist_with_their_for() -> None:
    rules = alert_rules()
    assert [r["alert"] for r in rules] == list(ALERTS)
    assert {r["alert"]: r.get("for") for r in rules} == ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: str(r["alert"]))
def test_each_alert_says_how_bad_what_and_where_to_read_on(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert rule["annotations"]["runbook_url"] == RUNBOOK
    assert RUNBOOK_HEADING in (REPO / "README.md").read_text().splitlines()


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: str(r["alert"]))
def test_each_threshold_is_a_number_so_probing_can_add_bool(rule: dict[str, Any]) -> None:
    expr = rule["expr"]
    assert "bool" not in expr
    assert NUMBER_THRESHOLD.search(expr), "no `<op> <number>` threshold"
    # Once the `<op> <number>` thresholds are gone, no comparison (between two vectors) is left.
    assert not COMPARISON.search(NUMBER_THRESHOLD.sub(" ", STRINGS_AND_MATCHERS.sub(" ", expr)))
    assert " or " not in STRINGS_AND_MATCHERS.sub(" ", expr).replace(" or vector(0)", "")


def test_probed_rules_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    probes = [probe_expr(r["expr"]) for r in alert_rules()]
    assert all(" bool " in p for p in probes)
    check_rules(promtool, recording_rules(probes, tmp_path / "probes.yml"))


def test_rules_for_test_sets_every_for(promtool: str, tmp_path: Path) -> None:
    original = RULES_FILE.read_text()
    text = rules_for_test(1)
    fors = re.findall(r"(?m)^\s*for:\s*(.*)$", text)
    assert (
        len(fors) == len(re.findall(r"(?m)^\s*for:", original)) == sum(f is not None for f in ALERTS.values())
    )
    assert set(fors) == {"1s"}
    assert {r["alert"]: r.get("for") for r in yaml.safe_load(text)["groups"][0]["rules"]} == {
        name: None if for_ is None else "1s" for name, for_ in ALERTS.items()
    }
    (tmp_path / "fast.yml").write_text(text)
    check_rules(promtool, tmp_path / "fast.yml")


# --- probe_expr --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "probed"),
    [
        ("a > 100 and deriv(a[2m]) > 0", "a > bool 100 and deriv(a[2m]) > bool 0"),
        ("up{job='w'} == 0", "up{job='w'} == bool 0"),
        ("a>=-1 unless b<.5", "a>= bool -1 unless b< bool .5"),
        ("x != 1e3", "x != bool 1e3"),
        # Numbers that are arguments, and comparisons between vectors, stay as they are.
        (
            "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 0.1",
            "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > bool 0.1",
        ),
        ("a > b", "a > b"),
        # Signs inside label strings are label values.
        ('x{le=~">1", code!="500"} > 1', 'x{le=~">1", code!="500"} > bool 1'),
        ("x{op=`<2`}", "x{op=`<2`}"),
    ],
)
def test_probe_expr(expr: str, probed: str) -> None:
    assert probe_expr(expr) == probed
    assert probe_expr(probed) == probed


def test_metric_names() -> None:
    expr = 'sum by (kind, le) (rate(h_bucket{x="a>b"}[5m] offset 1m)) / on(i) group_left(j) c > 1e3 and up'
    assert metric_names(expr) == {"h_bucket", "c", "up"}


# --- the dashboard and the contract ------------------------------------------------------------


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    exprs = [expr for _, expr in dashboard_exprs()]
    assert len(exprs) > 20
    check_rules(promtool, recording_rules(exprs, tmp_path / "dashboard.yml"))


def test_rules_and_dashboard_use_only_metrics_the_workers_and_gateways_export() -> None:
    used = {
        (where, name)
        for where, expr in [(f"panel {t!r}", e) for t, e in dashboard_exprs()]
        + [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()]
        for name in metric_names(expr)
        if name not in SERIES
    }
    assert not used, f"metrics nobody exports: {sorted(used)}"


def test_the_worker_exports_every_metric_of_the_contract(tmp_path: Path) -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from models.settings import Settings
    from stream.outputs.publisher import InMemoryPublisher
    from stream.worker.app import create_app

    settings = Settings(kafka_bootstrap="127.0.0.1:1", app_id="unit-contract", registry_dir=tmp_path / "r")
    parts = create_app(settings, publisher_factory=InMemoryPublisher)
    text = generate_latest(parts.metrics.registry).decode()
    families = {f.name for f in text_string_to_metric_families(text)}
    exported = {f + "_total" if f"{f}_total" in COUNTERS else f for f in families}
    assert exported >= COUNTERS | GAUGES | HISTOGRAMS
    assert {"faust_total_rebalances", "faust_consumer_commit_latency"} <= families


def test_the_gateway_exports_every_metric_of_the_contract() -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from stream.gateway.metrics import GatewayMetrics

    text = generate_latest(GatewayMetrics().registry).decode()
    # Equal, not a superset: a metric the gateway gains must join the contract (the `_created`
    # series prometheus_client adds per counter and histogram are not metrics of their own).
    families = {f.name for f in text_string_to_metric_families(text) if not f.name.endswith("_created")}
    exported = {f + "_total" if f"{f}_total" in GATEWAY_COUNTERS else f for f in families}
    assert exported == GATEWAY_COUNTERS | GATEWAY_GAUGES | GATEWAY_HISTOGRAMS


def test_every_job_the_rules_and_dashboard_select_is_scraped() -> None:
    # A job name that matches no scrape job makes `up{job=...} == 0` quiet for ever.
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    scraped = {job["job_name"] for job in config["scrape_configs"]}
    exprs = [e for _, e in dashboard_exprs()] + [r["expr"] for r in alert_rules()]
    selected = {job for expr in exprs for job in re.findall(r'job\s*=~?\s*"([^"]*)"', expr)}
    assert selected == {"pitchside-worker", "pitchside-gateway"} and selected <= scraped


def test_every_panel_queries_the_provisioned_prometheus_and_ids_are_unique() -> None:
    board = dashboard()
    assert board["uid"] == "pitchside"
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        if panel.get("type") == "row":
            continue
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        for target in panel["targets"]:
            assert target["expr"] and target["refId"], panel["title"]
            assert target.get("datasource", {"uid": "prometheus"})["uid"] == "prometheus"
            assert "$" not in target["expr"].replace("$__rate_interval", ""), "only $__rate_interval"
