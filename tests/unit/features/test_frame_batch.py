"""A wave of frames through :func:`frame_features_batch` gives, frame for frame, what
:func:`frame_features` gives: every state field, motion field and spatial feature, to rounding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.frame import frame_features
from features.frame_batch import frame_features_batch
from features.kinematics import KinematicState, new_state

Frame = tuple[KinematicState, float, Any, Any, Any, Any, Any, float]


def _frame(rng: np.random.Generator, state: KinematicState, t: float) -> Frame:
    n = len(state.t)
    xy = rng.uniform([-52, -34], [52, 34], (n, 2))
    if rng.random() < 0.7:  # mostly running on from where the filter has them (no re-anchoring)
        known = np.isfinite(state.pos)
        xy[known] = (
            np.column_stack([state.pos.real, state.pos.imag])[known] + rng.normal(0, 0.3, (n, 2))[known]
        )
    present = rng.random(n) < 0.9
    if n and rng.random() < 0.1:
        xy[int(rng.integers(n))] = np.nan  # a non-finite position counts as absent
    team = rng.integers(0, 2, n)
    keeper = rng.random(n) < 0.1
    if not n or rng.random() < 0.15:
        ball = np.array([np.nan, np.nan])
    else:
        carrier = int(rng.integers(n))
        ball = np.nan_to_num(xy[carrier], nan=0.0) + rng.uniform(-1.0, 1.0, 2)
    ball_z = float(rng.choice([0.1, 0.2, 3.0]))
    return state, t, xy, present, team, keeper, ball, ball_z


def _same(a: Any, b: Any, path: str) -> None:
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}.{i}")
        return
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12, err_msg=path)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 6))
def test_a_wave_equals_frame_by_frame(seed: int, matches: int, steps: int) -> None:
    rng = np.random.default_rng(seed)
    states = [new_state(int(rng.integers(0, 26))) for _ in range(matches)]
    clocks = rng.uniform(0, 100, matches)
    for _ in range(steps):  # waves in a row: the state carried from one to the next
        clocks = clocks + rng.choice([0.04, 0.04, 0.0, -0.04, 2.5], matches)
        wave = [_frame(rng, s, float(t)) for s, t in zip(states, clocks, strict=True)]
        batched = frame_features_batch(*(list(column) for column in zip(*wave, strict=True)))
        for k, frame in enumerate(wave):
            one = frame_features(*frame)
            _same(batched[k], one, f"frame {k}")
        states = [b[0] for b in batched]


def test_an_empty_wave_and_frames_without_players() -> None:
    assert frame_features_batch([], [], [], [], [], [], [], []) == ()
    empty = np.zeros((0, 2))
    [(state, features)] = frame_features_batch(
        [new_state(0)], [1.0], [empty], [np.zeros(0, bool)], [np.zeros(0, np.int64)],
        [np.zeros(0, bool)], [np.array([0.0, 0.0])], [0.0],
    )  # fmt: skip
    assert len(state.t) == 0 and features.spatial.carrier.player == -1
    assert features.spatial.home.players == 0


@pytest.mark.parametrize("absent", [False, True])
def test_the_inputs_are_left_as_they_were(absent: bool) -> None:
    rng = np.random.default_rng(3)
    wave = [_frame(rng, new_state(22), 1.0) for _ in range(3)]
    if absent:
        wave[0][3][0] = False
    before = [tuple(np.copy(v) if isinstance(v, np.ndarray) else v for v in f[2:]) for f in wave]
    frame_features_batch(*(list(column) for column in zip(*wave, strict=True)))
    after = [f[2:] for f in wave]
    for b, a in zip(before, after, strict=True):
        for x, y in zip(b, a, strict=True):
            np.testing.assert_array_equal(x, y)
