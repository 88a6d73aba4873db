"""Player kinematics: properties that hold for any track, and examples with known motion.

The property tests fold hypothesis-generated tracks (random walks, gaps, absences) through
:func:`kinematics_step` / :func:`kinematics_track`; the example tests build motions whose true speed
and distance are known and check the filter recovers them from noisy samples.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.kinematics import (
    HIGH_INTENSITY_MS,
    MAX_GAP_S,
    MAX_SPEED_MS,
    SPRINT_MIN_S,
    SPRINT_MS,
    KinematicState,
    PlayerMotion,
    grow_state,
    kinematics_step,
    kinematics_track,
    new_state,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PROPERTY = settings(max_examples=60, deadline=None)


class Track(NamedTuple):
    t: FloatArray  # (T,)
    xy: FloatArray  # (T, n, 2)
    present: BoolArray  # (T, n)


@st.composite
def tracks(
    draw: st.DrawFn,
    *,
    max_players: int = 3,
    max_frames: int = 40,
    max_step_m: float = 1.5,
    max_dt_s: float = 0.6,
    all_present: bool = False,
) -> Track:
    """Random walks of 1..``max_players`` players sampled at uneven times, some rows absent."""
    n = draw(st.integers(1, max_players))
    frames = draw(st.integers(2, max_frames))
    dt = draw(arrays(np.float64, frames, elements=st.floats(0.02, max_dt_s)))
    t = 10.0 + np.cumsum(dt)
    start = draw(arrays(np.float64, (n, 2), elements=st.floats(-50.0, 50.0)))
    steps = draw(arrays(np.float64, (frames, n, 2), elements=st.floats(-max_step_m, max_step_m)))
    xy = start + np.cumsum(steps, axis=0)
    present = np.ones((frames, n), dtype=bool) if all_present else draw(arrays(np.bool_, (frames, n)))
    return Track(t, xy, present)


def fold(track: Track) -> tuple[list[KinematicState], list[PlayerMotion]]:
    """Every intermediate state (``states[0]`` is the empty one) and every step's motion."""
    states = [new_state(track.xy.shape[1])]
    motions = []
    for t, xy, present in zip(track.t, track.xy, track.present, strict=True):
        state, motion = kinematics_step(states[-1], float(t), xy, present)
        states.append(state)
        motions.append(motion)
    return states, motions


def assert_states_equal(a: KinematicState, b: KinematicState) -> None:
    for name, x, y in zip(KinematicState._fields, a, b, strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)  # NaN == NaN here


def assert_rows_equal(a: KinematicState, b: KinematicState, rows: npt.NDArray[np.intp]) -> None:
    for name, x, y in zip(KinematicState._fields, a, b, strict=True):
        np.testing.assert_array_equal(x[rows], y[rows], err_msg=name)


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(track=tracks())
def test_speed_bounds_monotone_totals_and_top_speed(track: Track) -> None:
    states, motions = fold(track)
    speeds = np.array([m.speed for m in motions])
    seen = np.logical_or.accumulate(track.present, axis=0)
    # NaN exactly for players never seen so far; otherwise 0 <= speed <= the cap.
    np.testing.assert_array_equal(np.isnan(speeds), ~seen)
    assert np.all(speeds[seen] >= 0.0)
    assert np.all(speeds[seen] <= MAX_SPEED_MS)
    for before, after in itertools.pairwise(states):
        assert np.all(after.distance >= before.distance)
        assert np.all(after.hi_distance >= before.hi_distance)
        assert np.all(after.hi_distance <= after.distance)
        assert np.all(after.sprints >= before.sprints)
    final = states[-1]
    with np.errstate(all="ignore"):
        highest = np.nanmax(np.where(seen, speeds, -np.inf), axis=0)
    highest = np.maximum(highest, 0.0)
    # Top speed is at least every speed seen, and is one of them (0 before any motion).
    assert np.all(final.top_speed >= highest)
    np.testing.assert_array_equal(final.top_speed, highest)


@PROPERTY
@given(track=tracks(), data=st.data())
def test_folding_in_two_pieces_equals_one_fold(track: Track, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(track.t)), label="split")
    n = track.xy.shape[1]
    whole, speeds = kinematics_track(new_state(n), track.t, track.xy, track.present)
    first, speeds_a = kinematics_track(new_state(n), track.t[:k], track.xy[:k], track.present[:k])
    second, speeds_b = kinematics_track(first, track.t[k:], track.xy[k:], track.present[k:])
    assert_states_equal(second, whole)
    np.testing.assert_array_equal(np.concatenate([speeds_a, speeds_b]), speeds)
    # The first piece's totals are a prefix of the whole: distance only grows over the second piece.
    assert np.all(first.distance <= whole.distance)


