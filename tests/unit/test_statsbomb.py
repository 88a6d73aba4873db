"""Replay plans of real StatsBomb matches: one message per event, a simulated frame every 1/hz
seconds, everything in the pitch frame and accepted by the real decoder."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from models.errors import PitchsideError
from models.settings import Settings
from stream.contracts import GenericEvent, PassEvent, ShotEvent, TrackingFrame
from stream.decode import decode_event, decode_frame
from stream.statsbomb import PlannedMessage, ReplayDataError, load_events, match_home_team, plan_match

KICKOFF = 1_700_000_000_000
BREAK = 60_000
MAX_PLAYER_SPEED = 12.0  # m/s; the motion model caps players at 9 m/s
FINAL = "8658"  # World Cup 2018 final, France (home) v Croatia
SAMPLE = Path(__file__).resolve().parents[2] / "stream" / "sample" / "statsbomb-8658.json.gz"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = Settings().data_dir / "statsbomb"
    if not (path / "events").is_dir():
        pytest.skip(f"StatsBomb data not found at {path} (set PITCHSIDE_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def events(data_dir: Path) -> list[dict[str, Any]]:
    return load_events(data_dir / "events" / f"{FINAL}.json")


@pytest.fixture(scope="module")
def plan(events: list[dict[str, Any]]) -> list[PlannedMessage]:
    """The whole final at 2 Hz."""
    return plan_match(events, FINAL, kickoff_ms=KICKOFF, tracking_hz=2.0, break_ms=BREAK)


@pytest.fixture(scope="module")
def opening_25hz(events: list[dict[str, Any]]) -> list[PlannedMessage]:
    """The first 22 minutes of the final at 25 Hz (Vida's header is at 20:51)."""
    early = [e for e in events if e["period"] == 1 and e["timestamp"] < "00:22:00"]
    return plan_match(early, FINAL, kickoff_ms=KICKOFF, tracking_hz=25.0)


def _frames(plan: list[PlannedMessage]) -> list[TrackingFrame]:
    return [m.record for m in plan if isinstance(m.record, TrackingFrame)]


def _period_lengths(events: list[dict[str, Any]]) -> dict[int, int]:
    """Each period's duration in ms, the latest timestamp + duration, computed from the raw file."""
    lengths: dict[int, int] = {}
    for e in events:
        h, m, s = e["timestamp"].split(":")
        end = round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000) + round((e.get("duration") or 0) * 1000)
        lengths[e["period"]] = max(lengths.get(e["period"], 0), end)
    return lengths


def _positions(frames: list[TrackingFrame]) -> tuple[list[str], np.ndarray]:
    """Ids and ``(F, ids, 2)`` positions (NaN where an id is not on the pitch)."""
    ids = sorted({o.id for f in frames for o in f.objects})
    col = {i: k for k, i in enumerate(ids)}
    pos = np.full((len(frames), len(ids), 2), np.nan)
    for k, f in enumerate(frames):
        for o in f.objects:
            pos[k, col[o.id]] = (o.x, o.y)
    return ids, pos


# --- loading -----------------------------------------------------------------------------------------


def test_load_events_reads_json_and_the_gzipped_sample(events: list[dict[str, Any]]) -> None:
    assert len(events) == 2978
    assert load_events(SAMPLE) == events  # the bundled sample is the same match, compacted


def test_load_events_names_the_path_when_missing_empty_or_not_a_list(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ReplayDataError, match=re.escape(str(missing))):
        load_events(missing)
    wrong = tmp_path / "match.json.gz"
    wrong.write_bytes(gzip.compress(json.dumps({"match_id": 1}).encode()))
    with pytest.raises(ReplayDataError, match="not a list") as info:
        load_events(wrong)
    assert str(wrong) in str(info.value)
    assert isinstance(info.value, PitchsideError)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(ReplayDataError, match="holds no events"):
        load_events(empty)


def test_match_home_team_reads_the_match_lists(data_dir: Path) -> None:
    assert match_home_team(data_dir / "matches", "15946") == "Barcelona"
    assert match_home_team(data_dir / "matches", "3895292") == "Union Berlin"
    assert match_home_team(data_dir / "matches", "999999999") is None
    assert match_home_team(data_dir / "no-such-dir", "15946") is None


# --- events --------------------------------------------------------------------------------------------


def test_every_statsbomb_event_becomes_exactly_one_event_message(
    plan: list[PlannedMessage], events: list[dict[str, Any]]
) -> None:
    planned = [m.record for m in plan if m.topic == "events"]
    assert len(planned) == len(events)
    assert Counter(r.event_id for r in planned) == Counter(e["id"] for e in events)
    assert sum(isinstance(r, ShotEvent) for r in planned) == 23
    assert sum(isinstance(r, PassEvent) for r in planned) == 846
    assert all(not r.simulated for r in planned)
    assert all(m.topic == "tracking" for m in plan if isinstance(m.record, TrackingFrame))


def test_every_planned_message_passes_the_real_decoder(plan: list[PlannedMessage]) -> None:
    for message in plan:
        raw = msgspec.json.encode(message.record)
        decoded = (
            decode_frame(raw, key=b"8658") if message.topic == "tracking" else decode_event(raw, key=b"8658")
        )
        assert decoded == message.record
        assert message.ts == message.record.ts


