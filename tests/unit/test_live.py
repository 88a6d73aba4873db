"""Live features in the processor: stats at their rate, bad tracking repaired and counted, shots
joined to the frame of their moment or to their freeze frame, pitches priced with reference data."""

from __future__ import annotations

from typing import Any

import pytest

from models.players import PlayerReference
from stream.contracts import (
    FreezeFramePlayer,
    Output,
    PitchBody,
    PitchEvent,
    PlayerRef,
    ShotBody,
    ShotEvent,
    TrackedObject,
    TrackingFrame,
)
from stream.match.processing import LiveConfig, MatchProcessor, Received
from stream.match.state import StateStore
from tests.factories import pitch_body

AT = Received(produced_ts=10, ingest_ts=12)
T0 = 1_700_000_000_000
SPEED = 5.0  # m/s, the runner's constant speed along +x


def tracked(
    n: int,
    *,
    step_ms: int = 40,
    ball: bool = True,
    extra: list[TrackedObject] | None = None,
    simulated: bool = False,
    session: int = 0,
    match_id: str = "m1",
) -> TrackingFrame:
    """Frame ``n``: home striker 'h9' runs along +x at SPEED with the ball at his feet; away defender
    'a4' stands at (40, 1) and away keeper 'a1' on his goal line; home keeper 'h1' at (-50, 0)."""
    t_s = n * step_ms / 1000
    x = 20.0 + SPEED * t_s
    objects = [
        TrackedObject(id="h9", team="home", role="player", x=x, y=0.0),
        TrackedObject(id="h1", team="home", role="goalkeeper", x=-50.0, y=0.0),
        TrackedObject(id="a4", team="away", role="player", x=40.0, y=1.0),
        TrackedObject(id="a1", team="away", role="goalkeeper", x=52.0, y=0.0),
        TrackedObject(id="ref", team="officials", role="referee", x=0.0, y=10.0),
    ]
    if ball:
        objects.append(TrackedObject(id="ball", team="ball", role="ball", x=x + 0.5, y=0.0, z=0.1))
    objects += extra or []
    return TrackingFrame(
        match_id=match_id,
        sport="soccer",
        frame=n,
        ts=T0 + n * step_ms,
        period=1,
        objects=objects,
        simulated=simulated,
        session=session,
    )


def kinds(outputs: list[Output]) -> list[str]:
    return [o.kind for o in outputs]


def run(proc: MatchProcessor, frames: list[TrackingFrame]) -> list[Output]:
    return [o for f in frames for o in proc.on_frame(f, AT)]


def stats_of(outputs: list[Output], player: str) -> dict[str, Any]:
    last = [o for o in outputs if o.kind == "player_stats"][-1]
    [row] = [p for p in last.data["players"] if p["id"] == player]
    return dict(row)


def test_stats_come_at_the_configured_rate_of_match_time() -> None:
    # 2 s of frames at 25 Hz: stats at 0, 520, 1040, 1560 ms (each at least 500 ms after the last).
    outputs = run(MatchProcessor(), [tracked(n) for n in range(50)])
    assert kinds(outputs).count("frame") == 50
    assert kinds(outputs).count("player_stats") == kinds(outputs).count("team_stats") == 4
    stats = [o for o in outputs if o.kind == "player_stats"]
    assert [o.seq for o in stats] == [1, 2, 3, 4]
    assert [o.event_ts - T0 for o in stats] == [0, 520, 1040, 1560]
    fast = MatchProcessor(config=LiveConfig(stats_interval_ms=250.0))
    assert kinds(run(fast, [tracked(n) for n in range(50)])).count("player_stats") == 8


def test_player_stats_follow_the_runner_and_leave_officials_out() -> None:
    outputs = run(MatchProcessor(), [tracked(n) for n in range(100)])  # 4 s
    runner = stats_of(outputs, "h9")
    # Stats at 3.64 s: the filter has converged on 5 m/s; distance ~ 5 m/s * 3.64 s less start-up lag.
    assert runner["speed_mps"] == pytest.approx(SPEED, abs=0.1)
    assert runner["distance_m"] == pytest.approx(SPEED * 3.64, rel=0.05)
    assert runner["direction_deg"] == pytest.approx(0.0, abs=1.0)
    assert runner["sprints"] == 0 and runner["hi_distance_m"] == 0.0
    assert stats_of(outputs, "a4")["speed_mps"] == 0.0
    last = [o for o in outputs if o.kind == "player_stats"][-1]
    assert {p["id"] for p in last.data["players"]} == {"h9", "h1", "a4", "a1"}
    team = [o for o in outputs if o.kind == "team_stats"][-1].data
    assert team["carrier"]["id"] == "h9"
    assert team["home"]["distance_m"] == pytest.approx(runner["distance_m"], abs=0.11)
    assert team["away"]["players"] == 1  # outfield only: the keeper is not in the shape


