"""Player kinematics from a tracking stream: speed, acceleration, direction, distance, sprints.

One call of :func:`kinematics_step` advances every player of a match by one frame; the state is a
:class:`KinematicState` of arrays (one row per player slot), so the stream keeps it between frames
and training can fold a whole track through :func:`kinematics_track`. Pure numpy: no clock, no I/O.

Smoothing. Raw positions jitter by a few centimetres; differencing them at 25 Hz would turn 5 cm of
noise into 1.25 m/s of speed. Each player runs an alpha-beta filter (a steady-state constant-velocity
Kalman filter) whose gains follow the time since that player's last position, so missing frames and
uneven rates are handled: the filter predicts across the gap and weighs the new position accordingly.
Speeds are capped at :data:`MAX_SPEED_MS` (faster than any footballer), and a position further than
:data:`JUMP_M` from the prediction (an identity swap, a tracking glitch) re-anchors the filter
instead of being followed.

Frames in time order only. For each player, a position at the same time as the last one (a repeated
frame) changes nothing; one that is older (out of order) changes nothing and is reported by
``rejected``; a position after more than :data:`MAX_GAP_S` without one re-anchors without adding
distance, since the path in between is unknown.

Thresholds (metres per second; common in football tracking reports):

- high intensity: speed >= :data:`HIGH_INTENSITY_MS` (5.5 m/s, 19.8 km/h); high-intensity distance
  is the distance covered at or above it.
- sprint: speed >= :data:`SPRINT_MS` (7.0 m/s, 25.2 km/h) held for at least :data:`SPRINT_MIN_S`
  (1 s); each such run counts once, when it reaches the minimum duration.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .coordinates import as_complex

__all__ = [
    "HIGH_INTENSITY_MS",
    "JUMP_M",
    "MAX_GAP_S",
    "MAX_SPEED_MS",
    "SPRINT_MIN_S",
    "SPRINT_MS",
    "KinematicState",
    "PlayerMotion",
    "grow_state",
    "kinematics_step",
    "kinematics_track",
    "new_state",
    "step_complex",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
ComplexArray = npt.NDArray[np.complex128]

HIGH_INTENSITY_MS = 5.5
SPRINT_MS = 7.0
SPRINT_MIN_S = 1.0
MAX_SPEED_MS = 12.5
MAX_GAP_S = 2.0
JUMP_M = 5.0
# Filter tuning: acceleration noise (m/s^2) over measurement noise (m). Players change speed by up
# to ~5 m/s^2; optical tracking is good to ~0.1 m. Their ratio sets how quickly the filter follows.
_ACCEL_NOISE = 4.0
_MEASUREMENT_NOISE = 0.1
_ACCEL_TAU_S = 0.25  # time constant of the acceleration's exponential smoothing


class KinematicState(NamedTuple):
    """Per-player filter state and running totals; row ``i`` is player slot ``i``.

    ``t`` is the time of the last accepted position in seconds (NaN: never seen). ``pos`` and ``vel``
    are the filtered position (m) and velocity (m/s) in the pitch frame as complex numbers ``x + iy``
    (one array op moves both axes; ``abs`` is the length), ``speed`` is ``abs(vel)``. ``accel`` is the
    smoothed rate of change of speed (m/s^2); ``distance`` and ``hi_distance`` metres covered in total
    and at high intensity; ``top_speed`` m/s; ``sprint_s`` how long the current run above the sprint
    threshold has lasted; ``sprints`` the number of sprints.
    """

    t: FloatArray
    pos: ComplexArray
    vel: ComplexArray
    speed: FloatArray
    accel: FloatArray
    distance: FloatArray
    hi_distance: FloatArray
    top_speed: FloatArray
    sprint_s: FloatArray
    sprints: FloatArray


class PlayerMotion(NamedTuple):
    """What one step measured: ``speed`` m/s, ``accel`` m/s^2, ``direction`` degrees (counter-clockwise
    from ``+x``, in ``(-180, 180]``), NaN for players never seen. ``updated`` marks players whose
    position this frame was used; ``rejected`` those whose position was older than their last one."""

    speed: FloatArray
    accel: FloatArray
    direction: FloatArray
    updated: BoolArray
    rejected: BoolArray


def new_state(n: int) -> KinematicState:
    """State for ``n`` player slots, none seen yet."""
    return KinematicState(
        t=np.full(n, np.nan),
        pos=np.full(n, np.nan, dtype=np.complex128),
        vel=np.zeros(n, dtype=np.complex128),
        speed=np.zeros(n),
        accel=np.zeros(n),
        distance=np.zeros(n),
        hi_distance=np.zeros(n),
        top_speed=np.zeros(n),
        sprint_s=np.zeros(n),
        sprints=np.zeros(n),
    )


def grow_state(state: KinematicState, n: int) -> KinematicState:
    """The same state with room for ``n`` slots (new players appear mid-match); rows keep their index."""
    have = len(state.t)
    if n <= have:
        return state
    extra = new_state(n - have)
    return KinematicState._make(np.concatenate([old, new]) for old, new in zip(state, extra, strict=True))


def _gain_table() -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Steady-state alpha-beta gains of a constant-velocity model sampled every ``dt`` seconds
    (Kalata's tracking index), and the acceleration smoothing factor, tabulated over ``dt`` up to
    :data:`MAX_GAP_S` so a step interpolates them instead of evaluating the formulas per player.
    Nodes every 1 ms up to 0.2 s: exact at usual frame intervals, within 1e-3 relative between nodes."""
    dt = np.concatenate([np.linspace(0.001, 0.2, 200), np.linspace(0.21, MAX_GAP_S, 180)])
    lam = dt * dt * (_ACCEL_NOISE / _MEASUREMENT_NOISE)
    r = 1.0 + lam / 4.0 - np.sqrt(lam * (8.0 + lam)) / 4.0
    alpha = 1.0 - r * r
    beta = 2.0 * (2.0 - alpha) - 4.0 * r
    return dt, alpha, beta / dt, 1.0 - np.exp(-dt / _ACCEL_TAU_S)


