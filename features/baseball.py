"""Pitch context for the lead-distance model: the named inputs describing a runner on base at a pitch.

The model asks "would a steal succeed from this lead?" for every lead in :data:`LEAD_GRID_FT`
(0..20 ft), so :func:`lead_grid` repeats one pitch's context once per lead with only ``lead_ft``
changed: 21 rows, one batch for the model. Training builds the same matrix, one row per historical
opportunity, with :func:`pitch_context`. Units: feet, feet per second, seconds. Anything unknown is
NaN (the model treats it as missing); an unknown target base leaves its one-hot group all zero.

Inputs (:data:`PITCH_FEATURE_NAMES` order):

- ``lead_ft``: the runner's lead at the pitcher's first move.
- ``runner_sprint_speed_fps``: the runner's sprint speed (Statcast: ft/s in his fastest second).
- ``catcher_pop_time_s``: the catcher's pop time to the target base.
- ``balls``, ``strikes``, ``outs`` (the count; outs where the feed knows them).
- ``target_base``: ``2B`` is the baseline, ``3B`` and ``HP`` one-hot.
- The players' records from earlier seasons (:data:`HISTORY_FEATURE_NAMES`, from
  :func:`history_features`): ``runner_prior_attempts`` (his steal attempts, SB + CS), and three
  per-attempt rates shrunk toward the league rate and written as their difference from it, so a
  player with no record sits at 0 whatever the era's level: ``runner_success_vs_league`` (his
  steals succeeded), ``catcher_cs_vs_league`` (runners he caught), ``pitcher_sb_vs_league``
  (steals allowed while he pitched). NaN when no earlier season is known at all.

Everything here is known at the pitcher's first move; nothing measured after the runner's decision
(lead gained, lead at release) or derived from the outcome (run value, play description) is an input.
That is why the pitch's speed and type are not inputs either, though feeds send them
(``PitchBody.velo_mph``, ``pitch_type``): the runner commits at the first move, before the ball is
thrown, so he cannot know them, and a model trained on them would price a lead with facts the runner
never had (a pitchout or a slow curveball, seen only after he went, would read as a property of the
lead). The price must be the one he could have acted on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "HISTORY_FEATURE_NAMES",
    "LEAD_GRID_FT",
    "PITCH_FEATURE_NAMES",
    "PRIOR_ATTEMPTS",
    "history_features",
    "lead_grid",
    "pitch_context",
    "shrunk_rate",
]

FloatArray = npt.NDArray[np.float64]

LEAD_GRID_FT = np.arange(0.0, 21.0)
HISTORY_FEATURE_NAMES = (
    "runner_prior_attempts",
    "runner_success_vs_league",
    "catcher_cs_vs_league",
    "pitcher_sb_vs_league",
)
# The additive prior of each rate: the league rate counted as this many attempts. Fixed, from a
# method-of-moments beta-binomial fit of the spread between players on the 2016-2022 training
# seasons (runner 42, catcher 56, pitcher 30 attempts), rounded; never fitted on a held-out season.
PRIOR_ATTEMPTS: dict[str, float] = {"runner": 40.0, "catcher": 60.0, "pitcher": 30.0}
PITCH_FEATURE_NAMES = (
    "lead_ft",
    "runner_sprint_speed_fps",
    "catcher_pop_time_s",
    "balls",
    "strikes",
    "outs",
    "target_base=3B",
    "target_base=HP",
    *HISTORY_FEATURE_NAMES,
)
_BASE_COLUMN = {base: PITCH_FEATURE_NAMES.index(f"target_base={base}") for base in ("3B", "HP")}
_LEAD = 0
_HISTORY = slice(PITCH_FEATURE_NAMES.index(HISTORY_FEATURE_NAMES[0]), len(PITCH_FEATURE_NAMES))


def shrunk_rate(
    successes: npt.ArrayLike, attempts: npt.ArrayLike, league_rate: npt.ArrayLike, prior_attempts: float
) -> FloatArray:
    """``(successes + m * league) / (attempts + m)`` with ``m = prior_attempts``: a player's rate
    pulled toward the league's, the more the fewer attempts he has; zero attempts give the league
    rate exactly. Arrays broadcast; a NaN league rate (no earlier season) gives NaN."""
    if prior_attempts <= 0:
        raise ValueError(f"prior_attempts must be positive, got {prior_attempts}")
    k, n = np.asarray(successes, dtype=np.float64), np.asarray(attempts, dtype=np.float64)
    p = np.asarray(league_rate, dtype=np.float64)
    out: FloatArray = (k + prior_attempts * p) / (n + prior_attempts)
    return out


def history_features(records: npt.ArrayLike, league_rate: float) -> FloatArray:
    """The :data:`HISTORY_FEATURE_NAMES` columns ``(n, 4)`` from ``records`` ``(n, 6)``: per row the
    runner's attempts and steals, the catcher's attempts against and steals allowed, the pitcher's
    attempts against and steals allowed, all counted over earlier seasons only; ``league_rate`` is
    the steal success rate of those seasons (NaN when there are none)."""
    r = np.asarray(records, dtype=np.float64).reshape(-1, 6)
    out = np.empty((len(r), len(HISTORY_FEATURE_NAMES)))
    out[:, 0] = r[:, 0]
    out[:, 1] = shrunk_rate(r[:, 1], r[:, 0], league_rate, PRIOR_ATTEMPTS["runner"]) - league_rate
    # A catcher is judged by the runners he stops: the league's success rate minus his.
    out[:, 2] = league_rate - shrunk_rate(r[:, 3], r[:, 2], league_rate, PRIOR_ATTEMPTS["catcher"])
    out[:, 3] = shrunk_rate(r[:, 5], r[:, 4], league_rate, PRIOR_ATTEMPTS["pitcher"]) - league_rate
    return out


def _column(values: npt.ArrayLike, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))


def pitch_context(
    lead_ft: npt.ArrayLike,
    runner_sprint_speed_fps: npt.ArrayLike,
    catcher_pop_time_s: npt.ArrayLike,
    balls: npt.ArrayLike,
    strikes: npt.ArrayLike,
    outs: npt.ArrayLike,
    target_base: Sequence[str | None],
    history: npt.ArrayLike = np.nan,
) -> FloatArray:
    """Feature matrix ``(n, len(PITCH_FEATURE_NAMES))`` for ``n = len(target_base)`` pitches.

    Numeric inputs are arrays of length ``n`` or scalars (NaN = unknown); ``target_base`` is a
    sequence of codes (``None`` = unknown); ``history`` is :func:`history_features`' ``(n, 4)``
    block, or anything that broadcasts to it (NaN: unknown). A numeric input of another length is
    refused (numpy cannot broadcast it).
    """
    n = len(target_base)
    out = np.zeros((n, len(PITCH_FEATURE_NAMES)))
    for name, values in (
        ("lead_ft", lead_ft),
        ("runner_sprint_speed_fps", runner_sprint_speed_fps),
        ("catcher_pop_time_s", catcher_pop_time_s),
        ("balls", balls),
        ("strikes", strikes),
        ("outs", outs),
    ):
        out[:, PITCH_FEATURE_NAMES.index(name)] = _column(values, n)
    out[:, _HISTORY] = np.broadcast_to(np.asarray(history, dtype=np.float64), (n, len(HISTORY_FEATURE_NAMES)))
    for row, base in enumerate(target_base):
        if base in _BASE_COLUMN:
            out[row, _BASE_COLUMN[base]] = 1.0
    return out


def lead_grid(context: FloatArray, leads: FloatArray = LEAD_GRID_FT) -> FloatArray:
    """One pitch's context row ``(F,)`` repeated per lead: ``(len(leads), F)`` with ``lead_ft`` set."""
    grid = np.repeat(context.reshape(1, -1), len(leads), axis=0)
    grid[:, _LEAD] = leads
    return grid
