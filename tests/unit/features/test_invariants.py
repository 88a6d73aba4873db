"""Contract checks shared by every public feature function, driven by one registry.

Each registry entry builds a valid random input (from a seeded numpy Generator) and states the shape of
every output leaf and where NaN is documented. One test then checks, for every entry and a few seeds:

- shapes: every output leaf has the stated shape (so its length follows the input's);
- NaN only where documented: float leaves are finite except exactly where the entry expects NaN;
- purity: the inputs are not modified (compared with a deep copy taken before the call);
- no hidden state: the same input gives the same output twice;
- order: permuting the input items permutes the per-item outputs the same way, item indices follow
  their item, and every other output is unchanged.

A second test checks the registry covers every function in each ``features`` module's ``__all__``.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import features
from features.baseball import (
    HISTORY_FEATURE_NAMES,
    PITCH_FEATURE_NAMES,
    history_features,
    lead_grid,
    pitch_context,
    shrunk_rate,
)
from features.buildup import (
    ACTION_KINDS,
    BUILDUP_NAMES,
    SET_PIECES,
    ActionRow,
    actions_from_rows,
    buildup_features,
    is_cut_back,
    no_actions,
)
from features.coordinates import (
    as_complex,
    lastrow_to_pitch,
    pitch_to_statsbomb,
    statsbomb_to_pitch,
    to_attacking,
    wyscout_to_pitch,
)
from features.frame import frame_features
from features.frame_batch import frame_features_batch
from features.kinematics import (
    KinematicState,
    PlayerMotion,
    grow_state,
    kinematics_step,
    kinematics_track,
    new_state,
    step_complex,
)
from features.shot import (
    BODY_PARTS,
    DEFENDER,
    FREEZE_FRAME_NAMES,
    KEEPER,
    PLAY_PATTERNS,
    SHOT_ATTRIBUTE_NAMES,
    SHOT_FEATURE_NAMES,
    SHOT_GEOMETRY_NAMES,
    SHOT_TYPES,
    TEAMMATE,
    TECHNIQUES,
    in_triangle,
    players_known,
    roles_from_flags,
    roles_from_teams,
    shot_attributes,
    shot_features,
    shot_geometry,
    without_freeze_frame,
)
from features.spatial import (
    BallCarrier,
    FrameSpatial,
    TeamShape,
    ball_carrier,
    frame_spatial,
    lines_label,
    separation,
    spatial_complex,
    team_shape,
)

Rng = np.random.Generator
AnyArray = npt.NDArray[Any]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
Shapes = dict[str, tuple[int, ...]]
NanMasks = dict[str, BoolArray]

SEEDS = [0, 1, 2]
NAN = float("nan")


@dataclass(frozen=True)
class Call:
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


def _no_nan(call: Call) -> NanMasks:
    return {}


@dataclass(frozen=True)
class Entry:
    """One way of calling one feature function.

    ``shapes`` names every output leaf (``out`` for a bare array, ``out.<field>`` inside named tuples,
    ``out.<i>`` inside plain tuples) with its shape; ``nan`` gives, for float leaves, the exact mask
    where NaN is documented (absent: none). ``permute`` reorders the input items (returning the call
    and the permutation) for entries whose inputs are a list of items; ``per_item`` maps leaf-path
    prefixes to the axis along which outputs follow the items; ``index_leaves`` hold an item index
    (``-1``: none); all other leaves must not change under the permutation.
    """

    id: str
    func: Callable[..., Any]
    build: Callable[[Rng], Call]
    shapes: Callable[[Call], Shapes]
    nan: Callable[[Call], NanMasks] = _no_nan
    permute: Callable[[Call, Rng], tuple[Call, IntArray]] | None = None
    per_item: Mapping[str, int] = field(default_factory=dict)
    index_leaves: frozenset[str] = frozenset()


# --- helpers --------------------------------------------------------------------------------------


def _leaves(obj: Any, path: str = "out") -> dict[str, AnyArray]:
    """Flatten nested tuples / named tuples / dicts / dataclasses into ``{path: array}``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, list) and any(isinstance(item, tuple) for item in obj):
        obj = tuple(obj)  # a list of records (rows), not numbers
    if isinstance(obj, tuple):
        names = getattr(obj, "_fields", None) or [str(i) for i in range(len(obj))]
        out: dict[str, AnyArray] = {}
        for name, value in zip(names, obj, strict=True):
            out.update(_leaves(value, f"{path}.{name}"))
        return out
    if isinstance(obj, dict):
        out = {}
        for name, value in obj.items():
            out.update(_leaves(value, f"{path}.{name}"))
        return out
    return {path: np.asarray(obj)}


def _same(a: AnyArray, b: AnyArray) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _close(a: AnyArray, b: AnyArray) -> bool:
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True))
    return _same(a, b)


def _fields(prefix: str, fields: tuple[str, ...], shape: tuple[int, ...]) -> Shapes:
    return {f"{prefix}.{name}": shape for name in fields}


def _perm(rng: Rng, n: int) -> IntArray:
    """A permutation of ``n >= 2`` items that is not the identity."""
    while True:
        perm = rng.permutation(n)
        if np.any(perm != np.arange(n)):
            return perm


