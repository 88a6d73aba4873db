"""Every shipped baseline retrains from the shared data to the same model file and metrics, and a
retrain's record (lineage with commit, packages and command; hashed reports) can replace the shipped
one without touching the model, its status or its history."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import training.lineage as lineage_module
from models.registry import ModelRegistry
from models.settings import Settings
from stream.cli import cli
from tests.shared_data import shared_path
from training.baselines import BaselineCheck, update_shipped
from training.lineage import run_lineage
from training.shots import TrainingDataError


def test_the_shipped_baselines_retrain_to_the_same_model_and_their_record_can_be_refreshed(
    tmp_path: Path,
) -> None:
    data = shared_path()
    shipped = tmp_path / "shipped"
    shutil.copytree(Settings().baseline_registry_dir, shipped)
    production = {name: ModelRegistry(shipped).production(name) for name in ("xg", "lead")}
    before = {name: version for name, version in production.items() if version is not None}
    assert before.keys() == {"xg", "lead"}
    env = {
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(shipped),
        "PITCHSIDE_DATA_DIR": str(data),
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "registry"),
    }
    result = CliRunner().invoke(cli, ["train", "baselines", "--update", "--json"], env=env)
    assert result.exception is None, result.output
    lines = {line["name"]: line for line in map(json.loads, result.output.splitlines())}
    assert {name: line["reproduced"] for name, line in lines.items()} == {"xg": True, "lead": True}
    registry = ModelRegistry(shipped)
    for name, old in before.items():
        new = registry.get(name, old.version)
        assert new.artifact_sha256 == old.artifact_sha256 and new.metrics == old.metrics
        assert (new.status, new.status_history) == (old.status, old.status_history)
        run = new.lineage["run"]
        assert run["packages"]["pitchside"] and run["python"] and "command" in run
        assert set(new.report_sha256 or {}) == set(new.report_files) and "roc.png" in new.report_files
        registry.check_reports(name, old.version)
        registry.load_artifact(name, old.version)


def test_a_baseline_that_was_not_reproduced_is_not_updated(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    kwargs = {"feature_names": ["a"], "params": {}, "lineage": {}}
    shipped = registry.register("xg", b"model", metrics={"log_loss": 0.3}, **kwargs)
    retrained = registry.register("xg", b"model", metrics={"log_loss": 0.31}, **kwargs)
    check = BaselineCheck(shipped, retrained)
    assert check.same_artifact and not check.same_metrics and not check.reproduced
    with pytest.raises(TrainingDataError, match="not reproduced, so not updated: xg v1"):
        update_shipped(tmp_path, [check])


def test_a_run_records_its_commit_packages_and_command_by_program_name() -> None:
    run = run_lineage(["/opt/venv/bin/pitchside", "train", "xg", "--data", "my shots"])
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert run["git"]["commit"] == head.stdout.strip() and isinstance(run["git"]["dirty"], bool)
    assert run["command"] == "pitchside train xg --data 'my shots'"
    assert {"pitchside", "numpy", "matplotlib"} <= set(run["packages"])


def test_outside_a_git_checkout_the_commit_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lineage_module, "_REPO", tmp_path)
    assert run_lineage(["pitchside"])["git"] is None
