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
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.shot import SHOT_FEATURE_NAMES
from models.drift import BASELINE_FILE, build_baseline, encode_baseline
from models.errors import PitchsideError
from models.registry import ModelRegistry, ModelVersion
from models.xg import XgModel

from .explain import explain_shots
from .learn import Fitted, Progress, fit, importance, search
from .lineage import run_lineage
from .metrics import scores
from .report import importance_plot, reliability_plot, render_report, roc_plot
from .shot_dataset import LOCATION_FEATURES, ShotDataset, build_dataset
from .shots import TrainingDataError, file_lineage, load_shots
from .split import Split, split_dataset

__all__ = ["GateRefused", "TrainOptions", "TrainResult", "evaluate", "gate", "train_xg"]

MODEL_NAME = "xg"
FloatArray = npt.NDArray[np.float64]


class GateRefused(PitchsideError):
    """The new model is worse than production on the same evaluation shots."""


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    holdout: str
    seed: int = 7
    search: bool = True  # as the shipped baseline was trained: `train xg` reproduces it
    override_gate: bool = False
    name: str = MODEL_NAME


@dataclass(frozen=True)
class TrainResult:
    version: ModelVersion
    summary: dict[str, Any]


def evaluate(
    data: ShotDataset, split: Split, model: Fitted, location: Fitted
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Metrics on the held-out open-play shots that carry StatsBomb's xG: the model, StatsBomb's own
    xG and the location-only model, on exactly the same shots. Returns metrics and the predictions."""
    rows = split.test & np.isfinite(data.provider_xg)
    if not rows.any():
        raise TrainingDataError("no held-out shot carries statsbomb_xg to compare with")
    y = data.goal[rows]
    predictions = {
        "model": model.predict(data.x[rows]),
        "statsbomb_xg": data.provider_xg[rows],
        "location only": location.predict(data.columns(LOCATION_FEATURES)[rows]),
    }
    return {name: scores(y, p) for name, p in predictions.items()}, {"y": y, **predictions}


def gate(
    registry: ModelRegistry,
    name: str,
    feature_names: tuple[str, ...],
    x: FloatArray,
    y: FloatArray,
    new_log_loss: float,
    override: bool,
    calibrated: Callable[[FloatArray, dict[str, Any]], FloatArray] | None = None,
) -> dict[str, Any]:
    """Refuse a model worse than production on these evaluation rows (``x``, ``y``), unless
    overridden. A production version built on other features cannot be compared: passed, said so.
    ``calibrated`` turns production's raw margins into probabilities with its stored calibration."""
    current = registry.production(name)
    if current is None:
        return {"verdict": "passed: no production model yet", "production": None}
    if list(current.feature_names) != list(feature_names):
        return {
            "verdict": f"passed: production v{current.version} has another feature schema",
            "production": current.version,
        }
    booster = xgb.Booster()
    booster.load_model(bytearray(registry.load_artifact(name, current.version)))
    if calibrated is None:
        p = booster.predict(xgb.DMatrix(x)).astype(np.float64)
    else:
        p = calibrated(
            booster.predict(xgb.DMatrix(x), output_margin=True).astype(np.float64), current.extra or {}
        )
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


def train_xg(
    options: TrainOptions,
    registry: ModelRegistry,
    step: Callable[[str], None] = lambda _s: None,
    progress: Progress = lambda _label, _done, _total: None,
) -> TrainResult:
    """Run every step and register the model (pending approval). Raises on bad data or a failed gate."""
    step(f"load shots from {options.data}")
    shots = load_shots(options.data)
    lineage_files = file_lineage(options.data)
    step(f"features for {len(shots)} shots")
    everything = build_dataset(shots, progress)
    open_play = everything.subset(everything.kind == "open_play")
    step("split by match, holding out " + options.holdout)
    split = split_dataset(open_play, options.holdout, options.seed)
    tr, va = split.train, split.valid
    step("train" + (" with a grid search" if options.search else ""))
    trials: list[dict[str, Any]] = []
    x_train = open_play.x[tr]
    rows = (x_train, open_play.goal[tr], open_play.x[va], open_play.goal[va])
    if options.search:
        model, trials = search(*rows, SHOT_FEATURE_NAMES, options.seed, progress)
    else:
        model = fit(*rows, SHOT_FEATURE_NAMES, options.seed)
    loc = open_play.columns(LOCATION_FEATURES)
    location = fit(loc[tr], open_play.goal[tr], loc[va], open_play.goal[va], LOCATION_FEATURES, options.seed)
    step("evaluate on the held-out competition")
    metrics, predictions = evaluate(open_play, split, model, location)
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
    )
    penalties = (everything.kind == "penalty") & (everything.competition != options.holdout)
    penalty_rate = float(everything.goal[penalties].mean()) if penalties.any() else 0.76
    # The rows evaluate() scored, in its order: explained as the worker would score them.
    scored = np.flatnonzero(compared)
    live = XgModel(model.booster, SHOT_FEATURE_NAMES, options.name, 0, penalty_rate)
    explained = explain_shots(live, open_play, scored, predictions["model"])
    summary: dict[str, Any] = {
        "name": options.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": _portable(options.data),
        "shots_total": len(everything),
        "shots_open_play": len(open_play),
        "shots_penalty": int((everything.kind == "penalty").sum()),
        "shots_shootout": int((everything.kind == "shootout").sum()),
        "split": split.describe(open_play),
        "metrics": {"holdout": metrics},
        "gate": verdict,
        "feature_names": list(SHOT_FEATURE_NAMES),
        "importance": importance(model, SHOT_FEATURE_NAMES),
        "penalty_rate": penalty_rate,
        "penalty_rate_from": int(penalties.sum()),
        "params": model.params,
        "rounds": model.best_iteration + 1,
        "search": trials,
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
        metrics={"holdout": metrics, "valid_log_loss": round(model.valid_log_loss, 5)},
        lineage={
            "data": _portable(options.data),
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
        extra={"penalty_rate": penalty_rate, "gate": verdict, "kind": "open_play"},
    )
    return TrainResult(version, summary)