def test_the_frame_output_names_the_carrier_and_the_pressure_on_him() -> None:
    # h9 at x=25.0 after 1 s, ball 0.5 m ahead; a4 at (40, 1) is 15 m away: no pressure within 5 m.
    proc = MatchProcessor()
    run(proc, [tracked(n) for n in range(25)])
    close = TrackedObject(id="a5", team="away", role="player", x=25.0 + 0.2 + 3.0, y=0.0)
    [frame] = [o for o in proc.on_frame(tracked(26, extra=[close]), AT) if o.kind == "frame"]
    carrier = frame.data["carrier"]
    assert carrier["id"] == "h9" and carrier["side"] == "home"
    assert carrier["opponents_within_5m"] == 1
    assert carrier["nearest_opponent_m"] == pytest.approx(3.0, abs=0.01)
    assert carrier["pressure"] == pytest.approx(1 - 3.0 / 5.0, abs=0.01)


def test_off_pitch_objects_and_missing_balls_are_repaired_and_counted() -> None:
    proc = MatchProcessor()
    glitch = TrackedObject(id="h7", team="home", role="player", x=-90.0, y=0.0)
    outputs = run(proc, [tracked(0), tracked(1, extra=[glitch]), tracked(2, ball=False)])
    frames = [o for o in outputs if o.kind == "frame"]
    assert len(frames) == 3  # nothing dropped but the glitch itself
    assert all(obj["id"] != "h7" for obj in frames[1].data["objects"])
    assert frames[2].data["carrier"] is None and frames[2].data["ball"] is None
    assert proc.stats.features["object_off_pitch"] == 1
    assert proc.stats.features["frame_without_ball"] == 1
    live = proc.live("m1")
    assert live is not None and "h7" not in live.ids


def test_a_player_off_the_pitch_gets_a_slot_once_on_it_and_a_full_roster_is_counted_per_frame() -> None:
    proc = MatchProcessor(config=LiveConfig(roster_max=5))
    away = TrackedObject(id="h7", team="home", role="player", x=-90.0, y=0.0)
    back = TrackedObject(id="h7", team="home", role="player", x=-40.0, y=0.0)
    extra = TrackedObject(id="a8", team="away", role="player", x=0.0, y=0.0)
    run(proc, [tracked(0, extra=[away]), tracked(1, extra=[away])])
    live = proc.live("m1")
    assert live is not None and live.ids == ["h9", "h1", "a4", "a1"]  # h7 only glitched so far
    run(proc, [tracked(2, extra=[back, extra]), tracked(3, extra=[back, extra])])
    assert live.ids == ["h9", "h1", "a4", "a1", "h7"]
    assert proc.stats.features["roster_full"] == 2  # a8, in each of the two frames
    assert proc.stats.features["object_off_pitch"] == 2
    [last] = [o for o in run(proc, [tracked(4, extra=[back, extra])]) if o.kind == "frame"]
    assert [obj["id"] for obj in last.data["objects"]][-2:] == ["h7", "a8"]  # shown, if not tracked


def test_a_new_session_starts_the_stats_again() -> None:
    proc = MatchProcessor()
    run(proc, [tracked(n) for n in range(50)])
    before = proc.live("m1")
    assert before is not None and before.state.distance.max() > 5.0
    run(proc, [tracked(n, session=T0 + 10_000) for n in range(2)])
    after = proc.live("m1")
    assert after is not None and after is not before and after.state.distance.max() < 0.5


def test_a_worker_whose_match_moved_on_elsewhere_reloads_the_checkpoint() -> None:
    store = StateStore()
    a, b = MatchProcessor(store), MatchProcessor(store)

    def move(src: MatchProcessor) -> None:  # a rebalance: save, forget
        for partition, key, record in src.checkpoint():
            store.write(partition, key, record)
        src.forget()

    run(a, [tracked(n) for n in range(25)])
    move(a)
    run(b, [tracked(n) for n in range(25, 100)])  # the partition moved to b for 3 s
    move(b)
    out = run(a, [tracked(100)])  # ... and back: a starts from b's checkpoint
    live = a.live("m1")
    assert live is not None
    assert live.state.distance[live.slots["h9"]] > 18.0  # 4 s at 5 m/s, less the first frames
    assert kinds(out).count("frame") == 1


