"""Kinematics on real motion: the two Last Row plays (20 frames per second, two attacking moves).

Each play is folded through :func:`kinematics_track` with one slot per player (the ball, team ``''``,
is left out); positions converted with :func:`lastrow_to_pitch`, frame ``f`` at ``f / 20`` seconds,
absent players NaN.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pytest

from features.coordinates import lastrow_to_pitch
from features.kinematics import KinematicState, kinematics_track, new_state
from tests.shared_data import shared_path

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

FPS = 20.0
PLAYS = ["LIV_[2]-1_CHE.csv", "Real_vs_Barcelona_Calma.csv"]


class Play(NamedTuple):
    players: list[str]
    t: FloatArray  # (T,) seconds
    xy: FloatArray  # (T, n, 2) metres, NaN where absent
    present: BoolArray  # (T, n)


class Folded(NamedTuple):
    play: Play
    state: KinematicState
    speeds: FloatArray


def _lastrow_dir() -> Path:
    return shared_path("tracking", "last-row")


def _load(path: Path) -> Play:
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["team"] in ("attack", "defense")]
    players = sorted({r["player"] for r in rows}, key=int)
    frames = sorted({int(r["frame"]) for r in rows})
    slot = {p: i for i, p in enumerate(players)}
    index = {fr: i for i, fr in enumerate(frames)}
    raw = np.full((len(frames), len(players), 2), np.nan)
    for r in rows:
        raw[index[int(r["frame"])], slot[r["player"]]] = (float(r["x"]), float(r["y"]))
    xy = lastrow_to_pitch(raw.reshape(-1, 2)).reshape(raw.shape)
    present: BoolArray = np.isfinite(xy[..., 0]) & np.isfinite(xy[..., 1])
    return Play(players, np.array(frames, dtype=np.float64) / FPS, xy, present)


@pytest.fixture(scope="module", params=PLAYS)
def folded(request: pytest.FixtureRequest) -> Folded:
    play = _load(_lastrow_dir() / request.param)
    state, speeds = kinematics_track(new_state(len(play.players)), play.t, play.xy, play.present)
    return Folded(play, state, speeds)


def test_play_loaded(folded: Folded) -> None:
    play = folded.play
    assert len(play.players) >= 15  # most of both teams near the ball
    assert len(play.t) >= 150  # several seconds at 20 fps
    assert np.all(np.diff(play.t) > 0)
    # Converted positions lie on (or just off) a 105 x 68 pitch.
    pts = play.xy[play.present]
    assert np.all(np.abs(pts[:, 0]) <= 52.5 + 2.0)
    assert np.all(np.abs(pts[:, 1]) <= 34.0 + 2.0)


def test_sprint_speeds_are_plausible(folded: Folded) -> None:
    """Top speeds are those of footballers.

    - Nobody exceeds 10.5 m/s: above the fastest sprint recorded in football matches (about
      10.3 m/s) and well below Bolt's 12.4 m/s; faster would mean the filter follows noise or jumps.
    - At least 3 players in each play exceed 7.0 m/s (the sprint threshold) and the fastest reaches
      8 m/s: both plays are attacking moves with runs in behind the defence (the measured top speeds
      are about 9.7 m/s at Liverpool and 9.1 m/s at Real v Barcelona), so a filter that lags or
      over-smooths would fail here.
    """
    top = folded.state.top_speed
    assert np.all(top <= 10.5), top.max()
    assert np.count_nonzero(top > 7.0) >= 3, np.sort(top)[-5:]
    assert top.max() >= 8.0
    # The final state's top speeds are the highest speeds reported along the way.
    np.testing.assert_allclose(
        top, np.nanmax(np.where(folded.play.present.any(axis=0), folded.speeds, 0.0), axis=0)
    )


def test_fastest_player_distance_matches_raw_path(folded: Folded) -> None:
    """Last Row's positions are smooth (no measurement jitter to speak of), so the filtered distance of
    the fastest player stays within 10% of his raw path length (the sum of frame-to-frame steps)."""
    i = int(np.argmax(folded.state.top_speed))
    xy = folded.play.xy[:, i][folded.play.present[:, i]]
    raw_path = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    assert raw_path > 20.0  # he did run
    assert abs(folded.state.distance[i] - raw_path) <= 0.10 * raw_path
    # Covered at high intensity: some of it, and never more than all of it.
    assert 0.0 < folded.state.hi_distance[i] <= folded.state.distance[i]


def test_kinematics_are_finite_and_bounded(folded: Folded) -> None:
    speeds = folded.speeds[folded.play.present]
    assert np.all(np.isfinite(speeds))
    assert np.all(speeds >= 0.0)
    assert np.all(np.isfinite(folded.state.distance))
    # Nobody runs faster on average than his top speed: distance <= top speed * play duration.
    duration = folded.play.t[-1] - folded.play.t[0]
    assert np.all(folded.state.distance <= folded.state.top_speed * duration + 1e-9)