def _pitch_xy(rng: Rng, n: int) -> AnyArray:
    return rng.uniform([-52.5, -34.0], [52.5, 34.0], (n, 2))


def _teams(rng: Rng, n: int) -> AnyArray:
    team = rng.integers(0, 2, n)
    team[:2] = (0, 1)
    return rng.permutation(team)


def _track(rng: Rng, n: int, frames: int = 12) -> tuple[AnyArray, AnyArray]:
    """Times and smooth random-walk positions ``(frames, n, 2)`` at 25 Hz."""
    t = 5.0 + np.arange(frames) / 25.0
    xy = _pitch_xy(rng, n) * 0.8 + np.cumsum(rng.normal(0.0, 0.15, (frames, n, 2)), axis=0)
    return t, xy


STATE = KinematicState._fields
MOTION = PlayerMotion._fields
CARRIER = BallCarrier._fields
SHAPE = TeamShape._fields


def _state_nan(prefix: str, never: BoolArray) -> NanMasks:
    """A state's documented NaN: ``t`` and ``pos`` of slots never seen."""
    return {f"{prefix}.t": never, f"{prefix}.pos": never}


# --- coordinates ----------------------------------------------------------------------------------


def _points_entry(
    name: str, func: Callable[..., Any], lo: tuple[float, float], hi: tuple[float, float], signed: bool
) -> Entry:
    def build(rng: Rng) -> Call:
        n = int(rng.integers(3, 12))
        xy = rng.uniform(lo, hi, (n, 2))
        if signed:
            return Call((xy, rng.choice([-1.0, 1.0], n)))
        return Call((xy,))

    def permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
        perm = _perm(rng, len(call.args[0]))
        return Call(tuple(a[perm] for a in call.args)), perm

    return Entry(
        id=name,
        func=func,
        build=build,
        shapes=lambda call: {"out": (len(call.args[0]), 2)},
        permute=permute,
        per_item={"out": 0},
    )


COORDINATES = [
    _points_entry("statsbomb_to_pitch", statsbomb_to_pitch, (-5.0, -5.0), (125.0, 85.0), True),
    _points_entry("pitch_to_statsbomb", pitch_to_statsbomb, (-55.0, -36.0), (55.0, 36.0), True),
    _points_entry("lastrow_to_pitch", lastrow_to_pitch, (0.0, 0.0), (100.0, 100.0), False),
    _points_entry("wyscout_to_pitch", wyscout_to_pitch, (-5.0, -5.0), (105.0, 105.0), True),
    _points_entry("to_attacking", to_attacking, (-55.0, -36.0), (55.0, 36.0), True),
    Entry(
        id="as_complex",
        func=as_complex,
        build=lambda rng: Call((_pitch_xy(rng, int(rng.integers(3, 12))),)),
        shapes=lambda call: {"out": (len(call.args[0]),)},
        permute=lambda call, rng: (lambda perm: (Call((call.args[0][perm],)), perm))(
            _perm(rng, len(call.args[0]))
        ),
        per_item={"out": 0},
    ),
]


# --- kinematics -----------------------------------------------------------------------------------


def _step_build(complex_input: bool, mixed: bool) -> Callable[[Rng], Call]:
    """A state after a short track, then one more frame.

    ``mixed``: slot 0 never seen (absent throughout), slot 1 seen before but absent now, slot 2 seen
    for the first time now, the rest stepping. Otherwise every slot is seen and present (the fast path).
    """

    def build(rng: Rng) -> Call:
        n = int(rng.integers(5, 9))
        t, xy = _track(rng, n, 13)
        present = np.ones((13, n), dtype=bool)
        if mixed:
            present[:, 0] = False
            present[-1, 1] = False
            present[:-1, 2] = False
        state, _ = kinematics_track(new_state(n), t[:-1], xy[:-1], present[:-1])
        if complex_input:
            z = xy[-1, :, 0] + 1j * xy[-1, :, 1]
            return Call((state, float(t[-1]), z, present[-1]))
        return Call((state, float(t[-1]), xy[-1], present[-1]))

    return build


def _step_shapes(call: Call) -> Shapes:
    n = len(call.args[0].t)
    return {**_fields("out.0", STATE, (n,)), **_fields("out.1", MOTION, (n,))}


def _step_nan(call: Call) -> NanMasks:
    state, _, _, present = call.args
    never = np.isnan(state.t) & ~present
    masks = _state_nan("out.0", never)
    masks.update({f"out.1.{name}": never for name in ("speed", "accel", "direction")})
    return masks


def _step_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    state, t, xy, present = call.args
    perm = _perm(rng, len(state.t))
    return Call((KinematicState._make(f[perm] for f in state), t, xy[perm], present[perm])), perm


def _track_build(rng: Rng) -> Call:
    n = int(rng.integers(3, 7))
    t, xy = _track(rng, n, 20)
    present = rng.random((20, n)) < 0.8
    present[:, 0] = False  # never seen
    return Call((new_state(n), t, xy, present))


