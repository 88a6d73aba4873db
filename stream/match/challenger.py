"""Scoring the challenger beside production (``pitchside models challenge``): no I/O.

For every shot (pitch) production scores, the challenger version scores the same features. The
result is an output of its own kind (``xg_challenger``, ``lead_curve_challenger``) that names both
versions and both figures, and, for a shot, its outcome from the shot event itself. The publisher
keeps these apart from the graphics channels, on one Redis stream per model, for
``pitchside models compare NAME --live``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.baseball import LEAD_GRID_FT
from models.lead import LeadModel
from models.xg import XgModel

from ..contracts import ShotEvent

__all__ = ["lead_comparison", "shot_outcome", "xg_comparison"]


def shot_outcome(event: ShotEvent) -> bool | None:
    """Goal or not, when the feed says (StatsBomb's ``outcome``); None while it is unknown."""
    outcome = event.shot.outcome
    return None if outcome is None else outcome == "Goal"


def xg_comparison(
    event: ShotEvent,
    features: Any,
    penalty: bool,
    production_version: int,
    production_xg: float,
    challenger: XgModel,
) -> dict[str, Any]:
    scored = challenger.score(features, penalty=penalty)
    return {
        "event_id": event.event_id,
        "goal": shot_outcome(event),
        "production": {"version": production_version, "xg": round(production_xg, 4)},
        "challenger": {"version": challenger.version, "xg": round(scored.probability, 4)},
        "explanation": scored.top,
    }


def lead_comparison(
    event_id: str,
    context: Any,
    lead_ft: float | None,
    production_version: int,
    production_curve: Any,
    challenger: LeadModel,
) -> dict[str, Any]:
    curve = challenger.curve(context)

    def at_lead(values: Any) -> float | None:
        return None if lead_ft is None else round(float(np.interp(lead_ft, LEAD_GRID_FT, values)), 4)

    return {
        "event_id": event_id,
        "current_lead_ft": lead_ft,
        "production": {"version": production_version, "current_probability": at_lead(production_curve)},
        "challenger": {
            "version": challenger.version,
            "current_probability": at_lead(curve),
            "probabilities": [round(float(p), 4) for p in curve],
        },
    }
