"""The xG training pipeline on a slice of the shared shots: reproducible, split by match, gated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from features.shot import SHOT_FEATURE_NAMES
from models.drift import baseline_of
from models.registry import ModelRegistry
from tests.shared_data import shared_path
from training.metrics import brier, expected_calibration_error, log_loss, roc_auc, roc_curve
from training.pipeline import GateRefused, TrainOptions, train_xg
from training.shot_dataset import build_dataset, shot_kind
from training.shots import TrainingDataError, load_shots
from training.split import split_dataset

# A slice of six small competition-seasons (a few hundred shots): the tests hold out NWSL 2018 (8
# matches). Too few shots for a good model, which is not what these tests are about.
SLICE = (
    "11_1.jsonl.gz",
    "16_4.jsonl.gz",
    "16_1.jsonl.gz",
    "16_2.jsonl.gz",
    "16_27.jsonl.gz",
    "49_3.jsonl.gz",
)


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_path("statsbomb", "shots")
    target = tmp_path_factory.mktemp("shots")
    for name in SLICE:
        shutil.copy(source / name, target / name)
    return target


def test_metrics_match_their_definitions_on_a_hand_example() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.8, 0.3, 0.3, 0.1])
    assert log_loss(y, p) == pytest.approx(-(np.log(0.8) + np.log(0.7) + np.log(0.3) + np.log(0.9)) / 4)
    assert brier(y, p) == pytest.approx((0.04 + 0.09 + 0.49 + 0.01) / 4)
    # Pairs (goal, miss): (0.8, 0.3) win, (0.8, 0.1) win, (0.3, 0.3) tie = half, (0.3, 0.1) win: 3.5/4.
    assert roc_auc(y, p) == pytest.approx(3.5 / 4)
    # Bins of width 0.1: {0.1}: 0 goals, {0.3, 0.3}: 1 of 2, {0.8}: 1 of 1.
    assert expected_calibration_error(y, p) == pytest.approx((0.1 + 2 * 0.2 + 0.2) / 4)
    # Thresholds 0.8, 0.3 (a goal and a miss together: one diagonal step), 0.1.
    fpr, tpr = roc_curve(y, p)
    np.testing.assert_allclose(fpr, [0.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(tpr, [0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("seed", range(5))
def test_the_area_under_the_roc_curve_is_the_auc(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(300) < 0.2).astype(np.float64)
    p = np.round(rng.random(300) * 0.5 + 0.3 * y, 2)  # rounded: many ties
    fpr, tpr = roc_curve(y, p)
    assert fpr[0] == tpr[0] == 0.0 and fpr[-1] == tpr[-1] == 1.0
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)) == pytest.approx(roc_auc(y, p))


def test_the_dataset_uses_the_live_feature_functions_and_sorts_out_penalties(shots_dir: Path) -> None:
    shots = load_shots(shots_dir)
    data = build_dataset(shots)
    assert data.x.shape == (len(shots), len(SHOT_FEATURE_NAMES))
    kinds = {shot_kind(s.event) for s in shots}
    assert "open_play" in kinds
    penalties = [s for s in shots if (s.event["shot"].get("type") or {}).get("name") == "Penalty"]
    for s in penalties:
        assert shot_kind(s.event) in ("penalty", "shootout")
    # A goal is a goal: the label comes from the outcome.
    goals = sum((s.event["shot"].get("outcome") or {}).get("name") == "Goal" for s in shots)
    assert data.goal.sum() == goals


def test_the_split_is_by_match_seeded_and_keeps_the_holdout_apart(shots_dir: Path) -> None:
    data = build_dataset(load_shots(shots_dir))
    a = split_dataset(data, "49_3", seed=3)
    b = split_dataset(data, "49_3", seed=3)
    assert (a.valid == b.valid).all()
    assert set(data.competition[a.test]) == {"49_3"}
    assert not set(data.match_id[a.train]) & set(data.match_id[a.valid])
    assert not (a.train & a.test).any() and not (a.valid & a.test).any()
    with pytest.raises(TrainingDataError, match="held-out competition '99_9' has no shots"):
        split_dataset(data, "99_9", seed=3)


def test_training_is_reproducible_registered_pending_and_gated(shots_dir: Path, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    options = TrainOptions((shots_dir,), holdout="49_3", seed=11, search=False)
    first = train_xg(options, registry)
    second = train_xg(options, registry, step=lambda _s: None)
    assert (first.version.version, second.version.version) == (1, 2)
    assert first.version.status == "PendingManualApproval"
    assert first.summary["metrics"] == second.summary["metrics"]  # seeded: the same figures
    held = first.summary["metrics"]["holdout"]
    assert set(held) == {"model", "model, event-only", "statsbomb_xg", "location only"}
    assert held["model"]["shots"] == held["model, event-only"]["shots"] == held["statsbomb_xg"]["shots"] > 0
    # One booster, two paths: its first event_rounds trees are the event-only model.
    rounds = first.version.extra["event_rounds"]  # type: ignore[index]
    assert 0 < rounds < first.summary["rounds"] == first.version.params["rounds"]
    assert registry.load_artifact("xg", 1) == registry.load_artifact("xg", 2)
    meta = json.loads((first.version.path / "meta.json").read_text())
    assert meta["feature_names"] == list(SHOT_FEATURE_NAMES)
    assert all(len(f["sha256"]) == 64 for f in meta["lineage"]["files"])
    assert {"report.md", "reliability.png", "roc.png", "importance.png"} <= set(first.version.report_files)
    report = (first.version.path / "report.md").read_text()
    assert "NWSL 2018" in report and "## Explained held-out shots" in report
    explained = first.summary["explained"]
    highest = [e for e in explained if e["group"] == "highest xG"]
    surprises = [e for e in explained if e["group"] != "highest xG"]
    assert len(highest) == 5 and surprises and all(e["goal"] for e in surprises)
    assert [e["xg"] for e in highest] == sorted((e["xg"] for e in highest), reverse=True)
    assert max(e["xg"] for e in surprises) <= min(e["xg"] for e in highest)
    assert all(len(e["why"]) == 3 and f"| {e['xg']:.3f} |" in report for e in explained)
    assert meta["lineage"]["run"]["packages"]["pitchside"] and "command" in meta["lineage"]["run"]
    # The drift baseline is taken from exactly the open-play rows the booster was fit on.
    baseline = baseline_of(first.version)
    assert baseline is not None
    assert baseline.names == first.version.feature_names == SHOT_FEATURE_NAMES
    assert baseline.rows == first.summary["split"]["rows"]["train"] > 0
    # With v1 in production, a model worse on the same shots is refused unless overridden.
    registry.approve("xg", 1)
    registry.promote("xg", 1)
    worse = TrainOptions((shots_dir,), holdout="49_3", seed=11, search=False)
    first_ll = held["model"]["log_loss"]
    import training.pipeline as pipeline

    real_fit = pipeline.fit

    def bad_fit(*args: object, **kwargs: object) -> pipeline.Fitted:
        fitted = real_fit(*args, **kwargs)  # type: ignore[arg-type]
        # One round only: an underfit model, worse than v1 on the held-out shots.
        return pipeline.Fitted(fitted.booster[:1], fitted.params, 0, fitted.valid_log_loss)

    pipeline.fit = bad_fit  # type: ignore[assignment]
    try:
        with pytest.raises(GateRefused, match=f"production v1's {first_ll:.5f}"):
            train_xg(worse, registry)
        assert [v.version for v in registry.versions("xg")] == [1, 2]
        forced = train_xg(
            TrainOptions((shots_dir,), holdout="49_3", seed=11, search=False, override_gate=True), registry
        )
    finally:
        pipeline.fit = real_fit  # type: ignore[assignment]
    assert forced.version.version == 3
    assert "overridden" in forced.summary["gate"]["verdict"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "does not exist"),
        (lambda d: d, "no \\*.jsonl.gz"),
        (lambda d: (d / "bad.jsonl").write_text('{"not": "a shot"}\n') and d, "bad.jsonl:1: not a shot line"),
        (lambda d: (d / "empty.jsonl").write_text("\n") and d, "no shots found"),
    ],
)
def test_bad_data_is_refused_with_what_to_fix(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(TrainingDataError, match=message):
        load_shots(path)


def test_an_open_data_directory_reads_like_the_shot_files() -> None:
    root = shared_path("statsbomb", "events").parent
    shots = load_shots(root)
    game = [s for s in shots if s.match_id == "15946"]
    raw = json.loads((root / "events" / "15946.json").read_text())
    assert len(game) == sum(e["type"]["name"] == "Shot" for e in raw) > 0
    assert {s.competition for s in game} == {"11_4"}  # listed in matches/11/4.json: La Liga 2018/19
    # A match no list names keeps its shots, under an unknown competition.
    assert {s.competition for s in shots if s.match_id == "8658"} == {"unknown"}
    assert build_dataset(game).x.shape[0] == len(game)