def _track_nan(call: Call) -> NanMasks:
    present = call.args[3]
    seen = np.logical_or.accumulate(present, axis=0)  # speeds: NaN until a slot is first seen
    return {**_state_nan("out.0", ~seen[-1]), "out.1": ~seen}


def _track_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    state, t, xy, present = call.args
    perm = _perm(rng, xy.shape[1])
    return Call((KinematicState._make(f[perm] for f in state), t, xy[:, perm], present[:, perm])), perm


def _grow_build(rng: Rng) -> Call:
    n = int(rng.integers(2, 6))
    t, xy = _track(rng, n, 6)
    state, _ = kinematics_track(new_state(n), t, xy, np.ones((6, n), dtype=bool))
    return Call((state, n + int(rng.integers(1, 4))))


def _grow_nan(call: Call) -> NanMasks:
    state, n = call.args
    return _state_nan("out", np.arange(n) >= len(state.t))


def _grow_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    state, n = call.args
    perm = _perm(rng, len(state.t))
    # The existing rows are permuted; the new rows stay where they are.
    return Call((KinematicState._make(f[perm] for f in state), n)), np.concatenate(
        [perm, np.arange(len(perm), n)]
    )


KINEMATICS = [
    Entry(
        id="new_state",
        func=new_state,
        build=lambda rng: Call((int(rng.integers(0, 30)),)),
        shapes=lambda call: _fields("out", STATE, (call.args[0],)),
        nan=lambda call: _state_nan("out", np.ones(call.args[0], dtype=bool)),
    ),
    Entry(
        id="grow_state",
        func=grow_state,
        build=_grow_build,
        shapes=lambda call: _fields("out", STATE, (call.args[1],)),
        nan=_grow_nan,
        permute=_grow_permute,
        per_item={"out.": 0},
    ),
    *(
        Entry(
            id=f"{func.__name__}[{'mixed' if mixed else 'all-present'}]",
            func=func,
            build=_step_build(func is step_complex, mixed),
            shapes=_step_shapes,
            nan=_step_nan,
            permute=_step_permute,
            per_item={"out.": 0},
        )
        for func in (kinematics_step, step_complex)
        for mixed in (False, True)
    ),
    Entry(
        id="kinematics_track",
        func=kinematics_track,
        build=_track_build,
        shapes=lambda call: {
            **_fields("out.0", STATE, (call.args[2].shape[1],)),
            "out.1": call.args[3].shape,
        },
        nan=_track_nan,
        permute=_track_permute,
        per_item={"out.0.": 0, "out.1": 1},
    ),
]


# --- spatial and frame ----------------------------------------------------------------------------


def _frame_build(complex_input: bool, with_ball: bool) -> Callable[[Rng], Call]:
    def build(rng: Rng) -> Call:
        n = int(rng.integers(6, 23))
        xy = _pitch_xy(rng, n)
        team = _teams(rng, n)
        keeper = np.zeros(n, dtype=bool)
        keeper[rng.choice(n, 2, replace=False)] = True
        ball = xy[int(rng.integers(n))] + rng.uniform(-0.5, 0.5, 2) if with_ball else np.array([NAN, NAN])
        pos: AnyArray = xy[:, 0] + 1j * xy[:, 1] if complex_input else xy
        return Call((pos, team, keeper, ball), {"ball_z": float(rng.uniform(0.0, 1.0))})

    return build


def _frame_shapes(call: Call) -> Shapes:
    n = len(call.args[0])
    return {
        "out.separation": (n,),
        **_fields("out.carrier", CARRIER, ()),
        **_fields("out.home", SHAPE, ()),
        **_fields("out.away", SHAPE, ()),
    }


def _frame_nan(call: Call) -> NanMasks:
    ball = call.args[3]
    if np.isfinite(ball).all():
        return {}
    return {"out.carrier.distance_to_ball": np.array(True), "out.carrier.nearest_opponent": np.array(True)}


def _frame_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    pos, team, keeper, ball = call.args
    perm = _perm(rng, len(team))
    return Call((pos[perm], team[perm], keeper[perm], ball), call.kwargs), perm


def _separation_build(one_team: bool) -> Callable[[Rng], Call]:
    def build(rng: Rng) -> Call:
        n = int(rng.integers(2, 23))
        team = np.zeros(n, dtype=np.int64) if one_team else _teams(rng, n)
        return Call((_pitch_xy(rng, n), team))

    return build


def _shot_rows_build(rng: Rng) -> Call:
    return Call((rng.uniform(0.0, 30.0, (int(rng.integers(1, 6)), len(SHOT_FEATURE_NAMES))),))


def _rows_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[0]))
    return Call((call.args[0][perm],), call.kwargs), perm


def _freeze_frame_nan(call: Call) -> NanMasks:
    mask = np.zeros(call.args[0].shape, dtype=bool)
    mask[:, [SHOT_FEATURE_NAMES.index(n) for n in FREEZE_FRAME_NAMES]] = True
    return {"out": mask}


def _pair_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[0]))
    return Call(tuple(a[perm] for a in call.args), call.kwargs), perm


