"""The load generator's match: an endless synthetic soccer match, frame by frame, with passes and shots.

Nothing here is real: 22 players in a 4-4-2 move with :class:`stream.sources.simulate.PlayerMotion` toward a
team shape that follows the ball, the ball goes from carrier to receiver, and a shot comes every few
simulated minutes. Every message is labelled ``simulated=True``. Pure and seeded like
:mod:`stream.sources.simulate`: no clock, no I/O; times are event time (epoch milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..contracts import (
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
from .simulate import HALF_LENGTH_M, PlayerMotion, clamp_to_pitch, position_template, team_shape_targets

__all__ = ["synthetic_match"]

FloatArray = npt.NDArray[np.float64]

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

    def __init__(self, match_id: str, rng: np.random.Generator, session: int) -> None:
        self.match_id, self.rng = match_id, rng
        self.session = session  # one run of the generator: a later run supersedes it
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
        end = clamp_to_pitch(pos[to] + rng.normal(0.0, 1.0, 2))
        length = float(np.hypot(*(end - pos[c])))
        complete = bool(rng.random() < 0.95 - length / 120.0)
        if not complete:  # cut out short of the target by the nearest opponent
            end = clamp_to_pitch(pos[c] + (end - pos[c]) * rng.uniform(0.4, 0.9) + rng.normal(0.0, 3.0, 2))
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
        bx, by = np.round(clamp_to_pitch(self.ball), 2).tolist()
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
            session=self.session,
        )


def _point(xy: FloatArray) -> list[float]:
    return [round(float(v), 2) for v in clamp_to_pitch(xy)]


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
    match = _Match(match_id, np.random.default_rng(seed), session=start_ms)
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
