"""Shot context: where a shot was taken from and who stood between the ball and the goal.

One function serves live scoring and training: :func:`shot_geometry` takes the shooter and the other
players in the *attacking frame* (pitch metres turned with :func:`features.coordinates.to_attacking`
so the shooting team attacks ``+x``: the goal mouth runs from ``(52.5, -3.66)`` to ``(52.5, 3.66)``).
Live, the players come from the match's tracking frame nearest the shot; in training and on
event-only feeds, from the shot's freeze frame. Missing information is NaN, never a guess: a shot
with no players around it still gets its distance and angles.

Geometry features (metres, degrees, counts):

- ``distance_m``: shooter to the centre of the goal mouth.
- ``angle_deg``: the goal mouth's opening angle seen from the shooter (0 on the goal line beside the
  posts, 180 on the line between them).
- ``offcentre_deg``: angle between the line to the goal's centre and the pitch's long axis.
- ``defenders_in_triangle``, ``attackers_in_triangle``: outfield opponents / teammates inside the
  triangle shooter-post-post (edges count as inside). The goalkeeper is counted apart.
- ``keeper_in_triangle`` (0/1), ``keeper_to_goal_m`` (keeper to the goal centre) and
  ``keeper_to_line_m`` (keeper to the segment shooter-goal centre).
- ``nearest_defender_m``: nearest outfield opponent; ``defenders_within_3m``: how many are that close.

Event attributes are one-hot over fixed vocabularies (StatsBomb's names; anything else, or nothing,
leaves the group all zero) plus four flags. What led to the shot (:mod:`features.buildup`) closes the
vector; :data:`SHOT_FEATURE_NAMES` orders it. :data:`EVENT_FEATURE_NAMES` are the ones an event-only
feed gives: everything but the players' geometry (:data:`FREEZE_FRAME_NAMES`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .buildup import BUILDUP_NAMES
from .coordinates import GOAL_HALF_WIDTH_M, GOAL_X_M

__all__ = [
    "BODY_PARTS",
    "DEFENDER",
    "EVENT_FEATURE_NAMES",
    "FREEZE_FRAME_NAMES",
    "KEEPER",
    "PLAY_PATTERNS",
    "SHOT_ATTRIBUTE_NAMES",
    "SHOT_FEATURE_NAMES",
    "SHOT_GEOMETRY_NAMES",
    "SHOT_TYPES",
    "TEAMMATE",
    "TECHNIQUES",
    "in_triangle",
    "players_known",
    "roles_from_flags",
    "roles_from_teams",
    "shot_attributes",
    "shot_features",
    "shot_geometry",
    "without_freeze_frame",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

TEAMMATE, DEFENDER, KEEPER = 0, 1, 2

# The geometry that needs the other players (a freeze frame or tracking); the rest needs the location
# and the event alone.
FREEZE_FRAME_NAMES = (
    "defenders_in_triangle",
    "attackers_in_triangle",
    "keeper_in_triangle",
    "keeper_to_goal_m",
    "keeper_to_line_m",
    "nearest_defender_m",
    "defenders_within_3m",
)
SHOT_GEOMETRY_NAMES = ("distance_m", "angle_deg", "offcentre_deg", *FREEZE_FRAME_NAMES)
BODY_PARTS = ("Right Foot", "Left Foot", "Head", "Other")
TECHNIQUES = ("Normal", "Volley", "Half Volley", "Lob", "Backheel", "Overhead Kick", "Diving Header")
SHOT_TYPES = ("Open Play", "Free Kick", "Corner", "Kick Off", "Penalty")
PLAY_PATTERNS = (
    "Regular Play",
    "From Counter",
    "From Corner",
    "From Free Kick",
    "From Throw In",
    "From Goal Kick",
    "From Keeper",
    "From Kick Off",
    "Other",
)
_FLAGS = ("first_time", "one_on_one", "open_goal", "under_pressure")


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_")


SHOT_ATTRIBUTE_NAMES = (
    *(f"body_part={_slug(v)}" for v in BODY_PARTS),
    *(f"technique={_slug(v)}" for v in TECHNIQUES),
    *(f"shot_type={_slug(v)}" for v in SHOT_TYPES),
    *(f"play_pattern={_slug(v)}" for v in PLAY_PATTERNS),
    *_FLAGS,
)
SHOT_FEATURE_NAMES = SHOT_GEOMETRY_NAMES + SHOT_ATTRIBUTE_NAMES + BUILDUP_NAMES
EVENT_FEATURE_NAMES = tuple(n for n in SHOT_FEATURE_NAMES if n not in FREEZE_FRAME_NAMES)
_FREEZE_COLUMNS = [SHOT_FEATURE_NAMES.index(n) for n in FREEZE_FRAME_NAMES]

_POST_LEFT = np.array([GOAL_X_M, GOAL_HALF_WIDTH_M])
_POST_RIGHT = np.array([GOAL_X_M, -GOAL_HALF_WIDTH_M])
_DEFENDER_CLOSE_M = 3.0
_NAN = float("nan")
_EMPTY = np.empty((0, 2))
_NO_ROLES = np.empty(0, dtype=np.int64)
_VOCABULARIES = (BODY_PARTS, TECHNIQUES, SHOT_TYPES, PLAY_PATTERNS)
_OFFSETS = np.cumsum([0, *(len(v) for v in _VOCABULARIES)])
_INDEX = [{name: i for i, name in enumerate(vocab)} for vocab in _VOCABULARIES]


def in_triangle(points: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray) -> BoolArray:
    """Which of ``points`` ``(k, 2)`` lie inside triangle ``abc`` or on its edges (either winding)."""
    px, py = points[:, 0], points[:, 1]
    d1 = (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
    d2 = (c[0] - b[0]) * (py - b[1]) - (c[1] - b[1]) * (px - b[0])
    d3 = (a[0] - c[0]) * (py - c[1]) - (a[1] - c[1]) * (px - c[0])
    # Inside (or on an edge) when no two signs disagree; written with >= / <= so NaN is outside.
    inside: BoolArray = ((d1 >= 0) & (d2 >= 0) & (d3 >= 0)) | ((d1 <= 0) & (d2 <= 0) & (d3 <= 0))
    return inside


def shot_geometry(
    shooter: FloatArray, players: FloatArray = _EMPTY, role: IntArray = _NO_ROLES
) -> FloatArray:
    """The geometry features of one shot, in :data:`SHOT_GEOMETRY_NAMES` order.

    Positions in the attacking frame, metres: ``shooter`` ``(2,)`` and the other ``players``
    ``(k, 2)``, whose ``role`` ``(k,)`` is :data:`TEAMMATE`, :data:`DEFENDER` (an outfield opponent)
    or :data:`KEEPER` (the opposing goalkeeper; the first one counts). With no players known the
    player-based features are NaN; with a non-finite ``shooter`` every feature is.
    """
    out = np.full(len(SHOT_GEOMETRY_NAMES), _NAN)
    sx, sy = float(shooter[0]), float(shooter[1])
    if not (math.isfinite(sx) and math.isfinite(sy)):
        return out
    gx, gy = GOAL_X_M - sx, -sy
    out[0] = math.hypot(gx, gy)
    # Opening angle between the posts; atan2 of cross and dot stays right behind the goal line too.
    ly, ry = GOAL_HALF_WIDTH_M - sy, -GOAL_HALF_WIDTH_M - sy
    out[1] = math.degrees(abs(math.atan2(gx * ry - ly * gx, gx * gx + ly * ry)))
    out[2] = math.degrees(math.atan2(abs(gy), gx))
    if len(players) == 0:
        return out
    inside = in_triangle(players, shooter, _POST_LEFT, _POST_RIGHT)
    defender = role == DEFENDER
    out[3] = np.count_nonzero(inside & defender)
    out[4] = np.count_nonzero(inside & (role == TEAMMATE))
    gaps = np.hypot(players[:, 0] - sx, players[:, 1] - sy)[defender]
    out[8] = np.fmin.reduce(gaps) if len(gaps) else _NAN  # fmin: a player with no position is skipped
    out[9] = np.count_nonzero(gaps <= _DEFENDER_CLOSE_M)
    keepers = np.flatnonzero(role == KEEPER)
    if len(keepers):
        k = int(keepers[0])
        kx, ky = float(players[k, 0]), float(players[k, 1])
        out[5] = float(inside[k])
        out[6] = math.hypot(GOAL_X_M - kx, ky)
        # Distance to the segment shooter -> goal centre: project, clamp to the segment, measure.
        along = ((kx - sx) * gx + (ky - sy) * gy) / ((gx * gx + gy * gy) or 1.0)
        along = min(max(along, 0.0), 1.0)
        out[7] = math.hypot(kx - (sx + along * gx), ky - (sy + along * gy))
    return out


def roles_from_flags(teammate: BoolArray, keeper: BoolArray) -> IntArray:
    """Roles of freeze-frame players from their flags: a keeper who is not a teammate is the
    opposing goalkeeper; the shooter's own keeper counts as a teammate."""
    roles: IntArray = np.where(teammate, TEAMMATE, np.where(keeper, KEEPER, DEFENDER)).astype(np.int64)
    return roles