def _carrier_build(rng: Rng) -> Call:
    n = int(rng.integers(4, 23))
    xy = _pitch_xy(rng, n)
    team = _teams(rng, n)
    i = int(rng.integers(n))
    xy[rng.choice(n, 3)] = xy[i] + rng.uniform(-4.0, 4.0, (3, 2))  # some players close by
    ball = xy[i] + rng.uniform(-0.5, 0.5, 2)
    return Call((xy, team, ball, float(rng.uniform(0.0, 1.4))))


def _carrier_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    xy, team, ball, ball_z = call.args
    perm = _perm(rng, len(xy))
    return Call((xy[perm], team[perm], ball, ball_z)), perm


def _carrier_nan(call: Call) -> NanMasks:
    xy, team, ball, _ = call.args
    # Documented: nearest_opponent is NaN when the carrier has no opponent on the pitch.
    i = int(np.argmin(np.hypot(*(xy - ball).T)))
    return {"out.nearest_opponent": np.array(not np.any(team != team[i]))}


def _shape_build(empty: bool) -> Callable[[Rng], Call]:
    def build(rng: Rng) -> Call:
        return Call((_pitch_xy(rng, 0 if empty else int(rng.integers(1, 12))),))

    return build


def _single_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[0]))
    return Call((call.args[0][perm], *call.args[1:])), perm


def _frame_features_build(rng: Rng) -> Call:
    n = int(rng.integers(6, 23))
    t, xy = _track(rng, n, 10)
    state, _ = kinematics_track(new_state(n), t[:-1], xy[:-1], np.ones((9, n), dtype=bool))
    present = np.ones(n, dtype=bool)
    present[int(rng.integers(n))] = False  # a slot seen before and absent now
    team = _teams(rng, n)
    keeper = np.zeros(n, dtype=bool)
    keeper[rng.choice(n, 2, replace=False)] = True
    carrier = int(rng.choice(np.flatnonzero(present)))
    ball = xy[-1, carrier] + rng.uniform(-0.3, 0.3, 2)
    return Call((state, float(t[-1]), xy[-1], present, team, keeper, ball), {"ball_z": 0.2})


def _frame_features_shapes(call: Call) -> Shapes:
    n = len(call.args[2])
    return {
        **_fields("out.0", STATE, (n,)),
        **_fields("out.1.motion", MOTION, (n,)),
        **{
            k.replace("out.", "out.1.spatial.", 1): v for k, v in _frame_shapes(Call((call.args[2],))).items()
        },
    }


def _frame_features_nan(call: Call) -> NanMasks:
    present = call.args[3]
    return {"out.1.spatial.separation": ~present}  # absent slots: NaN (everybody was seen before)


def _frame_features_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    state, t, xy, present, team, keeper, ball = call.args
    perm = _perm(rng, len(xy))
    permuted = (
        KinematicState._make(f[perm] for f in state),
        t,
        xy[perm],
        present[perm],
        team[perm],
        keeper[perm],
        ball,
    )
    return Call(permuted, call.kwargs), perm


SPATIAL = [
    Entry(
        id="separation[both-teams]",
        func=separation,
        build=_separation_build(False),
        shapes=lambda call: {"out": (len(call.args[0]),)},
        permute=_pair_permute,
        per_item={"out": 0},
    ),
    Entry(
        id="separation[one-team]",
        func=separation,
        build=_separation_build(True),
        shapes=lambda call: {"out": (len(call.args[0]),)},
        nan=lambda call: {"out": np.ones(len(call.args[0]), dtype=bool)},  # no opponent
        permute=_pair_permute,
        per_item={"out": 0},
    ),
    Entry(
        id="ball_carrier",
        func=ball_carrier,
        build=_carrier_build,
        shapes=lambda call: _fields("out", CARRIER, ()),
        nan=_carrier_nan,
        permute=_carrier_permute,
        index_leaves=frozenset({"out.player"}),
    ),
    Entry(
        id="team_shape",
        func=team_shape,
        build=_shape_build(False),
        shapes=lambda call: _fields("out", SHAPE, ()),
        permute=lambda call, rng: (
            _single_permute(call, rng) if len(call.args[0]) > 1 else (call, np.arange(1))
        ),
    ),
    Entry(
        id="team_shape[nobody]",
        func=team_shape,
        build=_shape_build(True),
        shapes=lambda call: _fields("out", SHAPE, ()),
        nan=lambda call: {f"out.{f}": np.array(True) for f in SHAPE[1:]},  # players 0, the rest NaN
    ),
    Entry(
        id="lines_label",
        func=lines_label,
        build=lambda rng: Call((_pitch_xy(rng, int(rng.integers(3, 11))), float(rng.choice([-1.0, 1.0])))),
        shapes=lambda call: {"out": ()},
        permute=_single_permute,
    ),
    *(
        Entry(
            id=f"{func.__name__}[{'ball' if with_ball else 'no-ball'}]",
            func=func,
            build=_frame_build(func is spatial_complex, with_ball),
            shapes=_frame_shapes,
            nan=_frame_nan,
            permute=_frame_permute,
            per_item={"out.separation": 0},
            index_leaves=frozenset({"out.carrier.player"}),
        )
        for func in (frame_spatial, spatial_complex)
        for with_ball in (True, False)
    ),
    Entry(
        id="frame_features",
        func=frame_features,
        build=_frame_features_build,
        shapes=_frame_features_shapes,
        nan=_frame_features_nan,
        permute=_frame_features_permute,
        per_item={"out.0.": 0, "out.1.motion.": 0, "out.1.spatial.separation": 0},
        index_leaves=frozenset({"out.1.spatial.carrier.player"}),
    ),
    Entry(
        id="frame_features_batch",
        func=frame_features_batch,
        build=lambda rng: _batch_build(rng),
        shapes=lambda call: _per_frame(call, _frame_features_shapes),
        nan=lambda call: _per_frame(call, _frame_features_nan),
    ),
]


