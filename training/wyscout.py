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
- what led to the shot (:mod:`features.buildup`) from the three events before it in the same period:
  passes (``Cross`` and ``Free kick cross`` are crosses, ``Smart pass`` or tag 901 a through ball,
  corners, free kicks, throw-ins and goal kicks set pieces), an attacking ground duel tagged
  take-on (503/504) a take-on, saves, clearances; an opponent's locations turned into the shooting
  team's direction.

The outcome is tag 101 (goal). Tag ids and names are Wyscout's published list (also in kloppy's reader).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from features.buildup import ActionRow, Actions, actions_from_rows, buildup_features
from features.coordinates import wyscout_to_pitch
from features.shot import shot_attributes, shot_features, shot_geometry

__all__ = [
    "competition_key",
    "wyscout_actions",
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
_THROUGH, _TAKE_ON_TAGS = 901, {503, 504}
_CROSSES = {"Cross", "Free kick cross"}
_PIECES = {
    "Corner": "corner",
    "Free Kick": "free_kick",
    "Free kick cross": "free_kick",
    "Throw in": "throw_in",
    "Goal kick": "goal_kick",
}
_KINDS = {
    "Pass": "pass",
    "Shot": "shot",
    "Save attempt": "save",
    "Goalkeeper leaving line": "save",
    "Duel": "duel",
}


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


def _point(event: dict[str, Any], index: int, sign: float = 1.0) -> FloatArray:
    positions = event.get("positions") or []
    at = positions[index] if len(positions) > index and isinstance(positions[index], dict) else {}
    x, y = at.get("x"), at.get("y")
    if not isinstance(x, int | float) or not isinstance(y, int | float):
        return np.array([np.nan, np.nan])
    located: FloatArray = wyscout_to_pitch([float(x), float(y)], sign)[0]
    return located


def _location(shot: dict[str, Any]) -> FloatArray:
    return _point(shot, 0)


def _kind(event: dict[str, Any], own: bool) -> str:
    name, sub = str(event.get("eventName")), str(event.get("subEventName"))
    if name == "Free Kick":
        return "shot" if sub in ("Free kick shot", "Penalty") else "pass"
    if name == "Duel" and own and sub == "Ground attacking duel" and _tags(event) & _TAKE_ON_TAGS:
        return "take_on"
    if name == "Others on the ball" and sub == "Clearance":
        return "defence"
    return _KINDS.get(name, "other")


def _action(event: dict[str, Any], shot: dict[str, Any]) -> ActionRow:
    own = event.get("teamId") == shot.get("teamId")
    sign = 1.0 if own else -1.0  # Wyscout draws each event in its own team's direction
    start, end = _point(event, 0, sign), _point(event, 1, sign)
    sub = str(event.get("subEventName"))
    kind = _kind(event, own)
    passing = kind == "pass"
    seconds = float(shot.get("eventSec") or 0.0) - float(event.get("eventSec") or 0.0)
    return ActionRow(
        kind,
        own,
        (float(start[0]), float(start[1])) if np.isfinite(start).all() else None,
        (float(end[0]), float(end[1])) if passing and np.isfinite(end).all() else None,
        seconds,
        cross=passing and sub in _CROSSES,
        through_ball=passing and (sub == "Smart pass" or _THROUGH in _tags(event)),
        set_piece=_PIECES.get(sub) if passing else None,
    )


def wyscout_actions(shot: dict[str, Any], previous: Sequence[dict[str, Any]]) -> Actions:
    """The events before ``shot`` in its period as :class:`features.buildup.Actions`."""
    period = shot.get("matchPeriod")
    return actions_from_rows(
        [_action(e, shot) for e in previous if isinstance(e, dict) and e.get("matchPeriod") == period]
    )


def wyscout_row(shot: dict[str, Any], previous: Sequence[dict[str, Any]]) -> FloatArray:
    """The feature vector of one Wyscout shot (:data:`features.shot.SHOT_FEATURE_NAMES` order)."""
    attributes = shot_attributes(
        wyscout_body_part(shot),
        None,
        wyscout_shot_type(shot),
        wyscout_play_pattern(shot, previous),
    )
    location = _location(shot)
    buildup = buildup_features(wyscout_actions(shot, previous), location)
    return shot_features(shot_geometry(location), attributes, buildup)
