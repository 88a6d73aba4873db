"""The project's one coordinate frame, and conversions into it from each provider.

The pitch frame (soccer): metres, origin at the centre spot, ``x`` along the touchlines, ``y`` along
the halfway line, right-handed (``y`` grows to the left of a player facing ``+x``). The pitch is taken
as 105 m x 68 m, so the goals sit at ``x = ±52.5`` with the goal mouth ``|y| <= 3.66``. Which team
attacks ``+x`` is carried per frame (``home_attack``: ``+1`` or ``-1``), because it flips each period.

Every function is pure numpy: arrays in, arrays of the same length and order out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "GOAL_HALF_WIDTH_M",
    "PITCH_LENGTH_M",
    "PITCH_WIDTH_M",
    "STATSBOMB_LENGTH",
    "STATSBOMB_WIDTH",
    "pitch_to_statsbomb",
    "statsbomb_to_pitch",
]

FloatArray = npt.NDArray[np.float64]

PITCH_LENGTH_M = 105.0
PITCH_WIDTH_M = 68.0
GOAL_HALF_WIDTH_M = 7.32 / 2
STATSBOMB_LENGTH = 120.0
STATSBOMB_WIDTH = 80.0

_SX = PITCH_LENGTH_M / STATSBOMB_LENGTH
_SY = PITCH_WIDTH_M / STATSBOMB_WIDTH


def statsbomb_to_pitch(xy: npt.ArrayLike, attack_sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Convert StatsBomb locations to the pitch frame, in metres.

    StatsBomb draws every event as if the acting team attacks left to right on a 120 x 80 pitch with
    ``y`` growing downwards. ``attack_sign`` says which way that team attacks in the pitch frame:
    ``+1`` towards ``+x``, ``-1`` towards ``-x`` (a 180 degree turn). Shape ``(n, 2)`` in and out;
    ``attack_sign`` is a scalar or shape ``(n,)``.
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    sign = np.asarray(attack_sign, dtype=np.float64).reshape(-1, 1)
    out = np.empty_like(pts)
    out[:, 0] = (pts[:, 0] - STATSBOMB_LENGTH / 2) * _SX
    out[:, 1] = (STATSBOMB_WIDTH / 2 - pts[:, 1]) * _SY
    return out * sign


def pitch_to_statsbomb(xy: npt.ArrayLike, attack_sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Inverse of :func:`statsbomb_to_pitch`: pitch-frame metres back to StatsBomb units."""
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    sign = np.asarray(attack_sign, dtype=np.float64).reshape(-1, 1)
    turned = pts * sign
    out = np.empty_like(turned)
    out[:, 0] = turned[:, 0] / _SX + STATSBOMB_LENGTH / 2
    out[:, 1] = STATSBOMB_WIDTH / 2 - turned[:, 1] / _SY
    return out
