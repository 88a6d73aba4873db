"""The lead-distance model at run time: one pitch's context in, 21 steal probabilities out (leads
0..20 ft), scored as one batch with XGBoost's in-place predict (no DMatrix per call).

A version holds the players' steal records it was trained beside (:class:`models.players.PlayerHistory`,
its ``player_history.json``): :meth:`LeadModel.with_history` fills a pitch's history columns from
them by runner, catcher and pitcher id, so production and a challenger each use their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.baseball import HISTORY_FEATURE_NAMES, LEAD_GRID_FT, PITCH_FEATURE_NAMES, lead_grid

from .players import PlayerHistory
from .xg import ModelLoadError, load_booster

__all__ = ["LeadModel", "platt", "support_range"]

FloatArray = npt.NDArray[np.float64]
_HISTORY = [PITCH_FEATURE_NAMES.index(n) for n in HISTORY_FEATURE_NAMES]


class LeadModel:
    """One registered lead-distance version held in memory."""

    def __init__(
        self,
        booster: xgb.Booster,
        name: str,
        version: int,
        scale: float = 1.0,
        shift: float = 0.0,
        support_ft: tuple[float, float] | None = None,
        history: PlayerHistory | None = None,
    ) -> None:
        self.booster = booster
        self.name = name
        self.version = version
        # Platt recalibration fitted in training on the most recent season before the held-out one:
        # p = sigmoid(scale * margin + shift). A positive scale keeps the curve rising with the lead.
        self.scale = scale
        self.shift = shift
        # The leads its training attempts covered; None for a version registered without the range.
        self.support_ft = support_ft
        # No history (a bare booster in a test): every player is unknown, at the league rate of none.
        self.history = history or PlayerHistory()

    @classmethod
    def from_artifact(
        cls,
        artifact: bytes,
        feature_names: Sequence[str],
        expected_features: Sequence[str],
        name: str,
        version: int,
        calibration: dict[str, Any] | None = None,
        support: dict[str, Any] | None = None,
        history: PlayerHistory | None = None,
    ) -> LeadModel:
        scale, shift = platt(calibration)
        booster = load_booster(artifact, feature_names, expected_features, name, version)
        if history is None and set(HISTORY_FEATURE_NAMES) <= set(feature_names):
            raise ModelLoadError(f"{name} v{version} takes player records but ships no player history")
        return cls(booster, name, version, scale, shift, support_range(support), history)

    def with_history(
        self, context: FloatArray, runner_id: str | None, catcher_id: str | None, pitcher_id: str | None
    ) -> FloatArray:
        """A copy of one pitch's context row with the players' records of this version's history;
        a player it does not know sits at the league rate (no attempts)."""
        row = context.copy()
        row[_HISTORY] = self.history.features([runner_id], [catcher_id], [pitcher_id])[0]
        return row

    def curve(self, context: FloatArray, leads: FloatArray = LEAD_GRID_FT) -> FloatArray:
        """P(steal succeeds) at each lead in ``leads`` for one pitch's context row."""
        margin = self.booster.inplace_predict(lead_grid(context, leads), predict_type="margin")
        out: FloatArray = 1.0 / (1.0 + np.exp(-(self.scale * margin.astype(np.float64) + self.shift)))
        return out


def platt(calibration: dict[str, Any] | None) -> tuple[float, float]:
    """(scale, shift) of a stored Platt calibration; identity when there is none or it is unusable."""
    if not calibration or calibration.get("method") != "platt":
        return 1.0, 0.0
    scale, shift = calibration.get("scale"), calibration.get("shift")
    if not isinstance(scale, int | float) or not isinstance(shift, int | float) or scale <= 0:
        raise ModelLoadError(f"unusable calibration {calibration!r}: scale must be a positive number")
    return float(scale), float(shift)


def support_range(support: dict[str, Any] | None) -> tuple[float, float] | None:
    """(low, high) ft of a stored lead support range (``training.lead_pipeline.lead_support``)."""
    if support is None:
        return None
    low, high = support.get("low_ft"), support.get("high_ft")
    if not isinstance(low, int | float) or not isinstance(high, int | float) or not 0 <= low <= high:
        raise ModelLoadError(f"unusable lead support {support!r}: need 0 <= low_ft <= high_ft")
    return float(low), float(high)
