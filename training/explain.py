"""Explained examples for the reports: real held-out shots and pitches, each with the features that
moved its probability most, in the same SHAP terms (log-odds) and words the live outputs use."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from models.xg import XgModel, top_contributors

from .savant import LeadDataset
from .shot_dataset import ShotDataset

__all__ = ["LEAD_PLAIN", "explain_pitches", "explain_shots"]

FloatArray = npt.NDArray[np.float64]

# The lead model's numeric features in words; its one-hots read as the target base.
LEAD_PLAIN: dict[str, tuple[str, str]] = {
    "lead_ft": ("lead", "{:.1f} ft"),
    "runner_sprint_speed_fps": ("sprint speed", "{:.1f} ft/s"),
    "catcher_pop_time_s": ("pop time", "{:.2f} s"),
    "balls": ("balls", "{:.0f}"),
    "strikes": ("strikes", "{:.0f}"),
    "outs": ("outs", "{:.0f}"),
}


def explain_shots(
    model: XgModel, data: ShotDataset, rows: npt.NDArray[np.intp], probabilities: FloatArray, k: int = 5
) -> list[dict[str, Any]]:
    """The ``k`` shots of ``rows`` the model rated most likely, and the ``k`` goals it rated least
    likely (the surprises), each scored and explained exactly as the live worker would."""
    order = np.argsort(-probabilities, kind="stable")
    unexpected = [j for j in order[::-1] if data.goal[rows[j]] == 1][:k]
    picks = [("highest xG", j) for j in order[:k]] + [
        ("goal the model did not expect", j) for j in unexpected
    ]
    explained = []
    for group, j in picks:
        row = int(rows[j])
        prediction = model.score(data.x[row])
        provider = float(data.provider_xg[row])
        explained.append(
            {
                "group": group,
                "event_id": str(data.event_id[row]),
                "match_id": str(data.match_id[row]),
                "goal": bool(data.goal[row]),
                "xg": round(prediction.probability, 3),
                "provider_xg": None if math.isnan(provider) else round(provider, 3),
                "why": prediction.top,
            }
        )
    return explained


def explain_pitches(
    booster: xgb.Booster,
    scale: float,
    shift: float,
    data: LeadDataset,
    picks: list[tuple[int, str]],
    names: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Each picked attempt at the runner's real lead: P(success) after the Platt recalibration and
    the contributions behind it. Platt is linear in the log-odds, so ``scale`` times each SHAP value
    (plus ``scale * bias + shift``) still adds up to the calibrated log-odds exactly."""
    explained = []
    for row, label in picks:
        x = data.x[row]
        contribs = booster.predict(xgb.DMatrix(x.reshape(1, -1)), pred_contribs=True)[0] * scale
        margin = float(contribs.sum()) + shift
        explained.append(
            {
                "label": f"{label}: runner {data.runner[row]} v catcher {data.catcher[row]}",
                "success": bool(data.success[row]),
                "lead_ft": float(x[names.index("lead_ft")]),
                "probability": round(1.0 / (1.0 + math.exp(-margin)), 3),
                "why": top_contributors(names, x, contribs[:-1], LEAD_PLAIN),
            }
        )
    return explained
