"""StatsBomb open data as contract records: reading event files and converting each event.

Conventions:

- Time: a StatsBomb ``timestamp`` ("HH:MM:SS.mmm") counts from the start of its ``period``. Period
  ``k`` starts at ``kickoff_ms + (durations of the earlier periods) + (k - 1) * break_ms``, where a
  period lasts as long as its latest ``timestamp + duration`` (rounded to whole milliseconds).
- Direction: the home team attacks ``+x`` in periods 1, 3 and 5 (the shoot-out) and ``-x`` in periods
  2 and 4. StatsBomb draws every event as if the acting team attacks left to right, so each event's
  locations (and a shot's freeze frame) are turned with
  :func:`features.coordinates.statsbomb_to_pitch` by the acting team's attack sign in that period.
  Heights (StatsBomb's ``z``, in yards like the pitch) become metres.
- Every StatsBomb event becomes exactly one event record (``simulated=False``): shots and passes with
  typed bodies, everything else as a :class:`~stream.contracts.GenericEvent`.

The simulated tracking that goes with a real match is :mod:`stream.sources.replay_plan`'s.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from features.buildup import PASS_SET_PIECES
from features.coordinates import statsbomb_to_pitch
from models.errors import PitchsideError

from ..contracts import (
    SOCCER_X_LIMIT,
    SOCCER_Y_LIMIT,
    FreezeFramePlayer,
    GenericEvent,
    LineupBody,
    LineupEvent,
    LineupPlayer,
    MatchEvent,
    PassBody,
    PassEvent,
    PlayerRef,
    SetPiece,
    ShotBody,
    ShotEvent,
)

__all__ = [
    "ConvertedMatch",
    "ReplayDataError",
    "TimedEvent",
    "check_match_id",
    "convert_events",
    "home_sign",
    "load_events",
    "match_home_team",
    "name_of",
    "sub_object",
]

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TYPE_ALIASES = {"50/50": "fifty_fifty"}
# a type name must start with a letter
_YARD_M = 0.9144  # StatsBomb heights are in yards, like its 120 x 80 pitch


class ReplayDataError(PitchsideError):
    """A StatsBomb file or event cannot be replayed; the message names the file or event and the fix."""


def check_match_id(match_id: str) -> None:
    """Refuse a match id that cannot name Redis keys and records."""
    if not _ID.match(match_id):
        raise ReplayDataError(f"match id {match_id!r} must match {_ID.pattern} (it ends up in Redis keys)")


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


# Where each period's clock starts, in seconds, as a broadcast shows it (the second half kicks off
# at 45:00, extra time at 90:00 and 105:00); the shoot-out's clock stands at 120:00.
_CLOCK_START_S = {1: 0, 2: 45 * 60, 3: 90 * 60, 4: 105 * 60, 5: 120 * 60}


def match_clock_s(period: int, offset_ms: int) -> int:
    """The match clock (seconds) ``offset_ms`` into ``period``, stoppage time running on."""
    return _CLOCK_START_S[period] + (0 if period == 5 else max(0, offset_ms) // 1000)


def home_sign(period: int) -> int:
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


def name_of(obj: Any, limit: int = 64) -> str | None:
    """The ``name`` of a StatsBomb object (team, player, type, outcome...), cut to ``limit`` characters."""
    name = obj.get("name") if isinstance(obj, dict) else None
    return str(name)[:limit] if name is not None else None


def _lineup(event: dict[str, Any]) -> LineupBody:
    """A 'Starting XI' event's players, with their shirt numbers and positions."""
    players = []
    for entry in (event.get("tactics") or {}).get("lineup") or []:
        ref = _player(entry.get("player")) if isinstance(entry, dict) else None
        if ref is None:
            continue
        number = entry.get("jersey_number")
        number = number if isinstance(number, int) and 0 <= number <= 999 else None
        players.append(
            LineupPlayer(id=ref.id, name=ref.name, number=number, position=name_of(entry.get("position")))
        )
    return LineupBody(players=players[:64])


def _player(obj: Any) -> PlayerRef | None:
    if not isinstance(obj, dict) or obj.get("id") is None or not _ID.match(str(obj["id"])):
        return None
    return PlayerRef(id=str(obj["id"]), name=name_of(obj, 200))


def sub_object(event: dict[str, Any], type_name: str) -> dict[str, Any]:
    """The type-specific part of an event ('Goal Keeper' -> event['goalkeeper'])."""
    raw = re.sub(r"[^a-z0-9]+", "_", type_name.lower()).strip("_")
    for key in (raw, raw.replace("_", "")):
        if isinstance(event.get(key), dict):
            sub: dict[str, Any] = event[key]
            return sub
    return {}


