"""Feature benchmark: microseconds per call of the numpy feature functions on one core, next to
plain-Python versions of the same definitions (:mod:`benchmarks.plain_features`).

    python -m benchmarks.features [--calls 20000] [--warmup 2000] [--seed 7] [--quick]

Series; each makes ``--warmup`` untimed calls, then ``--calls`` calls timed one by one with
``time.perf_counter_ns`` (``gc.collect()`` before, gc on while timing, as in the worker):

1. ``frame_features`` for a 23-object frame (22 players with 2 keepers, and the ball), everyone
   present, the kinematic state each call returns passed to the next, over a seeded 25 Hz sequence
   of players moving a few centimetres a frame;
2. the same with one player absent (a different one each second): the gather/scatter path;
3. its two parts alone: ``kinematics_step`` and ``frame_spatial``;
4. one shot: ``shot_geometry`` (shooter and 21 others: 10 teammates, 10 defenders, a keeper),
   ``shot_attributes`` and ``shot_features``;
5. one pitch: ``pitch_context`` and ``lead_grid`` (21 rows).

Series 1, 3 and 4 are also timed in plain Python. Inputs are built beforehand in each form (arrays
for numpy, lists for plain Python); converting a decoded frame into either is not timed. Before
timing, the two implementations are compared on the first frames of series 1 and 2, on a stress
sequence (drop-outs, identity swaps, sprints, over-fast runs, repeated and out-of-order frames, a
team missing, no ball, a ball in the air) and on random and edge-case shots; after timing, the final
kinematic states are compared too. Any disagreement exits 1. Missed targets do not: they are
reported. Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from benchmarks import plain_features as plain
from features.baseball import lead_grid, pitch_context
from features.frame import frame_features
from features.kinematics import MAX_SPEED_MS, KinematicState, kinematics_step, new_state
from features.shot import DEFENDER, KEEPER, TEAMMATE, shot_attributes, shot_features, shot_geometry
from features.spatial import FrameSpatial, frame_spatial

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Point = tuple[float, float]
# frame_features arguments after the state, as arrays and as lists.
ArrayFrame = tuple[float, FloatArray, BoolArray, IntArray, BoolArray, FloatArray, float]
ListFrame = tuple[float, list[Point], list[bool], list[int], list[bool], Point, float]
Shot = tuple[FloatArray, FloatArray, IntArray]
PlainShot = tuple[Point, list[Point], list[int]]
Attributes = tuple[str | None, str | None, str | None, str | None, bool, bool, bool, bool]
S = TypeVar("S")

FRAME_S = 0.04  # 25 Hz
SLOTS = 22
TEAM: IntArray = np.repeat(np.array([0, 1], dtype=np.int64), 11)
KEEPER_SLOT: BoolArray = np.isin(np.arange(SLOTS), [0, 11])
TARGETS = {"frame_median_us": 100, "shot_median_us": 50}
# Kinematics agree to rounding at 25 Hz frame times (on the nodes of numpy's gain table; see
# plain_features); everything else is the same arithmetic, up to summation order.
RTOL, ATOL = 1e-9, 1e-9
# A direction is atan2 of the velocity: near standstill (just after a re-anchor) a 1e-14 m/s
# difference turns it by ~1e-9 degrees, so directions get an absolute tolerance of their own.
ANGLE_ATOL_DEG = 1e-6
CHECK_FRAMES = 200
CHECK_SHOTS = 3000

# Base positions in the pitch frame, home attacking +x: keeper, back four, midfield four, two forwards;
# the teams interleave as on a pitch, so opponents come within pressing distance.
_HOME = [
    (-48, 0),
    (-25, -20),
    (-25, -7),
    (-25, 7),
    (-25, 20),
    (0, -21),
    (0, -7),
    (0, 7),
    (0, 21),
    (22, -5),
    (22, 5),
]
_AWAY = [
    (48, 0),
    (25, -18),
    (25, -6),
    (25, 6),
    (25, 18),
    (2, -18),
    (2, -6),
    (2, 6),
    (2, 18),
    (-20, -8),
    (-20, 8),
]


# ---------------------------------------------------------------------------------------------- inputs


def _play(frames: int, seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A seeded match sequence: player positions ``(frames, 22, 2)``, ball ``(frames, 2)`` and ball
    height ``(frames,)``. Each player's velocity is an Ornstein-Uhlenbeck process (about 1.6 m/s on
    average, keepers slower) with a weak pull to his base position; the whole block drifts up and
    down the pitch; tracking noise of 2 cm is added. The ball sits at a carrier's feet or flies
    between two players, a new phase every 1.6-6 s, and now and then there is none."""
    rng = np.random.default_rng(seed)
    base = np.array(_HOME + _AWAY, dtype=np.float64)
    sigma = np.where(KEEPER_SLOT, 0.5, 1.3)[:, None]  # m/s per axis
    tau = 3.0
    decay = math.exp(-FRAME_S / tau)
    kick = sigma * math.sqrt(1.0 - decay * decay)
    vel = rng.normal(0.0, 1.0, (SLOTS, 2)) * sigma
    off = np.zeros((SLOTS, 2))
    xy = np.empty((frames, SLOTS, 2))
    for k in range(frames):
        vel = vel * decay + kick * rng.standard_normal((SLOTS, 2)) - 0.02 * off * FRAME_S
        off += vel * FRAME_S
        xy[k] = base + off
    t = np.arange(frames) * FRAME_S
    xy[:, :, 0] += (15.0 * np.sin(2 * np.pi * t / 90.0))[:, None]
    xy += rng.normal(0.0, 0.02, xy.shape)
    xy[:, :, 0] = np.clip(xy[:, :, 0], -54.0, 54.0)
    xy[:, :, 1] = np.clip(xy[:, :, 1], -35.0, 35.0)

    ball = np.empty((frames, 2))
    ball_z = np.zeros(frames)
    outfield = np.flatnonzero(~KEEPER_SLOT)
    k = 0
    while k < frames:
        end = min(frames, k + int(rng.integers(40, 150)))
        span = np.arange(k, end)
        kind = rng.random()
        a, b = rng.choice(outfield, 2, replace=False)
        if kind < 0.75:  # at a carrier's feet
            angle = rng.uniform(-np.pi, np.pi)
            ball[span] = xy[span, a] + 0.5 * np.array([math.cos(angle), math.sin(angle)])
            ball_z[span] = 0.11
        elif kind < 0.95:  # in flight from one player to another
            u = ((span - k) / max(1, end - k - 1))[:, None]
            ball[span] = (1 - u) * xy[span, a] + u * xy[span, b]
            ball_z[span] = 0.11 + 4.0 * np.sin(np.pi * u[:, 0])
        else:  # out of play: no ball in the frame
            ball[span] = np.nan
        k = end
    return xy, ball, ball_z


