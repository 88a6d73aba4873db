"""Wyscout v2 shots (the public match event dataset, ``../shared/data/wyscout``) in the project's terms.

A line of those files is ``{match_id, competition, match_label, match_date, teams, shot, previous}``:
``shot`` is the original Wyscout v2 event and ``previous`` the three events before it, oldest first.
Here a shot becomes the same feature row a StatsBomb shot does (:data:`features.shot.SHOT_FEATURE_NAMES`):

- location: ``positions[0]`` through :func:`features.coordinates.wyscout_to_pitch` (Wyscout, like
  StatsBomb, draws the acting team attacking left to right). ``positions[1]`` is where the ball ended,
  an outcome, and is never read. There is no freeze frame: player features are NaN.
- body part from the tags (401 left foot, 402 right foot, 403 head or body: taken as ``Head``);
  shot type from the sub-event (``Shot`` open play, ``Free kick shot``, ``Penalty``);
- play pattern from what led to the shot: a corner, free kick, throw-in or goal kick by the shooting
  team among the three events before it, else the counter-attack tag (1901), else regular play.
  StatsBomb names the way the whole possession began; three events reach back less far.
- technique and the four flags: Wyscout records none of them, so they stay 0, as for a StatsBomb
  shot without them.

The outcome is tag 101 (goal). Tag ids and names are Wyscout's published list (also in kloppy's reader).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from features.coordinates import wyscout_to_pitch
from features.shot import shot_attributes, shot_features, shot_geometry

__all__ = [
    "competition_key",
    "wyscout_body_part",
    "wyscout_goal",
    "wyscout_kind",
    "wyscout_play_pattern",
    "wyscout_row",
    "wyscout_shot_type",
]

FloatArray = npt.NDArray[np.float64]

# The tags this reader reads, by Wyscout id: goal, left foot, right foot, head or body, counter attack.
_GOAL, _LEFT, _RIGHT, _HEAD, _COUNTER = 101, 401, 402, 403, 1901
_SHOT_TYPES = {"Shot": "Open Play", "Free kick shot": "Free Kick", "Penalty": "Penalty"}
# A set piece of the shooting team just before the shot names the play pattern (StatsBomb's names).
_SET_PIECES = {
    "Corner": "From Corner",
    "Free Kick": "From Free Kick",
    "Free kick cross": "From Free Kick",
    "Throw in": "From Throw In",
    "Goal kick": "From Goal Kick",
}
_SHOOTOUT_PERIOD = "P"


def competition_key(competition: str) -> str:
    """The competition-season id of a Wyscout file (each holds one season or one tournament)."""
    return f"wyscout_{competition}"


def _tags(event: dict[str, Any]) -> set[int]:
    return {t["id"] for t in event.get("tags") or [] if isinstance(t, dict) and isinstance(t.get("id"), int)}


def wyscout_goal(shot: dict[str, Any]) -> bool:
    return _GOAL in _tags(shot)


def wyscout_kind(shot: dict[str, Any]) -> str:
    """``open_play``, ``penalty`` or ``shootout``, as :func:`training.shot_dataset.shot_kind`."""
    if shot.get("matchPeriod") == _SHOOTOUT_PERIOD:
        return "shootout"
    return "penalty" if shot.get("subEventName") == "Penalty" else "open_play"


def wyscout_body_part(shot: dict[str, Any]) -> str | None:
    tags = _tags(shot)
    for tag, name in ((_RIGHT, "Right Foot"), (_LEFT, "Left Foot"), (_HEAD, "Head")):
        if tag in tags:
            return name
    return None


def wyscout_shot_type(shot: dict[str, Any]) -> str | None:
    return _SHOT_TYPES.get(str(shot.get("subEventName")))


def wyscout_play_pattern(shot: dict[str, Any], previous: Sequence[dict[str, Any]]) -> str:
    if shot.get("subEventName") == "Free kick shot":
        return "From Free Kick"
    team = shot.get("teamId")
    for event in reversed(previous):  # newest first
        pattern = _SET_PIECES.get(str(event.get("subEventName")))
        if pattern is not None and event.get("teamId") == team:
            return pattern
    return "From Counter" if _COUNTER in _tags(shot) else "Regular Play"


def _location(shot: dict[str, Any]) -> FloatArray:
    positions = shot.get("positions") or []
    first = positions[0] if positions and isinstance(positions[0], dict) else {}
    x, y = first.get("x"), first.get("y")
    if not isinstance(x, int | float) or not isinstance(y, int | float):
        return np.array([np.nan, np.nan])
    located: FloatArray = wyscout_to_pitch([float(x), float(y)])[0]
    return located


def wyscout_row(shot: dict[str, Any], previous: Sequence[dict[str, Any]]) -> FloatArray:
    """The feature vector of one Wyscout shot (:data:`features.shot.SHOT_FEATURE_NAMES` order)."""
    attributes = shot_attributes(
        wyscout_body_part(shot),
        None,
        wyscout_shot_type(shot),
        wyscout_play_pattern(shot, previous),
    )
    return shot_features(shot_geometry(_location(shot)), attributes)