def roles_from_teams(team: IntArray, keeper: BoolArray, shooter_team: int) -> IntArray:
    """Roles of tracked players (``team`` codes) relative to the shooter's team code."""
    return roles_from_flags(team == shooter_team, keeper)


def shot_attributes(
    body_part: str | None = None,
    technique: str | None = None,
    shot_type: str | None = None,
    play_pattern: str | None = None,
    *,
    first_time: bool = False,
    one_on_one: bool = False,
    open_goal: bool = False,
    under_pressure: bool = False,
) -> FloatArray:
    """The event attributes of one shot, in :data:`SHOT_ATTRIBUTE_NAMES` order (one-hot and flags)."""
    out = np.zeros(len(SHOT_ATTRIBUTE_NAMES))
    values = (body_part, technique, shot_type, play_pattern)
    for value, index, offset in zip(values, _INDEX, _OFFSETS, strict=False):
        i = index.get(value) if value is not None else None
        if i is not None:
            out[offset + i] = 1.0
    out[_OFFSETS[-1] :] = (first_time, one_on_one, open_goal, under_pressure)
    return out


def shot_features(
    geometry: FloatArray, attributes: FloatArray, buildup: FloatArray | None = None
) -> FloatArray:
    """The full feature vector, :data:`SHOT_FEATURE_NAMES` order. Rows stack for many shots.
    Without ``buildup`` (:func:`features.buildup.buildup_features`) what led to the shot is unknown."""
    if buildup is None:
        buildup = np.full((*np.shape(geometry)[:-1], len(BUILDUP_NAMES)), _NAN)
    return np.concatenate([geometry, attributes, buildup], axis=-1)


def players_known(x: npt.NDArray[np.float64]) -> BoolArray:
    """Per row of :data:`SHOT_FEATURE_NAMES`: whether any of the players' geometry is known (a freeze
    frame or tracking), which is what sends a shot down the full path."""
    known: BoolArray = np.asarray(np.isfinite(x[..., _FREEZE_COLUMNS]).any(axis=-1), dtype=bool)
    return known


def without_freeze_frame(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Rows of :data:`SHOT_FEATURE_NAMES` as an event-only feed would give them: the players'
    geometry unknown (NaN, as for a shot without a freeze frame). A copy; ``x`` is left alone."""
    out = np.array(x, dtype=np.float64, copy=True)
    out[..., _FREEZE_COLUMNS] = np.nan
    return out
