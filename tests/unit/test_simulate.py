"""The soccer motion model and its helpers: motion limits, team shapes, anchors."""

from __future__ import annotations

import numpy as np

from stream.sources.simulate import (
    HALF_LENGTH_M,
    HALF_WIDTH_M,
    PlayerMotion,
    pull_to_anchors,
    team_shape_targets,
)


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