def _array_frames(
    xy: FloatArray, ball: FloatArray, ball_z: FloatArray, present: BoolArray, t: FloatArray | None = None
) -> list[ArrayFrame]:
    """Per-frame argument tuples, each frame's arrays its own contiguous copies (as a decoder makes)."""
    times = np.arange(len(xy)) * FRAME_S if t is None else t
    return [
        (
            float(times[k]),
            xy[k].copy(),
            present[k].copy(),
            TEAM,
            KEEPER_SLOT,
            ball[k].copy(),
            float(ball_z[k]),
        )
        for k in range(len(xy))
    ]


def _list_frame(f: ArrayFrame) -> ListFrame:
    t, xy, present, team, keeper, ball, ball_z = f
    points = [(float(x), float(y)) for x, y in xy.tolist()]
    return (
        t,
        points,
        [bool(p) for p in present],
        [int(v) for v in team],
        [bool(v) for v in keeper],
        (float(ball[0]), float(ball[1])),
        ball_z,
    )


def _one_absent(xy: FloatArray) -> tuple[FloatArray, BoolArray]:
    """One player missing from every frame, a different one each second (his row NaN, as unknown)."""
    present = np.ones(xy.shape[:2], dtype=bool)
    frames = np.arange(len(xy))
    present[frames, (frames // 25) % SLOTS] = False
    xy = xy.copy()
    xy[~present] = np.nan
    return xy, present


def _stress(seed: int) -> list[ArrayFrame]:
    """A sequence that takes every branch of the kinematics and of the frame's spatial features."""
    frames = 640
    rng = np.random.default_rng(seed + 1)
    xy, ball, ball_z = _play(frames, seed + 1)
    t: FloatArray = np.arange(frames, dtype=np.float64) * FRAME_S
    present = np.ones((frames, SLOTS), dtype=bool)
    present[:30, 20:] = False  # two players first seen at frame 30
    for _ in range(60):  # occlusions, some longer than MAX_GAP_S (re-anchor on return)
        start, length = int(rng.integers(0, frames)), int(rng.integers(1, 80))
        present[start : start + length, int(rng.integers(0, SLOTS))] = False
    run = np.arange(frames - 150)
    xy[150:, 9, 0] += 8.0 * FRAME_S * np.minimum(run, 50)  # 2 s at 8 m/s: a sprint
    run = np.arange(frames - 300)
    xy[300:, 10, 1] -= 15.0 * FRAME_S * np.minimum(run, 25)  # 1 s at 15 m/s: capped at MAX_SPEED_MS
    xy[100:160, [3, 15]] = xy[100:160, [15, 3]]  # identity swap there and back: two jumps
    xy[400:411, 4] = np.nan  # present but not finite: treated as absent
    t[200], xy[200] = t[199], xy[199]  # a repeated frame
    t[250] = t[240]  # an out-of-order frame
    present[500:510, 11:] = False  # the away team missing: no opponents
    ball[500:510] = xy[500:510, 5] + [0.3, 0.0]  # ... while a home player has the ball
    ball[520:530] = np.nan
    ball[540:550], ball_z[540:550] = xy[540:550, 6], 3.0  # over a player's head
    # Either side of each threshold: a 5.15 m and a 4.85 m glitch (JUMP_M), a ball 1.45 m and 1.55 m
    # from a player (CARRIER_RADIUS_M), at his feet 1.45 m and 1.55 m up (CARRIER_MAX_HEIGHT_M).
    xy[560, 7, 0] += 5.15
    xy[565, 8, 0] += 4.85
    ball[570:580] = xy[570:580, 6] + [0.0, 1.45]
    ball[580:590] = xy[580:590, 6] + [0.0, 1.55]
    ball[590:610] = xy[590:610, 6] + [0.3, 0.0]
    ball_z[590:600], ball_z[600:610] = 1.45, 1.55
    present[560:610, [6, 7, 8]] = True
    xy[~present] = np.nan
    return _array_frames(xy, ball, ball_z, present, t)


def _shots(n: int, seed: int) -> tuple[list[Shot], list[Attributes]]:
    """``n`` shots from the attacking third, 10 teammates, 10 defenders and a keeper each, with
    the defenders and keeper mostly between the shooter and the goal."""
    rng = np.random.default_rng(seed + 2)
    role = np.array([TEAMMATE] * 10 + [DEFENDER] * 10 + [KEEPER], dtype=np.int64)
    body = ("Right Foot", "Left Foot", "Head", None)
    technique = ("Normal", "Volley", "Half Volley", "Lob", None)
    kind = ("Open Play", "Open Play", "Free Kick", "Corner", "Penalty")
    pattern = ("Regular Play", "From Counter", "From Corner", "From Throw In", "Other")
    shots: list[Shot] = []
    attrs: list[Attributes] = []
    for _ in range(n):
        shooter = np.array([rng.uniform(20.0, 51.0), rng.uniform(-25.0, 25.0)])
        mates = np.column_stack([rng.uniform(0.0, 52.0, 10), rng.uniform(-30.0, 30.0, 10)])
        toward = rng.uniform(0.0, 1.0, (10, 1))
        goal = np.array([52.5, 0.0])
        defenders = shooter + toward * (goal - shooter) + rng.normal(0.0, 4.0, (10, 2))
        keeper = np.array([[rng.uniform(49.0, 52.5), rng.uniform(-2.5, 2.5)]])
        shots.append((shooter, np.concatenate([mates, defenders, keeper]), role))
        flags = rng.random(4) < 0.2
        attrs.append(
            (
                body[rng.integers(len(body))],
                technique[rng.integers(len(technique))],
                kind[rng.integers(len(kind))],
                pattern[rng.integers(len(pattern))],
                bool(flags[0]),
                bool(flags[1]),
                bool(flags[2]),
                bool(flags[3]),
            )
        )
    return shots, attrs


def _edge_shots() -> list[Shot]:
    """Shots on the boundaries of the definitions: on the goal line, at the goal centre, behind the
    line, players on the triangle's edges and corners, no keeper, two keepers, no defenders, no
    players, a non-finite shooter."""
    post_l, post_r, centre = (52.5, 3.66), (52.5, -3.66), (52.5, 0.0)
    r = np.array([TEAMMATE, DEFENDER, DEFENDER, KEEPER], dtype=np.int64)
    on_edges = np.array([post_l, post_r, (40.0, 0.0), (46.25, 1.83)])
    shooters = [(40.0, 0.0), (52.5, 0.0), (52.5, 2.0), (52.5, 10.0), (55.0, 1.0), (30.0, -30.0), (40.0, 0.0)]
    out: list[Shot] = [(np.array(s), on_edges, r) for s in shooters]
    out += [
        (np.array([40.0, 5.0]), on_edges, np.array([TEAMMATE, DEFENDER, KEEPER, KEEPER], dtype=np.int64)),
        (np.array([40.0, 5.0]), on_edges, np.array([TEAMMATE, TEAMMATE, DEFENDER, DEFENDER], dtype=np.int64)),
        (np.array([40.0, 5.0]), on_edges, np.array([TEAMMATE, TEAMMATE, KEEPER, TEAMMATE], dtype=np.int64)),
        (np.array([40.0, 5.0]), np.array([centre]), np.array([KEEPER], dtype=np.int64)),
        (np.array([40.0, 5.0]), np.empty((0, 2)), np.empty(0, dtype=np.int64)),
        (np.array([np.nan, 5.0]), on_edges, r),
        (np.array([40.0, np.inf]), on_edges, r),
    ]
    return out


def _plain_shot(s: Shot) -> PlainShot:
    shooter, players, role = s
    return (
        (float(shooter[0]), float(shooter[1])),
        [(float(x), float(y)) for x, y in players.tolist()],
        [int(v) for v in role],
    )


# ---------------------------------------------------------------------------------------------- checks


class Checker:
    """Collects disagreements between numpy and plain Python, and the largest difference seen."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.max_diff = 0.0
        self.compared = 0

    def close(self, what: str, got: Any, want: Any, *, angle: bool = False) -> None:
        a = np.asarray(got, dtype=np.float64)
        b = np.asarray(want, dtype=np.float64)
        self.compared += a.size
        if a.shape != b.shape:
            self.errors.append(f"{what}: shape {a.shape} != {b.shape}")
            return
        if np.array_equal(np.isnan(a), np.isnan(b)):
            diff = np.where(np.isnan(a), 0.0, a - b)
            if angle:  # -180 and 180 are the same direction
                diff = (diff + 180.0) % 360.0 - 180.0
            with np.errstate(invalid="ignore"):  # inf - inf where both are the same infinity
                diff = np.where(a == b, 0.0, diff)
            worst = float(np.abs(diff).max(initial=0.0))
            self.max_diff = max(self.max_diff, worst)
            if np.all(np.abs(diff) <= (ANGLE_ATOL_DEG if angle else ATOL) + RTOL * np.abs(np.nan_to_num(b))):
                return
        self.errors.append(f"{what}: numpy {a.tolist()} != plain {b.tolist()}"[:400])

    def equal(self, what: str, got: Any, want: Any) -> None:
        self.compared += 1
        if np.asarray(got).tolist() != np.asarray(want).tolist():
            self.errors.append(f"{what}: numpy {got!r} != plain {want!r}"[:400])


# plain_features.Row order
_ROW_FIELDS = (
    *("t", "x", "y", "vx", "vy", "speed", "accel"),
    *("distance", "hi_distance", "top_speed", "sprint_s", "sprints"),
)


def _check_state(c: Checker, where: str, got: KinematicState, want: Sequence[plain.Row]) -> None:
    rows = np.array(want, dtype=np.float64).reshape(-1, 12)
    mine = np.column_stack(
        [got.t, got.pos.real, got.pos.imag, got.vel.real, got.vel.imag, *got[3:]]  # same field order
    )
    # A slot never seen has pos NaN+0j in numpy (NaN as a complex number): NaN in both parts here.
    mine[np.isnan(mine[:, 1]), 2] = np.nan
    for i, name in enumerate(_ROW_FIELDS):
        c.close(f"{where} state.{name}", mine[:, i], rows[:, i])


def _check_spatial(c: Checker, where: str, got: FrameSpatial, want: plain.Spatial) -> None:
    c.close(f"{where} separation", got.separation, want.separation)
    gc_, wc = got.carrier, want.carrier
    c.equal(f"{where} carrier.player", gc_.player, wc.player)
    c.equal(f"{where} carrier.opponents", gc_.opponents, wc.opponents)
    c.close(f"{where} carrier", gc_[1:], wc[1:])
    for side, g, w in (("home", got.home, want.home), ("away", got.away, want.away)):
        c.equal(f"{where} {side}.players", g.players, w.players)
        c.close(f"{where} {side} shape", g[1:], w[1:])


def _check_frames(c: Checker, name: str, frames: Sequence[ArrayFrame], coverage: dict[str, int]) -> None:
    """frame_features and kinematics_step, numpy against plain, frame by frame from a fresh state."""
    state, pstate = new_state(SLOTS), plain.new_state(SLOTS)
    kstate, kpstate = new_state(SLOTS), plain.new_state(SLOTS)
    for k, f in enumerate(frames):
        where = f"{name} frame {k}"
        lf = _list_frame(f)
        before = state
        state, out = frame_features(state, *f)
        pstate, pmotion, pspatial = plain.frame_features(pstate, *lf)
        for field in ("speed", "accel", "updated", "rejected"):
            c.close(f"{where} {field}", getattr(out.motion, field), getattr(pmotion, field))
        c.close(f"{where} direction", out.motion.direction, pmotion.direction, angle=True)
        _check_state(c, where, state, pstate)
        _check_spatial(c, where, out.spatial, pspatial)
        kstate, kmotion = kinematics_step(kstate, f[0], f[1], f[2])
        kpstate, kpmotion = plain.kinematics_step(kpstate, lf[0], lf[1], lf[2])
        c.close(f"{where} kinematics_step speed", kmotion.speed, kpmotion.speed)
        _check_state(c, f"{where} kinematics_step", kstate, kpstate)
        if f[2].all() and np.isfinite(f[1]).all():
            got = frame_spatial(f[1], f[3], f[4], f[5], f[6])
            _check_spatial(c, f"{where} frame_spatial", got, plain.frame_spatial(lf[1], *lf[3:]))
        # What this sequence exercised, so a passing check says something.
        seen = np.isfinite(before.t)
        coverage["re-anchors"] += int(
            (out.motion.updated & seen & (state.speed == 0.0) & (state.vel == 0)).sum()
        )
        coverage["rejected"] += int(out.motion.rejected.sum())
        coverage["sprints"] += int((state.sprints - before.sprints).sum())
        coverage["capped"] += int((state.speed == MAX_SPEED_MS).sum())
        coverage["carried"] += int(out.spatial.carrier.player >= 0)
        coverage["pressed"] += int(out.spatial.carrier.opponents > 0)
        coverage["absent"] += int((~f[2]).sum())
        if len(c.errors) > 20:
            return


def _check_shots(c: Checker, shots: Sequence[Shot], attrs: Sequence[Attributes]) -> None:
    for k, s in enumerate(shots):
        ps = _plain_shot(s)
        a = attrs[k % len(attrs)]
        geometry, pgeometry = shot_geometry(*s), plain.shot_geometry(*ps)
        c.close(f"shot {k} geometry (shooter {ps[0]})", geometry, pgeometry)
        attributes = shot_attributes(
            a[0], a[1], a[2], a[3], first_time=a[4], one_on_one=a[5], open_goal=a[6], under_pressure=a[7]
        )
        pattributes = plain.shot_attributes(
            a[0], a[1], a[2], a[3], first_time=a[4], one_on_one=a[5], open_goal=a[6], under_pressure=a[7]
        )
        c.close(f"shot {k} attributes {a}", attributes, pattributes)
        c.close(
            f"shot {k} features",
            shot_features(geometry, attributes),
            plain.shot_features(pgeometry, pattributes),
        )
        if len(c.errors) > 20:
            return


# ---------------------------------------------------------------------------------------------- timing


def _time(call: Callable[[int], object], start: int, calls: int) -> list[int]:
    """Nanoseconds of each call ``call(i)`` for ``i`` in ``start .. start + calls - 1``."""
    samples = [0] * calls
    clock = time.perf_counter_ns
    gc.collect()  # a clean start; then the collector runs as in the worker, and its pauses count
    for k in range(calls):
        i = start + k
        t0 = clock()
        call(i)
        samples[k] = clock() - t0
    return samples


class Series:
    """One timed function: its call, where its input sequence has got to, and its samples by round."""

    def __init__(self, name: str, call: Callable[[int], object], numpy: bool = True) -> None:
        self.name, self.call, self.numpy = name, call, numpy
        self.next = 0
        self.rounds: list[list[int]] = []

    def run(self, calls: int) -> None:
        self.rounds.append(_time(self.call, self.next, calls))
        self.next += calls


def _run_rounds(series: Sequence[Series], calls: int, warmup: int, rounds: int) -> None:
    """Warm every series up, then time them in ``rounds`` interleaved blocks (alternating the order),
    so a slow spell of a shared machine is spread over all of them instead of landing on one."""
    for s in series:
        for i in range(warmup):
            s.call(i)
        s.next = warmup
    sizes = [calls // rounds + (r < calls % rounds) for r in range(rounds)]
    for r, size in enumerate(sizes):
        for s in series if r % 2 == 0 else reversed(series):
            if size:
                s.run(size)


def _carry(step: Callable[[S, int], S], state: S) -> tuple[Callable[[int], object], Callable[[], S]]:
    """A call that passes the state each step returns to the next, and a getter of the last state."""

    def call(i: int) -> object:
        nonlocal state
        state = step(state, i)
        return None

    def last() -> S:
        return state

    return call, last


def _stats(rounds: list[list[int]]) -> dict[str, Any]:
    """Median, p90, p99 and mean over all calls, microseconds, and the range of the rounds' medians
    (how much the machine drifted while measuring)."""
    us = np.concatenate([np.asarray(r, dtype=np.float64) for r in rounds]) / 1000.0
    medians = [float(np.median(r)) / 1000.0 for r in rounds]
    return {
        "median": round(float(np.median(us)), 2),
        "p90": round(float(np.percentile(us, 90)), 2),
        "p99": round(float(np.percentile(us, 99)), 2),
        "mean": round(float(us.mean()), 2),
        "round_medians": [round(min(medians), 2), round(max(medians), 2)],
    }


def _pin() -> tuple[int | None, list[int]]:
    """Run on the first CPU this process may use, so the figures are one core's. Returns that CPU
    (None: could not pin) and the CPUs allowed before."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {allowed[0]})
    except (AttributeError, OSError):
        return None, []
    return allowed[0], allowed


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cells(fig: dict[str, Any]) -> str:
    low, high = fig["round_medians"]
    digits = 0 if low >= 10 else 1
    rounds = f"{low:.{digits}f}-{high:.{digits}f}"
    return f"{fig['median']:>7.1f} {fig['p99']:>7.1f} {fig['mean']:>7.1f} {rounds:>9}"


def _row(label: str, fig: dict[str, Any], plain_fig: dict[str, Any] | None = None) -> str:
    text = f"  {label:<34} {_cells(fig)}"
    if plain_fig is not None:
        text += f"   {_cells(plain_fig)}   {plain_fig['median'] / fig['median']:>6.2f}x"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000, help="timed calls per series")
    parser.add_argument("--warmup", type=int, default=2_000, help="untimed calls before each series")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved blocks the calls are split into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2,000 calls after 200 of warm-up")
    args = parser.parse_args()
    calls, warmup = (2_000, 200) if args.quick else (args.calls, args.warmup)
    rounds = min(args.rounds, calls)
    if calls < 1 or warmup < 0 or rounds < 1:
        parser.error("--calls and --rounds must be positive and --warmup not negative")

    cpu, allowed = _pin()
    print(
        f"pinned to cpu {cpu} of allowed {allowed} (os.sched_setaffinity)"
        if cpu is not None
        else "not pinned: os.sched_setaffinity unavailable or refused"
    )
    machine = {
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "pinned_cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    print(
        f"machine: {machine['cpus']} cpus ({machine['cpu']}), {machine['python']}, numpy {machine['numpy']}"
    )

    # Inputs, built before any timing.
    n_frames = warmup + calls
    xy, ball, ball_z = _play(max(n_frames, CHECK_FRAMES), args.seed)
    full = _array_frames(xy, ball, ball_z, np.ones(xy.shape[:2], dtype=bool))
    gap_xy, gap_present = _one_absent(xy)
    absent = _array_frames(gap_xy, ball, ball_z, gap_present)
    full_l = [_list_frame(f) for f in full]
    absent_l = [_list_frame(f) for f in absent]
    shots, attrs = _shots(1024, args.seed)
    shots_l = [_plain_shot(s) for s in shots]
    speed = np.linalg.norm(np.diff(xy[:2000], axis=0), axis=2) / FRAME_S
    print(
        f"sequence: {n_frames} frames at 25 Hz, players moving {100 * FRAME_S * speed.mean():.1f} cm/frame"
        f" on average (p99 {100 * FRAME_S * np.percentile(speed, 99):.1f} cm)"
    )

    # Correctness first: a speed ratio against a wrong reference is worthless.
    c = Checker()
    coverage = dict.fromkeys(
        ("re-anchors", "rejected", "sprints", "capped", "carried", "pressed", "absent"), 0
    )
    _check_frames(c, "all present", full[:CHECK_FRAMES], coverage)
    _check_frames(c, "one absent", absent[:CHECK_FRAMES], coverage)
    _check_frames(c, "stress", _stress(args.seed), coverage)
    rng = np.random.default_rng(args.seed + 3)
    random_shots = _shots(CHECK_SHOTS, args.seed + 4)[0]
    wide = [(np.array([rng.uniform(-60, 60), rng.uniform(-40, 40)]), p, r) for _, p, r in random_shots[:500]]
    vocab = (None, "Unknown", "Right Foot", "Head", "Other", "Normal", "Diving Header", "Penalty", "Kick Off")
    vocab_attrs: list[Attributes] = []
    for _ in range(97):  # unknown names and None leave a group all zero
        names = [vocab[int(j)] for j in rng.integers(len(vocab), size=4)]
        flags = [bool(v) for v in rng.random(4) < 0.5]
        vocab_attrs.append((names[0], names[1], names[2], names[3], flags[0], flags[1], flags[2], flags[3]))
    _check_shots(c, [*_edge_shots(), *random_shots, *wide], [*attrs, *vocab_attrs])
    check: dict[str, Any] = {
        "frames": 2 * CHECK_FRAMES + 640,
        "shots": len(_edge_shots()) + len(random_shots) + len(wide),
        "values_compared": c.compared,
        "max_abs_diff": float(f"{c.max_diff:.3g}"),
        "rtol": RTOL,
        "atol": ATOL,
        "coverage": coverage,
    }
    if c.errors:
        print(
            f"CHECK FAILED: plain Python and numpy disagree ({len(c.errors)}+ differences):", file=sys.stderr
        )
        for e in c.errors[:20]:
            print(f"  {e}", file=sys.stderr)
        print(json.dumps({"benchmark": "features", "check": {**check, "ok": False, "errors": c.errors[:20]}}))
        sys.exit(1)
    print(
        f"check: plain Python == numpy (rtol {RTOL:g}, atol {ATOL:g}) on {check['frames']} frames and"
        f" {check['shots']} shots, {c.compared} values, max |diff| {c.max_diff:.2g};"
        f" exercised {', '.join(f'{k} {v}' for k, v in coverage.items())}"
    )

    # Series. Each stateful one starts from a fresh state: the warm-up also fills the kinematics.
    def np_frame(frames: list[ArrayFrame]) -> Callable[[KinematicState, int], KinematicState]:
        return lambda s, i: frame_features(s, *frames[i])[0]

    def pl_frame(frames: list[ListFrame]) -> Callable[[list[plain.Row], int], list[plain.Row]]:
        return lambda s, i: plain.frame_features(s, *frames[i])[0]

    kin = [(f[0], f[1], f[2]) for f in full]
    kin_l = [(f[0], f[1], f[2]) for f in full_l]
    spat = [(f[1], f[3], f[4], f[5], f[6]) for f in full]
    spat_l = [(f[1], f[3], f[4], f[5], f[6]) for f in full_l]

    def shot_np(i: int) -> object:
        shooter, players, role = shots[i & 1023]
        a = attrs[i & 1023]
        geometry = shot_geometry(shooter, players, role)
        attributes = shot_attributes(
            a[0], a[1], a[2], a[3], first_time=a[4], one_on_one=a[5], open_goal=a[6], under_pressure=a[7]
        )
        return shot_features(geometry, attributes)

    def shot_pl(i: int) -> object:
        shooter, players, role = shots_l[i & 1023]
        a = attrs[i & 1023]
        geometry = plain.shot_geometry(shooter, players, role)
        attributes = plain.shot_attributes(
            a[0], a[1], a[2], a[3], first_time=a[4], one_on_one=a[5], open_goal=a[6], under_pressure=a[7]
        )
        return plain.shot_features(geometry, attributes)

    pitches = [
        (10.0 + 0.5 * (k % 9), 26.0 + 0.3 * (k % 11), 1.9 + 0.02 * (k % 7), k % 4, k % 3, k % 3, base)
        for k, base in enumerate(("2B", "3B", "HP", None) * 7)
    ]

    def pitch_np(i: int) -> object:
        lead, sprint, pop, balls, strikes, outs, base = pitches[i % len(pitches)]
        return lead_grid(pitch_context(lead, sprint, pop, balls, strikes, outs, [base])[0])

    finals: dict[str, tuple[Callable[[], KinematicState], Callable[[], list[plain.Row]]]] = {}
    empty, _ = _carry(lambda s, i: s, 0)
    series = [Series("harness_overhead_us", empty)]
    for name, np_frames, pl_frames in (
        ("frame_features_us", full, full_l),
        ("frame_features_one_absent_us", absent, absent_l),
    ):
        call, last = _carry(np_frame(np_frames), new_state(SLOTS))
        pcall, plast = _carry(pl_frame(pl_frames), plain.new_state(SLOTS))
        series += [Series(name, call), Series(name, pcall, numpy=False)]
        finals[name] = (last, plast)
    call, last = _carry(lambda s, i: kinematics_step(s, *kin[i])[0], new_state(SLOTS))
    pcall, plast = _carry(lambda s, i: plain.kinematics_step(s, *kin_l[i])[0], plain.new_state(SLOTS))
    finals["kinematics_step_us"] = (last, plast)
    series += [
        Series("kinematics_step_us", call),
        Series("kinematics_step_us", pcall, numpy=False),
        Series("frame_spatial_us", lambda i: frame_spatial(*spat[i])),
        Series("frame_spatial_us", lambda i: plain.frame_spatial(*spat_l[i]), numpy=False),
        Series("shot_us", shot_np),
        Series("shot_us", shot_pl, numpy=False),
        Series("shot_geometry_us", lambda i: shot_geometry(*shots[i & 1023])),
        Series("shot_geometry_us", lambda i: plain.shot_geometry(*shots_l[i & 1023]), numpy=False),
        Series("pitch_context_us", pitch_np),
    ]
    _run_rounds(series, calls, warmup, rounds)
    figures = {s.name: _stats(s.rounds) for s in series if s.numpy}
    plain_figures = {s.name: _stats(s.rounds) for s in series if not s.numpy}

    # The timed runs carried the state over every frame: their final states must agree too.
    for name, (last, plast) in finals.items():
        _check_state(c, f"{name} final state", last(), plast())
    if c.errors:
        print("CHECK FAILED after timing: final kinematic states differ:", file=sys.stderr)
        for e in c.errors[:20]:
            print(f"  {e}", file=sys.stderr)
        sys.exit(1)

    speedup = {
        name.removesuffix("_us"): round(plain_figures[name]["median"] / figures[name]["median"], 2)
        for name in plain_figures
    }
    labels = {
        "frame_features_us": "1. frame_features, 22+ball",
        "frame_features_one_absent_us": "2. frame_features, one absent",
        "kinematics_step_us": "3a. kinematics_step",
        "frame_spatial_us": "3b. frame_spatial",
        "shot_us": "4. shot geometry+attributes+vector",
        "shot_geometry_us": "4a. shot_geometry alone",
        "pitch_context_us": "5. pitch_context + lead_grid",
        "harness_overhead_us": "(timer + call harness, empty)",
    }
    print(
        f"\nus per call, {calls} calls after {warmup} of warm-up, in {rounds} interleaved rounds, one core;"
        " rounds = range of the rounds' medians; plain/numpy = numpy's speed-up (below 1: plain is faster)"
    )
    print(f"  {'':<34} {'numpy':<33}   {'plain Python':<33}")
    columns = f"{'median':>7} {'p99':>7} {'mean':>7} {'rounds':>9}"
    print(f"  {'':<34} {columns}   {columns}   plain/numpy")
    for name, label in labels.items():
        print(_row(label, figures[name], plain_figures.get(name)))
    met = {
        "frame": figures["frame_features_us"]["median"] <= TARGETS["frame_median_us"],
        "frame_one_absent": figures["frame_features_one_absent_us"]["median"] <= TARGETS["frame_median_us"],
        "shot": figures["shot_us"]["median"] <= TARGETS["shot_median_us"],
    }
    print(
        f"targets: frame median <= {TARGETS['frame_median_us']} us: {'met' if met['frame'] else 'MISSED'}"
        f" (one absent: {'met' if met['frame_one_absent'] else 'MISSED'});"
        f" shot median <= {TARGETS['shot_median_us']} us: {'met' if met['shot'] else 'MISSED'}"
    )
    result: dict[str, Any] = {
        "benchmark": "features",
        "calls": calls,
        "warmup": warmup,
        "rounds": rounds,
        "seed": args.seed,
        **figures,
        "plain_python": plain_figures,
        "speedup": speedup,
        "check": {**check, "ok": True},
        "targets": TARGETS,
        "met": met,
        "machine": {**machine, "allowed_cpus": allowed},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
