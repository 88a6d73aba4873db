"""Simulated soccer movement: a player motion model and the team-shape helpers built on it.

No real full-match tracking feed is available to the project, so the tracking made from these parts
(:mod:`stream.sources.synthetic`, :mod:`stream.sources.replay_plan`) is labelled ``simulated=True``.
Everything here is pure numpy on the pitch frame of :mod:`features.coordinates` (metres, origin at
the centre spot, 105 m x 68 m) and driven by a seeded ``numpy.random.Generator``: no clock, no I/O,
no global state. Times are event time (epoch milliseconds), never wall time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from features.coordinates import PITCH_LENGTH_M, PITCH_WIDTH_M

__all__ = [
    "HALF_LENGTH_M",
    "HALF_WIDTH_M",
    "POSITION_TEMPLATES",
    "PlayerMotion",
    "clamp_to_pitch",
    "position_template",
    "pull_to_anchors",
    "team_shape_targets",
]

FloatArray = npt.NDArray[np.float64]

HALF_LENGTH_M = PITCH_LENGTH_M / 2
HALF_WIDTH_M = PITCH_WIDTH_M / 2
_CHUNK = 4096  # motion steps per block of scratch arrays

# Where each position stands when the ball is on the centre spot, in the team's own attacking frame
# (metres, the team attacks +x, y grows to the players' left). Names are StatsBomb's position names.
POSITION_TEMPLATES: Mapping[str, tuple[float, float]] = {
    "Goalkeeper": (-48.0, 0.0),
    "Right Back": (-28.0, -24.0),
    "Right Center Back": (-33.0, -9.0),
    "Center Back": (-34.0, 0.0),
    "Left Center Back": (-33.0, 9.0),
    "Left Back": (-28.0, 24.0),
    "Right Wing Back": (-20.0, -27.0),
    "Left Wing Back": (-20.0, 27.0),
    "Right Defensive Midfield": (-20.0, -8.0),
    "Center Defensive Midfield": (-21.0, 0.0),
    "Left Defensive Midfield": (-20.0, 8.0),
    "Right Midfield": (-8.0, -24.0),
    "Right Center Midfield": (-11.0, -10.0),
    "Center Midfield": (-11.0, 0.0),
    "Left Center Midfield": (-11.0, 10.0),
    "Left Midfield": (-8.0, 24.0),
    "Right Wing": (2.0, -25.0),
    "Right Attacking Midfield": (-3.0, -12.0),
    "Center Attacking Midfield": (-3.0, 0.0),
    "Left Attacking Midfield": (-3.0, 12.0),
    "Left Wing": (2.0, 25.0),
    "Right Center Forward": (4.0, -7.0),
    "Center Forward": (5.0, 0.0),
    "Left Center Forward": (4.0, 7.0),
    "Secondary Striker": (1.0, 0.0),
}
_UNKNOWN_POSITION = (-11.0, 0.0)  # a central midfielder is the least wrong guess


def position_template(name: str | None) -> tuple[float, float]:
    """Template spot (metres, own attacking frame) of a position name; centre midfield if unknown."""
    return POSITION_TEMPLATES.get(name or "", _UNKNOWN_POSITION)


def team_shape_targets(
    slots: npt.ArrayLike,
    keeper: npt.ArrayLike,
    attack_sign: npt.ArrayLike,
    ball_xy: npt.ArrayLike,
    push: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Where each player wants to stand given the ball: the formation shifted toward the ball.

    ``slots`` are template spots in each team's own attacking frame, shape ``(n, 2)`` or ``(T, n, 2)``;
    ``keeper`` flags goalkeepers, ``(n,)`` or ``(T, n)``; ``attack_sign`` is ``+1``/``-1`` per player
    (the direction its team attacks along pitch ``x``), ``(n,)``; ``ball_xy`` is ``(T, 2)`` metres.
    Returns ``(T, n, 2)`` pitch-frame metres, inside the pitch. The block follows half the ball's
    length offset and 40 % of its width offset, and the shape is compressed (teams defend narrow);
    keepers stay on their line and only shade toward the ball. ``push`` (metres, own attacking
    direction; scalar, ``(n,)`` or ``(T, n)``) moves outfield players up, e.g. the team on the ball.
    """
    sign = np.asarray(attack_sign, dtype=np.float64)[None, :, None]
    ball = np.asarray(ball_xy, dtype=np.float64).reshape(-1, 1, 2) * sign  # own frame, (T, n, 2)
    tpl = np.asarray(slots, dtype=np.float64)
    gk = np.asarray(keeper, dtype=np.bool_)
    up = np.asarray(push, dtype=np.float64)
    x = np.where(
        gk, -50.0 + 0.1 * (ball[..., 0] + HALF_LENGTH_M), 0.75 * tpl[..., 0] + 0.5 * ball[..., 0] + up
    )
    y = np.where(gk, np.clip(0.25 * ball[..., 1], -6.0, 6.0), 0.8 * tpl[..., 1] + 0.4 * ball[..., 1])
    out = np.stack([np.clip(x, -51.0, 51.0), np.clip(y, -33.0, 33.0)], axis=-1)
    return out * sign


