"""Scoring shot files with a registered xG version (``pitchside models evaluate xg``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.baseball import PITCH_FEATURE_NAMES
from features.shot import SHOT_FEATURE_NAMES, players_known, without_freeze_frame
from models.players import HISTORY_FILE, PlayerHistory, load_player_reference
from models.registry import ModelRegistry
from models.xg import XgModel
from models.xg import load_booster as serving_booster

from .metrics import scores
from .savant import load_opportunities
from .shot_dataset import build_dataset
from .shots import TrainingDataError, load_shots

__all__ = ["evaluate_lead_version", "evaluate_version", "load_booster", "load_xg"]


def load_booster(
    registry: ModelRegistry, name: str, version: int | None, features: tuple[str, ...] = SHOT_FEATURE_NAMES
) -> tuple[xgb.Booster, int]:
    """The booster of ``version`` (default: production), checksum and feature schema checked."""
    version = _version(registry, name, version)
    meta = registry.get(name, version)
    # The serving loader's checks (feature schema, readable artifact), for a batch of rows here.
    booster = serving_booster(
        registry.load_artifact(name, version), meta.feature_names, features, name, version
    )
    booster.set_param({"nthread": 0})  # whole files: every core
    return booster, version


def load_xg(registry: ModelRegistry, name: str, version: int | None) -> XgModel:
    """An xG version (default: production) as the worker serves it: both paths, checks included."""
    used = _version(registry, name, version)
    meta = registry.get(name, used)
    artifact = registry.load_artifact(name, used)
    model = XgModel.from_record(artifact, meta.feature_names, meta.extra, SHOT_FEATURE_NAMES, name, used)
    model.booster.set_param({"nthread": 0})  # whole files: every core
    return model


def _version(registry: ModelRegistry, name: str, version: int | None) -> int:
    if version is not None:
        return version
    production = registry.production(name)
    if production is None:
        raise TrainingDataError(f"{name} has no production version: pass --version or promote one")
    return production.version


def evaluate_version(
    registry: ModelRegistry, name: str, shots_path: Path, version: int | None, event_only: bool = False
) -> dict[str, Any]:
    """Score the open-play shots of a file, each by the path the worker would take; ``event_only``
    scores them as if none had a freeze frame (the players' geometry unknown), as most live feeds
    give them."""
    model = load_xg(registry, name, version)
    data = build_dataset(load_shots(shots_path))
    rows: npt.NDArray[np.bool_] = data.kind == "open_play"
    if not rows.any():
        raise TrainingDataError(f"{shots_path}: no open-play shots to score")
    compared = rows & np.isfinite(data.provider_xg)
    # Next to StatsBomb's xG on exactly the shots that carry it; a file with none (Wyscout's:
    # the provider publishes no xG) is scored whole, the model alone.
    scored = compared if compared.any() else rows
    x = data.x[scored]
    players = players_known(x)
    p = model.predict((without_freeze_frame(x) if event_only else x)[:, model.columns])
    metrics = {"model": scores(data.goal[scored], p)}
    if compared.any():
        metrics["statsbomb_xg"] = scores(data.goal[compared], data.provider_xg[compared])
    return {
        "name": name,
        "version": model.version,
        "shots_scored": int(rows.sum()),
        "shots_without_provider_xg": int((rows & ~compared).sum()),
        "compared_with_statsbomb_xg": bool(compared.any()),
        "providers": sorted(set(data.provider[rows].tolist())),
        "event_only": event_only,
        # Of the shots in the metrics, how many carried a freeze frame (ignored when event_only).
        "scored_with_freeze_frame": int(players.sum()),
        "metrics": metrics,
    }


def evaluate_lead_version(
    registry: ModelRegistry, name: str, path: Path, version: int | None
) -> dict[str, Any]:
    """A Savant opportunities CSV (or directory) scored with a lead version; beside it, the file's own
    success rate as a constant prediction (in-sample: a floor any model should beat). The players'
    records: the version's shipped history for a file of later seasons (as live), else the file's
    own earlier seasons."""
    booster, used = load_booster(registry, name, version, PITCH_FEATURE_NAMES)
    earlier = PlayerHistory.decode(registry.read_report(name, used, HISTORY_FILE))
    data = load_opportunities(path, load_player_reference(path if path.is_dir() else path.parent), earlier)
    p = booster.predict(xgb.DMatrix(data.x)).astype(np.float64)
    rate = np.full(len(data), float(data.success.mean()))
    return {
        "name": name,
        "version": used,
        "attempts": len(data),
        "left_out": data.left_out,
        "player_history_seasons": list(data.history.seasons),
        "metrics": {"model": scores(data.success, p), "file success rate": scores(data.success, rate)},
    }
