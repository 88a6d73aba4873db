"""Plain-Python (lists and :mod:`math`, no numpy) versions of the per-frame and shot features.

They follow the definitions of :mod:`features.kinematics`, :mod:`features.spatial`,
:mod:`features.frame` and :mod:`features.shot` step by step and import their constants, so
``benchmarks.features`` can (1) check the numpy functions against an independent reference and
(2) report what numpy buys per call over the obvious list-based code.

Differences in form only:

- kinematic state is a list with one tuple per player slot (see :data:`Row`); a step builds a new
  list, so, as with the numpy state, the old one is left untouched;
- the alpha-beta gains are evaluated from their formulas, while numpy interpolates a table of them
  over ``dt``. At the nodes of that table (every 1 ms up to 0.2 s, every 10 ms from 0.21 s, so every
  multiple of a 25 Hz frame period) the two agree to rounding; in between the table is off by up to
  ~1e-3 relative, which the comparison has to allow for if it feeds uneven frame times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from features.coordinates import GOAL_HALF_WIDTH_M, GOAL_X_M
from features.kinematics import (
    _ACCEL_NOISE,
    _ACCEL_TAU_S,
    _MEASUREMENT_NOISE,
    HIGH_INTENSITY_MS,
    JUMP_M,
    MAX_GAP_S,
    MAX_SPEED_MS,
    SPRINT_MIN_S,
    SPRINT_MS,
)
from features.shot import (
    BODY_PARTS,
    DEFENDER,
    KEEPER,
    PLAY_PATTERNS,
    SHOT_ATTRIBUTE_NAMES,
    SHOT_GEOMETRY_NAMES,
    SHOT_TYPES,
    TEAMMATE,
    TECHNIQUES,
)
from features.spatial import (
    CARRIER_MAX_HEIGHT_M,
    CARRIER_RADIUS_M,
    PRESSURE_RADIUS_M,
    BallCarrier,
    TeamShape,
)

__all__ = [
    "Motion",
    "Row",
    "Spatial",
    "frame_features",
    "frame_spatial",
    "gains",
    "kinematics_step",
    "new_state",
    "shot_attributes",
    "shot_features",
    "shot_geometry",
]

NAN = math.nan
Point = tuple[float, float]
# One player slot: t, x, y, vx, vy, speed, accel, distance, hi_distance, top_speed, sprint_s, sprints
# (the fields of features.kinematics.KinematicState, with pos and vel split into x and y).
Row = tuple[float, float, float, float, float, float, float, float, float, float, float, float]

_NOISE_RATIO = _ACCEL_NOISE / _MEASUREMENT_NOISE
# The numpy gain table starts at 1 ms and np.interp holds its end values beyond it.
_MIN_GAIN_DT = 0.001
_NO_CARRIER = BallCarrier(-1, NAN, 0, NAN, 0.0)
_NO_SHAPE = TeamShape(0, NAN, NAN, NAN, NAN, NAN)
_DEFENDER_CLOSE_M = 3.0


class Motion(NamedTuple):
    """Per slot, as :class:`features.kinematics.PlayerMotion`."""

    speed: list[float]
    accel: list[float]
    direction: list[float]
    updated: list[bool]
    rejected: list[bool]


class Spatial(NamedTuple):
    """As :class:`features.spatial.FrameSpatial`."""

    separation: list[float]
    carrier: BallCarrier
    home: TeamShape
    away: TeamShape


def new_state(n: int) -> list[Row]:
    """``n`` slots, none seen yet (``t`` NaN)."""
    return [(NAN, NAN, NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)] * n


def gains(dt: float) -> tuple[float, float, float]:
    """Alpha, beta per second and the acceleration smoothing factor for a step of ``dt`` seconds
    (0 < dt <= MAX_GAP_S): the formulas features.kinematics tabulates."""
    dt = max(dt, _MIN_GAIN_DT)
    lam = dt * dt * _NOISE_RATIO
    r = 1.0 + lam / 4.0 - math.sqrt(lam * (8.0 + lam)) / 4.0
    alpha = 1.0 - r * r
    beta = 2.0 * (2.0 - alpha) - 4.0 * r
    return alpha, beta / dt, 1.0 - math.exp(-dt / _ACCEL_TAU_S)


def kinematics_step(
    state: Sequence[Row], t: float, xy: Sequence[Point], present: Sequence[bool]
) -> tuple[list[Row], Motion]:
    """:func:`features.kinematics.kinematics_step`, one player at a time."""
    isfinite, hypot = math.isfinite, math.hypot
    new: list[Row] = []
    speeds: list[float] = []
    accels: list[float] = []
    directions: list[float] = []
    updated: list[bool] = []
    rejected: list[bool] = []
    # Every player usually has the same dt (one frame period): evaluate the gains once per distinct dt.
    gain_dt, alpha, beta, accel_k = NAN, 0.0, 0.0, 0.0
    for row, (x, y), shown in zip(state, xy, present, strict=True):
        dt = t - row[0]  # NaN for a player never seen: every comparison is then False
        moved_on = rejected_now = False
        if shown and isfinite(x) and isfinite(y):
            if 0.0 < dt <= MAX_GAP_S:
                moved_on = True
                _, px, py, vx, vy, speed0, accel0, dist, hi, top, sprint_s0, sprints = row
                rx, ry = x - (px + vx * dt), y - (py + vy * dt)
                if hypot(rx, ry) > JUMP_M:
                    # An identity swap or glitch: re-anchor, keeping the totals from before.
                    row = (t, x, y, 0.0, 0.0, 0.0, 0.0, dist, hi, top, 0.0, sprints)
                else:
                    if dt != gain_dt:
                        gain_dt = dt
                        alpha, beta, accel_k = gains(dt)
                    nx, ny = px + vx * dt + alpha * rx, py + vy * dt + alpha * ry
                    nvx, nvy = vx + beta * rx, vy + beta * ry
                    speed = hypot(nvx, nvy)
                    if speed > MAX_SPEED_MS:
                        scale = MAX_SPEED_MS / speed
                        nvx, nvy, speed = nvx * scale, nvy * scale, MAX_SPEED_MS
                    accel = accel0 + accel_k * ((speed - speed0) / dt - accel0)
                    moved = hypot(nx - px, ny - py)
                    sprint_s = sprint_s0 + dt if speed >= SPRINT_MS else 0.0
                    row = (
                        t,
                        nx,
                        ny,
                        nvx,
                        nvy,
                        speed,
                        accel,
                        dist + moved,
                        hi + moved if speed >= HIGH_INTENSITY_MS else hi,
                        max(top, speed),
                        sprint_s,
                        sprints + 1.0 if sprint_s >= SPRINT_MIN_S > sprint_s0 else sprints,
                    )
            elif dt < 0.0:
                rejected_now = True  # out of order: ignored
            elif dt != 0.0:
                # First sighting or back after more than MAX_GAP_S: restart here, no distance added.
                moved_on = True
                row = (t, x, y, 0.0, 0.0, 0.0, 0.0, row[7], row[8], row[9], 0.0, row[11])
        new.append(row)
        updated.append(moved_on)
        rejected.append(rejected_now)
        if row[0] == row[0]:
            speeds.append(row[5])
            accels.append(row[6])
            directions.append(math.degrees(math.atan2(row[4], row[3])))
        else:  # never seen
            speeds.append(NAN)
            accels.append(NAN)
            directions.append(NAN)
    return new, Motion(speeds, accels, directions, updated, rejected)


def _shape(xs: list[float], ys: list[float]) -> TeamShape:
    n = len(xs)
    if n == 0:
        return _NO_SHAPE
    cx, cy = sum(xs) / n, sum(ys) / n
    spread = sum(math.hypot(x - cx, y - cy) for x, y in zip(xs, ys, strict=True)) / n
    return TeamShape(n, cx, cy, max(ys) - min(ys), max(xs) - min(xs), spread)


def frame_spatial(
    xy: Sequence[Point], team: Sequence[int], keeper: Sequence[bool], ball: Point, ball_z: float = 0.0
) -> Spatial:
    """:func:`features.spatial.frame_spatial` over lists."""
    hypot = math.hypot
    n = len(xy)
    xs = [p[0] for p in xy]
    ys = [p[1] for p in xy]
    # Separation: each opposing pair once.
    nearest = [math.inf] * n
    for i in range(n):
        xi, yi, ti = xs[i], ys[i], team[i]
        for j in range(i + 1, n):
            if team[j] != ti:
                d = hypot(xi - xs[j], yi - ys[j])
                if d < nearest[i]:
                    nearest[i] = d
                if d < nearest[j]:
                    nearest[j] = d
    separation = [NAN if d == math.inf else d for d in nearest]

    carrier = _NO_CARRIER
    bx, by = ball
    if n and math.isfinite(bx) and math.isfinite(by) and ball_z <= CARRIER_MAX_HEIGHT_M:
        best, to_ball = 0, hypot(xs[0] - bx, ys[0] - by)
        for j in range(1, n):
            d = hypot(xs[j] - bx, ys[j] - by)
            if d < to_ball:  # strict: the first of equals wins, as argmin
                best, to_ball = j, d
        if to_ball <= CARRIER_RADIUS_M:
            xi, yi, ti = xs[best], ys[best], team[best]
            opp = [hypot(xi - xs[j], yi - ys[j]) for j in range(n) if team[j] != ti]
            if not opp:
                carrier = BallCarrier(best, to_ball, 0, NAN, 0.0)
            else:
                close = [d for d in opp if d <= PRESSURE_RADIUS_M]
                pressure = len(close) - sum(close) / PRESSURE_RADIUS_M
                carrier = BallCarrier(best, to_ball, len(close), min(opp), pressure)

    # Team shapes from outfield players only.
    shapes = []
    for side in (0, 1):
        rows = [i for i in range(n) if team[i] == side and not keeper[i]]
        shapes.append(_shape([xs[i] for i in rows], [ys[i] for i in rows]))
    return Spatial(separation, carrier, shapes[0], shapes[1])


def frame_features(
    state: Sequence[Row],
    t: float,
    xy: Sequence[Point],
    present: Sequence[bool],
    team: Sequence[int],
    keeper: Sequence[bool],
    ball: Point,
    ball_z: float = 0.0,
) -> tuple[list[Row], Motion, Spatial]:
    """:func:`features.frame.frame_features`: kinematics over all slots, spatial features over the
    players shown, back in slot order (NaN separation for the others)."""
    isfinite = math.isfinite
    shown = [p and isfinite(x) and isfinite(y) for p, (x, y) in zip(present, xy, strict=True)]
    new, motion = kinematics_step(state, t, xy, shown)
    if all(shown):
        return new, motion, frame_spatial(xy, team, keeper, ball, ball_z)
    rows = [i for i, s in enumerate(shown) if s]
    part = frame_spatial(
        [xy[i] for i in rows], [team[i] for i in rows], [keeper[i] for i in rows], ball, ball_z
    )
    separation = [NAN] * len(xy)
    for i, d in zip(rows, part.separation, strict=True):
        separation[i] = d
    carrier = part.carrier
    if carrier.player >= 0:
        carrier = carrier._replace(player=rows[carrier.player])
    return new, motion, Spatial(separation, carrier, part.home, part.away)


def _in_triangle(px: float, py: float, a: Point, b: Point, c: Point) -> bool:
    d1 = (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
    d2 = (c[0] - b[0]) * (py - b[1]) - (c[1] - b[1]) * (px - b[0])
    d3 = (a[0] - c[0]) * (py - c[1]) - (a[1] - c[1]) * (px - c[0])
    negative = d1 < 0 or d2 < 0 or d3 < 0
    positive = d1 > 0 or d2 > 0 or d3 > 0
    return not (negative and positive)


_POST_LEFT = (GOAL_X_M, GOAL_HALF_WIDTH_M)
_POST_RIGHT = (GOAL_X_M, -GOAL_HALF_WIDTH_M)


def shot_geometry(shooter: Point, players: Sequence[Point] = (), role: Sequence[int] = ()) -> list[float]:
    """:func:`features.shot.shot_geometry` over lists, in SHOT_GEOMETRY_NAMES order."""
    out = [NAN] * len(SHOT_GEOMETRY_NAMES)
    sx, sy = shooter
    if not (math.isfinite(sx) and math.isfinite(sy)):
        return out
    gx, gy = GOAL_X_M - sx, -sy
    out[0] = math.hypot(gx, gy)
    ly, ry = GOAL_HALF_WIDTH_M - sy, -GOAL_HALF_WIDTH_M - sy
    out[1] = math.degrees(abs(math.atan2(gx * ry - ly * gx, gx * gx + ly * ry)))
    out[2] = math.degrees(math.atan2(abs(gy), gx))
    if not players:
        return out
    defenders_in = attackers_in = close = 0
    nearest = math.inf
    keeper = -1
    keeper_inside = False
    for k, ((px, py), r) in enumerate(zip(players, role, strict=True)):
        inside = _in_triangle(px, py, shooter, _POST_LEFT, _POST_RIGHT)
        if r == DEFENDER:
            defenders_in += inside
            gap = math.hypot(px - sx, py - sy)
            nearest = min(nearest, gap)
            close += gap <= _DEFENDER_CLOSE_M
        elif r == TEAMMATE:
            attackers_in += inside
        elif r == KEEPER and keeper < 0:
            keeper, keeper_inside = k, inside
    out[3], out[4], out[9] = float(defenders_in), float(attackers_in), float(close)
    out[8] = nearest if nearest < math.inf else NAN
    if keeper >= 0:
        kx, ky = players[keeper]
        out[5] = float(keeper_inside)
        out[6] = math.hypot(GOAL_X_M - kx, ky)
        along = ((kx - sx) * gx + (ky - sy) * gy) / ((gx * gx + gy * gy) or 1.0)
        along = min(max(along, 0.0), 1.0)
        out[7] = math.hypot(kx - (sx + along * gx), ky - (sy + along * gy))
    return out


_VOCABULARIES = (BODY_PARTS, TECHNIQUES, SHOT_TYPES, PLAY_PATTERNS)
_INDEX: list[dict[str, int]] = []
_offset = 0
for _vocab in _VOCABULARIES:
    _INDEX.append({name: _offset + i for i, name in enumerate(_vocab)})
    _offset += len(_vocab)
_N_ATTRIBUTES = len(SHOT_ATTRIBUTE_NAMES)


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
) -> list[float]:
    """:func:`features.shot.shot_attributes` as a list (one-hot groups, then the four flags)."""
    out = [0.0] * (_N_ATTRIBUTES - 4)
    for value, index in zip((body_part, technique, shot_type, play_pattern), _INDEX, strict=True):
        if value is not None:
            i = index.get(value)
            if i is not None:
                out[i] = 1.0
    out += (float(first_time), float(one_on_one), float(open_goal), float(under_pressure))
    return out


def shot_features(geometry: list[float], attributes: list[float]) -> list[float]:
    """The full vector, SHOT_FEATURE_NAMES order."""
    return geometry + attributes