class PlayerMotion:
    """Positions and velocities of ``n`` objects (pitch frame, metres, m/s), stepped toward targets.

    Each step a player wishes to move toward its target at ``distance / reaction_s`` m/s (a far target
    means a sprint, a near one a jog); its velocity turns toward that wish by at most
    ``max_accel * dt`` (smooth starts and stops), plus a small seeded random acceleration so nobody
    runs on rails, and is then capped at the player's top speed (7.8-9.0 m/s unless given). Reported
    positions are clamped onto the 105 x 68 m pitch; clamping never adds speed.
    """

    def __init__(
        self,
        positions: npt.ArrayLike,
        *,
        rng: np.random.Generator,
        top_speed: npt.ArrayLike | None = None,
        max_accel: float = 3.5,
        reaction_s: float = 1.2,
        jitter: float = 0.8,
    ) -> None:
        pts = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
        n = len(pts)
        self._rng = rng
        self._pos = pts[:, 0] + 1j * pts[:, 1]  # complex: one abs() gives a 2-D norm, cheaply
        self._vel = np.zeros(n, dtype=np.complex128)
        speed = rng.uniform(7.8, 9.0, n) if top_speed is None else np.asarray(top_speed, dtype=np.float64)
        self.top_speed: FloatArray = np.broadcast_to(speed, (n,)).astype(np.float64)
        self.max_accel = max_accel  # m/s^2
        self.reaction_s = reaction_s  # s to close a gap at the wished speed
        self.jitter = jitter  # m/s^2, standard deviation of the random acceleration

    @property
    def positions(self) -> FloatArray:
        """Current positions, ``(n, 2)`` metres, clamped onto the pitch."""
        return clamp_to_pitch(np.stack([self._pos.real, self._pos.imag], axis=-1))

    @property
    def velocities(self) -> FloatArray:
        """Current velocities, ``(n, 2)`` m/s."""
        return np.stack([self._vel.real, self._vel.imag], axis=-1)

    def step(self, targets: npt.ArrayLike, dt: float) -> FloatArray:
        """One step of ``dt`` seconds toward ``targets`` ``(n, 2)``; returns the new positions."""
        positions: FloatArray = self.run(np.asarray(targets, dtype=np.float64)[None], dt)[0]
        return positions

    def run(self, targets: npt.ArrayLike, dt: float) -> FloatArray:
        """One step of ``dt`` seconds per row of ``targets`` ``(T, n, 2)``; positions ``(T, n, 2)``."""
        tg = np.asarray(targets, dtype=np.float64)
        out = np.empty_like(tg)
        for lo in range(0, len(tg), _CHUNK):  # in chunks, so a whole match needs little scratch memory
            out[lo : lo + _CHUNK] = clamp_to_pitch(self._run_chunk(tg[lo : lo + _CHUNK], dt))
        return out

    def _run_chunk(self, targets: FloatArray, dt: float) -> FloatArray:
        goal = targets[..., 0] + 1j * targets[..., 1]
        noise = self._rng.standard_normal((len(goal), len(self._pos), 2)) * (self.jitter * dt)
        kick = noise[..., 0] + 1j * noise[..., 1]
        out = np.empty_like(goal)
        pos, vel = self._pos.copy(), self._vel.copy()
        gain, vmax, dv_max = 1.0 / self.reaction_s, self.top_speed, self.max_accel * dt
        # The loop is inherently sequential (speed caps are nonlinear); it is kept to ~15 numpy
        # calls per step on all players at once. x / 0 -> inf -> min(1, inf) = 1: no epsilon needed.
        with np.errstate(divide="ignore"):
            for i in range(len(goal)):
                dv = (goal[i] - pos) * gain - vel + kick[i]
                dv *= np.minimum(1.0, dv_max / np.abs(dv))
                vel += dv
                vel *= np.minimum(1.0, vmax / np.abs(vel))
                pos += vel * dt
                out[i] = pos
        self._pos, self._vel = pos, vel
        return np.stack([out.real, out.imag], axis=-1)


