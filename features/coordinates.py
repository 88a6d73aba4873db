"""The project's one coordinate frame, and conversions into it from each provider.

The pitch frame (soccer): metres, origin at the centre spot, ``x`` along the touchlines, ``y`` along
the halfway line, right-handed (``y`` grows to the left of a player facing ``+x``). The pitch is taken
as 105 m x 68 m, so the goals sit at ``x = ±52.5`` with the goal mouth ``|y| <= 3.66``. Which team
attacks ``+x`` is carried per frame (``home_attack``: ``+1`` or ``-1``), because it flips each period;
:func:`to_attacking` turns points so the team of interest attacks ``+x``.

Providers:

- StatsBomb: 120 x 80 units, origin at the top-left corner, ``y`` down, the acting team attacking
  left to right. Its units are not metres and not even uniform (its goal is 8 units wide on an
  80-unit width, its box 18 units deep), so a plain scaling would shrink the goal mouth from 7.32 m to
  6.8 m. Points are mapped piecewise-linearly between the pitch markings both frames share (goal
  line, six-yard box, penalty spot, penalty box, halfway line; posts, six-yard and box edges), so a
  shot from StatsBomb's penalty spot is 11 m out in front of 3.66 m posts, as it is on grass.
- Wyscout (v2 events): ``0..100`` % on each axis, origin at the top-left corner, ``y`` down, the
  acting team attacking left to right, like StatsBomb. Its markings in those units (box 16 deep and
  62 wide, six-yard box 6 by 26, penalty spot 10 out, posts 12 apart, as Wyscout's support gave them
  to ggsoccer's ``pitch_wyscout``; socceraction takes the posts 10 apart) are mapped the same
  piecewise-linear way.
- Last Row (Friends of Tracking): ``0..100`` on each axis, ``x`` along the touchline, ``y`` down the
  picture as its plots draw it; scaled linearly onto 105 x 68.
- The simulator writes the pitch frame directly.

Every function is pure numpy: arrays in, arrays of the same length and order out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "GOAL_HALF_WIDTH_M",
    "GOAL_X_M",
    "PITCH_LENGTH_M",
    "PITCH_WIDTH_M",
    "STATSBOMB_LENGTH",
    "STATSBOMB_WIDTH",
    "as_complex",
    "lastrow_to_pitch",
    "pitch_to_statsbomb",
    "statsbomb_to_pitch",
    "to_attacking",
    "wyscout_to_pitch",
]

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]

PITCH_LENGTH_M = 105.0
PITCH_WIDTH_M = 68.0
GOAL_X_M = PITCH_LENGTH_M / 2
GOAL_HALF_WIDTH_M = 7.32 / 2
STATSBOMB_LENGTH = 120.0
STATSBOMB_WIDTH = 80.0
LASTROW_SPAN = 100.0

# Shared markings: StatsBomb units (from its left goal line / top touchline) and pitch-frame metres.
_SB_X = np.array([0.0, 6.0, 12.0, 18.0, 60.0, 102.0, 108.0, 114.0, 120.0])
_M_X = np.array([-52.5, -47.0, -41.5, -36.0, 0.0, 36.0, 41.5, 47.0, 52.5])
_SB_Y = np.array([0.0, 18.0, 30.0, 36.0, 40.0, 44.0, 50.0, 62.0, 80.0])
_M_Y = np.array([34.0, 20.16, 9.16, 3.66, 0.0, -3.66, -9.16, -20.16, -34.0])
# The same markings in Wyscout's percent of length and width.
_WY_X = np.array([0.0, 6.0, 10.0, 16.0, 50.0, 84.0, 90.0, 94.0, 100.0])
_WY_Y = np.array([0.0, 19.0, 37.0, 44.0, 50.0, 56.0, 63.0, 81.0, 100.0])
# np.interp needs increasing sample points: the y map runs backwards, so keep it reversed too.
_M_Y_UP = _M_Y[::-1]
_SB_Y_DOWN = _SB_Y[::-1]


def _points(xy: npt.ArrayLike) -> FloatArray:
    return np.asarray(xy, dtype=np.float64).reshape(-1, 2)


def _signs(attack_sign: npt.ArrayLike) -> FloatArray:
    return np.asarray(attack_sign, dtype=np.float64).reshape(-1, 1)


def _interp(v: FloatArray, xp: FloatArray, fp: FloatArray) -> FloatArray:
    """Piecewise-linear, extended linearly past both ends (a point in the run-off stays off the pitch)."""
    out = np.interp(v, xp, fp)
    lo, hi = v < xp[0], v > xp[-1]
    out[lo] = fp[0] + (v[lo] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    out[hi] = fp[-1] + (v[hi] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return out


def statsbomb_to_pitch(xy: npt.ArrayLike, attack_sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Convert StatsBomb locations to the pitch frame, in metres.

    StatsBomb draws every event as if the acting team attacks left to right. ``attack_sign`` says which
    way that team attacks in the pitch frame: ``+1`` towards ``+x``, ``-1`` towards ``-x`` (a 180
    degree turn). Shape ``(n, 2)`` in and out; ``attack_sign`` is a scalar or shape ``(n,)``.
    """
    pts = _points(xy)
    out = np.empty_like(pts)
    out[:, 0] = _interp(pts[:, 0], _SB_X, _M_X)
    out[:, 1] = _interp(pts[:, 1], _SB_Y, _M_Y)
    return out * _signs(attack_sign)


