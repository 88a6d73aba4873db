"""A real match as a replay plan: its StatsBomb events plus simulated tracking, in event-time order.

Tracking frames are simulated (``simulated=True``): the ball runs through the events' locations;
players keep a formation shifted toward the ball, run to where the events put them, and move with
:class:`stream.sources.simulate.PlayerMotion`. No real full-match tracking feed is used. Times, directions
and the event records follow :mod:`stream.sources.statsbomb`'s conventions.

A plan is lazy: the motion is simulated once, up front, and kept as numpy arrays; each
:class:`~stream.contracts.TrackingFrame` is built only when the plan is iterated, so a whole match at
25 Hz (~150,000 frames, ~3.4 million tracked objects) never sits in memory as records.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..contracts import (
    GenericEvent,
    MatchEvent,
    PassEvent,
    PlayerRef,
    ShotEvent,
    TrackedObject,
    TrackingFrame,
)
from .simulate import PlayerMotion, position_template, pull_to_anchors, team_shape_targets
from .statsbomb import (
    ReplayDataError,
    TimedEvent,
    check_match_id,
    convert_events,
    home_sign,
    match_clock_s,
    name_of,
    sub_object,
)

__all__ = ["MatchPlan", "PlannedMessage", "plan_match"]

FloatArray = npt.NDArray[np.float64]
Role = Literal["player", "goalkeeper"]
Team = Literal["home", "away"]
Slot = tuple[int, str, Team, Role]  # (slot, player id, team, role) of a player on the pitch

_SENT_OFF = {"Red Card", "Second Yellow"}
# Events whose location is a player's, not the ball's: the ball path skips them.
_OFF_BALL = {"Pressure", "Dribbled Past", "Player Off", "Player On", "Substitution", "Tactical Shift"}
_CHUNK = 512  # frames turned into Python values per numpy call while iterating


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message of a replay: produce ``record`` on ``topic`` when event time reaches ``ts`` (ms)."""

    ts: int
    topic: Literal["tracking", "events"]
    record: TrackingFrame | MatchEvent


@dataclass(frozen=True, slots=True)
class _FrameBlock:
    """One period's simulated frames as arrays; :func:`_frame_messages` makes the records."""

    period: int
    first: int  # number of the block's first frame; frames are numbered from 0 across the match
    ts: npt.NDArray[np.int64]  # (F,) epoch ms
    epoch: npt.NDArray[np.intp]  # (F,) index of the line-up on the pitch
    players: FloatArray  # (F, n, 2) metres, rounded to centimetres
    ball: FloatArray  # (F, 3) x, y, z metres, rounded to centimetres

    def until(self, cutoff_ms: int) -> _FrameBlock:
        k = int(np.searchsorted(self.ts, cutoff_ms, side="right"))
        return _FrameBlock(
            self.period, self.first, self.ts[:k], self.epoch[:k], self.players[:k], self.ball[:k]
        )


@dataclass(frozen=True, slots=True, eq=False)
class MatchPlan:
    """The replay of one match, made by :func:`plan_match`: iterating yields every
    :class:`PlannedMessage` sorted by ``ts`` (an event before a frame of the same ``ts``), building
    each tracking frame as it goes. Iterating again yields the same messages. ``kickoff_ms`` is the
    start of period 1 (epoch ms)."""

    match_id: str
    kickoff_ms: int
    _events: tuple[PlannedMessage, ...] = field(repr=False)
    _blocks: tuple[_FrameBlock, ...] = field(repr=False)
    _rosters: tuple[tuple[Slot, ...], ...] = field(repr=False)  # who is on the pitch, per line-up

    @property
    def events(self) -> int:
        """Number of event messages (real StatsBomb events)."""
        return len(self._events)

    @property
    def frames(self) -> int:
        """Number of tracking-frame messages (simulated)."""
        return sum(len(block.ts) for block in self._blocks)

    def __len__(self) -> int:
        return self.events + self.frames

    def __iter__(self) -> Iterator[PlannedMessage]:
        frames = _frame_messages(self.match_id, self.kickoff_ms, self._blocks, self._rosters)
        # heapq.merge is stable: at equal ts the event (first iterable) comes before the frame.
        return heapq.merge(self._events, frames, key=lambda m: m.ts)

    def until(self, minutes: float) -> MatchPlan:
        """Only the messages with ``ts <= kickoff_ms + minutes``: minutes of event time from the
        kick-off, the half-time break included (frame numbers are kept)."""
        cutoff = self.kickoff_ms + int(minutes * 60_000)
        events = tuple(m for m in self._events if m.ts <= cutoff)
        blocks = tuple(b.until(cutoff) for b in self._blocks)
        return MatchPlan(self.match_id, self.kickoff_ms, events, blocks, self._rosters)