_DT, _ALPHA, _BETA_PER_S, _ACCEL_K = _gain_table()


def _advance(s: KinematicState, dt: FloatArray, z: ComplexArray) -> tuple[KinematicState, BoolArray]:
    """One filter update of every row of ``s`` (each moves on by its ``dt`` > 0 to position ``z``).
    Returns the new rows (``t`` untouched) and which rows jumped too far to be followed."""
    predicted = s.pos + s.vel * dt
    residual = z - predicted
    jumped = np.abs(residual) > JUMP_M
    pos = predicted + np.interp(dt, _DT, _ALPHA) * residual
    vel = s.vel + np.interp(dt, _DT, _BETA_PER_S) * residual
    speed = np.abs(vel)
    too_fast = speed > MAX_SPEED_MS
    if too_fast.any():
        vel[too_fast] *= MAX_SPEED_MS / speed[too_fast]
        speed[too_fast] = MAX_SPEED_MS
    accel = s.accel + np.interp(dt, _DT, _ACCEL_K) * ((speed - s.speed) / dt - s.accel)
    moved = np.abs(pos - s.pos)
    # A run above the sprint threshold lasts while updates keep it there; it counts once, on
    # reaching the minimum duration.
    sprint_s = np.where(speed >= SPRINT_MS, s.sprint_s + dt, 0.0)
    rows = KinematicState(
        t=s.t,
        pos=pos,
        vel=vel,
        speed=speed,
        accel=accel,
        distance=s.distance + moved,
        hi_distance=s.hi_distance + moved * (speed >= HIGH_INTENSITY_MS),
        top_speed=np.maximum(s.top_speed, speed),
        sprint_s=sprint_s,
        sprints=s.sprints + ((sprint_s >= SPRINT_MIN_S) & (s.sprint_s < SPRINT_MIN_S)),
    )
    return rows, jumped


def _at(t: float | FloatArray, rows: IntArray) -> float | FloatArray:
    """The time of ``rows``: one for every row, or each row's own."""
    return t if isinstance(t, float) or np.ndim(t) == 0 else t[rows]