def _convert(
    event: dict[str, Any], match_id: str, n: int, ts: int, period: int, sign: int, **extra: Any
) -> MatchEvent:
    """One StatsBomb event as a contract record, locations in the pitch frame; ``extra`` are the
    base fields known from the whole match (``side``, ``clock_s``)."""
    event_id = re.sub(r"[^A-Za-z0-9_.-]", "-", str(event.get("id") or f"{match_id}-{n}"))
    type_name = str((event.get("type") or {}).get("name") or "unknown")
    location = _pitch(event["location"], sign) if event.get("location") else None
    team = name_of(event.get("team"), 200)
    player = _player(event.get("player"))
    base: dict[str, Any] = dict(match_id=match_id, event_id=event_id[:64], ts=ts, period=period, team=team)
    base.update(player=player, location=location, attack=sign, simulated=False, **extra)
    if type_name == "Starting XI":
        return LineupEvent(**base, type="lineup", lineup=_lineup(event))
    if type_name == "Shot":
        shot: dict[str, Any] = event.get("shot") or {}
        xg = shot.get("statsbomb_xg")
        frozen = [
            FreezeFramePlayer(
                x=(p := _pitch(ff["location"], sign))[0],
                y=p[1],
                teammate=bool(ff.get("teammate")),
                keeper=name_of(ff.get("position")) == "Goalkeeper",
                player=_player(ff.get("player")),
            )
            for ff in shot.get("freeze_frame") or []
            if ff.get("location")
        ]
        body = ShotBody(
            outcome=name_of(shot.get("outcome")),
            body_part=name_of(shot.get("body_part")),
            technique=name_of(shot.get("technique")),
            shot_type=name_of(shot.get("type")),
            play_pattern=name_of(event.get("play_pattern")),
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
        pass_ = PassBody(
            end_location=end,
            recipient=recipient,
            outcome=name_of(ps.get("outcome")),
            height=name_of(ps.get("height")),
            cross=bool(ps.get("cross")),
            # The oldest specification flags it; later ones name it as the technique.
            through_ball=bool(ps.get("through_ball")) or name_of(ps.get("technique")) == "Through Ball",
            set_piece=cast(SetPiece | None, PASS_SET_PIECES.get(str(name_of(ps.get("type"))))),
        )
        return PassEvent(**base, type="pass", pass_=pass_)
    outcome = name_of(sub_object(event, type_name).get("outcome"))
    return GenericEvent(**base, type=_snake(type_name), body={} if outcome is None else {"outcome": outcome})


# --- a whole match ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """A converted event with its timing: ``ts`` epoch ms, ``duration`` ms, ``kind`` the StatsBomb
    type name, ``end`` where the ball (and a carrier) is at ``ts + duration`` in pitch metres, if
    known, and ``possession`` the name of the team in possession."""

    ts: int
    period: int
    duration: int
    record: MatchEvent
    kind: str
    end: list[float] | None
    possession: str | None


@dataclass(frozen=True, slots=True)
class ConvertedMatch:
    """Every event of a match converted, in file order; ``spans`` maps each period to its
    (start epoch ms, length ms); ``home`` is the home team's name."""

    home: str
    spans: dict[int, tuple[int, int]]
    events: list[TimedEvent]


def _end_location(record: MatchEvent, raw: dict[str, Any], sign: int) -> list[float] | None:
    if isinstance(record, PassEvent):
        return record.pass_.end_location
    if isinstance(record, ShotEvent):
        return record.shot.end_location
    carry = raw.get("carry") or {}
    return _pitch(carry["end_location"], sign) if carry.get("end_location") else None


def convert_events(
    events: list[dict[str, Any]],
    match_id: str,
    *,
    kickoff_ms: int,
    break_ms: int,
    home_team: str | None = None,
) -> ConvertedMatch:
    """Every StatsBomb event of one match as a contract record on the epoch-ms clock (see the module
    docstring); ``break_ms`` is the pause between periods. ``home_team`` defaults to the team of the
    first 'Starting XI' event. ``match_id`` is expected checked (:func:`check_match_id`)."""
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
        (name_of(e.get("team"), 200) for e in events if name_of(e.get("type")) == "Starting XI"), None
    )
    if home is None:
        raise ReplayDataError("no home team: pass home_team, or give events with a 'Starting XI'")
    timed: list[TimedEvent] = []
    for n, (event, (period, offset, duration)) in enumerate(zip(events, clocks, strict=True)):
        ts = spans[period][0] + offset
        is_home = name_of(event.get("team"), 200) == home
        sign = home_sign(period) * (1 if is_home else -1)
        side = None if event.get("team") is None else "home" if is_home else "away"
        clock = match_clock_s(period, offset)
        record = _convert(event, match_id, n, ts, period, sign, side=side, clock_s=clock)
        kind = name_of(event.get("type")) or ""
        possession = name_of(event.get("possession_team"), 200)
        timed.append(
            TimedEvent(ts, period, duration, record, kind, _end_location(record, event, sign), possession)
        )
    return ConvertedMatch(home, spans, timed)