# --- shots ----------------------------------------------------------------------------------------


def shot(
    ts: int,
    *,
    player: str | None = "h9",
    location: list[float] | None = None,
    freeze: list[FreezeFramePlayer] | None = None,
    attack: int | None = None,
) -> ShotEvent:
    return ShotEvent(
        match_id="m1",
        event_id=f"s{ts}",
        ts=ts,
        type="shot",
        team="Home FC",
        player=None if player is None else PlayerRef(id=player),
        location=location,
        attack=attack,  # type: ignore[arg-type]
        shot=ShotBody(body_part="Right Foot", shot_type="Open Play", freeze_frame=freeze),
    )


def context(proc: MatchProcessor, event: ShotEvent) -> dict[str, Any]:
    [out] = [o for o in proc.on_event(event, AT) if o.kind == "shot_context"]
    return dict(out.data)


def test_a_shot_is_joined_to_the_tracking_frame_nearest_its_time() -> None:
    proc = MatchProcessor()
    run(proc, [tracked(n) for n in range(25)])  # last frame at 960 ms: h9 at (24.8, 0)
    data = context(proc, shot(T0 + 1000))
    assert data["source"] == "tracking" and data["frame_age_ms"] == 40 and data["attack"] == 1
    f = data["features"]
    # From h9's tracked position (no location in the event), towards the +x goal: 27.7 m out.
    assert f["distance_m"] == pytest.approx(52.5 - 24.8, abs=0.01)
    # a4 at (40, 1) stands inside the triangle to the posts; the keeper a1 at (52, 0) too.
    assert f["defenders_in_triangle"] == 1 and f["keeper_in_triangle"] == 1
    assert f["keeper_to_goal_m"] == pytest.approx(0.5)
    assert f["nearest_defender_m"] == pytest.approx(((40 - 24.8) ** 2 + 1) ** 0.5, abs=0.01)
    assert f["body_part=right_foot"] == 1.0


def test_after_a_restart_a_shot_joins_the_latest_frame_from_the_checkpoint() -> None:
    store = StateStore()
    before = MatchProcessor(store)
    run(before, [tracked(n) for n in range(25)])  # last frame at 960 ms
    for partition, key, record in before.checkpoint():
        store.write(partition, key, record)
    restarted = MatchProcessor(store)  # nothing in memory, the table recovered
    data = context(restarted, shot(T0 + 1000))
    assert data["source"] == "tracking" and data["frame_age_ms"] == 40
    assert data["features"]["defenders_in_triangle"] == 1
    stale = context(restarted, shot(T0 + 2000, location=[30.0, 0.0], attack=1))
    assert stale["source"] == "location_only"  # 1,040 ms is beyond the 500 ms limit


def test_a_shot_beyond_the_staleness_limit_falls_back_to_its_freeze_frame_then_its_location() -> None:
    proc = MatchProcessor(config=LiveConfig(shot_frame_max_age_ms=200))
    run(proc, [tracked(n) for n in range(25)])
    freeze = [
        FreezeFramePlayer(x=45.0, y=0.0, teammate=False),
        FreezeFramePlayer(x=52.0, y=0.5, teammate=False, keeper=True),
    ]
    late = context(proc, shot(T0 + 2000, location=[30.0, 0.0], freeze=freeze, attack=1))
    assert late["source"] == "freeze_frame" and late["frame_ts"] is None
    assert late["features"]["defenders_in_triangle"] == 1
    assert late["features"]["keeper_to_goal_m"] == pytest.approx(0.5**0.5, abs=1e-4)  # (52, 0.5) to (52.5, 0)
    bare = context(proc, shot(T0 + 9000, location=[30.0, 0.0], attack=1))
    assert bare["source"] == "location_only"
    assert bare["features"]["distance_m"] == pytest.approx(22.5)
    assert bare["features"]["nearest_defender_m"] is None
    nothing = context(proc, shot(T0 + 9000, player=None))
    assert nothing["source"] == "none" and set(nothing["features"].values()) >= {None}
    assert nothing["features"]["distance_m"] is None
    counted = proc.stats.features
    assert (
        counted["shot_from_freeze_frame"],
        counted["shot_from_location_only"],
        counted["shot_from_none"],
    ) == (1, 1, 1)