def clamp_to_pitch(xy: FloatArray) -> FloatArray:
    """Clamp ``(..., 2)`` pitch-frame metres onto the 105 x 68 m pitch (the projection onto a box is
    non-expansive, so clamping never adds speed)."""
    lim = np.array([HALF_LENGTH_M, HALF_WIDTH_M])
    return np.clip(xy, -lim, lim)


def pull_to_anchors(
    targets: npt.ArrayLike,
    frame_ts: npt.ArrayLike,
    anchor_ts: npt.ArrayLike,
    anchor_slot: npt.ArrayLike,
    anchor_xy: npt.ArrayLike,
    *,
    lead_ms: float = 3000.0,
    settle_ms: float = 1000.0,
    hold_ms: float = 1500.0,
) -> FloatArray:
    """Blend players' targets toward where they are known to be at given moments (anchors).

    ``targets`` ``(F, n, 2)`` metres at ``frame_ts`` ``(F,)`` ms; anchor ``a`` says slot
    ``anchor_slot[a]`` is at ``anchor_xy[a]`` at ``anchor_ts[a]`` ms. The pull ramps up from
    ``lead_ms`` before the anchor, is total from ``settle_ms`` before it (a player lags his target by
    about :class:`PlayerMotion`'s reaction time, so he arrives on time) and fades over ``hold_ms``
    after. With several anchors the strongest pull wins; as the pull falls off with time on each side,
    only the nearest anchor before and after a frame can be the strongest.
    """
    out = np.array(targets, dtype=np.float64)
    ft = np.asarray(frame_ts, dtype=np.float64)
    at = np.asarray(anchor_ts, dtype=np.float64)
    slot = np.asarray(anchor_slot, dtype=np.intp)
    axy = np.asarray(anchor_xy, dtype=np.float64).reshape(-1, 2)
    ramp = max(lead_ms - settle_ms, 1.0)
    for j in np.unique(slot):
        mine = np.flatnonzero(slot == j)
        mine = mine[np.argsort(at[mine], kind="stable")]
        t_j, xy_j = at[mine], axy[mine]
        nxt = np.searchsorted(t_j, ft)  # first anchor at or after each frame
        prv = np.clip(nxt - 1, 0, len(t_j) - 1)
        nxt = np.clip(nxt, 0, len(t_j) - 1)
        w_next = np.clip((ft - t_j[nxt] + lead_ms) / ramp, 0.0, 1.0) * (t_j[nxt] >= ft)
        w_prev = np.clip(1.0 - (ft - t_j[prv]) / hold_ms, 0.0, 1.0) * (t_j[prv] <= ft)
        use_next = w_next >= w_prev
        w = np.where(use_next, w_next, w_prev)[:, None]
        goal = np.where(use_next[:, None], xy_j[nxt], xy_j[prv])
        out[:, j] += w * (goal - out[:, j])
    return out
