"""The pitch frame and the providers' frames: landmarks land on their metric places, conversions invert.

Expected values come from the laws of the game (a 105 x 68 m pitch: goal 7.32 m wide, penalty spot
11 m out, six-yard box 5.5 m deep and 18.32 m wide, penalty box 16.5 m deep and 40.32 m wide) and
from the module docstring's orientation: ``y`` grows to the left of a player facing ``+x``, so
StatsBomb's top touchline (``y = 0``, on the left of its left-to-right attack) is at ``y = +34``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.coordinates import (
    GOAL_HALF_WIDTH_M,
    GOAL_X_M,
    PITCH_LENGTH_M,
    PITCH_WIDTH_M,
    lastrow_to_pitch,
    pitch_to_statsbomb,
    statsbomb_to_pitch,
    to_attacking,
    wyscout_to_pitch,
)

HALF_L = 105.0 / 2  # goal line
HALF_W = 68.0 / 2  # touchline
POST = 7.32 / 2

# StatsBomb landmark -> pitch-frame metres (StatsBomb's team attacking +x, attack sign +1).
LANDMARKS = [
    ((60.0, 40.0), (0.0, 0.0), "centre spot"),
    ((108.0, 40.0), (HALF_L - 11.0, 0.0), "penalty spot"),
    ((12.0, 40.0), (-(HALF_L - 11.0), 0.0), "own penalty spot"),
    ((120.0, 36.0), (HALF_L, POST), "left post (top of the StatsBomb picture)"),
    ((120.0, 44.0), (HALF_L, -POST), "right post"),
    ((120.0, 40.0), (HALF_L, 0.0), "goal centre"),
    ((0.0, 40.0), (-HALF_L, 0.0), "own goal centre"),
    ((0.0, 0.0), (-HALF_L, HALF_W), "own-left corner"),
    ((120.0, 0.0), (HALF_L, HALF_W), "attacking-left corner"),
    ((0.0, 80.0), (-HALF_L, -HALF_W), "own-right corner"),
    ((120.0, 80.0), (HALF_L, -HALF_W), "attacking-right corner"),
    ((60.0, 0.0), (0.0, HALF_W), "halfway line, left touchline"),
    ((102.0, 18.0), (HALF_L - 16.5, 40.32 / 2), "penalty box, left corner"),
    ((102.0, 62.0), (HALF_L - 16.5, -40.32 / 2), "penalty box, right corner"),
    ((114.0, 30.0), (HALF_L - 5.5, 18.32 / 2), "six-yard box, left corner"),
    ((114.0, 50.0), (HALF_L - 5.5, -18.32 / 2), "six-yard box, right corner"),
]


# Wyscout landmark (percent of length and width, its markings as Wyscout gave them) -> metres.
WYSCOUT_LANDMARKS = [
    ((50.0, 50.0), (0.0, 0.0), "centre spot"),
    ((90.0, 50.0), (HALF_L - 11.0, 0.0), "penalty spot"),
    ((100.0, 44.0), (HALF_L, POST), "left post (top of the picture)"),
    ((100.0, 56.0), (HALF_L, -POST), "right post"),
    ((100.0, 0.0), (HALF_L, HALF_W), "attacking-left corner"),
    ((0.0, 100.0), (-HALF_L, -HALF_W), "own-right corner"),
    ((84.0, 19.0), (HALF_L - 16.5, 40.32 / 2), "penalty box, left corner"),
    ((84.0, 81.0), (HALF_L - 16.5, -40.32 / 2), "penalty box, right corner"),
    ((94.0, 37.0), (HALF_L - 5.5, 18.32 / 2), "six-yard box, left corner"),
    ((6.0, 63.0), (-(HALF_L - 5.5), -18.32 / 2), "own six-yard box, right corner"),
]


@pytest.mark.parametrize(
    ("wy", "metres", "name"), WYSCOUT_LANDMARKS, ids=[n for _, _, n in WYSCOUT_LANDMARKS]
)
def test_wyscout_landmarks_map_to_metric_landmarks(
    wy: tuple[float, float], metres: tuple[float, float], name: str
) -> None:
    np.testing.assert_allclose(wyscout_to_pitch(np.array([wy])), [metres], atol=1e-9, err_msg=name)
    turned = wyscout_to_pitch(np.array([wy]), -1.0)
    np.testing.assert_allclose(turned, [(-metres[0], -metres[1])], atol=1e-9, err_msg=name)


def test_wyscout_conversion_is_monotone_and_extends_past_the_lines() -> None:
    v = np.linspace(-5.0, 105.0, 221)
    out = wyscout_to_pitch(np.stack([v, v], axis=1))
    assert np.all(np.diff(out[:, 0]) > 0)
    assert np.all(np.diff(out[:, 1]) < 0)
    assert out[0, 0] < -HALF_L and out[-1, 0] > HALF_L


def test_constants_match_the_laws_of_the_game() -> None:
    assert PITCH_LENGTH_M == 105.0
    assert PITCH_WIDTH_M == 68.0
    assert GOAL_X_M == HALF_L
    assert pytest.approx(POST) == GOAL_HALF_WIDTH_M


@pytest.mark.parametrize(("sb", "metres", "name"), LANDMARKS, ids=[n for _, _, n in LANDMARKS])
def test_statsbomb_landmarks_map_to_metric_landmarks(
    sb: tuple[float, float], metres: tuple[float, float], name: str
) -> None:
    out = statsbomb_to_pitch(np.array([sb]))
    np.testing.assert_allclose(out, [metres], atol=1e-9, err_msg=name)
    # The other team attacks -x: the same StatsBomb point is turned half way round the centre spot.
    turned = statsbomb_to_pitch(np.array([sb]), -1.0)
    np.testing.assert_allclose(turned, [(-metres[0], -metres[1])], atol=1e-9, err_msg=name)
    # And back.
    np.testing.assert_allclose(pitch_to_statsbomb(np.array([metres])), [sb], atol=1e-9, err_msg=name)


def test_all_landmarks_at_once_keep_their_order() -> None:
    sb = np.array([s for s, _, _ in LANDMARKS])
    metres = np.array([m for _, m, _ in LANDMARKS])
    np.testing.assert_allclose(statsbomb_to_pitch(sb), metres, atol=1e-9)
    signs = np.where(np.arange(len(sb)) % 2 == 0, 1.0, -1.0)
    np.testing.assert_allclose(statsbomb_to_pitch(sb, signs), metres * signs[:, None], atol=1e-9)


def test_penalty_spot_is_eleven_metres_in_front_of_the_posts() -> None:
    spot, left, right = statsbomb_to_pitch(np.array([[108.0, 40.0], [120.0, 36.0], [120.0, 44.0]]))
    assert np.hypot(*(left - right)) == pytest.approx(7.32)
    assert HALF_L - spot[0] == pytest.approx(11.0)


def test_statsbomb_conversion_is_monotone() -> None:
    # x grows with StatsBomb x; y falls as StatsBomb y grows (StatsBomb's y points down the picture).
    v = np.linspace(-10.0, 130.0, 281)
    pts = np.stack([v, np.interp(v, [-10.0, 130.0], [-10.0, 90.0])], axis=1)
    out = statsbomb_to_pitch(pts)
    assert np.all(np.diff(out[:, 0]) > 0)
    assert np.all(np.diff(out[:, 1]) < 0)


# StatsBomb points, including the run-off beyond the lines (converted by linear extension).
sb_points = st.lists(st.tuples(st.floats(-10.0, 130.0), st.floats(-10.0, 90.0)), min_size=1, max_size=20).map(
    lambda pts: np.array(pts, dtype=np.float64)
)


@settings(max_examples=100, deadline=None)
@given(pts=sb_points, data=st.data())
def test_statsbomb_round_trip(pts: np.ndarray, data: st.DataObject) -> None:
    signs = np.array(data.draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=len(pts), max_size=len(pts))))
    for sign in (1.0, -1.0, signs):
        back = pitch_to_statsbomb(statsbomb_to_pitch(pts, sign), sign)
        np.testing.assert_allclose(back, pts, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    pts=arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.just(2)),
        elements=st.floats(-60.0, 60.0, allow_nan=False, allow_infinity=False),
    ),
    sign=st.sampled_from([1.0, -1.0]),
)
def test_pitch_round_trip(pts: np.ndarray, sign: float) -> None:
    back = statsbomb_to_pitch(pitch_to_statsbomb(pts, sign), sign)
    np.testing.assert_allclose(back, pts, atol=1e-9)


@pytest.mark.parametrize(
    ("lastrow", "metres"),
    [
        ((0.0, 0.0), (-HALF_L, HALF_W)),  # top-left of the picture: own goal line, left touchline
        ((100.0, 0.0), (HALF_L, HALF_W)),
        ((0.0, 100.0), (-HALF_L, -HALF_W)),
        ((100.0, 100.0), (HALF_L, -HALF_W)),
        ((50.0, 50.0), (0.0, 0.0)),
        ((75.0, 25.0), (HALF_L / 2, HALF_W / 2)),
    ],
)
def test_lastrow_corners_and_centre(lastrow: tuple[float, float], metres: tuple[float, float]) -> None:
    np.testing.assert_allclose(lastrow_to_pitch(np.array([lastrow])), [metres], atol=1e-9)


def test_lastrow_scales_linearly() -> None:
    # One Last Row unit is 1.05 m along and 0.68 m across (y pointing down the picture).
    a, b = lastrow_to_pitch(np.array([[10.0, 20.0], [11.0, 21.0]]))
    np.testing.assert_allclose(b - a, [1.05, -0.68], atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    pts=arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.just(2)),
        elements=st.floats(-60.0, 60.0, allow_nan=False, allow_infinity=False),
    ),
    sign=st.sampled_from([1.0, -1.0]),
)
def test_to_attacking_preserves_pairwise_distances(pts: np.ndarray, sign: float) -> None:
    out = to_attacking(pts, sign)
    before = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    after = np.hypot(*(out[:, None, :] - out[None, :, :]).transpose(2, 0, 1))
    np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-12)
    # Distances to the attacked goal are kept too: the goal a team attacking `sign` aims at
    # is (sign * 52.5, 0), and it lands on (+52.5, 0).
    goal = np.array([[sign * HALF_L, 0.0]])
    np.testing.assert_allclose(to_attacking(goal, sign), [[HALF_L, 0.0]])
    np.testing.assert_allclose(
        np.hypot(*(out - [HALF_L, 0.0]).T), np.hypot(*(pts - goal).T), rtol=1e-12, atol=1e-12
    )


def test_to_attacking_plus_one_is_identity_and_minus_one_a_half_turn() -> None:
    pts = np.array([[1.0, 2.0], [-30.0, 5.5], [52.5, -3.66]])
    np.testing.assert_array_equal(to_attacking(pts, 1.0), pts)
    np.testing.assert_array_equal(to_attacking(pts, -1.0), -pts)
    np.testing.assert_array_equal(to_attacking(pts, np.array([1.0, -1.0, 1.0])), pts * [[1], [-1], [1]])