def _totals(track: Track) -> tuple[KinematicState, FloatArray]:
    return kinematics_track(new_state(track.xy.shape[1]), track.t, track.xy, track.present)


@PROPERTY
@given(track=tracks())
def test_invariant_to_mirroring_the_pitch(track: Track) -> None:
    base, base_speeds = _totals(track)
    for flip in ([-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]):
        mirrored, speeds = _totals(track._replace(xy=track.xy * np.array(flip)))
        np.testing.assert_allclose(speeds, base_speeds, rtol=1e-12, atol=1e-12, err_msg=str(flip))
        for name in ("distance", "hi_distance", "top_speed", "speed"):
            np.testing.assert_allclose(
                getattr(mirrored, name), getattr(base, name), rtol=1e-12, atol=1e-12, err_msg=name
            )
        np.testing.assert_array_equal(mirrored.sprints, base.sprints)
        expected_pos = base.pos.real * flip[0] + 1j * base.pos.imag * flip[1]
        np.testing.assert_allclose(mirrored.pos, expected_pos, rtol=1e-12, atol=1e-9)


# Small steps, every frame present: no jumps or gaps, so no threshold sits within rounding of a value.
@PROPERTY
@given(
    track=tracks(max_step_m=0.3, max_dt_s=0.2, all_present=True),
    shift=st.tuples(st.floats(-30.0, 30.0), st.floats(-20.0, 20.0)),
)
def test_invariant_to_translation(track: Track, shift: tuple[float, float]) -> None:
    base, base_speeds = _totals(track)
    moved, speeds = _totals(track._replace(xy=track.xy + np.array(shift)))
    np.testing.assert_allclose(speeds, base_speeds, rtol=1e-7, atol=1e-7)
    for name in ("distance", "hi_distance", "top_speed"):
        np.testing.assert_allclose(getattr(moved, name), getattr(base, name), rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(moved.sprints, base.sprints)


def _last_frame_present(track: Track) -> Track:
    present = track.present.copy()
    present[-1] = True
    return track._replace(present=present)


@PROPERTY
@given(track=tracks().map(_last_frame_present), data=st.data())
def test_repeated_frame_changes_nothing(track: Track, data: st.DataObject) -> None:
    states, _ = fold(track)
    state = states[-1]
    n = track.xy.shape[1]
    xy = data.draw(arrays(np.float64, (n, 2), elements=st.floats(-50.0, 50.0)), label="xy")
    again, motion = kinematics_step(state, float(track.t[-1]), xy, np.ones(n, dtype=bool))
    assert_states_equal(again, state)
    assert not motion.updated.any()
    assert not motion.rejected.any()
    np.testing.assert_array_equal(motion.speed, state.speed)


@PROPERTY
@given(track=tracks().map(_last_frame_present), back=st.floats(1e-3, 30.0), data=st.data())
def test_out_of_order_frame_changes_nothing_and_is_rejected(
    track: Track, back: float, data: st.DataObject
) -> None:
    states, _ = fold(track)
    state = states[-1]
    n = track.xy.shape[1]
    xy = data.draw(arrays(np.float64, (n, 2), elements=st.floats(-50.0, 50.0)), label="xy")
    present = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="present"))
    old, motion = kinematics_step(state, float(track.t[-1]) - back, xy, present)
    assert_states_equal(old, state)
    np.testing.assert_array_equal(motion.rejected, present)
    assert not motion.updated.any()


@PROPERTY
@given(track=tracks().map(_last_frame_present), extra=st.floats(1e-3, 600.0), data=st.data())
def test_gap_longer_than_max_re_anchors_without_distance(
    track: Track, extra: float, data: st.DataObject
) -> None:
    states, _ = fold(track)
    state = states[-1]
    n = track.xy.shape[1]
    xy = data.draw(arrays(np.float64, (n, 2), elements=st.floats(-50.0, 50.0)), label="xy")
    t = float(track.t[-1]) + MAX_GAP_S + extra
    after, motion = kinematics_step(state, t, xy, np.ones(n, dtype=bool))
    assert motion.updated.all()
    assert not motion.rejected.any()
    # The path in between is unknown: no distance added; totals kept; the filter restarts at rest.
    np.testing.assert_array_equal(after.distance, state.distance)
    np.testing.assert_array_equal(after.hi_distance, state.hi_distance)
    np.testing.assert_array_equal(after.top_speed, state.top_speed)
    np.testing.assert_array_equal(after.sprints, state.sprints)
    np.testing.assert_array_equal(after.t, np.full(n, t))
    np.testing.assert_array_equal(after.pos, xy[:, 0] + 1j * xy[:, 1])
    np.testing.assert_array_equal(after.speed, np.zeros(n))
    np.testing.assert_array_equal(motion.speed, np.zeros(n))


