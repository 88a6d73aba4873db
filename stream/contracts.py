"""Message contracts: the typed, frozen records every Kafka message is decoded into, and the output
payload published to Redis.

Coordinates use the pitch frame of :mod:`features.coordinates` (soccer: metres, origin at the centre
spot). Times are epoch milliseconds (UTC). Every message is keyed by its ``match_id`` so a match stays
on one partition, in order. ``docs/contracts.md`` shows an example of each message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "COMPARISON_KINDS",
    "CONTRACT_VERSION",
    "EVENT_TYPES",
    "OUTPUT_KINDS",
    "DeadLetterHeaders",
    "FreezeFramePlayer",
    "GenericEvent",
    "LineupBody",
    "LineupEvent",
    "LineupPlayer",
    "MatchEvent",
    "ModelRef",
    "Output",
    "PassBody",
    "PassEvent",
    "PitchBody",
    "PitchEvent",
    "PlayerRef",
    "ShotBody",
    "ShotEvent",
    "TrackedObject",
    "TrackingFrame",
    "on_pitch",
]

# Ids end up inside Redis channel and key names, so ':' '*' and spaces are refused at the door.
Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
EpochMs = Annotated[int, msgspec.Meta(ge=0, le=4_102_444_800_000)]  # up to 2100-01-01
Period = Annotated[int, msgspec.Meta(ge=1, le=5)]  # 1, 2, extra time 3, 4, shoot-out 5
# A first, sport-independent fence; the sport's own pitch bounds are checked per frame below.
Metres = Annotated[float, msgspec.Meta(ge=-200.0, le=200.0)]
Height = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Name = Annotated[str, msgspec.Meta(max_length=200)]
Label = Annotated[str, msgspec.Meta(max_length=64)]
Point = Annotated[list[Metres], msgspec.Meta(min_length=2, max_length=3)]
# The match clock as the provider shows it, in seconds (51:07 is 3067; the second half starts at
# 45:00). Up to 200 minutes: extra time and stoppages included.
ClockS = Annotated[int, msgspec.Meta(ge=0, le=12_000)]
Side = Literal["home", "away"]

# Soccer: laws allow up to 120 m x 90 m; 5 m of run-off either side on top. Half-lengths, metres.
# An object beyond them (a tracking glitch) is left out of the frame's features and output, and
# counted; the rest of the frame is used. Beyond the ±200 m fence above, the message is refused.
SOCCER_X_LIMIT = 65.0
SOCCER_Y_LIMIT = 50.0


def on_pitch(sport: str, x: float, y: float) -> bool:
    """Whether a point is within the sport's playing area plus run-off (always true for baseball)."""
    return sport != "soccer" or (abs(x) <= SOCCER_X_LIMIT and abs(y) <= SOCCER_Y_LIMIT)


MAX_OBJECTS = 64


