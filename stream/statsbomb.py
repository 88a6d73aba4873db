"""A real StatsBomb match as a replay plan: its events, plus simulated tracking, in event-time order.

Conventions:

- Time: a StatsBomb ``timestamp`` ("HH:MM:SS.mmm") counts from the start of its ``period``. Period
  ``k`` starts at ``kickoff_ms + (durations of the earlier periods) + (k - 1) * break_ms``, where a
  period lasts as long as its latest ``timestamp + duration`` (rounded to whole milliseconds).
- Direction: the home team attacks ``+x`` in periods 1, 3 and 5 (the shoot-out) and ``-x`` in periods
  2 and 4. StatsBomb draws every event as if the acting team attacks left to right, so each event's
  locations (and a shot's freeze frame) are turned with
  :func:`features.coordinates.statsbomb_to_pitch` by the acting team's attack sign in that period.
  Heights (StatsBomb's ``z``, in yards like the pitch) become metres.
- Every StatsBomb event becomes exactly one event message (``simulated=False``): shots and passes with
  typed bodies, everything else as a :class:`~stream.contracts.GenericEvent`.
- Tracking frames are simulated (``simulated=True``): the ball runs through the events' locations;
  players keep a formation shifted toward the ball, run to where the events put them, and move with
  :class:`stream.simulate.PlayerMotion`. No real full-match tracking feed is used.
"""

from __future__ import annotations

import gc
import gzip
import heapq
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from features.coordinates import statsbomb_to_pitch
from models.errors import PitchsideError

from .contracts import (
    SOCCER_X_LIMIT,
    SOCCER_Y_LIMIT,
    FreezeFramePlayer,
    GenericEvent,
    MatchEvent,
    PassBody,
    PassEvent,
    PlayerRef,
    ShotBody,
    ShotEvent,
    TrackedObject,
    TrackingFrame,
)
from .simulate import PlayerMotion, position_template, pull_to_anchors, team_shape_targets

__all__ = ["PlannedMessage", "ReplayDataError", "load_events", "match_home_team", "plan_match"]

FloatArray = npt.NDArray[np.float64]

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TYPE_ALIASES = {"50/50": "fifty_fifty"}  # a type name must start with a letter
_YARD_M = 0.9144  # StatsBomb heights are in yards, like its 120 x 80 pitch
_SENT_OFF = {"Red Card", "Second Yellow"}
# Events whose location is a player's, not the ball's: the ball path skips them.
_OFF_BALL = {"Pressure", "Dribbled Past", "Player Off", "Player On", "Substitution", "Tactical Shift"}


class ReplayDataError(PitchsideError):
    """A StatsBomb file or event cannot be replayed; the message names the file or event and the fix."""


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message of a replay: produce ``record`` on ``topic`` when event time reaches ``ts`` (ms)."""

    ts: int
    topic: Literal["tracking", "events"]
    record: TrackingFrame | MatchEvent


def load_events(path: Path) -> list[dict[str, Any]]:
    """Read a StatsBomb events file (a non-empty JSON list; ``.json`` or ``.json.gz``)."""
    if not path.is_file():
        raise ReplayDataError(
            f"no StatsBomb event file at {path}: pass an existing events file (.json or .json.gz), "
            "or set PITCHSIDE_DATA_DIR to a directory with statsbomb/events/"
        )
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ReplayDataError(f"{path} is not readable JSON ({exc}): re-download the events file") from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise ReplayDataError(
            f"{path} holds a JSON {type(data).__name__}, not a list of event objects: "
            "pass a StatsBomb events file (events/{match_id}.json), not a match list or lineup file"
        )
    if not data:
        raise ReplayDataError(f"{path} holds no events: pass a match's complete StatsBomb event file")
    return data


def match_home_team(matches_dir: Path, match_id: str) -> str | None:
    """The home team's name of ``match_id`` from StatsBomb match lists ``matches_dir/*/*.json``."""
    for path in sorted(matches_dir.glob("*/*.json")):
        try:
            matches = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ReplayDataError(
                f"match list {path} is not readable JSON ({exc}): fix or remove it"
            ) from None
        for match in matches if isinstance(matches, list) else []:
            if isinstance(match, dict) and str(match.get("match_id")) == str(match_id):
                home = match.get("home_team")
                name = home.get("home_team_name") if isinstance(home, dict) else home
                return name if isinstance(name, str) else None
    return None


# --- time and direction ----------------------------------------------------------------------------


