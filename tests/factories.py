"""Small builders of valid contract records for tests; each test changes only what it is about."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from stream.contracts import (
    FreezeFramePlayer,
    ModelRef,
    Output,
    PassBody,
    PassEvent,
    PitchBody,
    PlayerRef,
    ShotBody,
    ShotEvent,
    TrackedObject,
    TrackingFrame,
)


def frame(match_id: str = "m1", n: int = 0, ts: int = 1_700_000_000_000, **changes: Any) -> TrackingFrame:
    objects = [
        TrackedObject(id="ball", team="ball", role="ball", x=0.5 * n % 50, y=0.0, z=0.2),
        TrackedObject(id="h1", team="home", role="goalkeeper", x=-50.0, y=0.0),
        TrackedObject(id="a9", team="away", role="player", x=10.0, y=-5.0),
    ]
    base = TrackingFrame(
        match_id=match_id, sport="soccer", frame=n, ts=ts + 40 * n, period=1, objects=objects
    )
    return msgspec.structs.replace(base, **changes) if changes else base


def pass_event(match_id: str = "m1", n: int = 0, ts: int = 1_700_000_000_000) -> PassEvent:
    return PassEvent(
        match_id=match_id,
        event_id=f"e{n}",
        ts=ts + 1000 * n,
        type="pass",
        location=[1.0, 2.0],
        pass_=PassBody(end_location=[20.0, 5.0]),
    )


def live_shot(match_id: str, n: int) -> ShotEvent:
    """An open-play shot happening now, with a freeze frame (a defender and the keeper); ``n``
    moves it around the box."""
    frozen = [
        FreezeFramePlayer(x=47.0, y=1.0, teammate=False),
        FreezeFramePlayer(x=52.0, y=0.0, teammate=False, keeper=True),
    ]
    return ShotEvent(
        match_id=match_id,
        event_id=f"shot-{n}",
        ts=time.time_ns() // 1_000_000,
        type="shot",
        player=PlayerRef(id="p9"),
        location=[30.0 + (n % 15), -5.0 + (n % 7)],
        attack=1,
        shot=ShotBody(body_part="Right Foot", shot_type="Open Play", freeze_frame=frozen),
    )


def encode(record: Any) -> bytes:
    return msgspec.json.encode(record)


def frame_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(frame())
    data.update(changes)
    return data


def pitch_body(**changes: Any) -> PitchBody:
    """A pitch with a runner going from first: runner 'r1', catcher 'c1', 2-1 slider."""
    base = PitchBody(
        pitcher_id="pp",
        catcher_id="c1",
        runner_id="r1",
        target_base="2B",
        runner_lead_ft=11.5,
        pitch_type="SL",
        velo_mph=86.0,
        balls=1,
        strikes=2,
    )
    return msgspec.structs.replace(base, **changes) if changes else base


def xg_challenger_output(
    n: int, production: float, challenger: float, goal: bool | None, versions: tuple[int, int]
) -> Output:
    """A challenger comparison of one shot, as the worker keeps it (``xg_challenger``)."""
    data: dict[str, Any] = {
        "event_id": f"s{n}",
        "goal": goal,
        "production": {"version": versions[0], "xg": production},
        "challenger": {"version": versions[1], "xg": challenger},
    }
    return Output(
        match_id="m1",
        kind="xg_challenger",
        seq=n,
        event_ts=1,
        produced_ts=1,
        ingest_ts=1,
        data=data,
        model=ModelRef(name="xg", version=versions[1]),
    )
