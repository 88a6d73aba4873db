"""Simulated soccer tracking: a player motion model, team shapes, and an endless synthetic match.

No real full-match tracking feed is available to the project, so every frame made here is labelled
``simulated=True``. Everything is pure numpy on the pitch frame of :mod:`features.coordinates`
(metres, origin at the centre spot, 105 m x 68 m) and driven by a seeded ``numpy.random.Generator``:
no clock, no I/O, no global state. Times are event time (epoch milliseconds), never wall time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from features.coordinates import PITCH_LENGTH_M, PITCH_WIDTH_M

from .contracts import (
    FreezeFramePlayer,
    MatchEvent,
    PassBody,
    PassEvent,
    PlayerRef,
    ShotBody,
    ShotEvent,
    TrackedObject,
    TrackingFrame,
)

__all__ = [
    "HALF_LENGTH_M",
    "HALF_WIDTH_M",
    "POSITION_TEMPLATES",
    "PlayerMotion",
    "position_template",
    "pull_to_anchors",
    "synthetic_match",
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
        return _clamp(np.stack([self._pos.real, self._pos.imag], axis=-1))

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
            out[lo : lo + _CHUNK] = self._run_chunk(tg[lo : lo + _CHUNK], dt)
        return _clamp(out)

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


def _clamp(xy: FloatArray) -> FloatArray:
    """Clamp ``(..., 2)`` metres onto the pitch (the projection onto a box is non-expansive)."""
    lim = np.array([HALF_LENGTH_M, HALF_WIDTH_M])
    return np.clip(xy, -lim, lim)


# --- the synthetic match ---------------------------------------------------------------------------

_FORMATION = (  # 4-4-2, goalkeeper first so ids h1 / a1 are the keepers
    "Goalkeeper",
    "Right Back",
    "Right Center Back",
    "Left Center Back",
    "Left Back",
    "Right Midfield",
    "Right Center Midfield",
    "Left Center Midfield",
    "Left Midfield",
    "Right Center Forward",
    "Left Center Forward",
)
_HALF_MS = 45 * 60_000
_KICKERS = (9, 20)  # home / away centre forwards kick off
_KEEPERS = (0, 11)
_MEAN_SHOT_GAP_S = 100.0  # plus the wait for a chance: ~2-3 simulated minutes between shots
_SHOT_RANGE_M = 30.0  # a chance needs the carrier this close to the goal
_OUTCOMES = ("Goal", "Saved", "Off T", "Blocked")


@dataclass
class _Flight:
    """The ball travelling from ``p0`` at ``t0`` to ``p1`` at ``t1`` (epoch ms, metres)."""

    t0: int
    t1: int
    p0: FloatArray
    p1: FloatArray
    z_m: float  # peak height of a pass, or the height a shot ends at
    receiver: int | None  # who has the ball at t1; None for a shot (the restart decides)
    restart_ms: int = 0  # a shot: when play restarts after it
    outcome: str = ""  # a shot's outcome


class _Match:
    """State of one synthetic match, advanced frame by frame by :func:`synthetic_match`."""

    def __init__(self, match_id: str, rng: np.random.Generator) -> None:
        self.match_id, self.rng = match_id, rng
        self.ids = [f"h{i}" for i in range(1, 12)] + [f"a{i}" for i in range(1, 12)]
        self.home = np.arange(22) < 11
        self.keeper = np.isin(np.arange(22), _KEEPERS)
        self.slots = np.array([position_template(p) for p in _FORMATION * 2])
        self.roles: list[Literal["player", "goalkeeper"]] = ["player"] * 22
        for j in _KEEPERS:
            self.roles[j] = "goalkeeper"
        self.home_sign = 1.0
        self.ball, self.ball_z = np.zeros(2), 0.0
        self.shape_ball = np.zeros(2)  # the ball as the teams' shape follows it: smoothed over ~1 s
        self.carrier: int | None = _KICKERS[0]
        self.flight: _Flight | None = None
        start = team_shape_targets(self.slots, self.keeper, self.signs(), self.ball)[0]
        start[:, 0] = np.where(self.signs() > 0, np.minimum(start[:, 0], -1.0), np.maximum(start[:, 0], 1.0))
        self.motion = PlayerMotion(start, rng=rng)  # kick-off: everybody in their own half
        self.pos = self.motion.positions
        self.next_decision = 0
        self.shot_due = int(rng.exponential(_MEAN_SHOT_GAP_S * 1000))
        self.events = 0

    def signs(self) -> FloatArray:
        """Attack direction along pitch x of each player's team."""
        return np.where(self.home, self.home_sign, -self.home_sign)

    def team(self, slot: int) -> Literal["home", "away"]:
        return "home" if slot < 11 else "away"

    def nearest_opponent(self, slot: int, xy: FloatArray) -> int:
        opp = np.flatnonzero(self.home != self.home[slot])
        return int(opp[np.argmin(np.hypot(*(self.pos[opp] - xy).T))])

    def event_id(self) -> str:
        self.events += 1
        return f"{self.match_id}-{self.events}"

    def half_time(self, t: int) -> None:
        self.home_sign, self.flight, self.carrier = -1.0, None, _KICKERS[1]
        self.next_decision = t + 3000

    def decide(self, t: int, period: int) -> MatchEvent | None:
        """At a decision time the carrier shoots (a shot is due and he is in range) or passes."""
        c = self.carrier
        if c is None or t < self.next_decision:
            return None
        sign = float(self.signs()[c])
        to_goal = float(np.hypot(HALF_LENGTH_M - sign * self.pos[c, 0], self.pos[c, 1]))
        if t >= self.shot_due and not self.keeper[c] and to_goal < _SHOT_RANGE_M:
            return self.shoot(t, period, c, sign, to_goal)
        return self.pass_ball(t, period, c, sign)

    def pass_ball(self, t: int, period: int, c: int, sign: float) -> PassEvent:
        rng, pos = self.rng, self.pos
        mates = np.flatnonzero((self.home == self.home[c]) & (np.arange(22) != c))
        gap = pos[mates] - pos[c]
        # Prefer forward and near team-mates (much more forward once a chance is due); the keeper is a
        # last resort.
        forward = 5.0 if t >= self.shot_due else 12.0
        weight = np.exp(sign * gap[:, 0] / forward - np.hypot(*gap.T) / 25.0) * np.where(
            self.keeper[mates], 0.1, 1
        )
        to = int(rng.choice(mates, p=weight / weight.sum()))
        end = _clamp(pos[to] + rng.normal(0.0, 1.0, 2))
        length = float(np.hypot(*(end - pos[c])))
        complete = bool(rng.random() < 0.95 - length / 120.0)
        if not complete:  # cut out short of the target by the nearest opponent
            end = _clamp(pos[c] + (end - pos[c]) * rng.uniform(0.4, 0.9) + rng.normal(0.0, 3.0, 2))
            to = self.nearest_opponent(c, end)
        high = bool(length > 25.0 and rng.random() < 0.5)
        t1 = t + int(1000 * max(0.3, length / rng.uniform(11.0, 19.0)))  # passes travel at 11-19 m/s
        self.flight = _Flight(t, t1, self.ball.copy(), end, min(12.0, 0.2 * length) if high else 0.0, to)
        self.carrier = None
        return PassEvent(
            match_id=self.match_id,
            event_id=self.event_id(),
            ts=t,
            period=period,
            team=self.team(c),
            player=PlayerRef(id=self.ids[c]),
            location=_point(pos[c]),
            simulated=True,
            type="pass",
            pass_=PassBody(
                end_location=_point(end),
                recipient=PlayerRef(id=self.ids[to]) if complete else None,
                outcome=None if complete else "Incomplete",
                height="High Pass" if high else "Ground Pass",
            ),
        )

    def shoot(self, t: int, period: int, c: int, sign: float, to_goal: float) -> ShotEvent:
        rng, pos = self.rng, self.pos
        p_goal = float(np.clip(0.4 * np.exp(-(to_goal - 6.0) / 9.0), 0.02, 0.4))  # rare from range
        outcome = str(rng.choice(_OUTCOMES, p=[p_goal, *((1.0 - p_goal) * np.array([0.35, 0.4, 0.25]))]))
        goal_x = sign * HALF_LENGTH_M
        if outcome in ("Goal", "Saved"):
            end = np.array([goal_x, rng.uniform(-3.3, 3.3), rng.uniform(0.0, 2.3)])
        elif outcome == "Off T":
            end = np.array([goal_x, rng.choice([-1.0, 1.0]) * rng.uniform(3.9, 12.0), rng.uniform(0.0, 4.0)])
        else:  # blocked a few metres in front of the shooter
            near = pos[c] + (np.array([goal_x, 0.0]) - pos[c]) * rng.uniform(0.1, 0.3)
            end = np.append(near, rng.uniform(0.0, 1.0))
        flight_ms = int(1000 * max(0.2, np.hypot(*(end[:2] - pos[c])) / 24.0))  # shots at ~24 m/s
        restart = t + flight_ms + (5000 if outcome == "Goal" else 1500)
        self.flight = _Flight(
            t, t + flight_ms, self.ball.copy(), end[:2], float(end[2]), None, restart, outcome
        )
        self.carrier = None
        self.shot_due = t + int(rng.exponential(_MEAN_SHOT_GAP_S * 1000))
        mate = self.home == self.home[c]
        frozen = [
            FreezeFramePlayer(
                x=round(float(pos[j, 0]), 2),
                y=round(float(pos[j, 1]), 2),
                teammate=bool(mate[j]),
                keeper=bool(self.keeper[j]),
                player=PlayerRef(id=self.ids[j]),
            )
            for j in range(22)
            if j != c
        ]
        pressed = float(np.hypot(*(pos[self.nearest_opponent(c, pos[c])] - pos[c]))) < 2.5
        foot = str(rng.choice(["Right Foot", "Left Foot", "Head"], p=[0.6, 0.25, 0.15]))
        return ShotEvent(
            match_id=self.match_id,
            event_id=self.event_id(),
            ts=t,
            period=period,
            team=self.team(c),
            player=PlayerRef(id=self.ids[c]),
            location=_point(pos[c]),
            simulated=True,
            type="shot",
            shot=ShotBody(
                outcome=outcome,
                body_part=foot,
                technique="Normal",
                shot_type="Open Play",
                play_pattern="Regular Play",
                end_location=[round(float(v), 2) for v in end],
                first_time=bool(rng.random() < 0.3),
                under_pressure=pressed,
                freeze_frame=frozen,
            ),
        )

    def advance_ball(self, t: int) -> None:
        """Move the ball along its flight; when it arrives the receiver (or the restart) takes it."""
        fl = self.flight
        if fl is None:
            return
        s = min(1.0, (t - fl.t0) / max(1, fl.t1 - fl.t0))
        self.ball = fl.p0 + (fl.p1 - fl.p0) * s
        # A pass flies a parabola to its peak; a shot rises straight to the height it ends at.
        self.ball_z = 4.0 * fl.z_m * s * (1.0 - s) if fl.receiver is not None else fl.z_m * s
        if s < 1.0 or t < fl.restart_ms:
            return
        self.flight, self.ball_z, self.next_decision = None, 0.0, t + 1000
        if fl.receiver is not None:
            self.carrier = fl.receiver
            self.next_decision = t + int(self.rng.uniform(800, 3000))
            return
        shooter_home = bool(fl.p1[0] * self.home_sign > 0)  # the shot went toward home's target goal
        if fl.outcome == "Goal":  # the team that conceded kicks off; the ball is carried back
            self.ball = np.zeros(2)
            self.carrier = _KICKERS[1] if shooter_home else _KICKERS[0]
        elif fl.outcome == "Blocked":  # the nearest defender keeps it
            self.carrier = self.nearest_opponent(0 if shooter_home else 11, self.ball)
        else:  # saved or wide: the defending keeper restarts
            self.carrier = _KEEPERS[1] if shooter_home else _KEEPERS[0]

    def move(self, dt: float) -> None:
        """Step the players toward their targets, then the ball with its carrier."""
        signs = self.signs()
        # The team on the ball pushes up, the other drops off.
        owner = self.carrier if self.flight is None else self.flight.receiver
        push = 0.0 if owner is None else np.where(self.home == self.home[owner], 5.0, -3.0)
        # Teams shift with where play is, not with every touch: the shape follows a smoothed ball.
        self.shape_ball = self.shape_ball + (self.ball - self.shape_ball) * min(1.0, dt / 1.0)
        tg = team_shape_targets(self.slots, self.keeper, signs, self.shape_ball, push)[0]
        if self.carrier is not None:  # the carrier dribbles toward goal
            aim = np.array([signs[self.carrier] * HALF_LENGTH_M, 0.0]) - self.pos[self.carrier]
            tg[self.carrier] = self.pos[self.carrier] + aim * min(1.0, 3.0 / max(float(np.hypot(*aim)), 1e-9))
        elif self.flight is not None and self.flight.receiver is not None:
            tg[self.flight.receiver] = self.flight.p1
        self.pos = self.motion.step(tg, dt)
        if self.carrier is not None:
            # The ball goes to half a metre ahead of the carrier's feet at <= 30 m/s (no jumps).
            gap = self.pos[self.carrier] + np.array([0.5 * signs[self.carrier], 0.0]) - self.ball
            self.ball = self.ball + gap * min(1.0, 30.0 * dt / max(float(np.hypot(*gap)), 1e-9))

    def frame(self, k: int, t: int, period: int) -> TrackingFrame:
        pos = np.round(self.pos, 2).tolist()
        objects = [
            TrackedObject(id=self.ids[j], team=self.team(j), role=self.roles[j], x=x, y=y)
            for j, (x, y) in enumerate(pos)
        ]
        bx, by = np.round(_clamp(self.ball), 2).tolist()
        objects.append(
            TrackedObject(id="ball", team="ball", role="ball", x=bx, y=by, z=round(self.ball_z, 2))
        )
        return TrackingFrame(
            match_id=self.match_id,
            sport="soccer",
            frame=k,
            ts=t,
            period=period,
            objects=objects,
            home_attack=1 if self.home_sign > 0 else -1,
            simulated=True,
        )


