"""Live features of one match: player slots, kinematic state, the frame history shots look up, and
the payloads of the ``player_stats`` and ``team_stats`` outputs.

A *slot* is a player id, numbered in order of first appearance and kept for the match, so the
kinematic arrays of :mod:`features.kinematics` line up frame after frame. Officials are not players
here; an object off the pitch (beyond the run-off, a tracking glitch) is left out of the frame's
features and counted; a frame without a ball has no ball carrier and is counted. The state
survives a worker restart inside its match's checkpoint (:mod:`stream.match.state`); the frame
history does not (it refills from the next frames).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from features.coordinates import as_complex
from features.frame import FrameFeatures, frame_features
from features.kinematics import KinematicState, grow_state, new_state
from features.spatial import BallCarrier, TeamShape, lines_label

from ..contracts import SOCCER_X_LIMIT, SOCCER_Y_LIMIT, TrackedObject, TrackingFrame
from .frame_history import FrameHistory, Snapshot
from .scoreboard import Scoreboard

__all__ = ["FrameInputs", "MatchLive"]

_SIDES = ("home", "away")
_NO_BALL = np.array([np.nan, np.nan])


def num(value: float, digits: int = 2) -> float | None:
    """A float for a JSON payload: rounded, ``None`` for NaN or infinity."""
    return round(value, digits) if math.isfinite(value) else None


BoolArray = npt.NDArray[np.bool_]


def _inside(sport: str, coords: npt.NDArray[np.float64]) -> BoolArray:
    """:func:`~stream.contracts.on_pitch` for every row of ``coords`` at once."""
    if sport != "soccer":
        return np.ones(len(coords), dtype=bool)
    return (np.abs(coords[:, 0]) <= SOCCER_X_LIMIT) & (np.abs(coords[:, 1]) <= SOCCER_Y_LIMIT)


class FrameInputs(NamedTuple):
    """The arguments of :func:`~features.frame.frame_features` for one frame of a match."""

    state: KinematicState
    t: float
    xy: npt.NDArray[np.float64]
    present: BoolArray
    team: npt.NDArray[np.int64]
    keeper: BoolArray
    ball: npt.NDArray[np.float64]
    ball_z: float


@dataclass(slots=True)
class _Layout:
    """Where the players and the ball are among a frame's objects, and each player's slot (-1: none
    yet; given once the player is first seen on the pitch)."""

    key: tuple[tuple[str, str, str], ...]
    objects: npt.NDArray[np.int64]
    slots: npt.NDArray[np.int64]
    away: BoolArray
    keeper: BoolArray
    ball: int


class MatchLive:
    """Everything the worker keeps in memory about one match's tracking (one feed session)."""

    def __init__(self, match_id: str, session: int, roster_max: int, history_ms: int) -> None:
        self.match_id = match_id
        self.session = session
        self.roster_max = roster_max
        self.ids: list[str] = []
        self.slots: dict[str, int] = {}
        self.team = np.zeros(0, dtype=np.int64)
        self.keeper = np.zeros(0, dtype=bool)
        self.state: KinematicState = new_state(0)
        self.history = FrameHistory(history_ms)
        self.last_stats_ts: int | None = None
        self.period = 1
        self._layout: _Layout | None = None
        # Per object of the last frame observed: whether it was within the pitch (and run-off).
        self.inside: list[bool] = []

    # --- one frame ---------------------------------------------------------------------------

    def observe(self, frame: TrackingFrame, counts: Counter[str]) -> tuple[Snapshot, FrameFeatures]:
        """Advance the match by one (newer) frame; returns the frame as kept and its features.
        Afterwards :attr:`inside` says, per object of the frame, whether it was within the pitch.
        The worker does the same in three steps (:meth:`prepare`, the features of a whole wave of
        matches at once, :meth:`finish`)."""
        inputs = self.prepare(frame, counts)
        result = frame_features(*inputs)
        return self.finish(frame, inputs, result, counts), result[1]

    def prepare(self, frame: TrackingFrame, counts: Counter[str]) -> FrameInputs:
        """The inputs of :func:`~features.frame.frame_features` for this frame, in slot order."""
        objects = frame.objects
        layout = self._layout_for(objects)
        coords = np.array([(o.x, o.y) for o in objects], dtype=np.float64).reshape(-1, 2)
        inside = _inside(frame.sport, coords)
        self.inside = inside.tolist()
        players = layout.objects
        in_players = inside[players]
        off = len(players) - int(in_players.sum())
        if off:
            counts["object_off_pitch"] += off
        slots = layout.slots
        if (slots[in_players] < 0).any():  # first seen on the pitch now: give them a slot
            full = self._assign(layout, objects, in_players)
            if full:
                counts["roster_full"] += full
        usable = in_players & (slots >= 0)
        rows = slots[usable]
        n = len(self.ids)
        if n > len(self.team):
            self.state = grow_state(self.state, n)
            self.team = np.concatenate([self.team, np.zeros(n - len(self.team), dtype=np.int64)])
            self.keeper = np.concatenate([self.keeper, np.zeros(n - len(self.keeper), dtype=bool)])
        xy = np.full((n, 2), np.nan)
        present = np.zeros(n, dtype=bool)
        if len(rows):
            xy[rows] = coords[players[usable]]
            present[rows] = True
            self.team[rows] = layout.away[usable]
            self.keeper[rows] = layout.keeper[usable]
        ball_xy, ball_z = self._ball(frame, layout.ball, inside, counts)
        return FrameInputs(
            self.state, frame.ts / 1000.0, xy, present, self.team, self.keeper, ball_xy, ball_z
        )

    def finish(
        self,
        frame: TrackingFrame,
        prepared: FrameInputs,
        result: tuple[KinematicState, FrameFeatures],
        counts: Counter[str],
    ) -> Snapshot:
        """Take in the features computed from :meth:`prepare`'s inputs; returns the frame as kept."""
        self.state, features = result
        rejected = int(features.motion.rejected.sum())
        if rejected:
            counts["position_out_of_order"] += rejected
        snapshot = Snapshot(
            frame.ts,
            tuple(self.ids),
            prepared.xy,
            prepared.present,
            self.team.copy(),
            self.keeper.copy(),
            prepared.ball,
            frame.home_attack,
            frame.simulated,
        )
        self.history.add(snapshot)
        self.period = frame.period
        return snapshot

    def _layout_for(self, objects: Sequence[TrackedObject]) -> _Layout:
        """Which objects are players, and their slots: the same from frame to frame while the feed
        sends the same objects in the same order, so worked out only when that changes."""
        key = tuple([(o.id, o.team, o.role) for o in objects])
        if self._layout is not None and self._layout.key == key:
            return self._layout
        players: list[int] = []
        ball = -1
        for index, obj in enumerate(objects):
            if obj.role == "ball":
                ball = index
            elif not (obj.team == "officials" or obj.role == "referee" or obj.team == "ball"):
                players.append(index)
        picked = [objects[i] for i in players]
        self._layout = _Layout(
            key,
            np.asarray(players, dtype=np.int64),
            np.asarray([self.slots.get(o.id, -1) for o in picked], dtype=np.int64),
            np.asarray([o.team == "away" for o in picked], dtype=bool),
            np.asarray([o.role == "goalkeeper" for o in picked], dtype=bool),
            ball,
        )
        return self._layout

    def _assign(self, layout: _Layout, objects: Sequence[TrackedObject], in_players: BoolArray) -> int:
        """Slots for the players on the pitch without one; returns how many the full roster left out."""
        full = 0
        for k in np.flatnonzero(in_players & (layout.slots < 0)):
            obj = objects[int(layout.objects[k])]
            slot = self.slots.get(obj.id)
            if slot is None:
                if len(self.ids) >= self.roster_max:
                    full += 1
                    continue
                slot = self.slots[obj.id] = len(self.ids)
                self.ids.append(obj.id)
            layout.slots[k] = slot
        return full

    @staticmethod
    def _ball(
        frame: TrackingFrame, index: int, inside: BoolArray, counts: Counter[str]
    ) -> tuple[npt.NDArray[np.float64], float]:
        if index < 0:
            counts["frame_without_ball"] += 1
            return _NO_BALL, 0.0
        if not inside[index]:
            counts["object_off_pitch"] += 1
            return _NO_BALL, 0.0
        ball = frame.objects[index]
        return np.array([ball.x, ball.y]), ball.z or 0.0

    def stats_due(self, ts: int, interval_ms: float) -> bool:
        if self.last_stats_ts is not None and ts - self.last_stats_ts < interval_ms:
            return False
        self.last_stats_ts = ts
        return True

    # --- payloads ----------------------------------------------------------------------------

    def carrier_payload(self, carrier: BallCarrier) -> dict[str, Any] | None:
        if carrier.player < 0:
            return None
        return {
            "id": self.ids[carrier.player],
            "side": _SIDES[int(self.team[carrier.player])],
            "distance_to_ball_m": num(carrier.distance_to_ball),
            "opponents_within_5m": carrier.opponents,
            "nearest_opponent_m": num(carrier.nearest_opponent),
            "pressure": num(carrier.pressure),
        }

    @staticmethod
    def shape_payload(shape: TeamShape) -> dict[str, Any]:
        return {
            "players": shape.players,
            "centroid": [num(shape.centroid_x), num(shape.centroid_y)],
            "width_m": num(shape.width),
            "depth_m": num(shape.depth),
            "spread_m": num(shape.spread),
        }

    def frame_extra(self, features: FrameFeatures) -> dict[str, Any]:
        """What the per-frame output adds: the ball carrier and each team's shape."""
        spatial = features.spatial
        return {
            "carrier": self.carrier_payload(spatial.carrier),
            "shape": {"home": self.shape_payload(spatial.home), "away": self.shape_payload(spatial.away)},
        }

    def player_stats(self, latest: Snapshot, features: FrameFeatures, board: Scoreboard) -> dict[str, Any]:
        """Per player: current motion, running totals and separation (units in the key names), as of
        the ``latest`` frame and its ``features``; names and numbers from the ``board``'s line-ups."""
        s, motion, sep = self.state, features.motion, features.spatial.separation
        players = [
            {
                "id": pid,
                "name": board.names.get(pid),
                "number": board.number(pid),
                "side": _SIDES[int(self.team[i])],
                "on_pitch": bool(latest.present[i]),
                "speed_mps": num(float(motion.speed[i])),
                "accel_mps2": num(float(motion.accel[i])),
                "direction_deg": num(float(motion.direction[i]), 1),
                "distance_m": num(float(s.distance[i]), 1),
                "hi_distance_m": num(float(s.hi_distance[i]), 1),
                "top_speed_mps": num(float(s.top_speed[i])),
                "sprints": int(s.sprints[i]),
                "separation_m": num(float(sep[i])),
            }
            for i, pid in enumerate(self.ids)
        ]
        return {"period": self.period, "players": players}

    def team_stats(self, latest: Snapshot, features: FrameFeatures, board: Scoreboard) -> dict[str, Any]:
        """Per team: shape, a lines label, and the players' totals, as of the ``latest`` frame."""
        spatial = features.spatial
        out: dict[str, Any] = {"period": self.period, "carrier": self.carrier_payload(spatial.carrier)}
        for code, (side, shape) in enumerate((("home", spatial.home), ("away", spatial.away))):
            members = self.team == code
            outfield = latest.present & members & ~self.keeper
            sign = latest.home_attack if code == 0 else -latest.home_attack
            out[side] = {
                "name": board.teams[side],
                **self.shape_payload(shape),
                "lines": lines_label(latest.xy[outfield], sign),
                "distance_m": num(float(self.state.distance[members].sum()), 1),
                "hi_distance_m": num(float(self.state.hi_distance[members].sum()), 1),
                "sprints": int(self.state.sprints[members].sum()),
            }
        return out

    # --- checkpoint --------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """The state as JSON-able data (a Faust table value); NaN becomes ``None``."""
        state: dict[str, Any] = {}
        for name, values in zip(KinematicState._fields, self.state, strict=True):
            if np.iscomplexobj(values):
                values = np.column_stack([values.real, values.imag])
            state[name] = [None if v != v else v for v in values.ravel().tolist()]
        return {
            "session": self.session,
            "ids": list(self.ids),
            "team": self.team.tolist(),
            "keeper": self.keeper.tolist(),
            "last_stats_ts": self.last_stats_ts,
            "state": state,
        }

    @classmethod
    def restore(cls, match_id: str, data: dict[str, Any], roster_max: int, history_ms: int) -> MatchLive:
        """A match from its :meth:`checkpoint` (recovered from the table after a restart)."""
        live = cls(match_id, int(data["session"]), roster_max, history_ms)
        live.ids = [str(i) for i in data["ids"]]
        live.slots = {pid: i for i, pid in enumerate(live.ids)}
        live.team = np.asarray(data["team"], dtype=np.int64)
        live.keeper = np.asarray(data["keeper"], dtype=bool)
        live.last_stats_ts = data.get("last_stats_ts")
        fields: list[npt.NDArray[Any]] = []
        for name in KinematicState._fields:
            values = np.array([np.nan if v is None else v for v in data["state"][name]], dtype=np.float64)
            fields.append(as_complex(values).copy() if name in ("pos", "vel") else values)
        live.state = KinematicState._make(fields)
        return live
