"""Fitting the xG booster: XGBoost with early stopping on a validation split of whole matches, and
an optional small grid search scored on that same validation split (never on the held-out set)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from .metrics import log_loss

__all__ = ["DEFAULT_PARAMS", "SEARCH_GRID", "Fitted", "Progress", "fit", "importance", "search"]

# (label, done, total): how far a long step has got, for a progress bar.
Progress = Callable[[str, int, int], None]

FloatArray = npt.NDArray[np.float64]

# Shallow trees and strong regularisation: a few thousand shots, a rare positive class (~11% goals).
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "eta": 0.03,
    "max_depth": 4,
    "min_child_weight": 5,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "reg_lambda": 5.0,
    "nthread": 2,
}
MAX_ROUNDS = 3000
EARLY_STOPPING = 100
SEARCH_GRID: dict[str, list[Any]] = {
    "max_depth": [3, 4, 5],
    "min_child_weight": [3, 5, 10],
    "eta": [0.03, 0.06],
}


@dataclass(frozen=True)
class Fitted:
    booster: xgb.Booster
    params: dict[str, Any]
    best_iteration: int
    valid_log_loss: float

    def predict(self, x: FloatArray) -> FloatArray:
        out: FloatArray = self.booster.predict(xgb.DMatrix(x), iteration_range=(0, self.best_iteration + 1))
        return out.astype(np.float64)


def fit(
    x_train: FloatArray,
    y_train: FloatArray,
    x_valid: FloatArray,
    y_valid: FloatArray,
    feature_names: tuple[str, ...],
    seed: int,
    params: dict[str, Any] | None = None,
    base: xgb.Booster | None = None,
) -> Fitted:
    """One booster, stopped when the validation log loss has not improved for 100 rounds; the
    returned model keeps only the trees up to the best round. With ``base``, boosting goes on from
    its trees (their logit is where the new trees start), and the result holds both."""
    chosen = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    names = [n.replace("=", "_") for n in feature_names]  # xgboost refuses some characters in names
    train = xgb.DMatrix(x_train, label=y_train, feature_names=names)
    valid = xgb.DMatrix(x_valid, label=y_valid, feature_names=names)
    booster = xgb.train(
        chosen,
        train,
        MAX_ROUNDS,
        evals=[(valid, "valid")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
        xgb_model=base,
    )
    best = int(booster.best_iteration)  # counted over the base's rounds too
    # Keep the best trees only: the artifact then scores exactly what was validated.
    trimmed = booster[: best + 1]
    trimmed.feature_names = None
    p = trimmed.predict(xgb.DMatrix(x_valid)).astype(np.float64)
    return Fitted(trimmed, chosen, best, log_loss(y_valid, p))


def search(
    x_train: FloatArray,
    y_train: FloatArray,
    x_valid: FloatArray,
    y_valid: FloatArray,
    feature_names: tuple[str, ...],
    seed: int,
    progress: Progress = lambda _label, _done, _total: None,
) -> tuple[Fitted, list[dict[str, Any]]]:
    """Every combination of :data:`SEARCH_GRID`; the lowest validation log loss wins."""
    trials: list[dict[str, Any]] = []
    best: Fitted | None = None
    keys = list(SEARCH_GRID)
    grid = list(itertools.product(*(SEARCH_GRID[k] for k in keys)))
    for done, values in enumerate(grid):
        progress("grid search", done, len(grid))
        params = dict(zip(keys, values, strict=True))
        fitted = fit(x_train, y_train, x_valid, y_valid, feature_names, seed, params)
        trials.append(
            {**params, "rounds": fitted.best_iteration + 1, "valid_log_loss": round(fitted.valid_log_loss, 5)}
        )
        if best is None or fitted.valid_log_loss < best.valid_log_loss:
            best = fitted
    progress("grid search", len(grid), len(grid))
    if best is None:  # the grid is never empty; keeps the type checker honest
        raise ValueError("empty search grid")
    return best, trials


def importance(model: Fitted, feature_names: tuple[str, ...]) -> list[tuple[str, float]]:
    """Each feature's total gain over the booster's splits, largest first (unused features left out)."""
    gain = model.booster.get_score(importance_type="total_gain")
    # Total gain is one number per feature (a list only for vector-leaf models, not used here).
    named = [(feature_names[int(k[1:])], float(v)) for k, v in gain.items() if isinstance(v, float)]
    return sorted(named, key=lambda kv: -kv[1])
