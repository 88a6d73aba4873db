"""The endless synthetic match of the load generator: deterministic, decodable, football-like."""

from __future__ import annotations

import itertools

import msgspec
import numpy as np
import pytest

from stream.contracts import MatchEvent, PassEvent, ShotEvent, TrackingFrame
from stream.decode import decode_event, decode_frame
from stream.sources.simulate import HALF_LENGTH_M, HALF_WIDTH_M
from stream.sources.synthetic import synthetic_match

# Sprinters top out near 10-12 m/s; the simulator caps players at 9 m/s (plus centimetre rounding).
MAX_PLAYER_SPEED = 12.0
START_MS = 1_700_000_000_000
Message = TrackingFrame | MatchEvent


def _speeds(positions: np.ndarray, hz: float) -> np.ndarray:
    """Speeds (m/s) between consecutive rows of ``(T, n, 2)`` positions."""
    return np.hypot(*np.diff(positions, axis=0).transpose(2, 0, 1)) * hz


@pytest.fixture(scope="module")
def match_90() -> list[Message]:
    """Ninety simulated minutes at 1 Hz (a frame a second)."""
    messages: list[Message] = []
    for message in synthetic_match("sim-0001", start_ms=START_MS, hz=1.0, seed=11):
        messages.append(message)
        if isinstance(message, TrackingFrame) and message.ts >= START_MS + 90 * 60_000:
            return messages
    raise AssertionError("unreachable: the generator is endless")


def _take(seed: int, count: int, hz: float = 10.0) -> list[bytes]:
    stream = synthetic_match("sim-0002", start_ms=START_MS, hz=hz, seed=seed)
    return [msgspec.json.encode(m) for m in itertools.islice(stream, count)]


def test_synthetic_match_is_deterministic_per_seed() -> None:
    assert _take(5, 1500) == _take(5, 1500)
    assert _take(5, 1500) != _take(6, 1500)


def test_synthetic_messages_pass_the_real_decoder(match_90: list[Message]) -> None:
    for message in match_90:
        raw = msgspec.json.encode(message)
        decoded = decode_frame(raw) if isinstance(message, TrackingFrame) else decode_event(raw)
        assert decoded == message
        assert message.simulated


def test_synthetic_frames_tick_at_hz_with_22_players_and_a_ball(match_90: list[Message]) -> None:
    frames = [m for m in match_90 if isinstance(m, TrackingFrame)]
    assert [f.frame for f in frames] == list(range(len(frames)))
    assert [f.ts - START_MS for f in frames] == [1000 * k for k in range(len(frames))]
    ids = [f"h{i}" for i in range(1, 12)] + [f"a{i}" for i in range(1, 12)] + ["ball"]
    keepers = {"h1", "a1"}
    for f in frames:
        assert sorted(o.id for o in f.objects) == sorted(ids)
        assert {o.id for o in f.objects if o.role == "goalkeeper"} == keepers
        players = [o for o in f.objects if o.role != "ball"]
        assert max(abs(o.x) for o in players) <= HALF_LENGTH_M
        assert max(abs(o.y) for o in players) <= HALF_WIDTH_M
    # Period 2 (ends swapped) from the 45th simulated minute.
    for f in frames:
        second_half = f.ts - START_MS >= 45 * 60_000
        assert (f.period, f.home_attack) == ((2, -1) if second_half else (1, 1))


def test_synthetic_stream_is_in_time_order_with_unique_event_ids(match_90: list[Message]) -> None:
    ts = [m.ts for m in match_90]
    assert ts == sorted(ts)
    ids = [m.event_id for m in match_90 if not isinstance(m, TrackingFrame)]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("sim-0001-") for i in ids)


def test_synthetic_player_speeds_are_human(match_90: list[Message]) -> None:
    frames = [m for m in match_90 if isinstance(m, TrackingFrame)]
    pos = np.array([[(o.x, o.y) for o in f.objects if o.role != "ball"] for f in frames])
    assert all([o.id for o in f.objects] == [o.id for o in frames[0].objects] for f in frames)  # same order
    speed = _speeds(pos, 1.0)
    assert speed.max() <= MAX_PLAYER_SPEED
    assert 1.0 < speed.mean() < 3.5  # mostly jogging; ~10 km in a match is 1.9 m/s


def test_synthetic_passes_and_shots_come_at_football_rates(match_90: list[Message]) -> None:
    passes = [m for m in match_90 if isinstance(m, PassEvent)]
    shots = [m for m in match_90 if isinstance(m, ShotEvent)]
    assert 90 * 60 / 8 < len(passes) < 90 * 60 / 1.5  # one every few seconds
    assert 90 / 4.5 < len(shots) < 90 / 1.5  # one every ~2-3 minutes
    outcomes = [s.shot.outcome for s in shots]
    assert set(outcomes) <= {"Goal", "Saved", "Off T", "Blocked"}
    assert outcomes.count("Goal") < len(shots) / 3  # goals are rare
    assert all(p.pass_.end_location is not None for p in passes)
    assert {p.team for p in passes} == {"home", "away"}


def test_synthetic_shots_carry_a_freeze_frame_from_the_attacking_half(match_90: list[Message]) -> None:
    shots = [m for m in match_90 if isinstance(m, ShotEvent)]
    assert shots
    for shot in shots:
        ff = shot.shot.freeze_frame
        assert ff is not None and len(ff) == 21
        assert sum(p.teammate for p in ff) == 10
        assert sorted((p.player.id if p.player else "") for p in ff if p.keeper) == ["a1", "h1"]
        assert shot.location is not None and shot.player is not None
        home_attack = 1 if shot.period == 1 else -1
        sign = home_attack if shot.team == "home" else -home_attack
        assert sign * shot.location[0] > 0  # inside the half the shooter attacks
        assert shot.shot.end_location is not None
        assert sign * shot.shot.end_location[0] >= sign * shot.location[0]  # toward the goal
