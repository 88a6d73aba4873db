"""The soccer simulator: motion limits, team shapes, anchors, and the endless synthetic match."""

from __future__ import annotations

import itertools

import msgspec
import numpy as np
import pytest

from stream.contracts import MatchEvent, PassEvent, ShotEvent, TrackingFrame
from stream.decode import decode_event, decode_frame
from stream.simulate import (
    HALF_LENGTH_M,
    HALF_WIDTH_M,
    PlayerMotion,
    pull_to_anchors,
    synthetic_match,
    team_shape_targets,
)

# Sprinters top out near 10-12 m/s; the simulator caps players at 9 m/s (plus centimetre rounding).
MAX_PLAYER_SPEED = 12.0
START_MS = 1_700_000_000_000
Message = TrackingFrame | MatchEvent


def _speeds(positions: np.ndarray, hz: float) -> np.ndarray:
    """Speeds (m/s) between consecutive rows of ``(T, n, 2)`` positions."""
    return np.hypot(*np.diff(positions, axis=0).transpose(2, 0, 1)) * hz


def _restless_targets(rng: np.random.Generator, steps: int, n: int, every: int) -> np.ndarray:
    """Targets that jump to a new random spot every ``every`` steps: the hardest case for limits."""
    spots = rng.uniform([-40.0, -25.0], [40.0, 25.0], size=(steps // every + 1, n, 2))
    return np.repeat(spots, every, axis=0)[:steps]


def test_motion_speed_and_acceleration_stay_within_limits() -> None:
    hz, steps = 25.0, 3000
    rng = np.random.default_rng(1)
    motion = PlayerMotion(np.zeros((22, 2)), rng=rng, max_accel=3.5)
    pos = motion.run(_restless_targets(rng, steps, 22, every=100), 1 / hz)
    speed = _speeds(pos, hz)
    assert speed.max() <= motion.top_speed.max() + 1e-9
    assert speed.max() <= 9.0 + 1e-9
    assert speed.max() > 7.0  # far targets do make players sprint
    vel = np.diff(pos, axis=0) * hz
    accel = np.hypot(*np.diff(vel, axis=0).transpose(2, 0, 1)) * hz
    # The step turns velocity by <= max_accel * dt; capping the speed afterwards can add at most as much.
    assert accel.max() <= 2 * 3.5 + 1e-6


def test_motion_reaches_a_fixed_target_and_settles() -> None:
    rng = np.random.default_rng(2)
    motion = PlayerMotion([[-30.0, 10.0], [20.0, -20.0]], rng=rng)
    goal = np.array([[0.0, 0.0], [25.0, -15.0]])
    pos = motion.run(np.broadcast_to(goal, (250, 2, 2)), 1 / 25)  # 10 s
    assert np.hypot(*(pos[-1] - goal).T).max() < 1.0
    assert np.hypot(*motion.velocities.T).max() < 1.0  # jogging on the spot, not oscillating


def test_motion_keeps_players_on_the_pitch() -> None:
    rng = np.random.default_rng(3)
    motion = PlayerMotion(np.zeros((4, 2)), rng=rng)
    outside = np.array([[80.0, 0.0], [-80.0, 0.0], [0.0, 60.0], [0.0, -60.0]])
    pos = motion.run(np.broadcast_to(outside, (500, 4, 2)), 1 / 10)
    assert np.abs(pos[..., 0]).max() <= HALF_LENGTH_M
    assert np.abs(pos[..., 1]).max() <= HALF_WIDTH_M
    assert np.allclose(np.abs(pos[-1]).max(axis=1), [52.5, 52.5, 34.0, 34.0])


def test_motion_is_seeded() -> None:
    targets = _restless_targets(np.random.default_rng(0), 200, 5, every=50)

    def run(seed: int) -> np.ndarray:
        return PlayerMotion(np.zeros((5, 2)), rng=np.random.default_rng(seed)).run(targets, 0.1)

    assert np.array_equal(run(7), run(7))
    assert not np.allclose(run(7), run(8))


def test_team_shape_is_mirror_symmetric_and_keepers_stay_home() -> None:
    slots = np.array([[-48.0, 0.0], [-28.0, 24.0], [5.0, 0.0]])
    keeper = np.array([True, False, False])
    ball = np.array([[30.0, 20.0], [-40.0, -10.0], [0.0, 0.0]])
    plus = team_shape_targets(slots, keeper, np.ones(3), ball)
    minus = team_shape_targets(slots, keeper, -np.ones(3), -ball)
    assert np.allclose(plus, -minus)  # a team attacking -x is the same team turned 180 degrees
    assert np.all(plus[:, 0, 0] < -40.0)  # the keeper stays near his own goal wherever the ball is
    assert plus[0, 2, 0] > plus[1, 2, 0]  # the block follows the ball up the pitch
    pushed = team_shape_targets(slots, keeper, np.ones(3), ball, push=5.0)
    assert np.allclose(pushed[:, 1:, 0] - plus[:, 1:, 0], 5.0)
    assert np.allclose(pushed[:, 0], plus[:, 0])  # the keeper ignores the push


def test_pull_to_anchors_is_total_at_the_anchor_and_absent_far_from_it() -> None:
    base = np.zeros((11, 2, 2))
    frame_ts = np.arange(11) * 1000.0  # 0..10 s
    out = pull_to_anchors(
        base, frame_ts, [5000.0], [1], [[10.0, -4.0]], lead_ms=3000, settle_ms=1000, hold_ms=2000
    )
    assert np.allclose(out[:, 0], 0.0)  # the other slot is untouched
    assert np.allclose(out[4:6, 1], [10.0, -4.0])  # total from settle_ms before to the anchor
    assert np.allclose(out[3, 1], [5.0, -2.0])  # halfway up the ramp
    assert np.allclose(out[6, 1], [5.0, -2.0])  # halfway through the fade
    assert np.allclose(out[[0, 1, 2, 7, 8, 9, 10], 1], 0.0)


# --- the synthetic match ---------------------------------------------------------------------------


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