@PROPERTY
@given(track=tracks(), data=st.data())
def test_non_finite_positions_are_treated_as_absent(track: Track, data: st.DataObject) -> None:
    frames, n = track.present.shape
    bad = data.draw(arrays(np.bool_, (frames, n)), label="bad")
    value = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    columns = data.draw(st.sampled_from([[0], [1], [0, 1]]), label="columns")
    xy = track.xy.copy()
    for column in columns:
        xy[bad, column] = value
    # Present but non-finite rows behave exactly like absent ones.
    noisy, noisy_speeds = _totals(track._replace(xy=xy, present=track.present | bad))
    clean, clean_speeds = _totals(track._replace(present=track.present & ~bad))
    assert_states_equal(noisy, clean)
    np.testing.assert_array_equal(noisy_speeds, clean_speeds)
    # And step by step: a non-finite row keeps its state and is not marked updated.
    states, motions = fold(track._replace(xy=xy, present=track.present | bad))
    for i in range(frames):
        rows = np.flatnonzero(bad[i])
        assert_rows_equal(states[i + 1], states[i], rows)
        assert not motions[i].updated[rows].any()


# --- examples with known motion -------------------------------------------------------------------


def _fold_one(t: FloatArray, xy: FloatArray) -> tuple[KinematicState, FloatArray]:
    """Fold a single player's track ``xy`` ``(T, 2)``; speeds ``(T,)``."""
    state, speeds = kinematics_track(new_state(1), t, xy[:, None, :], np.ones((len(t), 1), dtype=bool))
    return state, speeds[:, 0]


def test_constant_velocity_with_jitter() -> None:
    """6 m/s along +x at 25 Hz for 20 s, positions jittered by 5 cm (gaussian, each axis)."""
    rng = np.random.default_rng(20240501)
    hz, seconds, v = 25, 20.0, 6.0
    t = np.arange(int(seconds * hz)) / hz
    truth = np.stack([-50.0 + v * t, np.full_like(t, 7.0)], axis=1)
    xy = truth + rng.normal(0.0, 0.05, truth.shape)
    state, speeds = _fold_one(t, xy)
    settled = speeds[t >= 2.0]  # after 2 s the filter has converged
    assert abs(settled.mean() - v) <= 0.3
    assert np.percentile(np.abs(settled - v), 95) <= 0.3
    assert abs(speeds[-1] - v) <= 0.3
    true_distance = v * t[-1]
    raw_path = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    filtered_error = abs(state.distance[0] - true_distance)
    assert filtered_error <= 0.02 * true_distance
    # Summing raw differences adds the jitter's length to the path: it overestimates, by more.
    assert raw_path - true_distance > filtered_error
    # Constant 6 m/s is high intensity throughout but never a sprint.
    assert state.sprints[0] == 0
    assert 0.9 * true_distance <= state.hi_distance[0] <= state.distance[0]


