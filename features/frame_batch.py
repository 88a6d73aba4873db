"""Every per-frame feature for several frames at once, one frame per match (a *wave*).

:func:`frame_features_batch` gives, frame for frame, what :func:`features.frame.frame_features`
gives (equal to rounding, ~1e-12), at a fraction of the cost per frame: at 22 players a frame,
numpy's fixed cost per call dominates, so each operation here runs once over the whole wave.
Kinematics are per player row, so the matches' rows are laid end to end and stepped together;
spatial features compare players within a frame, so the frames are padded to one width and
masked. Frames of one match depend on each other (the filter state): a batch of a match's frames
goes through in waves, the i-th wave holding each match's i-th frame. Pure numpy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .coordinates import as_complex
from .frame import FrameFeatures
from .kinematics import KinematicState, PlayerMotion, step_complex
from .spatial import (
    CARRIER_MAX_HEIGHT_M,
    CARRIER_RADIUS_M,
    PRESSURE_RADIUS_M,
    BallCarrier,
    FrameSpatial,
    TeamShape,
)

__all__ = ["frame_features_batch"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ComplexArray = npt.NDArray[np.complex128]

_NAN = float("nan")
_NO_CARRIER = BallCarrier(-1, _NAN, 0, _NAN, 0.0)
_NO_SHAPE = TeamShape(0, _NAN, _NAN, _NAN, _NAN, _NAN)


def frame_features_batch(
    states: Sequence[KinematicState],
    t: Sequence[float],
    xy: Sequence[FloatArray],
    present: Sequence[BoolArray],
    team: Sequence[IntArray],
    keeper: Sequence[BoolArray],
    ball: Sequence[FloatArray],
    ball_z: Sequence[float],
) -> tuple[tuple[KinematicState, FrameFeatures], ...]:
    """:func:`~features.frame.frame_features` of frame ``k`` for each ``k``: ``states[k]`` with
    ``xy[k]`` ``(n_k, 2)`` metres, ``present[k]``, ``team[k]``, ``keeper[k]`` per slot, ``ball[k]``
    ``(2,)`` and ``ball_z[k]`` metres, at ``t[k]`` seconds. Each frame belongs to another match (or
    to another step of one). Returns ``(new state, features)`` per frame, in order."""
    if not states:
        return ()
    sizes = [len(s.t) for s in states]
    z = [as_complex(v) for v in xy]
    shown = [p & np.isfinite(v) for p, v in zip(present, z, strict=True)]
    new, motion = _kinematics(states, sizes, t, z, shown)
    spatial = _spatial(z, shown, team, keeper, ball, ball_z)
    return tuple((new[k], FrameFeatures(motion[k], spatial[k])) for k in range(len(states)))


# --- kinematics: the rows of every frame end to end ---------------------------------------------------


def _kinematics(
    states: Sequence[KinematicState],
    sizes: list[int],
    t: Sequence[float],
    z: list[ComplexArray],
    shown: list[BoolArray],
) -> tuple[list[KinematicState], list[PlayerMotion]]:
    flat = KinematicState._make(np.concatenate(field) for field in zip(*states, strict=True))
    times = np.repeat(np.asarray(t, dtype=np.float64), sizes)
    new, motion = step_complex(flat, times, np.concatenate(z), np.concatenate(shown))
    bounds = np.cumsum([0, *sizes]).tolist()
    spans = list(itertools.pairwise(bounds))
    return (
        [KinematicState._make(field[a:b] for field in new) for a, b in spans],
        [PlayerMotion._make(field[a:b] for field in motion) for a, b in spans],
    )


# --- spatial: the frames padded to one width -------------------------------------------------------


def _spatial(
    z: list[ComplexArray],
    shown: list[BoolArray],
    team: Sequence[IntArray],
    keeper: Sequence[BoolArray],
    ball: Sequence[FloatArray],
    ball_z: Sequence[float],
) -> list[FrameSpatial]:
    rows = [np.flatnonzero(s) for s in shown]
    width = max((len(r) for r in rows), default=0)
    m = len(z)
    pz = np.zeros((m, width), dtype=np.complex128)
    pteam = np.full((m, width), -1, dtype=np.int64)
    pkeeper = np.zeros((m, width), dtype=bool)
    valid = np.zeros((m, width), dtype=bool)
    for k, r in enumerate(rows):
        n = len(r)
        pz[k, :n], pteam[k, :n], pkeeper[k, :n], valid[k, :n] = z[k][r], team[k][r], keeper[k][r], True
    dist = np.abs(pz[:, :, None] - pz[:, None, :])
    opponent = (pteam[:, :, None] != pteam[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    opp_dist = np.where(opponent, dist, np.inf)
    nearest = opp_dist.min(axis=2, initial=np.inf)
    nearest[nearest == np.inf] = np.nan
    carriers = _carriers(pz, valid, opponent, opp_dist, np.asarray(ball, dtype=np.float64), ball_z)
    shapes = _shapes(pz, valid, pteam, pkeeper)
    out = []
    for k, r in enumerate(rows):
        separation = np.full(len(z[k]), np.nan)
        separation[r] = nearest[k, : len(r)]
        carrier = carriers[k]
        if carrier.player >= 0:
            carrier = carrier._replace(player=int(r[carrier.player]))
        out.append(FrameSpatial(separation, carrier, shapes[k][0], shapes[k][1]))
    return out


def _carriers(
    pz: ComplexArray,
    valid: BoolArray,
    opponent: BoolArray,
    opp_dist: FloatArray,
    ball: FloatArray,
    ball_z: Sequence[float],
) -> list[BallCarrier]:
    """:func:`features.spatial.ball_carrier` of every frame (rows padded, ``valid`` marks players)."""
    m, width = pz.shape
    if width == 0:
        return [_NO_CARRIER] * m
    at = ball[:, 0] + 1j * ball[:, 1]
    to_ball = np.where(valid, np.abs(pz - at[:, None]), np.inf)
    i = to_ball.argmin(axis=1)
    frames = np.arange(m)
    d = to_ball[frames, i]
    usable = (
        np.isfinite(ball).all(axis=1)
        & ~(np.asarray(ball_z, dtype=np.float64) > CARRIER_MAX_HEIGHT_M)
        & valid.any(axis=1)
        & (d <= CARRIER_RADIUS_M)
    )
    opp = opponent[frames, i]  # (m, width): the carrier's opponents
    row = opp_dist[frames, i]
    close = opp & (row <= PRESSURE_RADIUS_M)
    n_close = close.sum(axis=1)
    pressure = n_close - np.where(close, row, 0.0).sum(axis=1) / PRESSURE_RADIUS_M
    nearest = row.min(axis=1)
    has_opp = opp.any(axis=1)
    out = []
    columns = (usable, i.tolist(), d.tolist(), has_opp, n_close.tolist(), nearest.tolist(), pressure.tolist())
    for use, player, dk, opps, nk, near, press in zip(*columns, strict=True):
        if not use:
            out.append(_NO_CARRIER)
        elif not opps:
            out.append(BallCarrier(player, dk, 0, _NAN, 0.0))
        else:
            out.append(BallCarrier(player, dk, int(nk), near, float(press)))
    return out


def _shapes(
    pz: ComplexArray, valid: BoolArray, pteam: IntArray, pkeeper: BoolArray
) -> list[tuple[TeamShape, TeamShape]]:
    """:func:`features.spatial.team_shape` of both teams' outfield players in every frame."""
    members = (
        valid[:, None, :] & (pteam[:, None, :] == np.array([0, 1])[None, :, None]) & ~pkeeper[:, None, :]
    )
    weights = members.astype(np.float64)  # (m, 2, width)
    counts = weights.sum(axis=2)
    safe = np.maximum(counts, 1.0)
    centroid = (weights * pz[:, None, :]).sum(axis=2) / safe
    spread = (weights * np.abs(pz[:, None, :] - centroid[:, :, None])).sum(axis=2) / safe
    x, y = pz.real[:, None, :], pz.imag[:, None, :]
    width_y = np.where(members, y, -np.inf).max(axis=2, initial=-np.inf) - np.where(members, y, np.inf).min(
        axis=2, initial=np.inf
    )
    depth_x = np.where(members, x, -np.inf).max(axis=2, initial=-np.inf) - np.where(members, x, np.inf).min(
        axis=2, initial=np.inf
    )
    table = np.stack([counts, centroid.real, centroid.imag, width_y, depth_x, spread], axis=2).tolist()
    return [(_shape(frame[0]), _shape(frame[1])) for frame in table]


def _shape(row: list[float]) -> TeamShape:
    return TeamShape(int(row[0]), *row[1:]) if row[0] else _NO_SHAPE
