"""The xG training pipeline: load -> features -> split -> train -> evaluate -> gate -> register.

Each step is a plain function an analyst can call alone; :func:`train_xg` composes them. The model
learns open-play shots; penalties get a fixed rate (their conversion rate in the training
competitions), shoot-out kicks are left out. Nothing about the held-out competition-season reaches
training or tuning: early stopping and the search use a validation split of the other matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.shot import SHOT_FEATURE_NAMES, players_known, without_freeze_frame
from models.drift import BASELINE_FILE, build_baseline, encode_baseline
from models.errors import PitchsideError
from models.registry import ModelRegistry, ModelVersion
from models.xg import DEFAULT_PENALTY_RATE, XgModel

from .explain import explain_shots
from .learn import Fitted, Progress, fit, importance, search
from .lineage import run_lineage
from .metrics import scores
from .report import importance_plot, reliability_plot, render_report, roc_plot
from .shot_dataset import LOCATION_FEATURES, ShotDataset, build_dataset
from .shots import ShotRecord, TrainingDataError, file_lineage, load_shots
from .split import Split, split_dataset

__all__ = ["GateRefused", "TrainOptions", "TrainResult", "evaluate", "gate", "train_xg"]

MODEL_NAME = "xg"
FloatArray = npt.NDArray[np.float64]


class GateRefused(PitchsideError):
    """The new model is worse than production on the same evaluation shots."""


@dataclass(frozen=True)
class TrainOptions:
    data: tuple[Path, ...]  # shots files or directories, of any provider
    holdout: str  # competition-season keys, comma-separated
    seed: int = 7
    search: bool = True  # as the shipped baseline was trained: `train xg` reproduces it
    override_gate: bool = False
    name: str = MODEL_NAME


@dataclass(frozen=True)
class TrainResult:
    version: ModelVersion
    summary: dict[str, Any]


class Predicts(Protocol):
    def predict(self, x: FloatArray) -> FloatArray: ...


def evaluate(
    data: ShotDataset, split: Split, model: Predicts, location: Fitted
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Metrics on the held-out open-play shots that carry StatsBomb's xG: the model (each shot by its
    path), the same model as if no shot had a freeze frame, StatsBomb's own xG and the location-only
    model, on exactly the same shots. Returns metrics and the predictions."""
    rows = split.test & np.isfinite(data.provider_xg)
    if not rows.any():
        raise TrainingDataError("no held-out shot carries statsbomb_xg to compare with")
    y = data.goal[rows]
    predictions = {
        "model": model.predict(data.x[rows]),
        "model, event-only": model.predict(without_freeze_frame(data.x[rows])),
        "statsbomb_xg": data.provider_xg[rows],
        "location only": location.predict(data.columns(LOCATION_FEATURES)[rows]),
    }
    return {name: scores(y, p) for name, p in predictions.items()}, {"y": y, **predictions}


def evaluate_event_feeds(
    data: ShotDataset, split: Split, model: Predicts, location: Fitted
) -> dict[str, Any]:
    """Metrics on the held-out shots that no provider xG comes with (event-only feeds: Wyscout's)."""
    rows = split.test & ~np.isfinite(data.provider_xg)
    if not rows.any():
        return {}
    y = data.goal[rows]
    return {
        "model": scores(y, model.predict(data.x[rows])),
        "location only": scores(y, location.predict(data.columns(LOCATION_FEATURES)[rows])),
    }


