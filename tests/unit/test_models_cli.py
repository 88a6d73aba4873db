"""``pitchside models``: the happy paths, and bad input as one ``Error:`` line with exit status 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from models.registry import APPROVED, ModelRegistry
from models.settings import Settings
from training.models_cli import models


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "registry"),
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(tmp_path / "baseline"),  # absent unless a test makes it
    }


@pytest.fixture
def reg(env: dict[str, str]) -> ModelRegistry:
    """xg v1 (Approved, production, log loss 0.30) and v2 (pending, better, one more feature)."""
    registry = ModelRegistry(Path(env["PITCHSIDE_REGISTRY_DIR"]))
    add(
        registry,
        {"log_loss": 0.30, "brier": 0.10, "roc_auc": 0.75, "n_test": 1200},
        ["distance_m", "angle_rad"],
        depth=3,
    )
    add(
        registry,
        {"log_loss": 0.25, "brier": 0.09, "n_test": 1300},
        ["distance_m", "angle_rad", "speed"],
        depth=4,
    )
    registry.approve("xg", 1)
    registry.promote("xg", 1)
    return registry


def add(registry: ModelRegistry, metrics: dict[str, Any], features: list[str], depth: int = 3) -> None:
    registry.register(
        "xg",
        b"model bytes",
        feature_names=features,
        params={"max_depth": depth, "eta": 0.1},
        metrics=metrics,
        lineage={"seed": 7},
        report_files={"report.md": b"# report"},
    )


def run(env: dict[str, str], *args: str, obj: Any = None) -> tuple[int, str]:
    result = CliRunner().invoke(models, list(args), env=env, obj=obj)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def one_error_line(out: str) -> str:
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    return lines[0]


# --- happy paths ---------------------------------------------------------------------------------


def test_list_of_an_empty_registry_says_so(env: dict[str, str]) -> None:
    code, out = run(env, "list")
    assert code == 0 and "no models registered" in out


def test_list_shows_versions_status_production_and_metrics(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "list")
    assert code == 0
    header, v1, v2 = out.strip().splitlines()
    assert header.split() == ["NAME", "VERSION", "STATUS", "PROD", "CREATED", "LOG_LOSS", "BRIER", "ROC_AUC"]
    assert v1.split()[:4] == ["xg", "v1", "Approved", "*"] and v1.split()[-3:] == [
        "0.3000",
        "0.1000",
        "0.7500",
    ]
    assert v2.split()[:3] == ["xg", "v2", "PendingManualApproval"] and "*" not in v2
    assert v2.split()[-1] == "-"  # no roc_auc recorded


def test_list_of_one_name(env: dict[str, str], reg: ModelRegistry) -> None:
    reg.register("lead", b"m", feature_names=["a"], params={}, metrics={}, lineage={})
    code, out = run(env, "list", "lead")
    assert code == 0 and [line.split()[0] for line in out.strip().splitlines()] == ["NAME", "lead"]


def test_show_prints_the_metadata_and_checks_the_artifact(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "show", "xg", "1")
    assert code == 0
    assert out.startswith("xg v1  (production)")
    assert "status:    Approved" in out and "sha256 ok" in out
    assert "distance_m, angle_rad" in out and "log_loss" in out
    assert str(reg.get("xg", 1).report_path()) in out


def test_show_json_is_the_meta_plus_path_and_flags(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "show", "xg", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 2 and data["production"] is False and data["artifact_ok"] is True
    assert data["feature_names"] == ["distance_m", "angle_rad", "speed"]
    assert data["path"] == str(reg.root / "xg" / "v2")


def test_compare_shows_metric_differences_params_and_features(
    env: dict[str, str], reg: ModelRegistry
) -> None:
    code, out = run(env, "compare", "xg", "1", "2")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.strip().splitlines()}
    assert rows["log_loss"] == ["0.3000", "0.2500", "-0.0500"]
    assert rows["n_test"] == ["1200", "1300", "+100"]
    assert rows["roc_auc"] == ["0.7500", "-"]  # only in v1: no difference to show
    assert rows["max_depth"] == ["3", "4"] and "eta" not in rows
    assert "only in v2: speed" in out


def test_compare_notices_a_reordering_of_features(env: dict[str, str], reg: ModelRegistry) -> None:
    add(reg, {}, ["angle_rad", "distance_m"])
    code, out = run(env, "compare", "xg", "1", "3")
    assert code == 0 and "the same names in a different order" in out


def test_approve_promote_and_rollback(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "approve", "xg", "2", "--note", "better log loss")
    assert code == 0 and out.strip() == "xg v2: Approved"
    assert (
        reg.get("xg", 2).status == APPROVED and reg.get("xg", 2).status_history[-1].note == "better log loss"
    )

    code, out = run(env, "promote", "xg", "2")
    assert code == 0 and out.strip() == "xg: production is v2 (was v1)"
    assert reg.alias_version("xg") == 2

    code, out = run(env, "rollback", "xg")
    assert code == 0 and out.strip() == "xg: production is v1 (was v2)"
    assert reg.alias_version("xg") == 1


def test_history_is_the_audit_trail_with_who_when_and_from_which(
    env: dict[str, str], reg: ModelRegistry
) -> None:
    assert run(env, "reject", "xg", "2", "--note", "leaks the label")[0] == 0
    code, out = run(env, "approve", "xg", "2")
    assert code == 1 and "was rejected: approving it needs a note saying why" in one_error_line(out)
    assert run(env, "approve", "xg", "2", "--note", "the leak was in the report, not the model")[0] == 0
    assert run(env, "promote", "xg", "2", "--note", "better log loss")[0] == 0
    assert run(env, "rollback", "xg")[0] == 0
    code, out = run(env, "history", "xg")
    assert code == 0, out
    events = [line.split("  ", 1)[1] for line in out.strip().splitlines()]
    by = reg.get("xg", 2).status_history[-1].by
    assert events[-4:] == [
        f"v2 Rejected by {by}: leaks the label",
        f"v2 Approved by {by}: the leak was in the report, not the model",
        f"promote v2 (was v1) by {by}: better log loss",
        f"rollback v1 (was v2) by {by}",
    ]


def test_reject(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "reject", "xg", "2", "--note", "leaks the label")
    assert code == 0 and out.strip() == "xg v2: Rejected"
    assert reg.get("xg", 2).status_history[-1].note == "leaks the label"


def test_a_fresh_registry_is_seeded_from_the_baseline(env: dict[str, str]) -> None:
    base = ModelRegistry(Path(env["PITCHSIDE_BASELINE_REGISTRY_DIR"]))
    add(base, {"log_loss": 0.4}, ["distance_m"])
    base.approve("xg", 1)
    base.promote("xg", 1)
    code, out = run(env, "list")
    assert code == 0 and out.strip().splitlines()[1].split()[:4] == ["xg", "v1", "Approved", "*"]
    assert ModelRegistry(Path(env["PITCHSIDE_REGISTRY_DIR"])).alias_version("xg") == 1


@pytest.mark.parametrize("as_mapping", [False, True])
def test_settings_come_from_the_context_when_given(tmp_path: Path, as_mapping: bool) -> None:
    settings = Settings(registry_dir=tmp_path / "ctx-registry", baseline_registry_dir=tmp_path / "none")
    ModelRegistry(settings.registry_dir).register(
        "lead", b"m", feature_names=["a"], params={}, metrics={}, lineage={}
    )
    obj = {"settings": settings} if as_mapping else settings
    code, out = run({"PITCHSIDE_REGISTRY_DIR": str(tmp_path / "elsewhere")}, "list", obj=obj)
    assert code == 0 and "lead" in out


def test_mounted_under_a_root_group_that_builds_the_settings(tmp_path: Path) -> None:
    """How stream.cli will mount it: the root group stores the Settings in ctx.obj."""

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = Settings(registry_dir=tmp_path / "root-registry", baseline_registry_dir=tmp_path / "none")

    root.add_command(models)
    ModelRegistry(tmp_path / "root-registry").register(
        "xg", b"m", feature_names=["a"], params={}, metrics={}, lineage={}
    )
    result = CliRunner().invoke(root, ["models", "show", "xg", "1"])
    assert result.exit_code == 0 and result.output.startswith("xg v1")


def test_nested_metrics_are_flattened_and_the_models_own_scores_listed(
    env: dict[str, str], reg: ModelRegistry
) -> None:
    """The training pipeline records {"holdout": {"model": {...}, "statsbomb_xg": {...}}}."""
    holdout = {"model": {"log_loss": 0.28, "brier": 0.08}, "statsbomb_xg": {"log_loss": 0.27, "brier": 0.07}}
    for log_loss in (0.28, 0.26):
        reg.register(
            "shots",
            b"m",
            feature_names=["a"],
            params={},
            metrics={"holdout": {**holdout, "model": {**holdout["model"], "log_loss": log_loss}}},
            lineage={},
        )
    code, out = run(env, "list", "shots")
    assert code == 0 and out.strip().splitlines()[1].split()[-3:] == ["0.2800", "0.0800", "-"]
    code, out = run(env, "compare", "shots", "1", "2")
    rows = {line.split()[0]: line.split()[1:] for line in out.strip().splitlines()}
    assert code == 0 and rows["holdout.model.log_loss"] == ["0.2800", "0.2600", "-0.0200"]
    assert rows["holdout.statsbomb_xg.brier"] == ["0.0700", "0.0700", "+0.0000"]


# --- bad input -----------------------------------------------------------------------------------


def test_unknown_name(env: dict[str, str], reg: ModelRegistry) -> None:
    for args in (
        ["list", "lead"],
        ["show", "lead", "1"],
        ["promote", "lead", "1"],
        ["rollback", "lead"],
        ["history", "lead"],
    ):
        code, out = run(env, *args)
        assert code == 1, args
        assert "no model named 'lead'" in one_error_line(out) and "registered: xg" in out


def test_unknown_version(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "show", "xg", "9")
    assert code == 1 and "no version 9; versions: 1, 2" in one_error_line(out)
    code, out = run(env, "compare", "xg", "1", "9")
    assert code == 1 and "no version 9" in one_error_line(out)


def test_promoting_a_pending_version_is_refused(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "promote", "xg", "2")
    assert code == 1 and "only an Approved version can be promoted: approve it first" in one_error_line(out)
    assert reg.alias_version("xg") == 1


def test_rollback_with_no_history_is_refused(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "rollback", "xg")
    assert code == 1 and "no earlier production version" in one_error_line(out)


def test_rejecting_production_is_refused(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "reject", "xg", "1")
    assert code == 1 and "promote another version or roll back" in one_error_line(out)


def test_approving_twice_is_refused(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "approve", "xg", "1")
    assert code == 1 and "already Approved" in one_error_line(out)


def test_a_bad_name_is_refused(env: dict[str, str]) -> None:
    code, out = run(env, "show", "XG", "1")
    assert code == 1 and "model name 'XG' is not allowed" in one_error_line(out)


def test_show_of_a_corrupt_artifact_exits_1_after_showing_it(env: dict[str, str], reg: ModelRegistry) -> None:
    reg.get("xg", 2).artifact_path.write_bytes(b"tampered")
    code, out = run(env, "show", "xg", "2")
    assert code == 1
    assert "CORRUPT" in out
    assert out.strip().splitlines()[-1].startswith("Error: xg v2: ") and "sha256" in out


def test_invalid_settings_name_the_variable(env: dict[str, str]) -> None:
    code, out = run({**env, "PITCHSIDE_TOPIC_PARTITIONS": "0"}, "list")
    assert code == 1 and "PITCHSIDE_TOPIC_PARTITIONS" in one_error_line(out)


def test_show_exits_1_when_a_report_file_changed_after_registration(
    env: dict[str, str], reg: ModelRegistry
) -> None:
    code, out = run(env, "show", "xg", "1")
    assert code == 0 and "report.md (sha256 recorded)" in out
    reg.get("xg", 1).report_path().write_bytes(b"# rewritten by hand")
    code, out = run(env, "show", "xg", "1", "--json")
    assert code == 1 and '"reports_ok": false' in out and '"artifact_ok": true' in out
    assert "the report changed after registration" in out.strip().splitlines()[-1]


def test_challenge_then_withdraw_from_the_command_line(env: dict[str, str], reg: ModelRegistry) -> None:
    code, out = run(env, "challenge", "xg", "2", "--note", "one more feature")
    assert code == 0 and out.strip() == "xg: challenger is v2; production stays v1"
    code, out = run(env, "history", "xg")
    assert code == 0 and "challenger v2 (was none)" in out and "one more feature" in out
    code, out = run(env, "challenge", "xg", "--withdraw")
    assert code == 0 and out.strip() == "xg: challenger v2 withdrawn"
    for args in (["challenge", "xg"], ["challenge", "xg", "2", "--withdraw"], ["challenge", "xg", "1"]):
        code, out = run(env, *args)
        assert code == 1
        one_error_line(out)