def test_generic_types_are_snake_case_with_small_bodies(plan: list[PlannedMessage]) -> None:
    generic = [m.record for m in plan if isinstance(m.record, GenericEvent)]
    types = {g.type for g in generic}
    assert {"ball_receipt", "starting_xi", "own_goal_against", "goal_keeper", "half_start"} <= types
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", t) for t in types)
    assert all(set(g.body) <= {"outcome"} for g in generic)
    assert {g.body.get("outcome") for g in generic if g.type == "substitution"} == {"Tactical"}
    assert {g.body.get("outcome") for g in generic if g.type == "ball_receipt"} == {None, "Incomplete"}
    assert all(len(msgspec.json.encode(g)) < 1000 for g in generic)  # no line-ups copied


def test_event_times_follow_the_period_clock(
    plan: list[PlannedMessage], events: list[dict[str, Any]]
) -> None:
    first_half = _period_lengths(events)[1]
    by_id = {m.record.event_id: m.ts for m in plan if m.topic == "events"}
    vida = next(e for e in events if e["type"]["name"] == "Shot")  # 00:20:51.227 in period 1
    assert by_id[vida["id"]] == KICKOFF + 20 * 60_000 + 51_227
    kante_off = next(e for e in events if e["type"]["name"] == "Substitution")  # 00:09:07.440 in period 2
    assert by_id[kante_off["id"]] == KICKOFF + first_half + BREAK + 9 * 60_000 + 7_440


def test_vida_header_lands_near_the_goal_croatia_attacks(
    plan: list[PlannedMessage], events: list[dict[str, Any]]
) -> None:
    shot = next(m.record for m in plan if isinstance(m.record, ShotEvent))
    assert shot.player is not None and shot.player.name == "Domagoj Vida"
    assert shot.team == "Croatia" and shot.period == 1
    # StatsBomb (112, 49): 8 units from goal = 7 m. France is home and attacks +x in period 1, so
    # Croatia attacks -x: the header is at x = -45.5 m, on Croatia's right (+y when facing -x).
    assert shot.location == pytest.approx([-45.5, 7.65])
    assert shot.shot.body_part == "Head" and shot.shot.outcome is not None
    ff = shot.shot.freeze_frame
    assert ff is not None
    lloris = [p for p in ff if p.keeper]
    assert len(lloris) == 1 and not lloris[0].teammate and lloris[0].x == pytest.approx(-52.5)
    assert all(p.x < -30 for p in ff)  # everybody in France's box, at the -x end
    # With Croatia as home, the same header is at the +x end.
    flipped = plan_match(events[:800], FINAL, kickoff_ms=KICKOFF, tracking_hz=0.5, home_team="Croatia")
    shot2 = next(m.record for m in flipped if isinstance(m.record, ShotEvent))
    assert shot2.location == pytest.approx([45.5, -7.65])


# --- ordering and frames ----------------------------------------------------------------------------


def test_plan_is_in_time_order_with_events_before_frames_at_equal_ts(plan: list[PlannedMessage]) -> None:
    ts = [m.ts for m in plan]
    assert all(a <= b for a, b in itertools.pairwise(ts))
    ties = [(a.topic, b.topic) for a, b in itertools.pairwise(plan) if a.ts == b.ts]
    assert ("tracking", "events") not in ties
    assert ("events", "tracking") in ties  # kick-off: the line-ups, then frame 0


def test_frame_counts_and_times_per_period(plan: list[PlannedMessage], events: list[dict[str, Any]]) -> None:
    frames = _frames(plan)
    assert [f.frame for f in frames] == list(range(len(frames)))
    lengths = _period_lengths(events)
    start = {1: KICKOFF, 2: KICKOFF + lengths[1] + BREAK}
    for period in (1, 2):
        mine = [f for f in frames if f.period == period]
        assert len(mine) == math.floor(lengths[period] * 2.0 / 1000) + 1
        assert [f.ts for f in mine] == [start[period] + 500 * k for k in range(len(mine))]
        assert {f.home_attack for f in mine} == {1 if period == 1 else -1}
    assert all(f.simulated and f.sport == "soccer" for f in frames)


def test_every_frame_has_22_players_and_the_ball(plan: list[PlannedMessage]) -> None:
    for f in _frames(plan):
        teams = Counter(o.team for o in f.objects)
        assert teams == {"home": 11, "away": 11, "ball": 1}
        assert Counter(o.team for o in f.objects if o.role == "goalkeeper") == {"home": 1, "away": 1}
        ball = f.ball
        assert ball is not None and ball.id == "ball" and ball.z is not None and ball.z >= 0.0
        assert all(abs(o.x) <= 52.5 and abs(o.y) <= 34.0 for o in f.objects if o.role != "ball")


def test_substitutes_take_over_the_replaced_players_slot(plan: list[PlannedMessage]) -> None:
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


def test_simulated_players_move_at_human_speeds(
    plan: list[PlannedMessage], opening_25hz: list[PlannedMessage]
) -> None:
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
        assert record.location[0] == pytest.approx(35.0 if k in (1, 3, 5) else -35.0)
    assert Counter(f.period for f in _frames(plan5)) == {k: 61 for k in range(1, 6)}


def test_plan_refuses_bad_input_with_a_clear_message(events: list[dict[str, Any]]) -> None:
    with pytest.raises(ReplayDataError, match="match id"):
        plan_match(events[:10], "bad id:1", kickoff_ms=0, tracking_hz=1.0)
    with pytest.raises(ReplayDataError, match="Starting XI"):
        plan_match(events[2:50], FINAL, kickoff_ms=0, tracking_hz=1.0, home_team="France")
    broken = [*events[:5], {"id": "x", "period": 1, "timestamp": "soon", "type": {"name": "Pass"}}]
    with pytest.raises(ReplayDataError, match="timestamp"):
        plan_match(broken, FINAL, kickoff_ms=0, tracking_hz=1.0)
