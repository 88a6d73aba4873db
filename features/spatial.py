"""Spatial features of one tracking frame: separation, the ball carrier and the pressure on them,
and each team's shape.

Inputs are the frame's players as arrays: ``xy`` ``(n, 2)`` metres in the pitch frame, ``team``
``(n,)`` with ``0`` home and ``1`` away, ``keeper`` ``(n,)`` marking goalkeepers, and the ball ``(2,)``
(NaN when the frame has none). Pure numpy; nothing here depends on which way a team attacks except
:func:`lines_label`, which takes the team's attack sign to count lines from the back.

Definitions (metres):

- separation: distance from a player to the nearest opponent (NaN when the other team is absent).
- ball carrier: the player nearest the ball, if within :data:`CARRIER_RADIUS_M` (1.5 m) of it and
  the ball is no higher than :data:`CARRIER_MAX_HEIGHT_M`; otherwise nobody (a ball in flight).
- pressure on the carrier: opponents within :data:`PRESSURE_RADIUS_M` (5 m), the nearest
  opponent's distance, and an index summing ``1 - d / 5`` over those opponents (0 = free, each
  opponent touching adds ~1).
- team shape, outfield players only: centroid, width (spread across, ``max y - min y``), depth
  (spread along the attack), spread (mean distance to the centroid; smaller = more compact) and a
  lines label such as ``4-4-2`` (outfield players split into three lines at the two widest gaps
  along the attack; a snapshot of shape, not a tactical formation).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .coordinates import as_complex

__all__ = [
    "CARRIER_MAX_HEIGHT_M",
    "CARRIER_RADIUS_M",
    "PRESSURE_RADIUS_M",
    "BallCarrier",
    "FrameSpatial",
    "TeamShape",
    "ball_carrier",
    "frame_spatial",
    "lines_label",
    "separation",
    "spatial_complex",
    "team_shape",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ComplexArray = npt.NDArray[np.complex128]

CARRIER_RADIUS_M = 1.5
CARRIER_MAX_HEIGHT_M = 1.5
PRESSURE_RADIUS_M = 5.0


class BallCarrier(NamedTuple):
    """``player``: index of the carrier in the frame's arrays, ``-1`` when nobody has the ball; then the other
    fields are 0 / NaN. ``opponents`` counts opponents within the pressure radius."""

    player: int
    distance_to_ball: float
    opponents: int
    nearest_opponent: float
    pressure: float


class TeamShape(NamedTuple):
    """One team's outfield shape; all NaN (and ``players`` 0) when none of its players is visible."""

    players: int
    centroid_x: float
    centroid_y: float
    width: float
    depth: float
    spread: float


class FrameSpatial(NamedTuple):
    """Everything :func:`frame_spatial` computes for one frame."""

    separation: FloatArray
    carrier: BallCarrier
    home: TeamShape
    away: TeamShape


_NO_CARRIER = BallCarrier(-1, float("nan"), 0, float("nan"), 0.0)
_NO_SHAPE = TeamShape(0, *([float("nan")] * 5))
_TEAMS = np.array([[0], [1]])


def _complex(xy: FloatArray) -> ComplexArray:
    # As complex numbers x + iy, a difference moves both axes at once and abs() is the distance.
    z: ComplexArray = as_complex(xy)
    return z


def _distances(z: ComplexArray) -> FloatArray:
    out: FloatArray = np.abs(z[:, None] - z[None, :])
    return out


def _nearest_opponent(dist: FloatArray, team: IntArray) -> FloatArray:
    nearest: FloatArray = np.where(team[:, None] != team[None, :], dist, np.inf).min(axis=1, initial=np.inf)
    nearest[nearest == np.inf] = np.nan
    return nearest


def separation(xy: FloatArray, team: IntArray) -> FloatArray:
    """Distance from each player to the nearest opponent, metres; NaN when there is no opponent."""
    return _nearest_opponent(_distances(_complex(xy)), team)


