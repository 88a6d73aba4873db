"""Retrain every baseline the repo ships, from the shared data, and compare with what it ships.

Each shipped production version is trained again with the options its lineage records (data set,
held-out competition or season, seed) into a fresh registry. XGBoost with a fixed seed and thread
count is deterministic here, so a reproduced baseline has the same artifact bytes and the same
metrics. ``update`` then gives the shipped version the fresh record (lineage with commit, packages
and command; report files and their hashes) while its model file, status and history stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.registry import ModelRegistry, ModelVersion

from .lead_pipeline import LeadOptions, train_lead
from .pipeline import TrainOptions, train_xg
from .shots import TrainingDataError

__all__ = ["BaselineCheck", "describe", "not_reproduced", "retrain_baselines", "update_shipped"]


@dataclass(frozen=True)
class BaselineCheck:
    """One shipped version against its retrain."""

    shipped: ModelVersion
    retrained: ModelVersion

    @property
    def same_artifact(self) -> bool:
        return self.shipped.artifact_sha256 == self.retrained.artifact_sha256

    @property
    def same_metrics(self) -> bool:
        return self.shipped.metrics == self.retrained.metrics

    @property
    def reproduced(self) -> bool:
        return self.same_artifact and self.same_metrics


Step = Callable[[str], None]


def _retrain_xg(shipped: ModelVersion, data_dir: Path, into: ModelRegistry, step: Step) -> ModelVersion:
    split = shipped.lineage.get("split") or {}
    holdout, seed = split.get("holdout"), split.get("seed")
    if not isinstance(holdout, str) or not isinstance(seed, int):
        raise TrainingDataError(f"{shipped.name} v{shipped.version}: lineage lacks split.holdout/seed")
    recorded = shipped.lineage.get("data")
    names = [recorded] if isinstance(recorded, str) else list(recorded or [])
    # Recorded relative to the shared data root ("data/statsbomb/shots"): found under data_dir here.
    paths = tuple(data_dir / str(n).removeprefix("data/") for n in names) or (
        data_dir / "statsbomb" / "shots",
    )
    options = TrainOptions(paths, holdout, seed, search=True, name=shipped.name)
    return train_xg(options, into, step=step).version


def _retrain_lead(shipped: ModelVersion, data_dir: Path, into: ModelRegistry, step: Step) -> ModelVersion:
    seed = shipped.lineage.get("seed")
    if not isinstance(seed, int):
        raise TrainingDataError(f"{shipped.name} v{shipped.version}: lineage lacks its seed")
    options = LeadOptions(data_dir / "savant", seed, name=shipped.name)
    return train_lead(options, into, step=step)[0]


_TRAINERS: dict[str, Callable[[ModelVersion, Path, ModelRegistry, Step], ModelVersion]] = {
    "xg": _retrain_xg,
    "lead": _retrain_lead,
}


def retrain_baselines(
    shipped_root: Path, data_dir: Path, into: Path, step: Step = lambda _s: None
) -> list[BaselineCheck]:
    """Retrain each shipped model's production version into the empty registry ``into``."""
    shipped = ModelRegistry(shipped_root)
    registry = ModelRegistry(into)
    if registry.names():
        raise TrainingDataError(f"{into} already holds models: retrain into an empty directory")
    checks = []
    for name in shipped.names():
        version = shipped.alias_version(name)
        trainer = _TRAINERS.get(name)
        if version is None or trainer is None:
            raise TrainingDataError(f"{shipped_root / name}: no production version, or no trainer for it")
        entry = shipped.get(name, version)
        step(f"retrain {name} v{version}")
        checks.append(BaselineCheck(entry, trainer(entry, data_dir, registry, step)))
    return checks


def not_reproduced(checks: list[BaselineCheck]) -> list[str]:
    """``name vN`` of each shipped version its retrain did not reproduce."""
    return [f"{c.shipped.name} v{c.shipped.version}" for c in checks if not c.reproduced]


def update_shipped(shipped_root: Path, checks: list[BaselineCheck]) -> list[ModelVersion]:
    """Give each reproduced shipped version its retrain's record; refuses if any was not reproduced."""
    failed = not_reproduced(checks)
    if failed:
        raise TrainingDataError(f"not reproduced, so not updated: {', '.join(failed)}")
    shipped = ModelRegistry(shipped_root)
    return [shipped.adopt_record(c.shipped.name, c.shipped.version, c.retrained) for c in checks]


def describe(check: BaselineCheck) -> dict[str, Any]:
    """One JSON-ready line per check."""
    return {
        "name": check.shipped.name,
        "version": check.shipped.version,
        "reproduced": check.reproduced,
        "same_artifact": check.same_artifact,
        "same_metrics": check.same_metrics,
        "artifact_sha256": check.retrained.artifact_sha256,
    }
