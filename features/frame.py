"""Every per-frame feature at once: kinematics of each player slot, then the frame's spatial features.

A match keeps one row per player slot (a slot is a player id, kept for the match); a frame fills the
rows of the players it shows and marks them ``present``. Kinematics run over all slots (an absent
player keeps his totals); spatial features over the present players only, returned in slot order
with NaN for absent slots.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .coordinates import as_complex
from .kinematics import KinematicState, PlayerMotion, step_complex
from .spatial import FrameSpatial, spatial_complex

__all__ = ["FrameFeatures", "frame_features"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class FrameFeatures(NamedTuple):
    """``motion`` and ``spatial.separation`` are per slot; ``spatial.carrier.player`` is a slot
    index (``-1``: nobody has the ball)."""

    motion: PlayerMotion
    spatial: FrameSpatial


def frame_features(
    state: KinematicState,
    t: float,
    xy: FloatArray,
    present: BoolArray,
    team: IntArray,
    keeper: BoolArray,
    ball: FloatArray,
    ball_z: float = 0.0,
) -> tuple[KinematicState, FrameFeatures]:
    """All features of one frame at time ``t`` (seconds).

    Per slot: ``xy`` ``(n, 2)`` metres in the pitch frame, ``present``, ``team`` (0 home, 1 away) and
    ``keeper``; ``ball`` ``(2,)`` (NaN: no ball) and its height ``ball_z``, metres. Returns the new
    kinematic state and the frame's features.
    """
    z = as_complex(xy)
    shown = present & np.isfinite(z)
    state, motion = step_complex(state, t, z, shown)
    if shown.all():
        spatial = spatial_complex(z, team, keeper, ball, ball_z)
    else:
        rows = np.flatnonzero(shown)
        part = spatial_complex(z[rows], team[rows], keeper[rows], ball, ball_z)
        separation = np.full(len(xy), np.nan)
        separation[rows] = part.separation
        carrier = part.carrier
        if carrier.player >= 0:
            carrier = carrier._replace(player=int(rows[carrier.player]))
        spatial = FrameSpatial(separation, carrier, part.home, part.away)
    return state, FrameFeatures(motion, spatial)
