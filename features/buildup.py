"""What led to a shot: features from the on-ball actions just before it, for event-only feeds.

Every provider names its events its own way; the readers (training) and the worker (live) turn the
last :data:`BUILDUP_DEPTH` on-ball actions before a shot into the same neutral :class:`Actions`, oldest
first, in the *attacking frame* of the shooting team (it attacks ``+x``, as in :mod:`features.shot`).
Three, because that is what the Wyscout data carries per shot; the worker keeps a longer history and
takes the same three. Off-ball records (ball receipts, carries, pressure, substitutions...) are not
actions: one provider records them and another does not, so counting them would make "the previous
action" mean different things per provider.

Action kinds (:data:`ACTION_KINDS`): ``pass`` (set pieces are passes with their ``set_piece``),
``take_on`` (a dribble past an opponent), ``shot``, ``save`` (a goalkeeper's action), ``defence``
(clearance, interception, block, recovery), ``duel`` (a contest that does not by itself move the ball
to the other side) and ``other`` (a touch, a foul, the ball going out...).

Features (:data:`BUILDUP_NAMES`; all NaN when no action before the shot is known):

- ``since_previous_s``: seconds from the previous action (either team) to the shot, capped at 60.
- ``same_possession``: the previous action is the shooting team's.
- ``assisted``: the shooting team passed since it last lost the ball (the *possession* walks back
  from the shot until an opponent's pass, take-on, shot, save or defence; duels and fouls do not
  end it). The latest such pass is the *assist*; ``assist_cross``, ``assist_through_ball``,
  ``assist_cut_back``, ``assist_corner`` and ``assist_set_piece`` (a free kick, throw-in, goal kick
  or kick-off) describe it, ``assist_length_m`` measures it (NaN without an assist or its end).
  A cut-back is read from the geometry, the same for every provider: a pass that is not a cross,
  played from within :data:`CUT_BACK_BYLINE_M` of the goal line, backwards, to inside the penalty
  area.
- ``take_on``: the shooting team beat a man in that possession.
- ``rebound``: the shooting team shot within :data:`REBOUND_WINDOW_S` before this shot.
- ``counter_speed_mps``: how fast the possession moved towards goal: metres gained in ``x`` from its
  earliest known action to the shot, per second (NaN under one second: no speed to speak of).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .coordinates import GOAL_X_M

__all__ = [
    "ACTION_KINDS",
    "BUILDUP_DEPTH",
    "BUILDUP_NAMES",
    "CUT_BACK_BYLINE_M",
    "EVENT_ACTIONS",
    "PASS_SET_PIECES",
    "REBOUND_WINDOW_S",
    "SET_PIECES",
    "ActionRow",
    "Actions",
    "actions_from_rows",
    "buildup_features",
    "is_cut_back",
    "no_actions",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

ACTION_KINDS = ("pass", "take_on", "shot", "save", "defence", "duel", "other")
SET_PIECES = ("corner", "free_kick", "throw_in", "goal_kick", "kick_off")
BUILDUP_DEPTH = 3
REBOUND_WINDOW_S = 5.0
CUT_BACK_BYLINE_M = 8.0
# Event types (the contract's, which are StatsBomb's names in snake case) that are actions, and what
# kind; a pass or a shot is one by its type. Ball receipts, carries, pressure and the like are not.
EVENT_ACTIONS = {
    "pass": "pass",
    "shot": "shot",
    "dribble": "take_on",
    "goal_keeper": "save",
    "clearance": "defence",
    "interception": "defence",
    "block": "defence",
    "ball_recovery": "defence",
    "duel": "duel",
    "fifty_fifty": "duel",
    "dribbled_past": "duel",
    "shield": "duel",
    "foul_committed": "other",
    "foul_won": "other",
    "miscontrol": "other",
    "dispossessed": "other",
    "offside": "other",
    "error": "other",
}
# StatsBomb's pass types that are set pieces.
PASS_SET_PIECES = {
    "Corner": "corner",
    "Free Kick": "free_kick",
    "Throw-in": "throw_in",
    "Goal Kick": "goal_kick",
    "Kick Off": "kick_off",
}
BUILDUP_NAMES = (
    "since_previous_s",
    "same_possession",
    "assisted",
    "assist_cross",
    "assist_through_ball",
    "assist_cut_back",
    "assist_corner",
    "assist_set_piece",
    "assist_length_m",
    "take_on",
    "rebound",
    "counter_speed_mps",
)

_PASS, _TAKE_ON, _SHOT = 0, 1, 2
# An opponent doing one of these has the ball: the shooting team's possession began after it.
_TURNOVER = np.array([k in ("pass", "take_on", "shot", "save", "defence") for k in ACTION_KINDS])
_CORNER = SET_PIECES.index("corner")
_BOX_X_M, _BOX_HALF_WIDTH_M = GOAL_X_M - 16.5, 20.16
_MAX_GAP_S = 60.0
_MIN_COUNTER_S = 1.0


@dataclass(frozen=True, slots=True)
class Actions:
    """The on-ball actions before one shot, oldest first (``k`` of them).

    ``kind`` indexes :data:`ACTION_KINDS`; ``own`` marks the shooting team's; ``start`` and ``end``
    ``(k, 2)`` are attacking-frame metres (NaN unknown; ``end`` is where a pass went); ``before_s``
    the seconds before the shot; ``set_piece`` indexes :data:`SET_PIECES` (-1: open play).
    """

    kind: IntArray
    own: BoolArray
    start: FloatArray
    end: FloatArray
    before_s: FloatArray
    cross: BoolArray
    through_ball: BoolArray
    set_piece: IntArray

    def __len__(self) -> int:
        return len(self.kind)


class ActionRow(NamedTuple):
    """One action as a reader or the worker sees it: kind and set piece by name, points attacking-frame
    metres (``None`` unknown)."""

    kind: str
    own: bool
    start: tuple[float, float] | None
    end: tuple[float, float] | None
    before_s: float
    cross: bool = False
    through_ball: bool = False
    set_piece: str | None = None


def _points(points: list[tuple[float, float] | None]) -> FloatArray:
    out = np.full((len(points), 2), np.nan)
    for i, p in enumerate(points):
        if p is not None:
            out[i] = p
    return out


def actions_from_rows(rows: Sequence[ActionRow]) -> Actions:
    """:class:`Actions` from rows, oldest first; an unknown kind counts as ``other``, an unknown set
    piece as open play. Seconds before the shot below 0 (an action logged after it) count as 0."""
    kinds = {k: i for i, k in enumerate(ACTION_KINDS)}
    pieces = {p: i for i, p in enumerate(SET_PIECES)}
    return Actions(
        np.array([kinds.get(r.kind, len(ACTION_KINDS) - 1) for r in rows], dtype=np.int64),
        np.array([r.own for r in rows], dtype=bool),
        _points([r.start for r in rows]),
        _points([r.end for r in rows]),
        np.array([max(float(r.before_s), 0.0) for r in rows], dtype=np.float64),
        np.array([r.cross for r in rows], dtype=bool),
        np.array([r.through_ball for r in rows], dtype=bool),
        np.array([pieces.get(r.set_piece, -1) if r.set_piece else -1 for r in rows], dtype=np.int64),
    )


def no_actions() -> Actions:
    """No action known before the shot."""
    empty = np.empty(0)
    return Actions(
        np.empty(0, np.int64),
        np.empty(0, bool),
        np.empty((0, 2)),
        np.empty((0, 2)),
        empty,
        np.empty(0, bool),
        np.empty(0, bool),
        np.empty(0, np.int64),
    )


def is_cut_back(start: FloatArray, end: FloatArray) -> bool:
    """A pass from near the goal line played back to inside the penalty area (attacking frame)."""
    sx, ex, ey = float(start[0]), float(end[0]), float(end[1])
    near_line = sx >= GOAL_X_M - CUT_BACK_BYLINE_M
    into_box = ex >= _BOX_X_M and abs(ey) <= _BOX_HALF_WIDTH_M
    return bool(near_line and ex < sx and into_box)


def _possession_start(actions: Actions) -> int:
    """Index of the first action of the shooting team's current possession (``k``: none)."""
    turnover = ~actions.own & _TURNOVER[actions.kind]
    lost = np.flatnonzero(turnover)
    return int(lost[-1]) + 1 if len(lost) else 0