def _frame_messages(
    match_id: str, session: int, blocks: tuple[_FrameBlock, ...], rosters: tuple[tuple[Slot, ...], ...]
) -> Iterator[PlannedMessage]:
    """The tracking frames (``simulated``) of ``blocks``, in order, made one at a time; ``session``
    (the kick-off time) marks them as one run of the replay."""
    for block in blocks:
        attack: Literal[1, -1] = 1 if home_sign(block.period) > 0 else -1
        start = int(block.ts[0]) if len(block.ts) else 0  # the period's first frame is at its start
        for lo in range(0, len(block.ts), _CHUNK):
            hi = min(lo + _CHUNK, len(block.ts))
            # One tolist() per chunk: numpy hands out Python floats fast in bulk, slowly one by one.
            # Flat rows (x0, y0, x1, y1, ...) make one list per frame, not one per player: fewer
            # container objects for the cyclic garbage collector to count and scan.
            rows = zip(
                block.ts[lo:hi].tolist(),
                block.epoch[lo:hi].tolist(),
                block.ball[lo:hi].tolist(),
                block.players[lo:hi].reshape(hi - lo, 2 * block.players.shape[1]).tolist(),
                strict=True,
            )
            for k, (ts, e, (bx, by, bz), xy) in enumerate(rows, start=block.first + lo):
                clock = match_clock_s(block.period, ts - start)
                objects = [TrackedObject(id="ball", team="ball", role="ball", x=bx, y=by, z=bz)]
                objects += [
                    TrackedObject(id=pid, team=team, role=role, x=xy[2 * j], y=xy[2 * j + 1])
                    for j, pid, team, role in rosters[e]
                ]
                frame = TrackingFrame(
                    match_id=match_id,
                    sport="soccer",
                    frame=k,
                    ts=ts,
                    period=block.period,
                    objects=objects,
                    home_attack=attack,
                    simulated=True,
                    session=session,
                    clock_s=clock,
                )
                yield PlannedMessage(ts, "tracking", frame)


# --- who is on the pitch ---------------------------------------------------------------------------


@dataclass
class _Epoch:
    """The players on the pitch from ``ts`` (ms) until the next epoch: one slot per starting player."""

    ts: int
    ids: list[str]
    roles: list[Role]
    templates: FloatArray  # (n, 2) metres, own attacking frame
    active: list[bool]

    def copy(self, ts: int) -> _Epoch:
        return _Epoch(ts, list(self.ids), list(self.roles), self.templates.copy(), list(self.active))

    def slot_of(self, player_id: str) -> int | None:
        return self.ids.index(player_id) if player_id in self.ids else None


def _lineup(event: dict[str, Any]) -> list[tuple[str, Role, tuple[float, float]]]:
    rows = []
    for entry in (event.get("tactics") or {}).get("lineup") or []:
        position = name_of(entry.get("position"))
        role: Role = "goalkeeper" if position == "Goalkeeper" else "player"
        rows.append((str(entry["player"]["id"]), role, position_template(position)))
    return rows