def _carrier(
    dist: FloatArray, team: IntArray, ball: FloatArray, z: ComplexArray, ball_z: float
) -> BallCarrier:
    bx, by = float(ball[0]), float(ball[1])
    if len(z) == 0 or not (math.isfinite(bx) and math.isfinite(by)) or ball_z > CARRIER_MAX_HEIGHT_M:
        return _NO_CARRIER
    to_ball = np.abs(z - complex(bx, by))
    i = int(to_ball.argmin())
    if not to_ball[i] <= CARRIER_RADIUS_M:
        return _NO_CARRIER
    opp = dist[i][team != team[i]]
    if len(opp) == 0:
        return BallCarrier(i, float(to_ball[i]), 0, float("nan"), 0.0)
    close = opp[opp <= PRESSURE_RADIUS_M]
    pressure = float(len(close) - close.sum() / PRESSURE_RADIUS_M)
    return BallCarrier(i, float(to_ball[i]), len(close), float(opp.min()), pressure)


def ball_carrier(xy: FloatArray, team: IntArray, ball: FloatArray, ball_z: float = 0.0) -> BallCarrier:
    """Who has the ball and how closely they are pressed; ``ball_z`` is the ball's height, metres."""
    z = _complex(xy)
    return _carrier(_distances(z), team, ball, z, ball_z)


def _shapes(z: ComplexArray, members: BoolArray) -> list[TeamShape]:
    """Shapes of several teams at once: ``members`` ``(t, n)`` marks each team's rows of ``z``.
    Width and depth are extents, so which way a team attacks does not change them."""
    weights = members.astype(np.float64)
    counts = weights.sum(axis=1)
    safe = np.maximum(counts, 1.0)
    centroid = (weights @ z) / safe
    spread = (weights * np.abs(z[None, :] - centroid[:, None])).sum(axis=1) / safe
    # Extents per team from masked maxima and minima of the (x, y) view of z.
    xy = np.ascontiguousarray(z).view(np.float64).reshape(-1, 2)
    mask = members[:, :, None]
    extent = np.where(mask, xy, -np.inf).max(axis=1, initial=-np.inf) - np.where(mask, xy, np.inf).min(
        axis=1, initial=np.inf
    )
    rows = np.array([counts, centroid.real, centroid.imag, extent[:, 1], extent[:, 0], spread]).T.tolist()
    return [TeamShape(int(row[0]), *row[1:]) if row[0] else _NO_SHAPE for row in rows]


def team_shape(xy: FloatArray) -> TeamShape:
    """Shape of one team's outfield players ``xy`` ``(k, 2)``."""
    return _shapes(_complex(xy), np.ones((1, len(xy)), dtype=bool))[0]


def lines_label(xy: FloatArray, attack_sign: float) -> str:
    """Outfield players ``(k, 2)`` as lines from the back, e.g. ``"4-4-2"``; ``""`` for fewer than 3.
    ``attack_sign`` (``±1``) is the direction the team attacks along ``x``."""
    if len(xy) < 3:
        return ""
    along = np.sort(xy[:, 0] * attack_sign)
    cuts = np.sort(np.argsort(np.diff(along), kind="stable")[-2:]) + 1
    sizes = np.diff(np.concatenate([[0], cuts, [len(along)]]))
    return "-".join(str(int(s)) for s in sizes)


def frame_spatial(
    xy: FloatArray, team: IntArray, keeper: BoolArray, ball: FloatArray, ball_z: float = 0.0
) -> FrameSpatial:
    """All spatial features of one frame (players only: no ball, no officials in ``xy``)."""
    return spatial_complex(_complex(xy), team, keeper, ball, ball_z)


def spatial_complex(
    z: ComplexArray, team: IntArray, keeper: BoolArray, ball: FloatArray, ball_z: float = 0.0
) -> FrameSpatial:
    """:func:`frame_spatial` for positions already as complex ``x + iy``."""
    dist = _distances(z)
    home, away = _shapes(z, (team[None, :] == _TEAMS) & ~keeper)
    return FrameSpatial(
        separation=_nearest_opponent(dist, team),
        carrier=_carrier(dist, team, ball, z, ball_z),
        home=home,
        away=away,
    )