def gate(
    registry: ModelRegistry,
    name: str,
    feature_names: tuple[str, ...],
    x: FloatArray,
    y: FloatArray,
    new_log_loss: float,
    override: bool,
    calibrated: Callable[[FloatArray, dict[str, Any]], FloatArray] | None = None,
    score: Callable[[bytes, ModelVersion, FloatArray], FloatArray] | None = None,
) -> dict[str, Any]:
    """Refuse a model worse than production on these evaluation rows (``x``, ``y``), unless
    overridden. A production version built on features this code lacks cannot be compared: passed,
    said so. ``calibrated`` turns production's raw margins into probabilities with its stored
    calibration; ``score`` scores production's rows as it serves them (xG: by path)."""
    current = registry.production(name)
    if current is None:
        return {"verdict": "passed: no production model yet", "production": None}
    if not set(current.feature_names) <= set(feature_names):
        return {
            "verdict": f"passed: production v{current.version} has another feature schema",
            "production": current.version,
        }
    # Production sees the columns it was trained on (a version from before features were added).
    x = x[:, [list(feature_names).index(n) for n in current.feature_names]]
    artifact = registry.load_artifact(name, current.version)
    if score is not None:
        p = score(artifact, current, x)
    else:
        booster = xgb.Booster()
        booster.load_model(bytearray(artifact))
        margin = calibrated is not None
        p = booster.predict(xgb.DMatrix(x), output_margin=margin).astype(np.float64)
        p = p if calibrated is None else calibrated(p, current.extra or {})
    production_ll = scores(y, p)["log_loss"]
    worse = new_log_loss > production_ll
    verdict = (
        f"{'FAILED' if worse else 'passed'}: log loss {new_log_loss:.5f} against production "
        f"v{current.version}'s {production_ll:.5f} on the same rows"
    )
    if worse and not override:
        raise GateRefused(f"{verdict}; not registered (pass --override-gate to register anyway)")
    if worse:
        verdict += " (overridden by the analyst)"
    return {"verdict": verdict, "production": current.version, "production_log_loss": production_ll}


def _portable(path: Path) -> str:
    """The data path as recorded: relative to the shared data root when under it."""
    parts = path.resolve().parts
    if "data" in parts:
        return "/".join(parts[parts.index("data") :])
    return path.name


def _load(paths: tuple[Path, ...], step: Callable[[str], None]) -> tuple[list[ShotRecord], list[Any]]:
    shots: list[ShotRecord] = []
    files: list[Any] = []
    for path in paths:
        step(f"load shots from {path}")
        shots.extend(load_shots(path))
        files.extend({"data": _portable(path), **f} for f in file_lineage(path))
    return shots, files


FULL_STAGE_GRID = tuple(
    {"max_depth": d, "min_child_weight": w, "eta": 0.03} for d in (2, 3, 4) for w in (5, 20)
)


@dataclass(frozen=True)
class TwoStage:
    """Both fitted stages: the event-only model and the full one boosted on top of it."""

    event: Fitted
    full: Fitted
    trials: list[dict[str, Any]]

    @property
    def event_rounds(self) -> int:
        return self.event.best_iteration + 1


def fit_two_stage(
    data: ShotDataset, split: Split, seed: int, search_grid: bool, progress: Progress
) -> TwoStage:
    """Stage one learns every training shot with the players' geometry hidden (what an event-only
    feed gives); stage two boosts on from its logit, on the shots whose players are known."""
    tr, va = split.train, split.valid
    hidden = without_freeze_frame(data.x)
    rows = (hidden[tr], data.goal[tr], hidden[va], data.goal[va])
    trials: list[dict[str, Any]] = []
    if search_grid:
        event, trials = search(*rows, SHOT_FEATURE_NAMES, seed, progress)
    else:
        event = fit(*rows, SHOT_FEATURE_NAMES, seed)
    players = players_known(data.x)
    ftr, fva = tr & players, va & players
    full: Fitted | None = None
    # A few thousand shots with players: a small grid, scored on their validation matches only.
    for params in FULL_STAGE_GRID:
        fitted = fit(
            data.x[ftr],
            data.goal[ftr],
            data.x[fva],
            data.goal[fva],
            SHOT_FEATURE_NAMES,
            seed,
            params,
            event.booster,
        )
        trials.append(
            {
                "stage": "full",
                **params,
                "rounds": fitted.best_iteration - event.best_iteration,  # its own, after stage one's
                "valid_log_loss": round(fitted.valid_log_loss, 5),
            }
        )
        if full is None or fitted.valid_log_loss < full.valid_log_loss:
            full = fitted
    if full is None:  # the grid is never empty; keeps the type checker honest
        raise ValueError("empty grid")
    return TwoStage(event, full, trials)


