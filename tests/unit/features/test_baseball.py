"""Pitch context for the lead-distance model: columns found by name, unknowns, the lead grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from features.baseball import (
    HISTORY_FEATURE_NAMES,
    LEAD_GRID_FT,
    PITCH_FEATURE_NAMES,
    PRIOR_ATTEMPTS,
    history_features,
    lead_grid,
    pitch_context,
    shrunk_rate,
)

COL = {name: i for i, name in enumerate(PITCH_FEATURE_NAMES)}
BASE_COLS = [COL["target_base=3B"], COL["target_base=HP"]]


def _one(**overrides: object) -> np.ndarray:
    """One pitch's context row with plausible values, any of which can be overridden."""
    kw: dict[str, object] = {
        "lead_ft": 11.5,
        "runner_sprint_speed_fps": 28.4,
        "catcher_pop_time_s": 1.95,
        "balls": 1,
        "strikes": 2,
        "outs": 0,
        "target_base": ["2B"],
    }
    kw.update(overrides)
    return pitch_context(**kw)  # type: ignore[arg-type]


def test_names_are_unique_and_cover_the_matrix() -> None:
    assert len(set(PITCH_FEATURE_NAMES)) == len(PITCH_FEATURE_NAMES)
    assert _one().shape == (1, len(PITCH_FEATURE_NAMES))


def test_nothing_known_only_after_the_runner_goes_is_an_input() -> None:
    # The runner decides at the pitcher's first move: the pitch's speed and type come later.
    later = ("velo", "pitch_type", "pitch_group", "release", "gained", "fastball", "breaking", "pitchout")
    assert [n for n in PITCH_FEATURE_NAMES if any(word in n for word in later)] == []


def test_numeric_columns_by_name() -> None:
    row = _one()[0]
    assert row[COL["lead_ft"]] == 11.5
    assert row[COL["runner_sprint_speed_fps"]] == 28.4
    assert row[COL["catcher_pop_time_s"]] == 1.95
    assert row[COL["balls"]] == 1
    assert row[COL["strikes"]] == 2
    assert row[COL["outs"]] == 0
    # 2B is the baseline base (no one-hot).
    assert row[BASE_COLS].sum() == 0.0


@pytest.mark.parametrize(
    ("base", "expected"), [("2B", (0, 0)), ("3B", (1, 0)), ("HP", (0, 1)), (None, (0, 0))]
)
def test_target_base_one_hot(base: str | None, expected: tuple[int, int]) -> None:
    row = _one(target_base=[base])[0]
    np.testing.assert_array_equal(row[BASE_COLS], expected)


def test_unknown_numerics_are_nan_and_only_there() -> None:
    nan = float("nan")
    m = pitch_context(
        [10.0, nan],
        [nan, 27.5],
        [1.9, 2.1],
        [0, 3],
        [1, nan],
        nan,  # the feed does not know the outs: NaN for every row
        ["3B", "2B"],
    )
    # No players' records given: unknown too.
    nan_cols = {
        0: {"runner_sprint_speed_fps", "outs", *HISTORY_FEATURE_NAMES},
        1: {"lead_ft", "strikes", "outs", *HISTORY_FEATURE_NAMES},
    }
    for r, cols in nan_cols.items():
        for name in PITCH_FEATURE_NAMES:
            assert math.isnan(m[r, COL[name]]) == (name in cols), (r, name)
    # One-hots are never NaN.
    assert m[0, COL["target_base=3B"]] == 1.0 and m[1, COL["target_base=3B"]] == 0.0


def test_scalars_broadcast_over_rows() -> None:
    m = pitch_context(12.0, [26.0, 27.0, 28.0], 2.0, 2, 1, 1, ["2B", "3B", "HP"])
    assert m.shape == (3, len(PITCH_FEATURE_NAMES))
    np.testing.assert_array_equal(m[:, COL["lead_ft"]], [12.0, 12.0, 12.0])
    np.testing.assert_array_equal(m[:, COL["runner_sprint_speed_fps"]], [26.0, 27.0, 28.0])