class _Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Base of every record: immutable, keyword-built; unknown fields are ignored so producers can add
    fields without breaking older workers. Every field is written out, defaults included, so a
    client can rely on each key being present."""


# --- tracking ------------------------------------------------------------------------------------


class TrackedObject(_Record, frozen=True):
    """One player, official or the ball in one frame. ``z`` is the height in metres (the ball)."""

    id: Id
    team: Literal["home", "away", "ball", "officials"]
    role: Literal["player", "goalkeeper", "ball", "referee"]
    x: Metres
    y: Metres
    z: Height | None = None


class TrackingFrame(_Record, frozen=True):
    """One tracking frame of one match: every visible object, the ball among them (at most one).

    ``home_attack`` is the direction the home team attacks along ``x`` in this period (``+1``/``-1``).
    ``simulated`` is true for frames the simulator made: no real full-match tracking feed is used here.
    ``session`` tells runs of a feed apart (a replay started again is a newer session).
    """

    match_id: Id
    sport: Literal["soccer", "baseball"]
    frame: Annotated[int, msgspec.Meta(ge=0)]
    ts: EpochMs
    period: Period
    objects: Annotated[list[TrackedObject], msgspec.Meta(max_length=MAX_OBJECTS)]
    home_attack: Literal[1, -1] = 1
    simulated: bool = False
    # One run of a feed for this match: 0 for a live feed; a replay uses its start time (epoch ms),
    # so replaying a match again supersedes the earlier run. Frames order by (session, ts, frame).
    session: Annotated[int, msgspec.Meta(ge=0)] = 0
    clock_s: ClockS | None = None

    def __post_init__(self) -> None:
        ids: set[str] = set()
        balls = 0
        for obj in self.objects:
            if obj.id in ids:
                raise ValueError(f"duplicate object id {obj.id!r} - at `$.objects`")
            ids.add(obj.id)
            balls += obj.role == "ball"
        if balls > 1:
            raise ValueError(f"{balls} objects have role 'ball'; at most one allowed - at `$.objects`")

    @property
    def ball(self) -> TrackedObject | None:
        return next((o for o in self.objects if o.role == "ball"), None)


# --- events --------------------------------------------------------------------------------------


class PlayerRef(_Record, frozen=True):
    id: Id
    name: Name | None = None


class FreezeFramePlayer(_Record, frozen=True):
    """A player visible at the moment of a shot (StatsBomb freeze frame), in the pitch frame."""

    x: Metres
    y: Metres
    teammate: bool
    keeper: bool = False
    player: PlayerRef | None = None


ActionKind = Literal["pass", "take_on", "shot", "save", "defence", "duel", "other"]
SetPiece = Literal["corner", "free_kick", "throw_in", "goal_kick", "kick_off"]


class PrecedingAction(_Record, frozen=True):
    """One on-ball action before a shot, as the provider's feed gives it with the shot (see
    :mod:`features.buildup` for the kinds). ``own``: by the shooting team. Locations in the pitch frame."""

    kind: ActionKind
    own: bool
    ts: EpochMs
    location: Point | None = None
    end_location: Point | None = None
    cross: bool = False
    through_ball: bool = False
    set_piece: SetPiece | None = None


class ShotBody(_Record, frozen=True):
    outcome: Label | None = None
    body_part: Label | None = None
    technique: Label | None = None
    shot_type: Label | None = None
    play_pattern: Label | None = None
    end_location: Point | None = None
    first_time: bool = False
    one_on_one: bool = False
    open_goal: bool = False
    under_pressure: bool = False
    provider_xg: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None = None
    freeze_frame: Annotated[list[FreezeFramePlayer], msgspec.Meta(max_length=MAX_OBJECTS)] | None = None
    # The actions that led to the shot, oldest first, when the feed knows them (Wyscout-style feeds);
    # without it the worker takes them from the match's events it has seen.
    preceding: Annotated[list[PrecedingAction], msgspec.Meta(max_length=16)] | None = None


class PassBody(_Record, frozen=True):
    end_location: Point | None = None
    recipient: PlayerRef | None = None
    outcome: Label | None = None
    height: Label | None = None
    cross: bool = False
    through_ball: bool = False
    set_piece: SetPiece | None = None


class PitchBody(_Record, frozen=True):
    """A baseball pitch. Distances in feet, speeds in mph, pop time in seconds."""

    pitcher_id: Id
    catcher_id: Id | None = None
    batter_id: Id | None = None
    runner_id: Id | None = None
    target_base: Literal["2B", "3B", "HP"] | None = None
    runner_lead_ft: Annotated[float, msgspec.Meta(ge=-10.0, le=60.0)] | None = None
    pitch_type: Label | None = None
    velo_mph: Annotated[float, msgspec.Meta(ge=30.0, le=110.0)] | None = None
    # When the feed knows them; otherwise the worker looks them up in its player reference data.
    runner_sprint_speed_fps: Annotated[float, msgspec.Meta(ge=15.0, le=35.0)] | None = None
    catcher_pop_time_s: Annotated[float, msgspec.Meta(ge=1.5, le=3.0)] | None = None
    balls: Annotated[int, msgspec.Meta(ge=0, le=3)] | None = None
    strikes: Annotated[int, msgspec.Meta(ge=0, le=2)] | None = None
    outs: Annotated[int, msgspec.Meta(ge=0, le=2)] | None = None


class _EventBase(_Record, frozen=True):
    match_id: Id
    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    ts: EpochMs
    period: Period = 1
    team: Name | None = None
    player: PlayerRef | None = None
    location: Point | None = None
    # The direction the acting team attacks along x in this period (+1/-1), when the feed knows it:
    # it turns the event into the attacking frame without a tracking frame to ask.
    attack: Literal[1, -1] | None = None
    simulated: bool = False
    # Which side the acting team is, when the feed says; otherwise the worker reads it from the
    # match's line-up events (by team name).
    side: Side | None = None
    clock_s: ClockS | None = None


class ShotEvent(_EventBase, frozen=True, kw_only=True):
    """A soccer shot; may carry its own freeze frame (event-only feeds)."""

    type: Literal["shot"]
    shot: ShotBody = msgspec.field(default_factory=ShotBody)


class PassEvent(_EventBase, frozen=True, kw_only=True, rename={"pass_": "pass"}):
    type: Literal["pass"]
    pass_: PassBody = msgspec.field(default_factory=PassBody)


class PitchEvent(_EventBase, frozen=True, kw_only=True):
    type: Literal["pitch"]
    pitch: PitchBody | None = None


class GenericEvent(_EventBase, frozen=True, kw_only=True):
    """Any other event type (carry, pressure, foul, ...): kept and forwarded, body uninterpreted."""

    type: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    body: dict[str, Any] = msgspec.field(default_factory=dict)


class LineupPlayer(_Record, frozen=True):
    id: Id
    name: Name | None = None
    number: Annotated[int, msgspec.Meta(ge=0, le=999)] | None = None
    position: Label | None = None


class LineupBody(_Record, frozen=True):
    players: Annotated[list[LineupPlayer], msgspec.Meta(max_length=MAX_OBJECTS)]


class LineupEvent(_EventBase, frozen=True, kw_only=True):
    """One team's starting line-up (StatsBomb's 'Starting XI'): ``side`` and ``team`` name the team."""

    type: Literal["lineup"]
    lineup: LineupBody


MatchEvent = ShotEvent | PassEvent | PitchEvent | LineupEvent | GenericEvent
EVENT_TYPES: dict[str, type[MatchEvent]] = {
    "shot": ShotEvent,
    "pass": PassEvent,
    "pitch": PitchEvent,
    "lineup": LineupEvent,
}


# --- dead letters --------------------------------------------------------------------------------


class DeadLetterHeaders:
    """Kafka header names on a dead-letter message; its key and value are the original bytes."""

    REASON = "pitchside.reason"
    DETAIL = "pitchside.detail"
    SOURCE_TOPIC = "pitchside.source.topic"
    SOURCE_PARTITION = "pitchside.source.partition"
    SOURCE_OFFSET = "pitchside.source.offset"


# --- outputs -------------------------------------------------------------------------------------


class ModelRef(_Record, frozen=True):
    name: str
    version: int


# The output contract's version, carried in every payload as ``v`` (docs/changelog.md).
CONTRACT_VERSION = 2

# What the worker publishes (docs/contracts.md describes each payload).
OUTPUT_KINDS = (
    "match",
    "frame",
    "player_stats",
    "team_stats",
    "event",
    "shot_context",
    "xg",
    "pitch_context",
    "lead_curve",
)
# The challenger's outputs (``pitchside models challenge``): kept on one Redis stream per model,
# ``{prefix}:challenger:{model}``, for comparison; never published to the graphics channels.
COMPARISON_KINDS = frozenset({"xg_challenger", "lead_curve_challenger"})


class Output(msgspec.Struct, frozen=True):
    """One payload published to Redis: ``PUBLISH {prefix}:{match_id}:{kind}`` and ``SET ...:latest``.

    ``seq`` increases by one per match and kind, so a client drops ``seq <= last`` as a duplicate and
    sees ``seq > last + 1`` as a gap. Times, epoch ms: ``event_ts`` when the moment happened (match
    time), ``produced_ts`` when its message was produced to Kafka (the record timestamp),
    ``ingest_ts`` when the worker read it, ``published_ts`` when it was written to Redis.
    """

    match_id: str
    kind: str
    seq: int
    event_ts: int
    produced_ts: int
    ingest_ts: int
    data: dict[str, Any]
    published_ts: int = 0
    model: ModelRef | None = None
    simulated: bool = False
    v: int = CONTRACT_VERSION