def test_real_freeze_frames_beat_simulated_tracking() -> None:
    proc = MatchProcessor()
    run(proc, [tracked(n, simulated=True) for n in range(25)])
    freeze = [FreezeFramePlayer(x=45.0, y=0.0, teammate=False)]
    with_freeze = context(proc, shot(T0 + 1000, location=[30.0, 0.0], freeze=freeze))
    assert with_freeze["source"] == "freeze_frame"
    without = proc.on_event(shot(T0 + 1000, location=[30.0, 0.0]), AT)
    [ctx] = [o for o in without if o.kind == "shot_context"]
    assert ctx.data["source"] == "tracking" and ctx.simulated is True


def test_an_unknown_shooter_is_located_by_the_event_and_his_track_is_not_counted_twice() -> None:
    proc = MatchProcessor()
    run(proc, [tracked(n) for n in range(25)])
    # The feed's id for the shooter is not in tracking; h9's track stands 0.3 m from the location.
    data = context(proc, shot(T0 + 960, player="p-unknown", location=[25.1, 0.0]))
    assert data["source"] == "tracking" and data["attack"] == 1
    assert data["features"]["attackers_in_triangle"] == 0  # h9 taken as the shooter, not in the way
    assert data["features"]["distance_m"] == pytest.approx(52.5 - 25.1)
    assert proc.stats.features["shooter_not_in_frame"] == 1
    assert proc.stats.features["attack_inferred"] == 1


def test_the_attack_direction_comes_from_the_frame_when_the_event_does_not_say() -> None:
    proc = MatchProcessor()
    frames = [tracked(n) for n in range(25)]
    # Second half: home attacks -x. The same situation mirrored must give the same features.
    mirrored = [
        TrackingFrame(
            match_id="m2",
            sport="soccer",
            frame=f.frame,
            ts=f.ts,
            period=2,
            home_attack=-1,
            objects=[
                TrackedObject(id=o.id, team=o.team, role=o.role, x=-o.x, y=-o.y, z=o.z) for o in f.objects
            ],
        )
        for f in frames
    ]
    run(proc, frames + mirrored)
    first = context(proc, shot(T0 + 1000))
    event = shot(T0 + 1000)
    second_event = ShotEvent(
        match_id="m2", event_id="x", ts=event.ts, type="shot", player=event.player, shot=event.shot, period=2
    )
    [second] = [o.data for o in proc.on_event(second_event, AT) if o.kind == "shot_context"]
    assert second["attack"] == -1 and first["attack"] == 1
    assert second["features"] == first["features"]


# --- pitches --------------------------------------------------------------------------------------


def pitch(body: PitchBody | None) -> PitchEvent:
    return PitchEvent(match_id="g1", event_id="p1", ts=T0, type="pitch", pitch=body)


def test_a_pitch_with_a_runner_gets_its_context_from_the_event_and_the_reference() -> None:
    reference = PlayerReference({"r1": 28.5}, {("c1", "2B"): 1.95})
    proc = MatchProcessor(reference=reference)
    [out] = [o for o in proc.on_event(pitch(pitch_body()), AT) if o.kind == "pitch_context"]
    f = out.data["features"]
    assert (f["lead_ft"], f["runner_sprint_speed_fps"], f["catcher_pop_time_s"]) == (11.5, 28.5, 1.95)
    # The body's pitch (an 86 mph slider) is known only after the runner goes: not an input.
    assert f["outs"] is None and not any(name.startswith("pitch_") or "velo" in name for name in f)
    assert (out.data["sprint_speed_from"], out.data["pop_time_from"]) == ("reference", "reference")
    own = PitchBody(pitcher_id="pp", runner_id="r2", target_base="3B", runner_sprint_speed_fps=27.0)
    [out2] = [o for o in proc.on_event(pitch(own), AT) if o.kind == "pitch_context"]
    assert (
        out2.data["features"]["runner_sprint_speed_fps"] == 27.0 and out2.data["sprint_speed_from"] == "event"
    )
    assert out2.data["features"]["catcher_pop_time_s"] is None and out2.data["pop_time_from"] is None
    assert out2.data["features"]["target_base=3B"] == 1.0
    assert proc.stats.features["pitch_unknown_pop_time"] == 1


def test_a_pitch_without_a_runner_has_no_context() -> None:
    proc = MatchProcessor()
    assert kinds(proc.on_event(pitch(PitchBody(pitcher_id="pp")), AT)) == ["event"]
    assert kinds(proc.on_event(pitch(None), AT)) == ["event"]
    assert proc.stats.features["pitch_without_runner"] == 2