def _sprint_track(hold_s: float, hz: int = 25, seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Stand 1 s, accelerate at 6 m/s^2 to 8 m/s, hold ``hold_s``, decelerate at 6 m/s^2, stand 2 s.

    Positions are the exact integral of that speed profile (trapezoids on a fine grid), sampled at
    ``hz`` with 2 cm of jitter.
    """
    accel, top = 6.0, 8.0
    ramp = top / accel
    total = 1.0 + ramp + hold_s + ramp + 2.0

    def speed(tt: FloatArray) -> FloatArray:
        u = tt - 1.0
        return np.clip(np.minimum(np.minimum(accel * u, top), top - accel * (u - ramp - hold_s)), 0.0, top)

    fine = np.linspace(0.0, total, 400_001)
    v = speed(fine)
    x = np.concatenate([[0.0], np.cumsum((v[1:] + v[:-1]) / 2 * np.diff(fine))])
    t = np.arange(int(total * hz)) / hz
    xy = np.stack([np.interp(t, fine, x) - 40.0, np.full_like(t, -5.0)], axis=1)
    xy += np.random.default_rng(seed).normal(0.0, 0.02, xy.shape)
    return t, xy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sprint_held_two_seconds_counts_once(seed: int) -> None:
    # True speed >= 7 m/s for 2 s + 2 * (1/6) s (the ramps between 7 and 8 m/s) = 2.33 s >= 1 s.
    t, xy = _sprint_track(hold_s=2.0, seed=seed)
    state, speeds = _fold_one(t, xy)
    assert state.sprints[0] == 1
    assert 8.0 - 0.3 <= state.top_speed[0] <= 8.0 + 0.3
    assert speeds.max() >= SPRINT_MS


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sprint_held_half_a_second_counts_none(seed: int) -> None:
    # True speed >= 7 m/s for 0.5 s + 2 * (1/6) s = 0.83 s < SPRINT_MIN_S: fast, but not a sprint.
    assert SPRINT_MIN_S == 1.0
    t, xy = _sprint_track(hold_s=0.5, seed=seed)
    state, speeds = _fold_one(t, xy)
    assert state.sprints[0] == 0
    assert speeds.max() >= SPRINT_MS  # it did cross the threshold
    assert state.hi_distance[0] > 0.0  # and covered ground at high intensity (>= 5.5 m/s)
    assert HIGH_INTENSITY_MS < SPRINT_MS


def _curved_run(t: FloatArray) -> FloatArray:
    """Running round a circle of radius 15 m at speed 4 + 2 sin(0.8 t) m/s."""
    s = 4.0 * t + (2.0 / 0.8) * (1.0 - np.cos(0.8 * t))  # arc length, the integral of the speed
    theta = s / 15.0
    return np.stack([15.0 * np.cos(theta), 15.0 * np.sin(theta)], axis=1)


def test_sampling_rate_does_not_change_speed() -> None:
    """The same smooth motion sampled at 10 Hz and 25 Hz: speeds agree at the common instants."""
    result = {}
    for hz in (10, 25):
        t = np.arange(20 * hz) / hz
        _, speeds = _fold_one(t, _curved_run(t))
        result[hz] = speeds
    common = np.arange(10, 100)  # every 0.2 s from 2 s (after convergence) to 19.8 s
    np.testing.assert_allclose(result[10][common * 2], result[25][common * 5], atol=0.3)
    # And both follow the true speed.
    truth = 4.0 + 2.0 * np.sin(0.8 * common * 0.2)
    np.testing.assert_allclose(result[25][common * 5], truth, atol=0.6)


def test_grow_state_keeps_existing_rows() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(30) / 25
    xy = np.cumsum(rng.normal(0.0, 0.2, (30, 3, 2)), axis=0)
    present = np.ones((30, 3), dtype=bool)
    present[:, 2] = False  # slot 2 never seen
    state, _ = kinematics_track(new_state(3), t, xy, present)
    grown = grow_state(state, 5)
    empty = new_state(2)
    for name, old, new, fresh in zip(KinematicState._fields, state, grown, empty, strict=True):
        assert len(new) == 5, name
        np.testing.assert_array_equal(new[:3], old, err_msg=name)
        np.testing.assert_array_equal(new[3:], fresh, err_msg=name)
        assert new.dtype == old.dtype, name
    # Growing to fewer or as many slots changes nothing.
    for n in (2, 3):
        assert_states_equal(grow_state(state, n), state)
    # The grown state keeps folding: the old slots carry on, the new ones start when they appear.
    more = np.cumsum(rng.normal(0.0, 0.2, (5, 5, 2)), axis=0) + xy[-1, 0]
    after, speeds = kinematics_track(grown, t[-1] + (1 + np.arange(5)) / 25, more, np.ones((5, 5), bool))
    assert np.all(after.distance[:2] > state.distance[:2])
    assert np.all(np.isfinite(speeds))


def test_new_state_has_nobody_seen() -> None:
    state = new_state(4)
    assert all(len(field) == 4 for field in state)
    assert np.isnan(state.t).all()
    assert np.isnan(state.pos).all()
    for name in ("speed", "accel", "distance", "hi_distance", "top_speed", "sprint_s", "sprints"):
        np.testing.assert_array_equal(getattr(state, name), np.zeros(4), err_msg=name)
    _, motion = kinematics_step(state, 0.0, np.zeros((4, 2)), np.array([True, False, True, False]))
    np.testing.assert_array_equal(np.isnan(motion.speed), [False, True, False, True])
    np.testing.assert_array_equal(motion.updated, [True, False, True, False])