def _batch_build(rng: Rng) -> Call:
    """Three frames of three matches, each as :func:`frame_features` takes one, as columns."""
    frames = [_frame_features_build(rng) for _ in range(3)]
    columns = [tuple(c) for c in zip(*(f.args for f in frames), strict=True)]
    return Call((*columns, tuple(f.kwargs["ball_z"] for f in frames)))


def _per_frame(call: Call, one: Callable[[Call], dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in range(len(call.args[0])):
        single = Call(tuple(column[k] for column in call.args[:7]), {"ball_z": call.args[7][k]})
        out.update({f"out.{k}.{key[4:]}": v for key, v in one(single).items()})
    return out


# --- shot -----------------------------------------------------------------------------------------


def _shot_build(players: str) -> Callable[[Rng], Call]:
    """``players``: ``all`` (teammates, defenders and a keeper), ``no-keeper``, ``none``,
    ``bad-shooter`` (a NaN shooter with players)."""

    def build(rng: Rng) -> Call:
        shooter = rng.uniform([20.0, -25.0], [50.0, 25.0])
        if players == "bad-shooter":
            shooter[int(rng.integers(2))] = NAN
        if players == "none":
            return Call((shooter, np.empty((0, 2)), np.empty(0, dtype=np.int64)))
        k = int(rng.integers(4, 15))
        xy = rng.uniform([25.0, -30.0], [55.0, 30.0], (k, 2))
        role = rng.choice([TEAMMATE, DEFENDER], k)
        role[:2] = (TEAMMATE, DEFENDER)
        if players != "no-keeper":
            role[2] = KEEPER
        return Call((shooter, xy, rng.permutation(role) if players == "no-keeper" else role))

    return build


def _shot_nan(players: str) -> Callable[[Call], NanMasks]:
    names = {
        "all": [],
        "no-keeper": ["keeper_in_triangle", "keeper_to_goal_m", "keeper_to_line_m"],
        "none": list(SHOT_GEOMETRY_NAMES[3:]),
        "bad-shooter": list(SHOT_GEOMETRY_NAMES),
    }[players]
    mask = np.isin(np.array(SHOT_GEOMETRY_NAMES), names)
    return lambda call: {"out": mask}


def _shot_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    shooter, xy, role = call.args
    perm = _perm(rng, len(xy))
    return Call((shooter, xy[perm], role[perm])), perm


def _triangle_build(rng: Rng) -> Call:
    a, b, c = rng.uniform(-20.0, 20.0, (3, 2))
    return Call((rng.uniform(-25.0, 25.0, (int(rng.integers(2, 30)), 2)), a, b, c))


def _attributes_build(rng: Rng) -> Call:
    def pick(vocab: tuple[str, ...]) -> str | None:
        options: list[str | None] = [*vocab, "Unknown", None]
        return options[int(rng.integers(len(options)))]

    flags = {
        name: bool(rng.integers(2)) for name in ("first_time", "one_on_one", "open_goal", "under_pressure")
    }
    return Call((pick(BODY_PARTS), pick(TECHNIQUES), pick(SHOT_TYPES), pick(PLAY_PATTERNS)), flags)


def _features_build(with_buildup: bool) -> Callable[[Rng], Call]:
    def build(rng: Rng) -> Call:
        m = int(rng.integers(2, 8))
        geometry = rng.uniform(0.0, 30.0, (m, len(SHOT_GEOMETRY_NAMES)))
        geometry[0, 5:8] = NAN  # a shot without a keeper
        attributes = (rng.random((m, len(SHOT_ATTRIBUTE_NAMES))) < 0.3).astype(np.float64)
        if not with_buildup:
            return Call((geometry, attributes))
        buildup = rng.uniform(0.0, 10.0, (m, len(BUILDUP_NAMES)))
        buildup[-1, -1] = NAN  # a counter speed unknown
        return Call((geometry, attributes, buildup))

    return build


def _features_nan(call: Call) -> NanMasks:
    geometry, attributes, *buildup = call.args
    tail = np.isnan(buildup[0]) if buildup else np.ones((len(geometry), len(BUILDUP_NAMES)), dtype=bool)
    return {"out": np.concatenate([np.isnan(geometry), np.isnan(attributes), tail], axis=-1)}


def _rows_build(rng: Rng) -> Call:
    rows = []
    for _ in range(int(rng.integers(2, 6))):
        known = rng.random(2) < 0.7
        start = tuple(rng.uniform(-50.0, 50.0, 2)) if known[0] else None
        end = tuple(rng.uniform(-50.0, 50.0, 2)) if known[1] else None
        piece = [*SET_PIECES, None][int(rng.integers(len(SET_PIECES) + 1))]
        kind = ACTION_KINDS[int(rng.integers(len(ACTION_KINDS)))]
        flags = rng.random(3) < 0.5
        rows.append(ActionRow(kind, bool(flags[0]), start, end, float(rng.uniform(-1, 9)), *flags[1:], piece))
    return Call((rows,))


def _rows_nan(call: Call) -> NanMasks:
    rows = call.args[0]
    starts = np.array([[r.start is None] * 2 for r in rows])
    ends = np.array([[r.end is None] * 2 for r in rows])
    return {"out.start": starts, "out.end": ends}


def _list_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[0]))
    return Call(([call.args[0][i] for i in perm],)), perm


