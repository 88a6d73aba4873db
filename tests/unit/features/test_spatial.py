"""Spatial features of a frame, against brute-force references and hand-built frames."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.frame import frame_features
from features.kinematics import kinematics_track, new_state
from features.spatial import (
    CARRIER_MAX_HEIGHT_M,
    CARRIER_RADIUS_M,
    PRESSURE_RADIUS_M,
    TeamShape,
    ball_carrier,
    frame_spatial,
    lines_label,
    separation,
    team_shape,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROPERTY = settings(max_examples=60, deadline=None)
NAN = float("nan")


@st.composite
def frames(draw: st.DrawFn, min_players: int = 2, max_players: int = 22) -> tuple[FloatArray, IntArray]:
    """Players on (and a little beyond) the pitch, both teams present."""
    n = draw(st.integers(min_players, max_players))
    xy = draw(
        arrays(np.float64, (n, 2), elements=st.floats(-55.0, 55.0, allow_nan=False, allow_infinity=False))
    )
    team = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    team[0], team[1] = 0, 1
    perm = np.array(draw(st.permutations(list(range(n)))))
    return xy[perm], team[perm]


def brute_separation(xy: FloatArray, team: IntArray) -> FloatArray:
    out = np.full(len(xy), NAN)
    for i in range(len(xy)):
        best = math.inf
        for j in range(len(xy)):
            if team[j] != team[i]:
                best = min(best, math.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1]))
        if best < math.inf:
            out[i] = best
    return out


def brute_shape(xy: FloatArray) -> tuple[int, float, float, float, float, float]:
    """players, centroid x/y, width (y extent), depth (x extent), mean distance to the centroid."""
    k = len(xy)
    if k == 0:
        return (0, NAN, NAN, NAN, NAN, NAN)
    cx = sum(float(p[0]) for p in xy) / k
    cy = sum(float(p[1]) for p in xy) / k
    width = max(float(p[1]) for p in xy) - min(float(p[1]) for p in xy)
    depth = max(float(p[0]) for p in xy) - min(float(p[0]) for p in xy)
    spread = sum(math.hypot(float(p[0]) - cx, float(p[1]) - cy) for p in xy) / k
    return (k, cx, cy, width, depth, spread)


def assert_shape(shape: TeamShape, xy: FloatArray) -> None:
    expected = brute_shape(xy)
    assert shape.players == expected[0]
    np.testing.assert_allclose(np.array(shape[1:]), np.array(expected[1:]), rtol=1e-9, atol=1e-9)


# --- separation -----------------------------------------------------------------------------------


@PROPERTY
@given(frame=frames())
def test_separation_equals_brute_force(frame: tuple[FloatArray, IntArray]) -> None:
    xy, team = frame
    np.testing.assert_allclose(separation(xy, team), brute_separation(xy, team), rtol=1e-12, atol=1e-12)


@PROPERTY
@given(frame=frames(), data=st.data())
def test_separation_invariant_to_mirroring_and_permuting(
    frame: tuple[FloatArray, IntArray], data: st.DataObject
) -> None:
    xy, team = frame
    base = separation(xy, team)
    for flip in ([-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]):
        np.testing.assert_allclose(separation(xy * flip, team), base, rtol=1e-12, atol=1e-12)
    perm = np.array(data.draw(st.permutations(list(range(len(xy)))), label="perm"))
    np.testing.assert_allclose(separation(xy[perm], team[perm]), base[perm], rtol=1e-12, atol=1e-12)


def test_separation_hand_built() -> None:
    xy = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0], [0.0, -2.0]])
    team = np.array([0, 1, 0, 1])
    # 0: nearest away is 3 at 2 m; 1: nearest home is 0 at 5 m (2 is at hypot(7, 4) = 8.06);
    # 2: away 1 at hypot(7, 4), away 3 at hypot(10, 2); 3: home 0 at 2 m.
    np.testing.assert_allclose(separation(xy, team), [2.0, 5.0, math.hypot(7, 4), 2.0])


def test_separation_without_opponents_is_nan() -> None:
    xy = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert np.isnan(separation(xy, np.array([1, 1]))).all()
    assert separation(np.empty((0, 2)), np.empty(0, dtype=np.int64)).shape == (0,)


# --- ball carrier and pressure --------------------------------------------------------------------

# Home 0 on the ball at the origin; away 2 at 3 m and away 3 at 4.5 m press him; away 4 is 6 m
# away (outside 5 m); home 1 is a teammate 1 m away (never pressure).
CARRIER_XY = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 4.5], [-6.0, 0.0]])
CARRIER_TEAM = np.array([0, 0, 1, 1, 1])


def test_carrier_and_pressure_hand_built() -> None:
    c = ball_carrier(CARRIER_XY, CARRIER_TEAM, np.array([-0.3, 0.4]))
    assert c.player == 0
    assert c.distance_to_ball == pytest.approx(0.5)  # hypot(0.3, 0.4)
    assert c.opponents == 2
    assert c.nearest_opponent == pytest.approx(3.0)
    assert c.pressure == pytest.approx((1 - 3.0 / 5) + (1 - 4.5 / 5))  # 0.4 + 0.1


def test_carrier_is_the_nearest_within_radius() -> None:
    # Ball 1.2 m from home 1 and 0.2 m closer to him than to home 0 -> home 1 carries.
    c = ball_carrier(CARRIER_XY, CARRIER_TEAM, np.array([0.6, 0.0]))
    assert c.player == 1
    assert c.distance_to_ball == pytest.approx(0.4)
    # From (1, 0): away 2 at 2 m, away 3 at hypot(1, 4.5) = 4.61 m, away 4 at 7 m.
    assert c.opponents == 2
    assert c.nearest_opponent == pytest.approx(2.0)
    assert c.pressure == pytest.approx((1 - 2.0 / 5) + (1 - math.hypot(1, 4.5) / 5))


@pytest.mark.parametrize(
    ("ball", "ball_z", "carrier"),
    [
        ((0.0, -1.4), 0.0, 0),  # 1.4 m from home 0: within 1.5 m
        ((0.0, -1.6), 0.0, -1),  # 1.6 m: nobody
        ((0.0, 0.0), 1.5, 0),  # "no higher than 1.5 m"
        ((0.0, 0.0), 1.6, -1),  # ball in flight over his head
        ((0.0, 0.0), 2.5, -1),
        ((NAN, NAN), 0.0, -1),  # no ball in the frame
        ((NAN, 0.0), 0.0, -1),
    ],
)
def test_no_carrier_cases(ball: tuple[float, float], ball_z: float, carrier: int) -> None:
    assert CARRIER_RADIUS_M == 1.5
    assert CARRIER_MAX_HEIGHT_M == 1.5
    c = ball_carrier(CARRIER_XY, CARRIER_TEAM, np.array(ball), ball_z)
    assert c.player == carrier
    if carrier < 0:
        assert math.isnan(c.distance_to_ball)
        assert math.isnan(c.nearest_opponent)
        assert c.opponents == 0
        assert c.pressure == 0.0


def test_pressure_radius_edges() -> None:
    assert PRESSURE_RADIUS_M == 5.0
    # Home 0 on the ball; away 1 at 4.9 m (inside 5 m, adds 1 - 4.9/5 = 0.02), away 2 at 5.1 m (outside).
    xy = np.array([[0.0, 0.0], [4.9, 0.0], [0.0, 5.1]])
    team = np.array([0, 1, 1])
    c = ball_carrier(xy, team, np.array([-0.1, 0.0]))
    assert (c.player, c.opponents) == (0, 1)
    assert c.nearest_opponent == pytest.approx(4.9)
    assert c.pressure == pytest.approx(1 - 4.9 / 5)
    # An opponent touching the carrier (0.05 m, and 0.15 m from the ball so not the carrier) adds ~1.
    xy = np.concatenate([xy, [[0.05, 0.0]]])
    c = ball_carrier(xy, np.array([0, 1, 1, 1]), np.array([-0.1, 0.0]))
    assert (c.player, c.opponents) == (0, 2)
    assert c.nearest_opponent == pytest.approx(0.05)
    assert c.pressure == pytest.approx((1 - 0.05 / 5) + (1 - 4.9 / 5))


def test_carrier_without_opponents() -> None:
    c = ball_carrier(np.array([[0.0, 0.0], [5.0, 0.0]]), np.array([0, 0]), np.array([0.5, 0.0]))
    assert c.player == 0
    assert c.opponents == 0
    assert math.isnan(c.nearest_opponent)
    assert c.pressure == 0.0


# --- team shape -----------------------------------------------------------------------------------


@PROPERTY
@given(
    xy=arrays(
        np.float64,
        st.tuples(st.integers(1, 11), st.just(2)),
        elements=st.floats(-55.0, 55.0, allow_nan=False, allow_infinity=False),
    )
)
def test_team_shape_equals_brute_force(xy: FloatArray) -> None:
    assert_shape(team_shape(xy), xy)
    # Which way the team attacks does not change it: a half turn keeps width, depth and spread.
    turned = team_shape(-xy)
    np.testing.assert_allclose(
        [turned.width, turned.depth, turned.spread],
        [brute_shape(xy)[3], brute_shape(xy)[4], brute_shape(xy)[5]],
        rtol=1e-9,
        atol=1e-9,
    )


def test_team_shape_hand_built_and_empty() -> None:
    # A 20 x 10 rectangle's corners: centroid (0, 0), width 10, depth 20, spread hypot(10, 5).
    xy = np.array([[-10.0, -5.0], [10.0, -5.0], [10.0, 5.0], [-10.0, 5.0]])
    s = team_shape(xy)
    assert s.players == 4
    assert (s.centroid_x, s.centroid_y) == pytest.approx((0.0, 0.0))
    assert s.width == pytest.approx(10.0)
    assert s.depth == pytest.approx(20.0)
    assert s.spread == pytest.approx(math.hypot(10, 5))


def test_team_shape_of_nobody_is_nan() -> None:
    # TeamShape's docstring: all NaN (and players 0) when none of its players is visible.
    empty = team_shape(np.empty((0, 2)))
    assert empty.players == 0
    assert all(math.isnan(v) for v in empty[1:])


@PROPERTY
@given(frame=frames(), data=st.data())
def test_frame_spatial_shapes_are_outfield_players_of_each_team(
    frame: tuple[FloatArray, IntArray], data: st.DataObject
) -> None:
    xy, team = frame
    keeper = np.array(data.draw(st.lists(st.booleans(), min_size=len(xy), max_size=len(xy)), label="keeper"))
    out = frame_spatial(xy, team, keeper, np.array([NAN, NAN]))
    assert_shape(out.home, xy[(team == 0) & ~keeper])
    assert_shape(out.away, xy[(team == 1) & ~keeper])
    np.testing.assert_allclose(out.separation, brute_separation(xy, team), rtol=1e-12, atol=1e-12)
    assert out.carrier.player == -1


# --- lines ----------------------------------------------------------------------------------------


def _lines(sizes: tuple[int, ...], xs: tuple[float, ...], seed: int) -> FloatArray:
    """Outfield players in lines of ``sizes`` at depths ``xs`` (attacking +x), jittered by < 1.5 m."""
    rng = np.random.default_rng(seed)
    rows = []
    for size, x in zip(sizes, xs, strict=True):
        ys = np.linspace(-25.0, 25.0, size) if size > 1 else np.array([0.0])
        rows.append(np.stack([x + rng.uniform(-1.5, 1.5, size), ys + rng.uniform(-2, 2, size)], axis=1))
    xy = np.concatenate(rows)
    return xy[rng.permutation(len(xy))]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("sizes", "xs", "label", "reversed_label"),
    [
        ((4, 4, 2), (-35.0, -18.0, -3.0), "4-4-2", "2-4-4"),
        ((4, 3, 3), (-30.0, -12.0, 6.0), "4-3-3", "3-3-4"),
        ((3, 5, 2), (-25.0, -10.0, 8.0), "3-5-2", "2-5-3"),
    ],
)
def test_lines_label(
    sizes: tuple[int, ...], xs: tuple[float, ...], label: str, reversed_label: str, seed: int
) -> None:
    xy = _lines(sizes, xs, seed)
    assert lines_label(xy, 1.0) == label
    # The same shape attacking -x (a half turn): counted from its own back line.
    assert lines_label(-xy, -1.0) == label
    assert lines_label(xy * [-1.0, 1.0], -1.0) == label
    # Read with the wrong direction, the lines come out front to back.
    assert lines_label(xy, -1.0) == reversed_label


def test_lines_label_needs_three_players() -> None:
    assert lines_label(np.empty((0, 2)), 1.0) == ""
    assert lines_label(np.array([[0.0, 0.0], [5.0, 0.0]]), 1.0) == ""
    assert lines_label(np.array([[0.0, 0.0], [5.0, 0.0], [10.0, 0.0]]), 1.0) == "1-1-1"


# --- the per-frame composite ----------------------------------------------------------------------


def test_frame_features_absent_slot_and_carrier_in_slot_order() -> None:
    n = 7
    # Slots: 0 home keeper, 1 home, 2 away (absent), 3 home, 4 away (NaN position), 5 away, 6 home.
    team = np.array([0, 0, 1, 0, 1, 1, 0])
    keeper = np.array([True, False, False, False, False, False, False])
    xy = np.array(
        [[-50.0, 0.0], [-10.0, 5.0], [20.0, 0.0], [0.0, -8.0], [NAN, NAN], [3.0, 0.0], [15.0, 20.0]]
    )
    present = np.array([True, True, False, True, True, True, True])
    # Give everybody a history so the kinematics have seen them all.
    t = np.arange(5) / 25
    history = np.nan_to_num(xy)[None, :, :] + np.linspace(-0.4, 0.0, 5)[:, None, None]
    state, _ = kinematics_track(new_state(n), t, history, np.ones((5, n), dtype=bool))
    # The ball at (3.5, 0): 0.5 m from slot 5 and far from every other present player.
    ball = np.array([3.5, 0.0])
    xy_absent_near_ball = xy.copy()
    xy_absent_near_ball[2] = [3.4, 0.0]  # absent: must not become the carrier even though nearer
    state2, f = frame_features(state, 0.2, xy_absent_near_ball, present, team, keeper, ball)
    shown = np.array([0, 1, 3, 5, 6])
    expected = np.full(n, NAN)
    expected[shown] = brute_separation(xy[shown], team[shown])
    np.testing.assert_allclose(f.spatial.separation, expected, rtol=1e-12)
    assert np.isnan(f.spatial.separation[[2, 4]]).all()
    assert f.spatial.carrier.player == 5  # slot index, not the index among the present players (3)
    assert f.spatial.carrier.distance_to_ball == pytest.approx(0.5)
    # Home 3 at (0, -8) is hypot(3, 8) = 8.5 m away, so no pressure; away 2 is absent.
    assert f.spatial.carrier.opponents == 0
    assert f.spatial.carrier.nearest_opponent == pytest.approx(math.hypot(3, 8))
    # Team shapes: present outfield players only (home: 1, 3, 6; away: 5).
    assert_shape(f.spatial.home, xy[[1, 3, 6]])
    assert_shape(f.spatial.away, xy[[5]])
    # Kinematics: absent and non-finite slots keep their state; the others moved on.
    np.testing.assert_array_equal(f.motion.updated, present & np.isfinite(xy[:, 0]))
    for name in ("t", "pos", "distance"):
        np.testing.assert_array_equal(getattr(state2, name)[[2, 4]], getattr(state, name)[[2, 4]])
    assert np.all(np.isfinite(f.motion.speed))  # everybody has been seen


def test_frame_features_all_present_matches_frame_spatial() -> None:
    rng = np.random.default_rng(11)
    n = 10
    xy = rng.uniform([-50, -30], [50, 30], (n, 2))
    team = np.arange(n) % 2
    keeper = np.zeros(n, dtype=bool)
    ball = xy[7] + [0.3, -0.2]
    _, f = frame_features(new_state(n), 0.0, xy, np.ones(n, dtype=bool), team, keeper, ball)
    ref = frame_spatial(xy, team, keeper, ball)
    np.testing.assert_array_equal(f.spatial.separation, ref.separation)
    assert f.spatial.carrier == ref.carrier
    assert f.spatial.carrier.player == 7


def test_frame_features_with_nobody_present() -> None:
    # A frame that shows no player (a feed gap): every slot keeps its kinematics, every separation
    # is NaN, nobody carries the ball and both team shapes are empty (players 0, the rest NaN).
    n = 3
    state = new_state(n)
    after, f = frame_features(
        state,
        0.0,
        np.zeros((n, 2)),
        np.zeros(n, dtype=bool),
        np.array([0, 1, 0]),
        np.zeros(n, dtype=bool),
        np.array([0.0, 0.0]),
    )
    assert np.isnan(f.spatial.separation).all()
    assert f.spatial.carrier.player == -1
    for shape in (f.spatial.home, f.spatial.away):
        assert shape.players == 0
        assert all(math.isnan(v) for v in shape[1:])
    assert not f.motion.updated.any()
    np.testing.assert_array_equal(after.t, state.t)


def test_frame_spatial_with_one_team_absent() -> None:
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 6.0]])
    out = frame_spatial(xy, np.array([0, 0, 0]), np.zeros(3, dtype=bool), np.array([0.2, 0.0]))
    assert np.isnan(out.separation).all()
    assert out.carrier.player == 0
    assert out.carrier.opponents == 0
    assert_shape(out.home, xy)
    assert out.away.players == 0
    assert all(math.isnan(v) for v in out.away[1:])