def _clock_ms(event: dict[str, Any], n: int) -> tuple[int, int, int]:
    """(period, ms since the period started, duration ms) of event number ``n``."""
    try:
        period = int(event["period"])
        h, m, s = str(event["timestamp"]).split(":")
        offset = round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)
        duration = round(float(event.get("duration") or 0.0) * 1000)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplayDataError(
            f"event #{n} (id {event.get('id')!r}) has no usable period/timestamp ({exc!r}): "
            "expected 'period' 1-5 and 'timestamp' HH:MM:SS.mmm"
        ) from None
    if not 1 <= period <= 5:
        raise ReplayDataError(f"event #{n} (id {event.get('id')!r}) has period {period}; expected 1-5")
    return period, offset, max(0, duration)


def _home_sign(period: int) -> int:
    """+1 when the home team attacks +x in ``period`` (1, 3, 5), else -1."""
    return 1 if period in (1, 3, 5) else -1


def _pitch(xy: Any, sign: int) -> list[float]:
    """A StatsBomb point -> pitch-frame metres, clamped into the contract bounds, centimetres."""
    x, y = statsbomb_to_pitch([float(xy[0]), float(xy[1])], sign)[0]
    out = [round(float(np.clip(x, -SOCCER_X_LIMIT, SOCCER_X_LIMIT)), 2)]
    out.append(round(float(np.clip(y, -SOCCER_Y_LIMIT, SOCCER_Y_LIMIT)), 2))
    if len(xy) > 2 and xy[2] is not None:
        out.append(round(min(max(float(xy[2]) * _YARD_M, 0.0), 100.0), 2))
    return out


# --- events ----------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    """A StatsBomb type name as a contract type: 'Ball Receipt*' -> 'ball_receipt'."""
    if name in _TYPE_ALIASES:
        return _TYPE_ALIASES[name]
    snake = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40].rstrip("_")
    return snake if _TYPE.match(snake) else f"type_{snake}"[:40].rstrip("_")


def _name(obj: Any, limit: int = 64) -> str | None:
    name = obj.get("name") if isinstance(obj, dict) else None
    return str(name)[:limit] if name is not None else None


def _player(obj: Any) -> PlayerRef | None:
    if not isinstance(obj, dict) or obj.get("id") is None or not _ID.match(str(obj["id"])):
        return None
    return PlayerRef(id=str(obj["id"]), name=_name(obj, 200))


def _sub_object(event: dict[str, Any], type_name: str) -> dict[str, Any]:
    """The type-specific part of an event ('Goal Keeper' -> event['goalkeeper'])."""
    raw = re.sub(r"[^a-z0-9]+", "_", type_name.lower()).strip("_")
    for key in (raw, raw.replace("_", "")):
        if isinstance(event.get(key), dict):
            sub: dict[str, Any] = event[key]
            return sub
    return {}


def _convert(event: dict[str, Any], match_id: str, n: int, ts: int, period: int, sign: int) -> MatchEvent:
    """One StatsBomb event as a contract record, locations in the pitch frame."""
    event_id = re.sub(r"[^A-Za-z0-9_.-]", "-", str(event.get("id") or f"{match_id}-{n}"))
    type_name = str((event.get("type") or {}).get("name") or "unknown")
    location = _pitch(event["location"], sign) if event.get("location") else None
    team = _name(event.get("team"), 200)
    player = _player(event.get("player"))
    base: dict[str, Any] = dict(match_id=match_id, event_id=event_id[:64], ts=ts, period=period, team=team)
    base.update(player=player, location=location, simulated=False)
    if type_name == "Shot":
        shot: dict[str, Any] = event.get("shot") or {}
        xg = shot.get("statsbomb_xg")
        frozen = [
            FreezeFramePlayer(
                x=(p := _pitch(ff["location"], sign))[0],
                y=p[1],
                teammate=bool(ff.get("teammate")),
                keeper=_name(ff.get("position")) == "Goalkeeper",
                player=_player(ff.get("player")),
            )
            for ff in shot.get("freeze_frame") or []
            if ff.get("location")
        ]
        body = ShotBody(
            outcome=_name(shot.get("outcome")),
            body_part=_name(shot.get("body_part")),
            technique=_name(shot.get("technique")),
            shot_type=_name(shot.get("type")),
            play_pattern=_name(event.get("play_pattern")),
            end_location=_pitch(shot["end_location"], sign) if shot.get("end_location") else None,
            first_time=bool(shot.get("first_time")),
            one_on_one=bool(shot.get("one_on_one")),
            open_goal=bool(shot.get("open_goal")),
            under_pressure=bool(event.get("under_pressure")),
            provider_xg=None if xg is None else min(max(float(xg), 0.0), 1.0),
            freeze_frame=frozen[:64] if "freeze_frame" in shot else None,
        )
        return ShotEvent(**base, type="shot", shot=body)
    if type_name == "Pass":
        ps: dict[str, Any] = event.get("pass") or {}
        end = _pitch(ps["end_location"], sign) if ps.get("end_location") else None
        recipient = _player(ps.get("recipient"))
        height = _name(ps.get("height"))
        pass_ = PassBody(
            end_location=end, recipient=recipient, outcome=_name(ps.get("outcome")), height=height
        )
        return PassEvent(**base, type="pass", pass_=pass_)
    outcome = _name(_sub_object(event, type_name).get("outcome"))
    return GenericEvent(**base, type=_snake(type_name), body={} if outcome is None else {"outcome": outcome})


