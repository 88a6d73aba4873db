"""Pitch context for the lead-distance model: the named inputs describing a runner on base at a pitch.

The model asks "would a steal succeed from this lead?" for every lead in :data:`LEAD_GRID_FT`
(0..20 ft), so :func:`lead_grid` repeats one pitch's context once per lead with only ``lead_ft``
changed: 21 rows, one batch for the model. Training builds the same matrix, one row per historical
opportunity, with :func:`pitch_context`. Units: feet, feet per second, seconds, miles per hour.
Anything unknown is NaN (the model treats it as missing); unknown categories leave their one-hot
group all zero.

Inputs (:data:`PITCH_FEATURE_NAMES` order):

- ``lead_ft``: the runner's lead at the pitcher's first move.
- ``runner_sprint_speed_fps``: the runner's sprint speed (Statcast: ft/s in his fastest second).
- ``catcher_pop_time_s``: the catcher's pop time to the target base.
- ``pitch_velo_mph`` and the pitch group: ``fastball`` (FF, SI, FC, FT, FA), ``breaking`` (SL, ST,
  SV, CU, KC, CS, SC), ``offspeed`` (CH, FS, FO, EP, KN); ``pitchout`` (PO) on its own.
- ``balls``, ``strikes``, ``outs`` (the count; outs where the feed knows them).
- ``target_base``: ``2B`` is the baseline, ``3B`` and ``HP`` one-hot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "LEAD_GRID_FT",
    "PITCH_FEATURE_NAMES",
    "PITCH_GROUPS",
    "lead_grid",
    "pitch_context",
    "pitch_group",
]

FloatArray = npt.NDArray[np.float64]

LEAD_GRID_FT = np.arange(0.0, 21.0)
PITCH_FEATURE_NAMES = (
    "lead_ft",
    "runner_sprint_speed_fps",
    "catcher_pop_time_s",
    "pitch_velo_mph",
    "pitch_group=fastball",
    "pitch_group=breaking",
    "pitch_group=offspeed",
    "pitch_group=pitchout",
    "balls",
    "strikes",
    "outs",
    "target_base=3B",
    "target_base=HP",
)
PITCH_GROUPS: dict[str, str] = {
    **dict.fromkeys(("FF", "SI", "FC", "FT", "FA"), "fastball"),
    **dict.fromkeys(("SL", "ST", "SV", "CU", "KC", "CS", "SC"), "breaking"),
    **dict.fromkeys(("CH", "FS", "FO", "EP", "KN"), "offspeed"),
    "PO": "pitchout",
}
_GROUP_COLUMN = {"fastball": 4, "breaking": 5, "offspeed": 6, "pitchout": 7}
_BASE_COLUMN = {"3B": 11, "HP": 12}
_LEAD = 0


def pitch_group(pitch_type: str | None) -> str | None:
    """``fastball``, ``breaking``, ``offspeed``, ``pitchout`` or ``None`` for a Statcast pitch code."""
    return PITCH_GROUPS.get(pitch_type.upper()) if pitch_type else None


def _column(values: npt.ArrayLike, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))


def pitch_context(
    lead_ft: npt.ArrayLike,
    runner_sprint_speed_fps: npt.ArrayLike,
    catcher_pop_time_s: npt.ArrayLike,
    pitch_velo_mph: npt.ArrayLike,
    pitch_type: Sequence[str | None],
    balls: npt.ArrayLike,
    strikes: npt.ArrayLike,
    outs: npt.ArrayLike,
    target_base: Sequence[str | None],
) -> FloatArray:
    """Feature matrix ``(n, len(PITCH_FEATURE_NAMES))`` for ``n = len(pitch_type)`` pitches.

    Numeric inputs are arrays of length ``n`` or scalars (NaN = unknown); ``pitch_type`` and
    ``target_base`` are sequences of codes (``None`` = unknown).
    """
    n = len(pitch_type)
    if len(target_base) != n:
        raise ValueError(f"target_base has {len(target_base)} values for {n} pitches")
    out = np.zeros((n, len(PITCH_FEATURE_NAMES)))
    for col, values in (
        (0, lead_ft),
        (1, runner_sprint_speed_fps),
        (2, catcher_pop_time_s),
        (3, pitch_velo_mph),
        (8, balls),
        (9, strikes),
        (10, outs),
    ):
        out[:, col] = _column(values, n)
    for row, (code, base) in enumerate(zip(pitch_type, target_base, strict=True)):
        group = pitch_group(code)
        if group is not None:
            out[row, _GROUP_COLUMN[group]] = 1.0
        if base in _BASE_COLUMN:
            out[row, _BASE_COLUMN[base]] = 1.0
    return out


def lead_grid(context: FloatArray, leads: FloatArray = LEAD_GRID_FT) -> FloatArray:
    """One pitch's context row ``(F,)`` repeated per lead: ``(len(leads), F)`` with ``lead_ft`` set."""
    grid = np.repeat(context.reshape(1, -1), len(leads), axis=0)
    grid[:, _LEAD] = leads
    return grid