def _action_shapes(k: int) -> Shapes:
    fields = ("kind", "own", "before_s", "cross", "through_ball", "set_piece")
    return {**_fields("out", fields, (k,)), "out.start": (k, 2), "out.end": (k, 2)}


def _buildup_build(known: bool) -> Callable[[Rng], Call]:
    """``known``: three of the shooting team's passes, every place and time known; else nothing."""

    def build(rng: Rng) -> Call:
        shot = rng.uniform([20.0, -20.0], [50.0, 20.0])
        if not known:
            return Call((no_actions(), shot))
        starts = rng.uniform([-30.0, -30.0], [50.0, 30.0], (3, 2))
        ends = rng.uniform([-30.0, -30.0], [50.0, 30.0], (3, 2))
        before = np.sort(rng.uniform(1.5, 20.0, 3))[::-1]
        rows = [
            ActionRow("pass", True, tuple(s), tuple(e), float(b), bool(rng.integers(2)))
            for s, e, b in zip(starts, ends, before, strict=True)
        ]
        return Call((actions_from_rows(rows), shot))

    return build


def _roles_build(by_team: bool) -> Callable[[Rng], Call]:
    def build(rng: Rng) -> Call:
        k = int(rng.integers(2, 23))
        keeper = rng.random(k) < 0.2
        if by_team:
            return Call((rng.integers(0, 2, k), keeper, int(rng.integers(2))))
        return Call((rng.random(k) < 0.5, keeper))

    return build


def _roles_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[0]))
    return Call((call.args[0][perm], call.args[1][perm], *call.args[2:])), perm


SHOT = [
    *(
        Entry(
            id=func.__name__,
            func=func,
            build=_roles_build(func is roles_from_teams),
            shapes=lambda call: {"out": (len(call.args[0]),)},
            permute=_roles_permute,
            per_item={"out": 0},
        )
        for func in (roles_from_flags, roles_from_teams)
    ),
    Entry(
        id="in_triangle",
        func=in_triangle,
        build=_triangle_build,
        shapes=lambda call: {"out": (len(call.args[0]),)},
        permute=_single_permute,
        per_item={"out": 0},
    ),
    *(
        Entry(
            id=f"shot_geometry[{players}]",
            func=shot_geometry,
            build=_shot_build(players),
            shapes=lambda call: {"out": (len(SHOT_GEOMETRY_NAMES),)},
            nan=_shot_nan(players),
            permute=None if players == "none" else _shot_permute,
        )
        for players in ("all", "no-keeper", "none", "bad-shooter")
    ),
    Entry(
        id="shot_attributes",
        func=shot_attributes,
        build=_attributes_build,
        shapes=lambda call: {"out": (len(SHOT_ATTRIBUTE_NAMES),)},
    ),
    *(
        Entry(
            id=f"shot_features[{'buildup' if with_buildup else 'no-buildup'}]",
            func=shot_features,
            build=_features_build(with_buildup),
            shapes=lambda call: {"out": (len(call.args[0]), len(SHOT_FEATURE_NAMES))},
            nan=_features_nan,
            permute=_pair_permute,
            per_item={"out": 0},
        )
        for with_buildup in (True, False)
    ),
    *(
        Entry(
            id=f"buildup_features[{'known' if known else 'none'}]",
            func=buildup_features,
            build=_buildup_build(known),
            shapes=lambda call: {"out": (len(BUILDUP_NAMES),)},
            nan=(lambda call: {}) if known else (lambda call: {"out": np.ones(len(BUILDUP_NAMES), bool)}),
        )
        for known in (True, False)
    ),
    Entry(
        id="actions_from_rows",
        func=actions_from_rows,
        build=_rows_build,
        shapes=lambda call: _action_shapes(len(call.args[0])),
        nan=_rows_nan,
        permute=_list_permute,
        per_item={"out.": 0},
    ),
    Entry(
        id="no_actions", func=no_actions, build=lambda rng: Call(()), shapes=lambda call: _action_shapes(0)
    ),
    Entry(
        id="is_cut_back",
        func=is_cut_back,
        build=lambda rng: Call((rng.uniform([40.0, -30.0], [52.5, 30.0]), rng.uniform(30.0, 52.5, 2))),
        shapes=lambda call: {"out": ()},
    ),
    Entry(
        id="players_known",
        func=players_known,
        build=_shot_rows_build,
        shapes=lambda call: {"out": (len(call.args[0]),)},
        permute=_rows_permute,
        per_item={"out": 0},
    ),
    Entry(
        id="without_freeze_frame",
        func=without_freeze_frame,
        build=_shot_rows_build,
        shapes=lambda call: {"out": call.args[0].shape},
        nan=_freeze_frame_nan,
        permute=_rows_permute,
        per_item={"out": 0},
    ),
]


