"""Pitch context for the lead-distance model: columns found by name, groups, unknowns, the lead grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from features.baseball import (
    LEAD_GRID_FT,
    PITCH_FEATURE_NAMES,
    PITCH_GROUPS,
    lead_grid,
    pitch_context,
    pitch_group,
)

COL = {name: i for i, name in enumerate(PITCH_FEATURE_NAMES)}
GROUPS = ("fastball", "breaking", "offspeed", "pitchout")
GROUP_COLS = [COL[f"pitch_group={g}"] for g in GROUPS]
BASE_COLS = [COL["target_base=3B"], COL["target_base=HP"]]


def _one(**overrides: object) -> np.ndarray:
    """One pitch's context row with plausible values, any of which can be overridden."""
    kw: dict[str, object] = {
        "lead_ft": 11.5,
        "runner_sprint_speed_fps": 28.4,
        "catcher_pop_time_s": 1.95,
        "pitch_velo_mph": 94.2,
        "pitch_type": ["FF"],
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


def test_numeric_columns_by_name() -> None:
    row = _one()[0]
    assert row[COL["lead_ft"]] == 11.5
    assert row[COL["runner_sprint_speed_fps"]] == 28.4
    assert row[COL["catcher_pop_time_s"]] == 1.95
    assert row[COL["pitch_velo_mph"]] == 94.2
    assert row[COL["balls"]] == 1
    assert row[COL["strikes"]] == 2
    assert row[COL["outs"]] == 0
    # FF is a four-seam fastball; 2B is the baseline base (no one-hot).
    assert row[COL["pitch_group=fastball"]] == 1.0
    assert row[GROUP_COLS].sum() == 1.0
    assert row[BASE_COLS].sum() == 0.0


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("FF", "fastball"),
        ("SI", "fastball"),
        ("FC", "fastball"),
        ("SL", "breaking"),
        ("CU", "breaking"),
        ("KC", "breaking"),
        ("CH", "offspeed"),
        ("FS", "offspeed"),
        ("KN", "offspeed"),
        ("PO", "pitchout"),
        ("ff", "fastball"),  # Statcast codes in any case
    ],
)
def test_pitch_groups(code: str, group: str) -> None:
    assert pitch_group(code) == group
    row = _one(pitch_type=[code])[0]
    expected = np.zeros(len(GROUPS))
    expected[GROUPS.index(group)] = 1.0
    np.testing.assert_array_equal(row[GROUP_COLS], expected)


def test_every_listed_code_lands_in_its_group_column() -> None:
    codes = sorted(PITCH_GROUPS)
    m = pitch_context(90.0, 27.0, 2.0, 90.0, codes, 0, 0, 0, ["2B"] * len(codes))
    for row, code in zip(m, codes, strict=True):
        assert row[COL[f"pitch_group={PITCH_GROUPS[code]}"]] == 1.0, code
        assert row[GROUP_COLS].sum() == 1.0, code


@pytest.mark.parametrize("code", ["XX", "", None, "Fastball"])
def test_unknown_pitch_type_leaves_group_all_zero(code: str | None) -> None:
    assert pitch_group(code) is None
    row = _one(pitch_type=[code])[0]
    np.testing.assert_array_equal(row[GROUP_COLS], np.zeros(4))
    assert row[COL["lead_ft"]] == 11.5  # the rest of the row is untouched


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
        [nan, 88.0],
        ["SL", "CH"],
        [0, 3],
        [1, nan],
        nan,  # the feed does not know the outs: NaN for every row
        ["3B", "2B"],
    )
    nan_cols = {
        0: {"runner_sprint_speed_fps", "pitch_velo_mph", "outs"},
        1: {"lead_ft", "strikes", "outs"},
    }
    for r, cols in nan_cols.items():
        for name in PITCH_FEATURE_NAMES:
            assert math.isnan(m[r, COL[name]]) == (name in cols), (r, name)
    # One-hots are never NaN.
    assert m[0, COL["pitch_group=breaking"]] == 1.0
    assert m[1, COL["pitch_group=offspeed"]] == 1.0
    assert m[0, COL["target_base=3B"]] == 1.0


def test_scalars_broadcast_over_rows() -> None:
    m = pitch_context(12.0, [26.0, 27.0, 28.0], 2.0, 90.0, ["FF", "SL", None], 2, 1, 1, ["2B", "3B", "HP"])
    assert m.shape == (3, len(PITCH_FEATURE_NAMES))
    np.testing.assert_array_equal(m[:, COL["lead_ft"]], [12.0, 12.0, 12.0])
    np.testing.assert_array_equal(m[:, COL["runner_sprint_speed_fps"]], [26.0, 27.0, 28.0])


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="target_base"):
        pitch_context(1.0, 2.0, 3.0, 4.0, ["FF", "SL"], 0, 0, 0, ["2B"])


def test_lead_grid_rows_are_the_context_with_each_lead() -> None:
    context = _one(runner_sprint_speed_fps=float("nan"), pitch_type=["CU"], target_base=["3B"])[0]
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