def _point(xy: FloatArray) -> list[float]:
    return [round(float(v), 2) for v in _clamp(xy)]


def synthetic_match(
    match_id: str, *, start_ms: int, hz: float, seed: int
) -> Iterator[TrackingFrame | MatchEvent]:
    """An endless simulated soccer match: a frame every ``1000 / hz`` ms of event time from ``start_ms``.

    22 players (``h1``-``h11`` home, ``a1``-``a11`` away; ``h1`` and ``a1`` keep goal) and the ball
    (``ball``) in every frame. Period 1 for the first 45 simulated minutes, then period 2 for ever
    (home attacks ``+x``, then ``-x``). A pass every few seconds; a shot, with a freeze frame of the
    other 21 players, every ~2-3 simulated minutes. An event comes before the frame of the same ``ts``;
    every message is ``simulated=True``. Deterministic for a given ``seed``.
    """
    if not hz > 0:
        raise ValueError(f"hz must be positive, got {hz}")
    match = _Match(match_id, np.random.default_rng(seed))
    k = 0
    while True:
        sim_ms = round(k * 1000 / hz)
        t = start_ms + sim_ms
        period = 1 if sim_ms < _HALF_MS else 2
        if period == 2 and match.home_sign > 0:  # half-time: ends swap, the away team kicks off
            match.half_time(t)
        match.advance_ball(t)
        event = match.decide(t, period)
        if event is not None:
            yield event
        match.move(1.0 / hz)
        yield match.frame(k, t, period)
        k += 1


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