# --- baseball -------------------------------------------------------------------------------------

_NUMERIC = (
    "lead_ft",
    "runner_sprint_speed_fps",
    "catcher_pop_time_s",
    "balls",
    "strikes",
    "outs",
)


def _context_build(rng: Rng) -> Call:
    n = int(rng.integers(2, 9))
    values = {
        "lead_ft": rng.uniform(0.0, 20.0, n),
        "runner_sprint_speed_fps": rng.uniform(23.0, 31.0, n),
        "catcher_pop_time_s": rng.uniform(1.8, 2.2, n),
        "balls": rng.integers(0, 4, n).astype(np.float64),
        "strikes": rng.integers(0, 3, n).astype(np.float64),
        "outs": rng.integers(0, 3, n).astype(np.float64),
    }
    for _ in range(3):  # some unknowns
        values[_NUMERIC[int(rng.integers(len(_NUMERIC)))]][int(rng.integers(n))] = NAN
    bases: list[str | None] = ["2B", "3B", "HP", None]
    target_base = [bases[int(i)] for i in rng.integers(len(bases), size=n)]
    history = history_features(_records(rng, n), float(rng.uniform(0.6, 0.85)))
    history[int(rng.integers(n)), :] = NAN  # a row of unknown records
    return Call(
        (
            values["lead_ft"],
            values["runner_sprint_speed_fps"],
            values["catcher_pop_time_s"],
            values["balls"],
            values["strikes"],
            values["outs"],
            target_base,
            history,
        )
    )


def _records(rng: Rng, n: int) -> AnyArray:
    """Random (attempts, steals) per runner, catcher and pitcher, some players without any."""
    attempts = rng.integers(0, 80, (n, 3)) * (rng.uniform(size=(n, 3)) > 0.2)
    steals = np.floor(attempts * rng.uniform(0.0, 1.0, (n, 3)))
    return np.stack([attempts, steals], axis=2).reshape(n, 6).astype(np.float64)


_CONTEXT_COLUMNS = {name: PITCH_FEATURE_NAMES.index(name) for name in _NUMERIC}
_CONTEXT_ARG = {
    name: i
    for i, name in enumerate(
        (
            "lead_ft",
            "runner_sprint_speed_fps",
            "catcher_pop_time_s",
            "balls",
            "strikes",
            "outs",
            "target_base",
            "history",
        )
    )
}


def _context_nan(call: Call) -> NanMasks:
    n = len(call.args[_CONTEXT_ARG["target_base"]])
    mask = np.zeros((n, len(PITCH_FEATURE_NAMES)), dtype=bool)
    for name, col in _CONTEXT_COLUMNS.items():
        mask[:, col] = np.isnan(np.asarray(call.args[_CONTEXT_ARG[name]], dtype=np.float64))
    history = [PITCH_FEATURE_NAMES.index(name) for name in HISTORY_FEATURE_NAMES]
    mask[:, history] = np.isnan(call.args[_CONTEXT_ARG["history"]])
    return {"out": mask}


def _context_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    perm = _perm(rng, len(call.args[_CONTEXT_ARG["target_base"]]))
    args = tuple(
        np.asarray(a)[perm] if isinstance(a, np.ndarray) else [a[i] for i in perm] for a in call.args
    )
    return Call(args), perm


def _grid_build(rng: Rng) -> Call:
    context = pitch_context(11.0, NAN, 2.0, 1, 0, NAN, ["3B"])[0]
    return Call((context, rng.uniform(0.0, 20.0, int(rng.integers(2, 25)))))


def _grid_nan(call: Call) -> NanMasks:
    context, leads = call.args
    mask = np.repeat(np.isnan(context)[None, :], len(leads), axis=0)
    mask[:, PITCH_FEATURE_NAMES.index("lead_ft")] = np.isnan(leads)
    return {"out": mask}


def _grid_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    context, leads = call.args
    perm = _perm(rng, len(leads))
    return Call((context, leads[perm])), perm


def _pair_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    successes, attempts, *rest = call.args
    perm = _perm(rng, len(successes))
    return Call((successes[perm], attempts[perm], *rest)), perm


def _rows_permute(call: Call, rng: Rng) -> tuple[Call, IntArray]:
    records, league = call.args
    perm = _perm(rng, len(records))
    return Call((records[perm], league)), perm


