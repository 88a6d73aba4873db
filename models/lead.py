"""The lead-distance model at run time: one pitch's context in, 21 steal probabilities out (leads
0..20 ft), scored as one batch with XGBoost's in-place predict (no DMatrix per call)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.baseball import LEAD_GRID_FT, lead_grid

from .xg import load_booster

__all__ = ["LeadModel"]

FloatArray = npt.NDArray[np.float64]


class LeadModel:
    """One registered lead-distance version held in memory."""

    def __init__(self, booster: xgb.Booster, name: str, version: int) -> None:
        self.booster = booster
        self.name = name
        self.version = version

    @classmethod
    def from_artifact(
        cls,
        artifact: bytes,
        feature_names: Sequence[str],
        expected_features: Sequence[str],
        name: str,
        version: int,
    ) -> LeadModel:
        return cls(load_booster(artifact, feature_names, expected_features, name, version), name, version)

    def curve(self, context: FloatArray, leads: FloatArray = LEAD_GRID_FT) -> FloatArray:
        """P(steal succeeds) at each lead in ``leads`` for one pitch's context row."""
        out: FloatArray = self.booster.inplace_predict(lead_grid(context, leads)).astype(np.float64)
        return out