def _epochs(
    events: list[dict[str, Any]], order: list[int], ts: list[int], home: str
) -> tuple[list[_Epoch], int]:
    """Line-ups over time: substitutions swap a slot's player, tactical shifts move its template,
    a red card empties it. Returns the epochs and the number of home slots (home slots come first)."""
    starting: dict[str, list[tuple[str, Role, tuple[float, float]]]] = {}
    for event in events:
        team = name_of(event.get("team"), 200)
        if name_of(event.get("type")) == "Starting XI" and team is not None and team not in starting:
            starting[team] = _lineup(event)
    away = [team for team in starting if team != home]
    if home not in starting or not away:
        raise ReplayDataError(
            f"the events need a 'Starting XI' for both teams (found {sorted(starting)}, home {home!r}): "
            "the tracking simulation places players from the line-ups"
        )
    rows = starting[home] + starting[away[0]]
    n_home = len(starting[home])
    state = _Epoch(
        0, [r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows]), [True] * len(rows)
    )
    epochs = [state]
    for n in order:
        event, kind = events[n], name_of(events[n].get("type"))
        player = str((event.get("player") or {}).get("id"))
        if kind == "Substitution":
            slot = state.slot_of(player)
            new = ((event.get("substitution") or {}).get("replacement") or {}).get("id")
            if slot is None or new is None:
                continue
            state = state.copy(ts[n])
            state.ids[slot] = str(new)
        elif kind == "Tactical Shift":
            state = state.copy(ts[n])
            for pid, role, template in _lineup(event):
                slot = state.slot_of(pid)
                if slot is not None:
                    state.roles[slot], state.templates[slot] = role, template
        elif name_of(sub_object(event, kind or "").get("card")) in _SENT_OFF:
            slot = state.slot_of(player)
            if slot is None:
                continue
            state = state.copy(ts[n])
            state.active[slot] = False
        else:
            continue
        epochs.append(state)
    return epochs, n_home


# --- simulated tracking ----------------------------------------------------------------------------


