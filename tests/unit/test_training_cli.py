"""`pitchside train xg` and `pitchside models evaluate xg` as an analyst runs them."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.registry import ModelRegistry
from models.settings import Settings
from stream.cli import cli
from tests.shared_data import shared_path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "registry"),
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(tmp_path / "no-baseline"),
    }


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    source = shared_path("statsbomb", "shots")
    target = tmp_path / "shots"
    target.mkdir()
    for name in ("11_1.jsonl.gz", "16_4.jsonl.gz", "49_3.jsonl.gz", "16_27.jsonl.gz"):
        shutil.copy(source / name, target / name)
    return target


def run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_train_then_evaluate_with_the_registered_version(env: dict[str, str], shots: Path) -> None:
    code, out = run(["train", "xg", "--data", str(shots), "--holdout", "49_3"], env)
    assert code == 0, out
    assert "registered xg v1: PendingManualApproval" in out and "statsbomb_xg" in out
    code, out = run(
        ["models", "evaluate", "xg", "--shots", str(shots / "49_3.jsonl.gz"), "--version", "1", "--json"], env
    )
    assert code == 0, out
    result = json.loads(out)
    assert result["version"] == 1 and set(result["metrics"]) == {"model", "statsbomb_xg"}
    assert result["metrics"]["model"]["shots"] == result["metrics"]["statsbomb_xg"]["shots"] > 100
    assert result["compared_with_statsbomb_xg"] and result["providers"] == ["statsbomb"]


def test_event_only_scores_the_same_shots_without_their_freeze_frames(env: dict[str, str]) -> None:
    # The shipped baseline, on its held-out competition: every shot there has a freeze frame.
    held_out = shared_path("statsbomb", "shots", "11_4.jsonl.gz")
    env = {"PITCHSIDE_REGISTRY_DIR": env["PITCHSIDE_REGISTRY_DIR"]}
    results = {}
    for flag in ([], ["--event-only"]):
        code, out = run(["models", "evaluate", "xg", "--shots", str(held_out), *flag, "--json"], env)
        assert code == 0, out
        results[bool(flag)] = json.loads(out)
    full, event_only = results[False], results[True]
    assert (full["event_only"], event_only["event_only"]) == (False, True)
    assert full["scored_with_freeze_frame"] == event_only["scored_with_freeze_frame"] == 878
    assert full["metrics"]["statsbomb_xg"] == event_only["metrics"]["statsbomb_xg"]
    # The same shots, by the same paths, as the training report measured them.
    held_out = ModelRegistry(Settings().baseline_registry_dir).production("xg")
    assert held_out is not None
    recorded = held_out.metrics["holdout"]
    assert full["metrics"]["model"] == recorded["model"]
    assert event_only["metrics"]["model"] == recorded["model, event-only"]
    # Without the players only the event-only trees score: worse, but not by what v1 lost (0.031).
    assert 0 < event_only["metrics"]["model"]["log_loss"] - full["metrics"]["model"]["log_loss"] < 0.02
    code, out = run(["models", "evaluate", "lead", "--opportunities", str(held_out), "--event-only"], env)
    assert code == 1 and "--event-only is for xg" in out


def test_the_readme_flow_on_a_fresh_checkout_reproduces_the_baseline(tmp_path: Path) -> None:
    # The shipped baseline is production in a fresh registry; `train xg` with no options must get
    # through the gate (it rebuilds the baseline: the same log loss), not exit 1 there.
    env = {"PITCHSIDE_REGISTRY_DIR": str(tmp_path / "registry")}
    code, out = run(["train", "xg"], env)
    assert code == 0, out
    assert "gate: passed: log loss 0.30757 against production v2's 0.30757" in out
    assert "registered xg v3: PendingManualApproval" in out


def test_an_event_only_provider_file_is_scored_whole(
    env: dict[str, str], shots: Path, tmp_path: Path
) -> None:
    code, out = run(["train", "xg", "--data", str(shots), "--holdout", "49_3"], env)
    assert code == 0, out
    wyscout = tmp_path / "wyscout.jsonl"
    with gzip.open(shared_path("wyscout", "Germany.jsonl.gz"), "rt") as fh:
        wyscout.write_text("".join(line for _, line in zip(range(400), fh, strict=False)))
    code, out = run(["models", "evaluate", "xg", "--shots", str(wyscout), "--version", "1", "--json"], env)
    assert code == 0, out
    result = json.loads(out)
    assert result["providers"] == ["wyscout"] and not result["compared_with_statsbomb_xg"]
    assert set(result["metrics"]) == {"model"}
    assert result["metrics"]["model"]["shots"] == result["shots_scored"] > 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "xg", "--data", "/nonexistent/shots"], "does not exist"),
        (["train", "xg", "--holdout", "99_9"], "held-out competition '99_9' has no shots"),
        (["models", "evaluate", "xg", "--shots", "/nonexistent"], "no production version"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    env: dict[str, str], shots: Path, args: list[str], message: str
) -> None:
    if args[:2] == ["train", "xg"] and "--data" not in args:
        args = [*args, "--data", str(shots)]
    code, out = run(args, env)
    assert code == 1
    [error] = [line for line in out.splitlines() if line.startswith("Error:")]  # one line says it all
    assert message in error


def test_evaluating_an_unknown_version_names_what_exists(env: dict[str, str], shots: Path) -> None:
    run(["train", "xg", "--data", str(shots), "--holdout", "49_3"], env)
    code, out = run(["models", "evaluate", "xg", "--shots", str(shots), "--version", "7"], env)
    assert code == 1 and "7" in out


def test_a_corrupt_artifact_is_refused_by_evaluate(env: dict[str, str], shots: Path) -> None:
    run(["train", "xg", "--data", str(shots), "--holdout", "49_3"], env)
    artifact = Path(env["PITCHSIDE_REGISTRY_DIR"]) / "xg" / "v1" / "model.ubj"
    artifact.write_bytes(artifact.read_bytes()[:-10])
    code, out = run(["models", "evaluate", "xg", "--shots", str(shots), "--version", "1"], env)
    assert code == 1
    [error] = [line for line in out.splitlines() if line.startswith("Error:")]
    assert "sha256" in error or "checksum" in error
