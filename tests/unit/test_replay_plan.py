"""Replay plans of real StatsBomb matches: one message per event, a simulated frame every 1/hz
seconds, everything in the pitch frame and accepted by the real decoder; built lazily, the same on
every pass, cut to the first minutes on request."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from stream.contracts import GenericEvent, PassEvent, ShotEvent, TrackingFrame
from stream.decode import decode_event, decode_frame
from stream.sources.replay_plan import MatchPlan, PlannedMessage, plan_match
from stream.sources.statsbomb import ReplayDataError, load_events

KICKOFF = 1_700_000_000_000
BREAK = 60_000
MAX_PLAYER_SPEED = 12.0  # m/s; the motion model caps players at 9 m/s
FINAL = "8658"  # World Cup 2018 final, France (home) v Croatia


@pytest.fixture(scope="module")
def plan(events: list[dict[str, Any]]) -> MatchPlan:
    """The whole final at 2 Hz."""
    return plan_match(events, FINAL, kickoff_ms=KICKOFF, tracking_hz=2.0, break_ms=BREAK)


@pytest.fixture(scope="module")
def opening_25hz(events: list[dict[str, Any]]) -> list[PlannedMessage]:
    """The first 22 minutes of the final at 25 Hz (Vida's header is at 20:51)."""
    early = [e for e in events if e["period"] == 1 and e["timestamp"] < "00:22:00"]
    return list(plan_match(early, FINAL, kickoff_ms=KICKOFF, tracking_hz=25.0))


def _frames(plan: Iterable[PlannedMessage]) -> list[TrackingFrame]:
    return [m.record for m in plan if isinstance(m.record, TrackingFrame)]


def _positions(frames: list[TrackingFrame]) -> tuple[list[str], np.ndarray]:
    """Ids and ``(F, ids, 2)`` positions (NaN where an id is not on the pitch)."""
    ids = sorted({o.id for f in frames for o in f.objects})
    col = {i: k for k, i in enumerate(ids)}
    pos = np.full((len(frames), len(ids), 2), np.nan)
    for k, f in enumerate(frames):
        for o in f.objects:
            pos[k, col[o.id]] = (o.x, o.y)
    return ids, pos


# --- the plan ----------------------------------------------------------------------------------------


def test_plan_counts_its_messages_and_yields_the_same_on_every_pass(
    plan: MatchPlan, events: list[dict[str, Any]]
) -> None:
    messages = list(plan)
    assert list(plan) == messages  # frames are rebuilt from the same arrays: equal records
    assert len(plan) == len(messages) == plan.events + plan.frames
    assert plan.events == len(events) == sum(m.topic == "events" for m in messages)
    assert plan.frames == sum(m.topic == "tracking" for m in messages)
    assert plan.kickoff_ms == KICKOFF == messages[0].ts


def test_until_keeps_only_the_first_minutes(plan: MatchPlan) -> None:
    messages = list(plan)
    for minutes in (0.0, 10.0, 47.5, 200.0):
        cut = plan.until(minutes)
        kept = [m for m in messages if m.ts <= KICKOFF + int(minutes * 60_000)]
        assert list(cut) == kept
        assert (cut.events, cut.frames, len(cut)) == (
            sum(m.topic == "events" for m in kept),
            sum(m.topic == "tracking" for m in kept),
            len(kept),
        )
        assert cut.kickoff_ms == KICKOFF
    assert plan.until(10.0).frames == 10 * 60 * 2 + 1  # 2 Hz from the kick-off, both ends included
    assert list(plan.until(200.0)) == messages  # the whole match, breaks included, is shorter
    assert list(plan.until(47.5).until(10.0)) == list(plan.until(10.0))


# --- events --------------------------------------------------------------------------------------------


def test_every_statsbomb_event_becomes_exactly_one_event_message(
    plan: MatchPlan, events: list[dict[str, Any]]
) -> None:
    planned = [m.record for m in plan if m.topic == "events"]
    assert len(planned) == len(events)
    assert Counter(r.event_id for r in planned) == Counter(e["id"] for e in events)
    assert sum(isinstance(r, ShotEvent) for r in planned) == 23
    assert sum(isinstance(r, PassEvent) for r in planned) == 846
    assert all(not r.simulated for r in planned)
    assert all(m.topic == "tracking" for m in plan if isinstance(m.record, TrackingFrame))


def test_every_planned_message_passes_the_real_decoder(plan: MatchPlan) -> None:
    for message in plan:
        raw = msgspec.json.encode(message.record)
        decoded = (
            decode_frame(raw, key=b"8658") if message.topic == "tracking" else decode_event(raw, key=b"8658")
        )
        assert decoded == message.record
        assert message.ts == message.record.ts


# --- ordering and frames ----------------------------------------------------------------------------


def test_plan_is_in_time_order_with_events_before_frames_at_equal_ts(plan: MatchPlan) -> None:
    ts = [m.ts for m in plan]
    assert all(a <= b for a, b in itertools.pairwise(ts))
    ties = [(a.topic, b.topic) for a, b in itertools.pairwise(plan) if a.ts == b.ts]
    assert ("tracking", "events") not in ties
    assert ("events", "tracking") in ties  # kick-off: the line-ups, then frame 0


def test_frame_counts_and_times_per_period(plan: MatchPlan, period_lengths: dict[int, int]) -> None:
    frames = _frames(plan)
    assert [f.frame for f in frames] == list(range(len(frames)))
    lengths = period_lengths
    start = {1: KICKOFF, 2: KICKOFF + lengths[1] + BREAK}
    for period in (1, 2):
        mine = [f for f in frames if f.period == period]
        assert len(mine) == math.floor(lengths[period] * 2.0 / 1000) + 1
        assert [f.ts for f in mine] == [start[period] + 500 * k for k in range(len(mine))]
        assert {f.home_attack for f in mine} == {1 if period == 1 else -1}
    assert all(f.simulated and f.sport == "soccer" for f in frames)


def test_every_frame_has_22_players_and_the_ball(plan: MatchPlan) -> None:
    for f in _frames(plan):
        teams = Counter(o.team for o in f.objects)
        assert teams == {"home": 11, "away": 11, "ball": 1}
        assert Counter(o.team for o in f.objects if o.role == "goalkeeper") == {"home": 1, "away": 1}
        ball = f.ball
        assert ball is not None and ball.id == "ball" and ball.z is not None and ball.z >= 0.0
        assert all(abs(o.x) <= 52.5 and abs(o.y) <= 34.0 for o in f.objects if o.role != "ball")


def test_substitutes_take_over_the_replaced_players_slot(plan: MatchPlan) -> None:
    sub = next(m for m in plan if isinstance(m.record, GenericEvent) and m.record.type == "substitution")
    frames = _frames(plan)
    before = [f for f in frames if f.ts < sub.ts]
    after = [f for f in frames if f.ts >= sub.ts]
    assert all("3961" in {o.id for o in f.objects} for f in before)  # Kanté
    assert not any("3961" in {o.id for o in f.objects} for f in after)
    assert all("5737" in {o.id for o in f.objects} for f in after)  # Nzonzi
    ids, pos = _positions([before[-1], after[0]])
    jump = np.hypot(*(pos[1, ids.index("5737")] - pos[0, ids.index("3961")]))
    assert jump < 9.0 * 0.5 + 0.1  # the replacement starts where the replaced player stood


def test_a_sent_off_player_leaves_the_frames(data_dir: Path) -> None:
    events = load_events(data_dir / "events" / "3895292.json")  # a second yellow in the first half
    card = next(
        e for e in events if (e.get("foul_committed") or {}).get("card", {}).get("name") == "Second Yellow"
    )
    frames = _frames(plan_match(events, "3895292", kickoff_ms=KICKOFF, tracking_hz=0.5))
    off = str(card["player"]["id"])
    assert len({len(f.objects) for f in frames}) == 2
    first_without = next(k for k, f in enumerate(frames) if off not in {o.id for o in f.objects})
    assert all(off in {o.id for o in f.objects} for f in frames[:first_without])
    assert all(len(f.objects) == 22 for f in frames[first_without:])


def test_simulated_players_move_at_human_speeds(plan: MatchPlan, opening_25hz: list[PlannedMessage]) -> None:
    for messages, hz in ((plan, 2.0), (opening_25hz, 25.0)):
        frames = _frames(messages)
        ids, pos = _positions(frames)
        players = [k for k, i in enumerate(ids) if i != "ball"]
        same_period = np.array([a.period == b.period for a, b in itertools.pairwise(frames)])
        speed = np.hypot(*np.diff(pos[:, players], axis=0).transpose(2, 0, 1))[same_period] * hz
        assert np.nanmax(speed) <= MAX_PLAYER_SPEED
        assert 0.5 < np.nanmean(speed) < 3.0  # ~10 km in 90 minutes is 1.9 m/s


def test_frames_agree_with_the_events(opening_25hz: list[PlannedMessage]) -> None:
    frames = _frames(opening_25hz)
    ids, pos = _positions(frames)
    ts = np.array([f.ts for f in frames])
    for m in opening_25hz:
        r = m.record
        if isinstance(r, ShotEvent) and r.shot.freeze_frame and r.player and r.location:
            k = int(np.searchsorted(ts, r.ts))  # the frame at or just after the shot
            seen = [(r.player.id, r.location)] + [
                (p.player.id, [p.x, p.y]) for p in r.shot.freeze_frame if p.player
            ]
            gaps = [np.hypot(*(pos[k, ids.index(pid)] - np.asarray(xy[:2]))) for pid, xy in seen]
            assert max(gaps) < 3.0, f"shot {r.event_id}: players {max(gaps):.1f} m from the freeze frame"
        if isinstance(r, PassEvent) and r.location:
            k = int(np.searchsorted(ts, r.ts))
            assert np.hypot(*(pos[k, ids.index("ball")] - np.asarray(r.location[:2]))) < 5.0


def test_plan_is_deterministic_per_seed(events: list[dict[str, Any]]) -> None:
    early = events[:400]

    def positions(seed: int) -> np.ndarray:
        frames = _frames(plan_match(early, FINAL, kickoff_ms=KICKOFF, tracking_hz=5.0, seed=seed))
        return _positions(frames)[1]

    assert np.array_equal(positions(3), positions(3), equal_nan=True)
    assert not np.allclose(positions(3), positions(4), equal_nan=True)


def test_later_periods_follow_the_clock_and_direction_rules(events: list[dict[str, Any]]) -> None:
    """Extra time and a shoot-out, built from the final's line-ups: period k starts after the earlier
    periods and k - 1 breaks; home attacks +x in periods 1, 3, 5 and -x in 2 and 4."""
    lineups = [e for e in events if e["type"]["name"] == "Starting XI"]
    france = lineups[0]["team"]
    made = [
        {
            "id": f"p{k}",
            "period": k,
            "timestamp": "00:01:00.000",
            "type": {"name": "Pressure"},
            "team": france,
            "duration": 0.5,
            "location": [100.0, 40.0],
        }
        for k in range(1, 6)
    ]
    plan5 = plan_match(lineups + made, "m-et", kickoff_ms=0, tracking_hz=1.0, break_ms=1000)
    got = {m.record.event_id: m.record for m in plan5 if m.topic == "events"}
    length = 60_500  # every period lasts until its event's end, 00:01:00.500
    for k in range(1, 6):
        record = got[f"p{k}"]
        assert record.ts == (k - 1) * (length + 1000) + 60_000
        assert record.location is not None
        # x 100 lies between the halfway line (60 -> 0 m) and the box edge (102 -> 36 m).
        x_m = (100.0 - 60.0) / (102.0 - 60.0) * 36.0
        assert record.location[0] == pytest.approx(x_m if k in (1, 3, 5) else -x_m, abs=0.005)
    assert Counter(f.period for f in _frames(plan5)) == {k: 61 for k in range(1, 6)}


def test_plan_refuses_bad_input_with_a_clear_message(events: list[dict[str, Any]]) -> None:
    with pytest.raises(ReplayDataError, match="match id"):
        plan_match(events[:10], "bad id:1", kickoff_ms=0, tracking_hz=1.0)
    with pytest.raises(ReplayDataError, match="Starting XI"):
        plan_match(events[2:50], FINAL, kickoff_ms=0, tracking_hz=1.0, home_team="France")
    broken = [*events[:5], {"id": "x", "period": 1, "timestamp": "soon", "type": {"name": "Pass"}}]
    with pytest.raises(ReplayDataError, match="timestamp"):
        plan_match(broken, FINAL, kickoff_ms=0, tracking_hz=1.0)
