"""Historical shots as a feature matrix, built with the functions the live worker uses.

StatsBomb draws every event with the acting team attacking towards ``x = 120``, so a shot's location
and freeze frame, converted with :func:`features.coordinates.statsbomb_to_pitch` at attack sign
``+1``, are already in the attacking frame :func:`features.shot.shot_geometry` expects; the worker
gets there from its own pitch frame with ``to_attacking``. Roles come from the freeze frame's flags
through :func:`features.shot.roles_from_flags`, as live. A shot without a freeze frame gets NaN player
features, as a live shot with no players known.

Shots are split by *kind*: ``open_play`` (everything but penalties; free kicks and corners keep their
shot-type one-hot), ``penalty`` (a penalty in normal or extra time) and ``shootout`` (period 5). The
xG model learns open-play shots only; penalties get a fixed rate (see :mod:`training.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from features.buildup import buildup_features
from features.coordinates import statsbomb_to_pitch
from features.shot import SHOT_FEATURE_NAMES, roles_from_flags, shot_attributes, shot_features, shot_geometry

from .buildup import name_of, statsbomb_actions
from .shots import ShotRecord, TrainingDataError
from .wyscout import wyscout_goal, wyscout_kind, wyscout_row

__all__ = ["LOCATION_FEATURES", "ShotDataset", "build_dataset", "shot_kind"]

FloatArray = npt.NDArray[np.float64]
# The shot-location-only baseline sees where the shot was taken from, nothing else.
LOCATION_FEATURES = ("distance_m", "angle_deg", "offcentre_deg")


@dataclass(frozen=True)
class ShotDataset:
    """Rows of shots: features ``x`` (:data:`features.shot.SHOT_FEATURE_NAMES` order), ``goal`` 0/1,
    StatsBomb's own xG (NaN where missing, and for every Wyscout shot), and per row its match,
    competition-season, kind and provider."""

    x: FloatArray
    goal: FloatArray
    provider_xg: FloatArray
    match_id: npt.NDArray[np.str_]
    competition: npt.NDArray[np.str_]
    kind: npt.NDArray[np.str_]
    event_id: npt.NDArray[np.str_]
    competition_names: dict[str, str]
    provider: npt.NDArray[np.str_]  # "statsbomb" or "wyscout", per row

    def __len__(self) -> int:
        return len(self.goal)

    def subset(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> ShotDataset:
        return ShotDataset(
            self.x[rows],
            self.goal[rows],
            self.provider_xg[rows],
            self.match_id[rows],
            self.competition[rows],
            self.kind[rows],
            self.event_id[rows],
            self.competition_names,
            self.provider[rows],
        )

    def columns(self, names: tuple[str, ...]) -> FloatArray:
        index = [SHOT_FEATURE_NAMES.index(n) for n in names]
        out: FloatArray = self.x[:, index]
        return out


def shot_kind(event: dict[str, Any]) -> str:
    if event.get("period") == 5:
        return "shootout"
    if name_of((event.get("shot") or {}).get("type")) == "Penalty":
        return "penalty"
    return "open_play"


def shot_row(event: dict[str, Any], previous: Sequence[dict[str, Any]] | None = None) -> FloatArray:
    """The feature vector of one StatsBomb shot event; ``previous``, the actions before it
    (:func:`training.buildup.preceding_actions`), when its match's events are known."""
    shot = event.get("shot") or {}
    location = event.get("location")
    shooter = (
        statsbomb_to_pitch([float(location[0]), float(location[1])])[0]
        if isinstance(location, list) and len(location) >= 2
        else np.array([np.nan, np.nan])
    )
    frozen = [p for p in shot.get("freeze_frame") or [] if isinstance(p.get("location"), list)]
    if frozen:
        players = statsbomb_to_pitch([[float(p["location"][0]), float(p["location"][1])] for p in frozen])
        roles = roles_from_flags(
            np.array([bool(p.get("teammate")) for p in frozen]),
            np.array([name_of(p.get("position")) == "Goalkeeper" for p in frozen]),
        )
        geometry = shot_geometry(shooter, players, roles)
    else:
        geometry = shot_geometry(shooter)
    attributes = shot_attributes(
        name_of(shot.get("body_part")),
        name_of(shot.get("technique")),
        name_of(shot.get("type")),
        name_of(event.get("play_pattern")),
        first_time=bool(shot.get("first_time")),
        one_on_one=bool(shot.get("one_on_one")),
        open_goal=bool(shot.get("open_goal")),
        under_pressure=bool(event.get("under_pressure")),
    )
    buildup = None if previous is None else buildup_features(statsbomb_actions(previous, event), shooter)
    return shot_features(geometry, attributes, buildup)


def _statsbomb(record: ShotRecord) -> tuple[FloatArray, float, float, str]:
    event = record.event
    shot = event.get("shot") or {}
    outcome = name_of(shot.get("outcome"))
    if outcome is None:
        raise TrainingDataError(f"shot {event.get('id')!r} in match {record.match_id} has no outcome")
    value = shot.get("statsbomb_xg")
    provider_xg = float(value) if isinstance(value, int | float) else np.nan
    return shot_row(event, record.previous), 1.0 if outcome == "Goal" else 0.0, provider_xg, shot_kind(event)


def _wyscout(record: ShotRecord) -> tuple[FloatArray, float, float, str]:
    # Wyscout publishes no xG of its own: nothing to compare with on these rows.
    shot = record.event
    return wyscout_row(shot, record.previous or ()), float(wyscout_goal(shot)), np.nan, wyscout_kind(shot)


def build_dataset(
    shots: list[ShotRecord], progress: Callable[[str, int, int], None] = lambda _l, _d, _t: None
) -> ShotDataset:
    """Every shot as a row; a StatsBomb shot event missing its outcome is refused by name."""
    rows, goals, xg, kinds = [], [], [], []
    for n, record in enumerate(shots):
        if n % 500 == 0:
            progress("features", n, len(shots))
        row, goal, provider_xg, kind = (
            _wyscout(record) if record.provider == "wyscout" else _statsbomb(record)
        )
        rows.append(row)
        goals.append(goal)
        xg.append(provider_xg)
        kinds.append(kind)
    progress("features", len(shots), len(shots))
    return ShotDataset(
        x=np.vstack(rows),
        goal=np.array(goals),
        provider_xg=np.array(xg),
        match_id=np.array([s.match_id for s in shots]),
        competition=np.array([s.competition for s in shots]),
        kind=np.array(kinds),
        event_id=np.array([str(s.event.get("id")) for s in shots]),
        competition_names={s.competition: s.competition_name for s in shots},
        provider=np.array([s.provider for s in shots]),
    )