def wyscout_to_pitch(xy: npt.ArrayLike, attack_sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Convert Wyscout ``0..100`` locations (acting team attacking left to right) to the pitch frame,
    in metres; ``attack_sign`` as for :func:`statsbomb_to_pitch`. Shape ``(n, 2)`` in and out."""
    pts = _points(xy)
    out = np.empty_like(pts)
    out[:, 0] = _interp(pts[:, 0], _WY_X, _M_X)
    out[:, 1] = _interp(pts[:, 1], _WY_Y, _M_Y)
    return out * _signs(attack_sign)


def pitch_to_statsbomb(xy: npt.ArrayLike, attack_sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Inverse of :func:`statsbomb_to_pitch`: pitch-frame metres back to StatsBomb units."""
    turned = _points(xy) * _signs(attack_sign)
    out = np.empty_like(turned)
    out[:, 0] = _interp(turned[:, 0], _M_X, _SB_X)
    out[:, 1] = _interp(turned[:, 1], _M_Y_UP, _SB_Y_DOWN)
    return out


def lastrow_to_pitch(xy: npt.ArrayLike) -> FloatArray:
    """Convert Last Row ``0..100`` coordinates to the pitch frame, metres. Shape ``(n, 2)``."""
    pts = _points(xy)
    out = np.empty_like(pts)
    out[:, 0] = (pts[:, 0] / LASTROW_SPAN - 0.5) * PITCH_LENGTH_M
    out[:, 1] = (0.5 - pts[:, 1] / LASTROW_SPAN) * PITCH_WIDTH_M
    return out


def as_complex(xy: npt.ArrayLike) -> ComplexArray:
    """Points ``(n, 2)`` as complex numbers ``x + iy`` ``(n,)``: a difference then moves both axes at
    once and ``abs`` is a distance. A view, not a copy, when ``xy`` is a C-ordered float64 array (no
    arithmetic either, so an infinite coordinate stays infinite rather than turning NaN)."""
    pts = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    z: ComplexArray = pts.view(np.complex128)[:, 0]
    return z


def to_attacking(xy: npt.ArrayLike, attack_sign: npt.ArrayLike) -> FloatArray:
    """Turn pitch-frame points so the team attacking ``attack_sign`` (``±1`` along ``x``) attacks
    ``+x``: the goal it attacks is then at ``(+52.5, 0)``. A half turn, so distances and angles keep."""
    return _points(xy) * _signs(attack_sign)