# --- who is on the pitch ---------------------------------------------------------------------------

Role = Literal["player", "goalkeeper"]


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
        position = _name(entry.get("position"))
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
        team = _name(event.get("team"), 200)
        if _name(event.get("type")) == "Starting XI" and team is not None and team not in starting:
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
        event, kind = events[n], _name(events[n].get("type"))
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
        elif _name(_sub_object(event, kind or "").get("card")) in _SENT_OFF:
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


@dataclass(frozen=True, slots=True)
class _Timed:
    """A converted event with its timing: ``ts`` epoch ms, ``duration`` ms, ``end`` where the ball
    (and a carrier) is at ``ts + duration`` in pitch metres, if known."""

    ts: int
    period: int
    duration: int
    record: MatchEvent
    kind: str
    end: list[float] | None
    possession: str | None


def _end_location(record: MatchEvent, raw: dict[str, Any], sign: int) -> list[float] | None:
    if isinstance(record, PassEvent):
        return record.pass_.end_location
    if isinstance(record, ShotEvent):
        return record.shot.end_location
    carry = raw.get("carry") or {}
    return _pitch(carry["end_location"], sign) if carry.get("end_location") else None


def _ball(timed: list[_Timed], start: int, frame_ts: FloatArray) -> tuple[FloatArray, FloatArray]:
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


def _anchors(timed: list[_Timed], epochs: list[_Epoch]) -> tuple[_Anchors, _Anchors]:
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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (it cost 40 % of a 25 Hz plan); plain records hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    timed: list[_Timed],
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
    signs = np.where(is_home, _home_sign(period), -_home_sign(period))
    targets = team_shape_targets(templates, keepers, signs, ball, push)
    acts, shots = _anchors(mine, epochs)
    targets = acts.pull(targets, ft, lead_ms=3000.0, settle_ms=1000.0, hold_ms=1500.0)
    # Set pieces gather players in the box over many seconds: freeze frames pull from 12 s before.
    targets = shots.pull(targets, ft, lead_ms=12_000.0, settle_ms=2000.0, hold_ms=2000.0)
    return _Period(period, frame_ts, ball, z, epoch, targets)


def _move(periods: list[_Period], n_home: int, seed: int, hz: float) -> list[FloatArray]:
    """Players' positions ``(F, n, 2)`` per period, from the targets, with the motion model."""
    n = periods[0].targets.shape[1]
    # Periods are independent, so they move at once as one set of objects: one pass of the
    # sequential motion loop instead of one per period.
    longest = max(len(p.ts) for p in periods)
    stacked = np.concatenate(
        [np.pad(p.targets, ((0, longest - len(p.ts)), (0, 0), (0, 0)), mode="edge") for p in periods], axis=1
    )
    own = np.concatenate([np.where(np.arange(n) < n_home, 1, -1) * _home_sign(p.period) for p in periods])
    kickoff = stacked[0].copy()
    kickoff[:, 0] = own * np.minimum(own * kickoff[:, 0], -1.0)  # everybody starts in their own half
    moved = PlayerMotion(kickoff, rng=np.random.default_rng(seed)).run(stacked, 1.0 / hz)
    return [moved[: len(p.ts), k * n : (k + 1) * n] for k, p in enumerate(periods)]