def _anchor(
    state: KinematicState,
    rows: IntArray,
    t: float | FloatArray,
    z: ComplexArray,
    old: KinematicState | None = None,
) -> None:
    """Restart the filter of ``rows`` at ``z`` (in place): no motion and, if ``old`` is given (the
    rows were advanced before a jump showed up), the totals those rows had before."""
    if old is not None:
        for field, before in zip(state[5:], old[5:], strict=True):
            field[rows] = before[rows]
    state.t[rows] = _at(t, rows)
    state.pos[rows] = z
    state.vel[rows] = 0.0
    for field in (state.speed, state.accel, state.sprint_s):
        field[rows] = 0.0


def kinematics_step(
    state: KinematicState, t: float, xy: FloatArray, present: BoolArray
) -> tuple[KinematicState, PlayerMotion]:
    """Advance every player by one frame at time ``t`` (seconds).

    ``xy`` has shape ``(n, 2)`` (metres, pitch frame) for the ``n`` slots of ``state``; ``present``
    marks the rows that hold a position this frame (absent rows, and rows with a non-finite position,
    are left as they were). Returns the new state (the old one is not modified) and what this frame
    measured.
    """
    z = as_complex(xy)
    return step_complex(state, t, z, present & np.isfinite(z))


def step_complex(
    state: KinematicState, t: float | FloatArray, z: ComplexArray, present: BoolArray
) -> tuple[KinematicState, PlayerMotion]:
    """:func:`kinematics_step` for positions already as complex ``x + iy`` and ``present`` already
    excluding non-finite ones (the per-frame composite computes both once for all features). ``t``
    may also be one time per row: every row steps on its own, so the rows of several matches can
    step at once (:mod:`features.frame_batch`)."""
    dt = t - state.t  # NaN for players never seen: every comparison below is then False
    step = present & (dt > 0.0) & (dt <= MAX_GAP_S)
    rejected = present & (dt < 0.0)
    if step.all():
        # The common frame: everyone seen before and present now; no gather or scatter.
        anchor = ~step
        new, jumped = _advance(state, dt, z)
        new = new._replace(t=np.full_like(state.t, t))
        if jumped.any():
            _anchor(new, np.flatnonzero(jumped), t, z[jumped], state)
            step, anchor = ~jumped, jumped
    else:
        anchor = present & ~step & ~rejected & ~(dt == 0.0)
        new = KinematicState._make(field.copy() for field in state)
        rows = np.flatnonzero(step)
        if len(rows):
            moved, jumped = _advance(KinematicState._make(field[rows] for field in state), dt[rows], z[rows])
            for field, values in zip(new, moved, strict=True):
                field[rows] = values
            new.t[rows] = _at(t, rows)
            if jumped.any():
                _anchor(new, rows[jumped], t, z[rows[jumped]], state)
                step[rows[jumped]] = False
                anchor[rows[jumped]] = True
        if anchor.any():
            _anchor(new, np.flatnonzero(anchor), t, z[anchor])
    direction = np.angle(new.vel, deg=True)
    speed, accel = new.speed, new.accel
    ever = np.isfinite(new.t)
    if not ever.all():
        speed, accel, direction = (np.where(ever, v, np.nan) for v in (speed, accel, direction))
    motion = PlayerMotion(speed, accel, direction, updated=step | anchor, rejected=rejected)
    return new, motion


def kinematics_track(
    state: KinematicState, t: FloatArray, xy: FloatArray, present: BoolArray
) -> tuple[KinematicState, FloatArray]:
    """Fold a whole track through :func:`kinematics_step`: ``t`` shape ``(T,)`` seconds, ``xy``
    ``(T, n, 2)`` metres, ``present`` ``(T, n)``. Returns the final state and the speeds ``(T, n)``.
    Folding a track in pieces, each from the state the previous one left, gives the same result."""
    speeds = np.empty(present.shape)
    for i in range(len(t)):
        state, motion = kinematics_step(state, float(t[i]), xy[i], present[i])
        speeds[i] = motion.speed
    return state, speeds