def _ball(timed: list[TimedEvent], start: int, frame_ts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Ball ``(F, 2)`` metres and height ``(F,)`` metres: piecewise linear through the events' ball
    locations (and pass/carry/shot ends at ts + duration), from the centre spot at kick-off."""
    way_t, way_xy = [float(start)], [[0.0, 0.0]]
    for ev in timed:
        # A failed receipt is where the receiver was, not where the ball went.
        failed = isinstance(ev.record, GenericEvent) and ev.kind == "Ball Receipt*" and ev.record.body
        if ev.record.location is not None and ev.kind not in _OFF_BALL and not failed:
            way_t.append(float(ev.ts))
            way_xy.append(ev.record.location[:2])
        if ev.end is not None:
            way_t.append(float(ev.ts + ev.duration))
            way_xy.append(ev.end[:2])
    order = np.argsort(way_t, kind="stable")
    # np.interp needs increasing times; a microsecond per waypoint separates equal ones.
    t = np.asarray(way_t)[order] + np.arange(len(order)) * 1e-3
    xy = np.asarray(way_xy)[order]
    ball = np.stack([np.interp(frame_ts, t, xy[:, 0]), np.interp(frame_ts, t, xy[:, 1])], axis=-1)
    z = np.zeros(len(frame_ts))
    for ev in timed:  # lofted passes fly a parabola; shots rise straight to the height they end at
        peak = 0.0
        if isinstance(ev.record, PassEvent) and ev.record.pass_.height in ("High Pass", "Low Pass"):
            a, b = ev.record.location or [0.0, 0.0], ev.end or [0.0, 0.0]
            length = math.hypot(b[0] - a[0], b[1] - a[1])
            peak = min(max(0.15 * length, 2.0), 15.0) if ev.record.pass_.height == "High Pass" else 1.0
        elif ev.end is not None and len(ev.end) > 2 and isinstance(ev.record, ShotEvent):
            peak = ev.end[2]
        if peak <= 0.0 or ev.duration <= 0:
            continue
        lo, hi = np.searchsorted(frame_ts, [ev.ts, ev.ts + ev.duration])
        s = (frame_ts[lo:hi] - ev.ts) / ev.duration
        z[lo:hi] = 4.0 * peak * s * (1.0 - s) if isinstance(ev.record, PassEvent) else peak * s
    return ball, z


@dataclass
class _Anchors:
    """Moments where the events say a player stood: times (ms), slots, pitch positions (m)."""

    ts: list[float]
    slots: list[int]
    xy: list[list[float]]

    def pull(self, targets: FloatArray, frame_ts: FloatArray, **timing: float) -> FloatArray:
        """``targets`` pulled toward the anchors that fall within ``frame_ts``."""
        at = np.asarray(self.ts, dtype=np.float64)
        near = np.flatnonzero((at >= frame_ts[0]) & (at <= frame_ts[-1]))
        slots = np.asarray(self.slots, dtype=np.intp)[near]
        xy = np.asarray(self.xy, dtype=np.float64).reshape(-1, 2)[near]
        return pull_to_anchors(targets, frame_ts, at[near], slots, xy, **timing)


def _anchors(timed: list[TimedEvent], epochs: list[_Epoch]) -> tuple[_Anchors, _Anchors]:
    """Where events put players: (1) the actor at each event and a carrier at the carry's end;
    (2) at each shot, the shooter and every visible player of the freeze frame."""
    epoch_ts = [e.ts for e in epochs]
    acts, shots = _Anchors([], [], []), _Anchors([], [], [])

    def add(into: _Anchors, t: int, player: PlayerRef | None, where: list[float] | None) -> None:
        if player is None or where is None:
            return
        slot = epochs[int(np.searchsorted(epoch_ts, t, side="right")) - 1].slot_of(player.id)
        if slot is not None:
            into.ts.append(float(t))
            into.slots.append(slot)
            into.xy.append(where[:2])

    for ev in timed:
        add(acts, ev.ts, ev.record.player, ev.record.location)
        if ev.kind == "Carry":
            add(acts, ev.ts + ev.duration, ev.record.player, ev.end)
        if isinstance(ev.record, ShotEvent) and ev.record.shot.freeze_frame:
            add(shots, ev.ts, ev.record.player, ev.record.location)
            for ff in ev.record.shot.freeze_frame:
                add(shots, ev.ts, ff.player, [ff.x, ff.y])
    return acts, shots


@dataclass(frozen=True, slots=True)
class _Period:
    """One period's frame times (epoch ms), ball ``(F, 2)`` and height ``(F,)`` metres, line-up epoch
    per frame, and the players' targets ``(F, n, 2)`` metres."""

    period: int
    ts: npt.NDArray[np.int64]
    ball: FloatArray
    z: FloatArray
    epoch: npt.NDArray[np.intp]
    targets: FloatArray


def _period(
    period: int,
    span: tuple[int, int],
    timed: list[TimedEvent],
    epochs: list[_Epoch],
    n_home: int,
    home: str,
    hz: float,
) -> _Period:
    """Ball path and player targets of one period (everything but the motion)."""
    start, length = span
    n = len(epochs[0].ids)
    is_home = np.arange(n) < n_home
    frame_ts = start + np.round(np.arange(math.floor(length * hz / 1000) + 1) * 1000 / hz).astype(np.int64)
    ft = frame_ts.astype(np.float64)
    mine = [ev for ev in timed if ev.period == period]
    ball, z = _ball(mine, start, ft)
    # The team on the ball pushes up 5 m, the other drops 3 m (possession of the latest event).
    ev_ts = np.array([ev.ts for ev in mine] or [start])
    owner = np.array([ev.possession == home for ev in mine] or [True])
    latest = np.searchsorted(ev_ts, frame_ts, side="right") - 1
    on_ball = np.where(owner[np.maximum(latest, 0)][:, None] == is_home[None, :], 5.0, -3.0)
    push = np.where(latest[:, None] >= 0, on_ball, 0.0)
    epoch = np.searchsorted([e.ts for e in epochs], frame_ts, side="right") - 1
    templates = np.stack([e.templates for e in epochs])[epoch]
    keepers = np.array([[r == "goalkeeper" for r in e.roles] for e in epochs])[epoch]
    signs = np.where(is_home, home_sign(period), -home_sign(period))
    targets = team_shape_targets(templates, keepers, signs, ball, push)
    acts, shots = _anchors(mine, epochs)
    targets = acts.pull(targets, ft, lead_ms=3000.0, settle_ms=1000.0, hold_ms=1500.0)
    # Set pieces gather players in the box over many seconds: freeze frames pull from 12 s before.
    targets = shots.pull(targets, ft, lead_ms=12_000.0, settle_ms=2000.0, hold_ms=2000.0)
    return _Period(period, frame_ts, ball, z, epoch, targets)


def _move(periods: list[_Period], n_home: int, seed: int, hz: float) -> tuple[_FrameBlock, ...]:
    """Players' positions ``(F, n, 2)`` per period, from the targets, with the motion model; as frame
    blocks rounded to centimetres, frames numbered from 0 across the match."""
    n = periods[0].targets.shape[1]
    # Periods are independent, so they move at once as one set of objects: one pass of the
    # sequential motion loop instead of one per period.
    stacked = np.empty((max(len(p.ts) for p in periods), n * len(periods), 2))
    for k, p in enumerate(periods):  # filled in place: a whole match's targets are ~50 MB at 25 Hz
        stacked[: len(p.ts), k * n : (k + 1) * n] = p.targets
        stacked[len(p.ts) :, k * n : (k + 1) * n] = p.targets[-1]  # a shorter period's players wait
    own = np.concatenate([np.where(np.arange(n) < n_home, 1, -1) * home_sign(p.period) for p in periods])
    kickoff = stacked[0].copy()
    kickoff[:, 0] = own * np.minimum(own * kickoff[:, 0], -1.0)  # everybody starts in their own half
    moved = PlayerMotion(kickoff, rng=np.random.default_rng(seed)).run(stacked, 1.0 / hz)
    del stacked  # before the rounded copies below are made: it is as big as they are together
    blocks, first = [], 0
    for k, p in enumerate(periods):
        xy = np.round(moved[: len(p.ts), k * n : (k + 1) * n], 2)
        ball = np.round(np.concatenate([p.ball, p.z[:, None]], axis=1), 2)
        blocks.append(_FrameBlock(p.period, first, p.ts, p.epoch, xy, ball))
        first += len(p.ts)
    return tuple(blocks)


def plan_match(
    events: list[dict[str, Any]],
    match_id: str,
    *,
    kickoff_ms: int,
    tracking_hz: float,
    home_team: str | None = None,
    break_ms: int = 60_000,
    seed: int = 0,
) -> MatchPlan:
    """The replay of one match: one event message per StatsBomb event plus simulated tracking frames
    at ``tracking_hz`` over every period, sorted by ``ts`` (epoch ms; an event before a frame of the
    same ``ts``). ``home_team`` defaults to the team of the first 'Starting XI' event; ``break_ms`` is
    the pause between periods. Deterministic for a given ``seed``. See :mod:`stream.sources.statsbomb` for the
    time and direction conventions."""
    check_match_id(match_id)
    if not tracking_hz > 0 or kickoff_ms < 0 or break_ms < 0:
        raise ReplayDataError(
            "tracking_hz must be > 0 and kickoff_ms, break_ms >= 0; "
            f"got {tracking_hz}, {kickoff_ms}, {break_ms}"
        )
    match = convert_events(events, match_id, kickoff_ms=kickoff_ms, break_ms=break_ms, home_team=home_team)
    timed, spans, home = match.events, match.spans, match.home
    order = sorted(range(len(timed)), key=lambda n: timed[n].ts)  # stable: file order at equal ts
    epochs, n_home = _epochs(events, order, [t.ts for t in timed], home)
    messages = tuple(PlannedMessage(timed[n].ts, "events", timed[n].record) for n in order)
    in_order = [timed[n] for n in order]
    periods = [_period(p, spans[p], in_order, epochs, n_home, home, tracking_hz) for p in sorted(spans)]
    blocks = _move(periods, n_home, seed, tracking_hz)
    n = len(epochs[0].ids)
    teams: list[Team] = ["home" if j < n_home else "away" for j in range(n)]
    rosters = tuple(
        tuple((j, e.ids[j], teams[j], e.roles[j]) for j in range(n) if e.active[j]) for e in epochs
    )
    return MatchPlan(match_id, kickoff_ms, messages, blocks, rosters)