def _frames(
    periods: list[_Period], moved: list[FloatArray], epochs: list[_Epoch], n_home: int, match_id: str
) -> list[PlannedMessage]:
    """The tracking frames (``simulated``), numbered from 0 across the match."""
    n = len(epochs[0].ids)
    teams: list[Literal["home", "away"]] = ["home" if j < n_home else "away" for j in range(n)]
    rosters = [[(j, e.ids[j], teams[j], e.roles[j]) for j in range(n) if e.active[j]] for e in epochs]
    out: list[PlannedMessage] = []
    with _gc_paused():  # millions of small records: the cyclic GC would rescan them over and over
        for p, xy in zip(periods, moved, strict=True):
            xs, ys = np.round(xy[..., 0], 2).tolist(), np.round(xy[..., 1], 2).tolist()
            balls = np.round(np.concatenate([p.ball, p.z[:, None]], axis=1), 2).tolist()
            attack: Literal[1, -1] = 1 if _home_sign(p.period) > 0 else -1
            for i, (ts, e) in enumerate(zip(p.ts.tolist(), p.epoch.tolist(), strict=True)):
                bx, by, bz = balls[i]
                x, y = xs[i], ys[i]
                objects = [TrackedObject(id="ball", team="ball", role="ball", x=bx, y=by, z=bz)]
                objects += [
                    TrackedObject(id=pid, team=team, role=role, x=x[j], y=y[j])
                    for j, pid, team, role in rosters[e]
                ]
                frame = TrackingFrame(
                    match_id=match_id,
                    sport="soccer",
                    frame=len(out),
                    ts=ts,
                    period=p.period,
                    objects=objects,
                    home_attack=attack,
                    simulated=True,
                )
                out.append(PlannedMessage(ts, "tracking", frame))
    return out


def plan_match(
    events: list[dict[str, Any]],
    match_id: str,
    *,
    kickoff_ms: int,
    tracking_hz: float,
    home_team: str | None = None,
    break_ms: int = 60_000,
    seed: int = 0,
) -> list[PlannedMessage]:
    """The replay of one match: one event message per StatsBomb event plus simulated tracking frames
    at ``tracking_hz`` over every period, sorted by ``ts`` (epoch ms; an event before a frame of the
    same ``ts``). ``home_team`` defaults to the team of the first 'Starting XI' event; ``break_ms`` is
    the pause between periods. Deterministic for a given ``seed``. See the module docstring for the
    time and direction conventions."""
    if not _ID.match(match_id):
        raise ReplayDataError(f"match id {match_id!r} must match {_ID.pattern} (it ends up in Redis keys)")
    if not tracking_hz > 0 or kickoff_ms < 0 or break_ms < 0:
        raise ReplayDataError(
            "tracking_hz must be > 0 and kickoff_ms, break_ms >= 0; "
            f"got {tracking_hz}, {kickoff_ms}, {break_ms}"
        )
    clocks = [_clock_ms(event, n) for n, event in enumerate(events)]
    lengths: dict[int, int] = {}
    for period, offset, duration in clocks:
        lengths[period] = max(lengths.get(period, 0), offset + duration)
    spans: dict[int, tuple[int, int]] = {}
    elapsed = 0
    for period in sorted(lengths):
        spans[period] = (kickoff_ms + elapsed + (period - 1) * break_ms, lengths[period])
        elapsed += lengths[period]
    home = home_team or next(
        (_name(e.get("team"), 200) for e in events if _name(e.get("type")) == "Starting XI"), None
    )
    if home is None:
        raise ReplayDataError("no home team: pass home_team, or give events with a 'Starting XI'")
    timed: list[_Timed] = []
    for n, (event, (period, offset, duration)) in enumerate(zip(events, clocks, strict=True)):
        ts = spans[period][0] + offset
        sign = _home_sign(period) * (1 if _name(event.get("team"), 200) == home else -1)
        record = _convert(event, match_id, n, ts, period, sign)
        kind = _name(event.get("type")) or ""
        possession = _name(event.get("possession_team"), 200)
        timed.append(
            _Timed(ts, period, duration, record, kind, _end_location(record, event, sign), possession)
        )
    order = sorted(range(len(timed)), key=lambda n: timed[n].ts)  # stable: file order at equal ts
    epochs, n_home = _epochs(events, order, [t.ts for t in timed], home)
    messages = [PlannedMessage(timed[n].ts, "events", timed[n].record) for n in order]
    in_order = [timed[n] for n in order]
    periods = [_period(p, spans[p], in_order, epochs, n_home, home, tracking_hz) for p in sorted(spans)]
    frames = _frames(periods, _move(periods, n_home, seed, tracking_hz), epochs, n_home, match_id)
    # heapq.merge is stable: at equal ts the event (first iterable) comes before the frame.
    return list(heapq.merge(messages, frames, key=lambda m: m.ts))