def train_xg(
    options: TrainOptions,
    registry: ModelRegistry,
    step: Callable[[str], None] = lambda _s: None,
    progress: Progress = lambda _label, _done, _total: None,
) -> TrainResult:
    """Run every step and register the model (pending approval). Raises on bad data or a failed gate."""
    shots, lineage_files = _load(options.data, step)
    step(f"features for {len(shots)} shots")
    everything = build_dataset(shots, progress)
    open_play = everything.subset(everything.kind == "open_play")
    step("split by match, holding out " + options.holdout)
    split = split_dataset(open_play, options.holdout, options.seed)
    tr, va = split.train, split.valid
    step("train: event-only, then full" + (" (with a grid search)" if options.search else ""))
    stages = fit_two_stage(open_play, split, options.seed, options.search, progress)
    loc = open_play.columns(LOCATION_FEATURES)
    location = fit(loc[tr], open_play.goal[tr], loc[va], open_play.goal[va], LOCATION_FEATURES, options.seed)
    penalties = (everything.kind == "penalty") & ~np.isin(everything.competition, split.holdouts)
    penalty_rate = float(everything.goal[penalties].mean()) if penalties.any() else DEFAULT_PENALTY_RATE
    live = XgModel(
        stages.full.booster, SHOT_FEATURE_NAMES, options.name, 0, penalty_rate, stages.event_rounds
    )
    step("evaluate on the held-out competition")
    metrics, predictions = evaluate(open_play, split, live, location)
    event_feeds = evaluate_event_feeds(open_play, split, live, location)
    step("gate against production")
    compared = split.test & np.isfinite(open_play.provider_xg)
    verdict = gate(
        registry,
        options.name,
        SHOT_FEATURE_NAMES,
        open_play.x[compared],
        open_play.goal[compared],
        metrics["model"]["log_loss"],
        options.override_gate,
        score=_production_xg(options.name),
    )
    # The rows evaluate() scored, in its order: explained as the worker would score them.
    scored = np.flatnonzero(compared)
    explained = explain_shots(live, open_play, scored, predictions["model"])
    x_train = open_play.x[tr]
    model = stages.full
    summary: dict[str, Any] = {
        "name": options.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": [_portable(p) for p in options.data],
        "shots_total": len(everything),
        "shots_open_play": len(open_play),
        "shots_penalty": int((everything.kind == "penalty").sum()),
        "shots_shootout": int((everything.kind == "shootout").sum()),
        "providers": {p: int((everything.provider == p).sum()) for p in sorted(set(everything.provider))},
        "split": split.describe(open_play),
        "metrics": {"holdout": metrics, "holdout_event_feeds": event_feeds},
        "gate": verdict,
        "feature_names": list(SHOT_FEATURE_NAMES),
        "importance": importance(model, SHOT_FEATURE_NAMES),
        "penalty_rate": penalty_rate,
        "penalty_rate_from": int(penalties.sum()),
        "params": model.params,
        "rounds": model.best_iteration + 1,
        "event_rounds": stages.event_rounds,
        "search": stages.trials,
        "explained": explained,
    }
    report = render_report(summary)
    y = predictions.pop("y")
    step("register")
    version = registry.register(
        options.name,
        bytes(model.booster.save_raw("ubj")),
        artifact_format="ubj",
        feature_names=list(SHOT_FEATURE_NAMES),
        params={**model.params, "rounds": model.best_iteration + 1},
        metrics={
            "holdout": metrics,
            "holdout_event_feeds": event_feeds,
            "valid_log_loss": round(model.valid_log_loss, 5),
            "valid_log_loss_event_only": round(stages.event.valid_log_loss, 5),
        },
        lineage={
            "data": summary["data"],
            "files": lineage_files,
            "split": summary["split"],
            "features": "features.shot (SHOT_FEATURE_NAMES), built by training.shot_dataset",
            "run": run_lineage(),
        },
        report_files={
            "report.md": report.encode(),
            "reliability.png": reliability_plot(y, predictions),
            "roc.png": roc_plot(y, predictions),
            "importance.png": importance_plot(summary["importance"]),
            # Exactly the rows the booster was fit on: live inputs are later compared with these.
            BASELINE_FILE: encode_baseline(build_baseline(x_train, SHOT_FEATURE_NAMES)),
        },
        extra={
            "penalty_rate": penalty_rate,
            "gate": verdict,
            "kind": "open_play",
            # The first event_rounds trees are the event-only model (see models.xg).
            "event_rounds": stages.event_rounds,
        },
    )
    return TrainResult(version, summary)


def _production_xg(name: str) -> Callable[[bytes, ModelVersion, FloatArray], FloatArray]:
    def score(artifact: bytes, version: ModelVersion, x: FloatArray) -> FloatArray:
        served = XgModel.from_record(
            artifact, version.feature_names, version.extra, version.feature_names, name, version.version
        )
        return served.predict(x)

    return score