BASEBALL = [
    Entry(
        id="pitch_context",
        func=pitch_context,
        build=_context_build,
        shapes=lambda call: {"out": (len(call.args[_CONTEXT_ARG["target_base"]]), len(PITCH_FEATURE_NAMES))},
        nan=_context_nan,
        permute=_context_permute,
        per_item={"out": 0},
    ),
    Entry(
        id="lead_grid",
        func=lead_grid,
        build=_grid_build,
        shapes=lambda call: {"out": (len(call.args[1]), len(PITCH_FEATURE_NAMES))},
        nan=_grid_nan,
        permute=_grid_permute,
        per_item={"out": 0},
    ),
    Entry(
        id="shrunk_rate",
        func=shrunk_rate,
        build=lambda rng: Call(
            (*_records(rng, int(rng.integers(2, 9)))[:, [1, 0]].T, float(rng.uniform(0.6, 0.85)), 40.0)
        ),
        shapes=lambda call: {"out": (len(call.args[0]),)},
        permute=lambda call, rng: _pair_permute(call, rng),
        per_item={"out": 0},
    ),
    Entry(
        id="history_features",
        func=history_features,
        build=lambda rng: Call((_records(rng, int(rng.integers(2, 9))), float(rng.uniform(0.6, 0.85)))),
        shapes=lambda call: {"out": (len(call.args[0]), len(HISTORY_FEATURE_NAMES))},
        permute=lambda call, rng: _rows_permute(call, rng),
        per_item={"out": 0},
    ),
]

REGISTRY: list[Entry] = [*COORDINATES, *KINEMATICS, *SPATIAL, *SHOT, *BASEBALL]


# --- the checks -----------------------------------------------------------------------------------


def _axis(entry: Entry, path: str) -> int | None:
    for prefix, axis in entry.per_item.items():
        if path == prefix or (prefix.endswith(".") and path.startswith(prefix)):
            return axis
    return None


def _check_permutation(entry: Entry, call: Call, out: dict[str, AnyArray], rng: Rng) -> None:
    assert entry.permute is not None
    permuted_call, perm = entry.permute(call, rng)
    permuted = _leaves(entry.func(*permuted_call.args, **permuted_call.kwargs))
    assert permuted.keys() == out.keys()
    for path, value in out.items():
        axis = _axis(entry, path)
        if path in entry.index_leaves:
            old = int(value)
            expected = np.asarray(-1 if old < 0 else int(np.flatnonzero(perm == old)[0]))
            assert int(permuted[path]) == int(expected), path
        elif axis is not None:
            assert _close(permuted[path], np.take(value, perm, axis=axis)), path
        else:
            assert _close(permuted[path], value), path


@pytest.mark.parametrize("entry", REGISTRY, ids=[e.id for e in REGISTRY])
@pytest.mark.parametrize("seed", SEEDS)
def test_feature_contract(entry: Entry, seed: int) -> None:
    rng = np.random.default_rng(seed)
    call = entry.build(rng)
    pristine = copy.deepcopy(call)
    result = entry.func(*call.args, **call.kwargs)
    out = _leaves(result)

    # Purity: the inputs are exactly as they were.
    before, after = _leaves((pristine.args, pristine.kwargs)), _leaves((call.args, call.kwargs))
    assert before.keys() == after.keys()
    for path in before:
        assert _same(after[path], before[path]), f"input {path} was modified"

    # Shapes: every output leaf is accounted for, with its stated shape.
    assert {path: value.shape for path, value in out.items()} == entry.shapes(call)

    # NaN exactly where documented; every other float is finite.
    masks = entry.nan(call)
    assert set(masks) <= set(out), set(masks) - set(out)
    for path, value in out.items():
        if value.dtype.kind in "fc":
            expected = np.broadcast_to(masks.get(path, np.zeros(value.shape, dtype=bool)), value.shape)
            np.testing.assert_array_equal(~np.isfinite(value), expected, err_msg=path)

    # No hidden state: the same input again gives the same output.
    fresh = copy.deepcopy(pristine)
    again = _leaves(entry.func(*fresh.args, **fresh.kwargs))
    assert again.keys() == out.keys()
    for path in out:
        assert _same(again[path], out[path]), f"output {path} differs on the second call"

    if entry.permute is not None:
        _check_permutation(entry, pristine, out, rng)


def _feature_modules() -> list[ModuleType]:
    return [importlib.import_module(f"features.{m.name}") for m in pkgutil.iter_modules(features.__path__)]


def test_registry_covers_every_public_function() -> None:
    modules = _feature_modules()
    assert {m.__name__ for m in modules} >= {
        "features.baseball",
        "features.buildup",
        "features.coordinates",
        "features.frame",
        "features.kinematics",
        "features.shot",
        "features.spatial",
    }
    public = set()
    for module in modules:
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                public.add(f"{obj.__module__}.{obj.__name__}")
    registered = {f"{e.func.__module__}.{e.func.__name__}" for e in REGISTRY}
    assert public - registered == set(), "feature functions without a registry entry"
    assert registered - public == set(), "registry entries for functions that are not public"
    assert len({e.id for e in REGISTRY}) == len(REGISTRY)


def test_frame_spatial_types() -> None:
    # The named tuples the registry flattens are the ones the functions return.
    n = 4
    out = frame_spatial(
        np.zeros((n, 2)), np.array([0, 1, 0, 1]), np.zeros(n, dtype=bool), np.array([0.0, 0.0])
    )
    assert isinstance(out, FrameSpatial)
    assert isinstance(out.carrier, BallCarrier)
    assert isinstance(out.home, TeamShape)