def test_mismatched_lengths_are_refused() -> None:
    # Two leads for one target base: numpy refuses to broadcast them rather than guess.
    with pytest.raises(ValueError, match="broadcast"):
        pitch_context([1.0, 2.0], 2.0, 3.0, 0, 0, 0, ["2B"])


def test_lead_grid_rows_are_the_context_with_each_lead() -> None:
    context = _one(runner_sprint_speed_fps=float("nan"), target_base=["3B"])[0]
    grid = lead_grid(context)
    assert grid.shape == (21, len(PITCH_FEATURE_NAMES))
    np.testing.assert_array_equal(LEAD_GRID_FT, np.arange(21.0))
    np.testing.assert_array_equal(grid[:, COL["lead_ft"]], np.arange(0.0, 21.0))
    others = [i for i in range(len(PITCH_FEATURE_NAMES)) if i != COL["lead_ft"]]
    for row in grid:
        np.testing.assert_array_equal(row[others], context[others])  # NaN compares equal here
    assert context[COL["lead_ft"]] == 11.5  # the context itself is not overwritten


def test_lead_grid_custom_leads() -> None:
    context = _one()[0]
    leads = np.array([3.0, 7.5, 15.0])
    grid = lead_grid(context, leads)
    assert grid.shape == (3, len(PITCH_FEATURE_NAMES))
    np.testing.assert_array_equal(grid[:, COL["lead_ft"]], leads)


def test_the_history_block_lands_in_its_named_columns() -> None:
    block = np.array([[12.0, 0.03, -0.02, 0.01], [0.0, 0.0, 0.0, 0.0]])
    m = pitch_context(12.0, 27.0, 2.0, 0, 0, 0, ["2B", "3B"], block)
    np.testing.assert_array_equal(m[:, [COL[n] for n in HISTORY_FEATURE_NAMES]], block)
    assert m[0, COL["lead_ft"]] == 12.0 and m[1, COL["target_base=3B"]] == 1.0


def test_a_rate_with_no_attempts_is_the_league_rate_and_many_attempts_outweigh_the_prior() -> None:
    np.testing.assert_allclose(shrunk_rate(0, 0, 0.78, 40.0), 0.78)
    # 40 attempts at 50% and a prior of 40 at 78%: halfway.
    np.testing.assert_allclose(shrunk_rate(20, 40, 0.78, 40.0), 0.64)
    assert abs(float(shrunk_rate(5000, 10000, 0.78, 40.0)) - 0.5) < 0.002
    assert math.isnan(float(shrunk_rate(3, 4, math.nan, 40.0)))  # no earlier season, no league rate
    with pytest.raises(ValueError, match="prior_attempts"):
        shrunk_rate(1, 2, 0.7, 0.0)


def test_players_without_a_record_sit_at_the_league_rate() -> None:
    unknown = history_features(np.zeros((2, 6)), 0.75)
    np.testing.assert_array_equal(unknown, np.zeros((2, 4)))
    # A runner 30 of 30, a catcher who let 0 of 60 through, a pitcher who let 10 of 10 through.
    known = history_features([[30, 30, 60, 0, 10, 10]], 0.75)[0]
    assert known[0] == 30
    np.testing.assert_allclose(known[1], (30 + 40 * 0.75) / 70 - 0.75)
    np.testing.assert_allclose(known[2], 0.75 - (60 * 0.75) / (60 + PRIOR_ATTEMPTS["catcher"]))
    np.testing.assert_allclose(known[3], (10 + 30 * 0.75) / 40 - 0.75)
    assert known[1] > 0 and known[2] > 0 and known[3] > 0
    assert np.isnan(history_features(np.zeros((1, 6)), math.nan)[0, 1:]).all()