def buildup_features(actions: Actions, shot: FloatArray) -> FloatArray:
    """The :data:`BUILDUP_NAMES` features of one shot taken at ``shot`` (attacking frame, ``(2,)``)."""
    out = np.full(len(BUILDUP_NAMES), np.nan)
    if len(actions) == 0:
        return out
    out[0] = min(float(actions.before_s[-1]), _MAX_GAP_S)
    out[1] = float(actions.own[-1])
    first = _possession_start(actions)
    mine = np.arange(first, len(actions))
    passes = mine[actions.kind[mine] == _PASS]
    out[2:8] = 0.0
    if len(passes):
        a = int(passes[-1])
        start, end, piece = actions.start[a], actions.end[a], int(actions.set_piece[a])
        known_end = bool(np.isfinite(start).all() and np.isfinite(end).all())
        out[2] = 1.0
        out[3], out[4] = float(actions.cross[a]), float(actions.through_ball[a])
        # A cross played back from the line is still a cross: a cut-back is the low ball.
        out[5] = float(known_end and not actions.cross[a] and is_cut_back(start, end))
        out[6], out[7] = float(piece == _CORNER), float(piece >= 0 and piece != _CORNER)
        out[8] = float(np.hypot(*(end - start))) if known_end else np.nan
    out[9] = float((actions.kind[mine] == _TAKE_ON).any())
    own_shots = actions.own & (actions.kind == _SHOT) & (actions.before_s <= REBOUND_WINDOW_S)
    out[10] = float(own_shots.any())
    located = mine[np.isfinite(actions.start[mine, 0])]
    if len(located) and np.isfinite(shot[0]):
        earliest = int(located[0])
        seconds = float(actions.before_s[earliest])
        if seconds >= _MIN_COUNTER_S:
            out[11] = (float(shot[0]) - float(actions.start[earliest, 0])) / seconds
    return out
