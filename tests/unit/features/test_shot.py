"""Shot geometry and attributes: brute-force references, symmetries, hand values and real shots."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.buildup import BUILDUP_NAMES
from features.coordinates import statsbomb_to_pitch, to_attacking
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
from tests.shared_data import shared_path

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

G = {name: i for i, name in enumerate(SHOT_GEOMETRY_NAMES)}
A = {name: i for i, name in enumerate(SHOT_ATTRIBUTE_NAMES)}
GOAL_X, POST = 52.5, 7.32 / 2
LEFT_POST, RIGHT_POST = np.array([GOAL_X, POST]), np.array([GOAL_X, -POST])
PLAYER_FEATURES = [
    "defenders_in_triangle",
    "attackers_in_triangle",
    "keeper_in_triangle",
    "keeper_to_goal_m",
    "keeper_to_line_m",
    "nearest_defender_m",
    "defenders_within_3m",
]
PROPERTY = settings(max_examples=80, deadline=None)


# --- an independent reference ---------------------------------------------------------------------


def reference_inside(
    p: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray, eps: float = 1e-7
) -> bool | None:
    """Inside (or on) triangle ``abc`` by barycentric coordinates; ``None`` within ``eps`` of an edge,
    where rounding may decide either way (the test then avoids the case)."""
    det = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1])
    l1 = ((b[1] - c[1]) * (p[0] - c[0]) + (c[0] - b[0]) * (p[1] - c[1])) / det
    l2 = ((c[1] - a[1]) * (p[0] - c[0]) + (a[0] - c[0]) * (p[1] - c[1])) / det
    lowest = min(l1, l2, 1.0 - l1 - l2)
    if lowest > eps:
        return True
    if lowest < -eps:
        return False
    return None


def reference_geometry(shooter: FloatArray, players: FloatArray, role: IntArray) -> dict[str, float]:
    """The player-based features by plain loops over the players."""
    inside = [reference_inside(p, shooter, LEFT_POST, RIGHT_POST) for p in players]
    assume(all(v is not None for v in inside))
    gaps = [math.dist(p, shooter) for p, r in zip(players, role, strict=True) if r == DEFENDER]
    out = {
        "defenders_in_triangle": sum(1 for v, r in zip(inside, role, strict=True) if v and r == DEFENDER),
        "attackers_in_triangle": sum(1 for v, r in zip(inside, role, strict=True) if v and r == TEAMMATE),
        "nearest_defender_m": min(gaps) if gaps else math.nan,
        "defenders_within_3m": sum(1 for g in gaps if g <= 3.0),
        "keeper_in_triangle": math.nan,
        "keeper_to_goal_m": math.nan,
        "keeper_to_line_m": math.nan,
    }
    keepers = [i for i, r in enumerate(role) if r == KEEPER]
    if keepers:
        k = players[keepers[0]]
        out["keeper_in_triangle"] = float(bool(inside[keepers[0]]))
        out["keeper_to_goal_m"] = math.dist(k, (GOAL_X, 0.0))
        # Distance to the segment by sampling it finely and refining: independent of the projection.
        s = np.linspace(0.0, 1.0, 100_001)
        seg = shooter[None, :] + s[:, None] * (np.array([GOAL_X, 0.0]) - shooter)[None, :]
        out["keeper_to_line_m"] = float(np.hypot(*(seg - k).T).min())
    return out


def assert_geometry(got: FloatArray, expected: dict[str, float], line_tol: float = 1e-3) -> None:
    for name, value in expected.items():
        tol = line_tol if name == "keeper_to_line_m" else 1e-9
        if math.isnan(value):
            assert math.isnan(got[G[name]]), name
        else:
            assert got[G[name]] == pytest.approx(value, abs=tol), name


@st.composite
def situations(draw: st.DrawFn, max_players: int = 14) -> tuple[FloatArray, FloatArray, IntArray]:
    """A shooter in front of the goal (not on the goal line) and players around, roles at random."""
    shooter = np.array([draw(st.floats(10.0, 50.0)), draw(st.floats(-30.0, 30.0))])
    k = draw(st.integers(0, max_players))
    players = draw(arrays(np.float64, (k, 2), elements=st.floats(5.0, 55.0)))
    players[:, 1] = players[:, 1] * 1.4 - 42.0  # y in -35 .. 35
    role = draw(arrays(np.int64, k, elements=st.sampled_from([TEAMMATE, DEFENDER, KEEPER])))
    return shooter, players, role


@PROPERTY
@given(situation=situations())
def test_triangle_counts_and_player_features_equal_reference(
    situation: tuple[FloatArray, FloatArray, IntArray],
) -> None:
    shooter, players, role = situation
    got = shot_geometry(shooter, players, role)
    if len(players) == 0:
        assert np.isnan(got[[G[n] for n in PLAYER_FEATURES]]).all()
        return
    assert_geometry(got, reference_geometry(shooter, players, role))


@PROPERTY
@given(
    points=arrays(np.float64, st.tuples(st.integers(1, 20), st.just(2)), elements=st.floats(-20.0, 20.0)),
    corners=arrays(np.float64, (3, 2), elements=st.floats(-15.0, 15.0)),
)
def test_in_triangle_equals_reference_either_winding(points: FloatArray, corners: FloatArray) -> None:
    a, b, c = corners
    area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    assume(abs(area) > 1.0)  # a proper triangle
    expected = [reference_inside(p, a, b, c) for p in points]
    assume(all(v is not None for v in expected))
    np.testing.assert_array_equal(in_triangle(points, a, b, c), expected)
    np.testing.assert_array_equal(in_triangle(points, a, c, b), expected)
    np.testing.assert_array_equal(in_triangle(points, c, a, b), expected)


def test_in_triangle_edges_and_corners_count_as_inside() -> None:
    a, b, c = np.array([0.0, 0.0]), np.array([4.0, 0.0]), np.array([0.0, 4.0])
    pts = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 0.0], [2.0, 2.0], [1.0, 1.0], [2.1, 2.1], [-0.1, 1.0]])
    np.testing.assert_array_equal(in_triangle(pts, a, b, c), [True, True, True, True, True, False, False])


@PROPERTY
@given(situation=situations())
def test_geometry_invariant_to_mirroring_y(situation: tuple[FloatArray, FloatArray, IntArray]) -> None:
    shooter, players, role = situation
    flip = np.array([1.0, -1.0])
    if len(players):
        reference_geometry(shooter, players, role)  # assumes no player sits on a triangle edge
    got = shot_geometry(shooter, players, role)
    mirrored = shot_geometry(shooter * flip, players * flip, role)
    np.testing.assert_allclose(mirrored, got, rtol=1e-9, atol=1e-9)


@PROPERTY
@given(situation=situations())
def test_geometry_invariant_to_attacking_direction(
    situation: tuple[FloatArray, FloatArray, IntArray],
) -> None:
    shooter, players, role = situation
    # The same situation with the shooting team attacking -x in the pitch frame: a half turn.
    shooter_pitch, players_pitch = -shooter, -players
    turned = shot_geometry(to_attacking(shooter_pitch, -1.0)[0], to_attacking(players_pitch, -1.0), role)
    np.testing.assert_allclose(turned, shot_geometry(shooter, players, role), rtol=1e-12, atol=1e-12)


def test_statsbomb_shot_in_either_direction_gives_the_same_features() -> None:
    sb_shooter, sb_players = (
        np.array([[104.0, 33.0]]),
        np.array([[112.0, 39.0], [118.0, 41.0], [110.0, 30.0]]),
    )
    role = np.array([DEFENDER, KEEPER, TEAMMATE])
    plus = shot_geometry(statsbomb_to_pitch(sb_shooter)[0], statsbomb_to_pitch(sb_players), role)
    minus = shot_geometry(
        to_attacking(statsbomb_to_pitch(sb_shooter, -1.0), -1.0)[0],
        to_attacking(statsbomb_to_pitch(sb_players, -1.0), -1.0),
        role,
    )
    np.testing.assert_allclose(minus, plus, rtol=1e-12)


# --- hand values ----------------------------------------------------------------------------------


def test_penalty_spot() -> None:
    got = shot_geometry(np.array([41.5, 0.0]))
    assert got[G["distance_m"]] == pytest.approx(11.0)
    assert got[G["angle_deg"]] == pytest.approx(math.degrees(2 * math.atan(3.66 / 11)))
    assert got[G["offcentre_deg"]] == pytest.approx(0.0)
    assert np.isnan(got[[G[n] for n in PLAYER_FEATURES]]).all()


@pytest.mark.parametrize(
    ("shooter", "angle", "offcentre"),
    [
        ((52.5, 10.0), 0.0, 90.0),  # on the goal line beside the posts
        ((52.5, -20.0), 0.0, 90.0),
        ((52.5, 0.0), 180.0, 0.0),  # on the line between the posts (offcentre: straight at it)
        ((41.5, 11.0), math.degrees(math.atan(14.66 / 11) - math.atan(7.34 / 11)), 45.0),
        ((32.5, -20.0), math.degrees(math.atan(23.66 / 20) - math.atan(16.34 / 20)), 45.0),
    ],
)
def test_angles_by_hand(shooter: tuple[float, float], angle: float, offcentre: float) -> None:
    got = shot_geometry(np.array(shooter))
    assert got[G["angle_deg"]] == pytest.approx(angle, abs=1e-9)
    assert got[G["offcentre_deg"]] == pytest.approx(offcentre, abs=1e-9)
    assert got[G["distance_m"]] == pytest.approx(math.hypot(GOAL_X - shooter[0], shooter[1]))


@pytest.mark.parametrize("shooter", [(math.nan, 0.0), (30.0, math.nan), (math.inf, 0.0)])
def test_non_finite_shooter_gives_all_nan(shooter: tuple[float, float]) -> None:
    players = np.array([[45.0, 0.0], [51.0, 1.0]])
    got = shot_geometry(np.array(shooter), players, np.array([DEFENDER, KEEPER]))
    assert got.shape == (len(SHOT_GEOMETRY_NAMES),)
    assert np.isnan(got).all()


def test_no_players_keeps_distance_and_angles() -> None:
    got = shot_geometry(np.array([30.0, 10.0]), np.empty((0, 2)), np.empty(0, dtype=np.int64))
    assert np.isfinite(got[[G["distance_m"], G["angle_deg"], G["offcentre_deg"]]]).all()
    assert got[G["distance_m"]] == pytest.approx(math.hypot(22.5, 10.0))
    assert np.isnan(got[[G[n] for n in PLAYER_FEATURES]]).all()


@pytest.mark.parametrize(
    ("keeper", "to_line", "inside"),
    [
        # Shooter on the penalty spot: the segment to the goal centre runs along y = 0, x 41.5..52.5.
        ((50.0, 1.0), 1.0, 1.0),  # beside the segment: 1 m off it, inside the triangle
        ((51.5, -2.5), 2.5, 1.0),
        ((45.0, 3.0), 3.0, 0.0),  # at x = 45 the triangle spans |y| <= 3.66 * 3.5 / 11 = 1.16
        ((30.0, 2.0), math.hypot(11.5, 2.0), 0.0),  # behind the shooter: nearest point is the shooter
        ((53.5, 1.0), math.hypot(1.0, 1.0), 0.0),  # in the net: nearest point is the goal centre
    ],
)
def test_keeper_distances_by_hand(keeper: tuple[float, float], to_line: float, inside: float) -> None:
    got = shot_geometry(np.array([41.5, 0.0]), np.array([keeper]), np.array([KEEPER]))
    assert got[G["keeper_to_line_m"]] == pytest.approx(to_line)
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(GOAL_X - keeper[0], keeper[1]))
    assert got[G["keeper_in_triangle"]] == inside
    # The keeper is counted apart: never as a defender.
    assert got[G["defenders_in_triangle"]] == 0
    assert math.isnan(got[G["nearest_defender_m"]])
    assert got[G["defenders_within_3m"]] == 0


def test_keeper_to_line_on_a_diagonal() -> None:
    # Shooter at (40.5, 12): the segment to (52.5, 0) is the diagonal x + y = 52.5. The keeper at
    # (48, 6) is 1.5 / sqrt(2) m from it (x + y = 54: (54 - 52.5) / sqrt(2)); the foot of the
    # perpendicular, (47.25, 5.25), lies on the segment.
    got = shot_geometry(np.array([40.5, 12.0]), np.array([[48.0, 6.0]]), np.array([KEEPER]))
    assert got[G["keeper_to_line_m"]] == pytest.approx(1.5 / math.sqrt(2))
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(4.5, 6.0))


def test_first_keeper_counts_and_defender_features() -> None:
    shooter = np.array(
        [41.5, 0.0]
    )  # the penalty spot: the triangle's half-width at x is 3.66 * (x - 41.5) / 11
    players = np.array([[50.0, 1.0], [30.0, 30.0], [43.0, 0.3], [41.5, 2.9], [40.0, -3.5], [47.0, 0.0]])
    role = np.array([KEEPER, KEEPER, DEFENDER, DEFENDER, DEFENDER, TEAMMATE])
    got = shot_geometry(shooter, players, role)
    # The first keeper, at (50, 1): half-width there 3.66 * 8.5 / 11 = 2.83 >= 1, inside.
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(2.5, 1.0))
    assert got[G["keeper_in_triangle"]] == 1.0
    # Defenders: (43, 0.3) inside (half-width 3.66 * 1.5 / 11 = 0.499); (41.5, 2.9) level with the
    # shooter, where the triangle is a point: outside; (40, -3.5) behind the shooter: outside.
    assert got[G["defenders_in_triangle"]] == 1
    # The teammate at (47, 0) is on the shooter-goal line: inside.
    assert got[G["attackers_in_triangle"]] == 1
    # Defender distances to the shooter: hypot(1.5, 0.3) = 1.53, 2.9, hypot(1.5, 3.5) = 3.81.
    assert got[G["nearest_defender_m"]] == pytest.approx(math.hypot(1.5, 0.3))
    assert got[G["defenders_within_3m"]] == 2


def test_roles_from_flags_and_teams() -> None:
    # An opposing keeper is KEEPER, the shooter's own keeper a TEAMMATE, other opponents DEFENDER.
    teammate = np.array([True, False, False, True, False])
    keeper = np.array([False, True, False, True, False])
    expected = [TEAMMATE, KEEPER, DEFENDER, TEAMMATE, DEFENDER]
    np.testing.assert_array_equal(roles_from_flags(teammate, keeper), expected)
    team = np.array([1, 0, 0, 1, 0])
    np.testing.assert_array_equal(roles_from_teams(team, keeper, 1), expected)
    # Seen from the other team the sides swap: its keeper (slot 1) is now a teammate, slot 3 the keeper.
    other = [DEFENDER, TEAMMATE, TEAMMATE, KEEPER, TEAMMATE]
    np.testing.assert_array_equal(roles_from_teams(team, keeper, 0), other)


# --- attributes -----------------------------------------------------------------------------------


def test_attribute_names() -> None:
    assert len(SHOT_ATTRIBUTE_NAMES) == len(set(SHOT_ATTRIBUTE_NAMES))
    assert (
        len(SHOT_ATTRIBUTE_NAMES)
        == len(BODY_PARTS) + len(TECHNIQUES) + len(SHOT_TYPES) + len(PLAY_PATTERNS) + 4
    )
    assert SHOT_FEATURE_NAMES == SHOT_GEOMETRY_NAMES + SHOT_ATTRIBUTE_NAMES + BUILDUP_NAMES


def test_attributes_one_hot_by_name() -> None:
    out = shot_attributes("Head", "Diving Header", "Free Kick", "From Counter", under_pressure=True)
    assert out.shape == (len(SHOT_ATTRIBUTE_NAMES),)
    hot = {
        "body_part=head",
        "technique=diving_header",
        "shot_type=free_kick",
        "play_pattern=from_counter",
        "under_pressure",
    }
    for name in SHOT_ATTRIBUTE_NAMES:
        assert out[SHOT_ATTRIBUTE_NAMES.index(name)] == (1.0 if name in hot else 0.0), name


@pytest.mark.parametrize(
    ("group", "vocabulary", "position"),
    [
        ("body_part", BODY_PARTS, 0),
        ("technique", TECHNIQUES, 1),
        ("shot_type", SHOT_TYPES, 2),
        ("play_pattern", PLAY_PATTERNS, 3),
    ],
)
def test_every_category_lands_on_its_named_column(
    group: str, vocabulary: tuple[str, ...], position: int
) -> None:
    columns = [i for i, n in enumerate(SHOT_ATTRIBUTE_NAMES) if n.startswith(group + "=")]
    assert len(columns) == len(vocabulary)
    for value in vocabulary:
        args: list[str | None] = [None, None, None, None]
        args[position] = value
        out = shot_attributes(*args)
        expected = f"{group}={value.lower().replace(' ', '_')}"
        assert out[SHOT_ATTRIBUTE_NAMES.index(expected)] == 1.0, value
        assert out.sum() == 1.0, value


def test_unknown_categories_leave_their_group_all_zero() -> None:
    out = shot_attributes("Chest", "Bicycle", "Throw In", "From Nowhere", first_time=True)
    for name in SHOT_ATTRIBUTE_NAMES:
        assert out[A[name]] == (1.0 if name == "first_time" else 0.0), name
    out = shot_attributes("head", None, "Open Play")  # names are StatsBomb's, case included
    assert out[A["body_part=head"]] == 0.0
    assert out[A["shot_type=open_play"]] == 1.0
    np.testing.assert_array_equal(shot_attributes(), np.zeros(len(SHOT_ATTRIBUTE_NAMES)))


@pytest.mark.parametrize("flag", ["first_time", "one_on_one", "open_goal", "under_pressure"])
def test_flags(flag: str) -> None:
    out = shot_attributes(**{flag: True})  # type: ignore[arg-type]
    assert out[A[flag]] == 1.0
    assert out.sum() == 1.0


def test_shot_features_concatenates_in_name_order() -> None:
    geometry = shot_geometry(np.array([41.5, 0.0]))
    attributes = shot_attributes("Right Foot", "Normal", "Penalty", "Other")
    vec = shot_features(geometry, attributes)
    assert vec.shape == (len(SHOT_FEATURE_NAMES),)
    assert vec[SHOT_FEATURE_NAMES.index("distance_m")] == pytest.approx(11.0)
    assert vec[SHOT_FEATURE_NAMES.index("shot_type=penalty")] == 1.0
    assert vec[SHOT_FEATURE_NAMES.index("body_part=right_foot")] == 1.0
    rows = shot_features(np.stack([geometry, geometry]), np.stack([attributes, np.zeros_like(attributes)]))
    assert rows.shape == (2, len(SHOT_FEATURE_NAMES))
    attribute_end = len(SHOT_GEOMETRY_NAMES) + len(SHOT_ATTRIBUTE_NAMES)
    assert rows[1, len(SHOT_GEOMETRY_NAMES) : attribute_end].sum() == 0.0
    assert np.isnan(rows[:, attribute_end:]).all()  # what led to the shot: not given, unknown


# --- real StatsBomb shots, checked by hand --------------------------------------------------------


def _shots_dir() -> Path:
    return shared_path("statsbomb", "shots")


def _load_shot(file: str, event_id: str) -> dict[str, Any]:
    with gzip.open(_shots_dir() / file, "rt", encoding="utf-8") as f:
        for line in f:
            event: dict[str, Any] = json.loads(line)["event"]
            if event["id"] == event_id:
                return event
    pytest.fail(f"shot {event_id} not in {file}")


def _roles(frame: list[dict[str, Any]]) -> IntArray:
    return np.array(
        [
            TEAMMATE if p["teammate"] else KEEPER if p["position"]["name"] == "Goalkeeper" else DEFENDER
            for p in frame
        ]
    )


def _geometry_of(event: dict[str, Any]) -> FloatArray:
    """The shot's geometry from its freeze frame: StatsBomb draws the shooting team attacking +x,
    so the attacking frame is the converted points (attack sign +1)."""
    frame = event["shot"]["freeze_frame"]
    players = statsbomb_to_pitch(np.array([p["location"] for p in frame], dtype=np.float64))
    role = _roles(frame)
    # The package's helper reads the same flags the same way.
    teammate = np.array([p["teammate"] for p in frame])
    flags = roles_from_flags(teammate, np.array([p["position"]["name"] == "Goalkeeper" for p in frame]))
    np.testing.assert_array_equal(flags, role)
    return shot_geometry(
        statsbomb_to_pitch(np.array([event["location"]], dtype=np.float64))[0], players, role
    )


# Hand conversion from StatsBomb units (docstring of features.coordinates; pitch markings shared):
#   x >= 102 (box edge 102 -> 36 m, spot 108 -> 41.5, six-yard 114 -> 47, line 120 -> 52.5):
#       x_m = 36 + (x - 102) * 11 / 12
#   18 <= y <= 36 (box edge 18 -> 20.16, six-yard 30 -> 9.16, post 36 -> 3.66):
#       y_m = 20.16 - (y - 18) * 11 / 12
#   36 <= y <= 44 (post 36 -> 3.66, post 44 -> -3.66):
#       y_m = 3.66 - (y - 36) * 0.915
#   44 <= y <= 62 (post 44 -> -3.66, box edge 62 -> -20.16):
#       y_m = -3.66 - (y - 44) * 11 / 12
# Both maps are monotone, so a player with a smaller StatsBomb x than the shooter is behind him (out
# of the triangle, whose x runs from the shooter to the goal line), and one whose StatsBomb y is outside
# [min(shooter y, 36), max(shooter y, 44)] is wider than both the shooter and the posts (out too).
# For the others, at pitch x = px the triangle spans y between the lines shooter -> posts:
#   y(px) = sy + (±3.66 - sy) * (px - sx) / (52.5 - sx).


def test_real_shot_cambiasso_bayern_inter_2010() -> None:
    """Match 18235 (Bayern Munich v Inter, 2010), 18:00, Cambiasso. Shooter at (107, 40):
    x = 36 + 5 * 11/12 = 40.5833, y = 0 (level with the goal centre), so the triangle's half-width at
    px is 3.66 * (px - 40.5833) / 11.9167.

    Freeze frame (role, StatsBomb location):
      Lahm (D) (109, 40): x = 36 + 7 * 11/12 = 42.4167, y = 0: on the axis, inside.
      Van Buyten (D) (112, 41): x = 45.1667, y = 3.66 - 5 * 0.915 = -0.915; half-width 3.66 * 4.5833 / 11.9167
        = 1.408 > 0.915: inside.
      Milito (T) (112, 43): x = 45.1667, y = 3.66 - 7 * 0.915 = -2.745; |y| > 1.408: outside.
      Butt (K) (119, 42): x = 36 + 17 * 11/12 = 51.5833, y = 3.66 - 6 * 0.915 = -1.83; half-width
        3.66 * 11 / 11.9167 = 3.378: inside.
      Demichelis (112, 45), Schweinsteiger (108, 53), Badstuber (109, 64), Altintop (114, 61), Maicon (T)
        (113, 64), Pandev (T) (110, 34): y outside [36, 44]: outside.
      Van Bommel (105, 48), Müller (96, 46), Robben (101, 31), Sneijder (T) (106, 34): x < 107: behind.
    Nearest defender: Lahm, (109 - 107) * 11/12 = 1.8333 m; the next, Van Buyten, is hypot(4.5833, 0.915)
    = 4.67 m (Van Bommel: hypot(40.5833 - 38.75, -7.3267) = 7.55 m), so 1 within 3 m.
    """
    got = _geometry_of(_load_shot("16_21.jsonl.gz", "1a4e6346-f2d2-4c77-8bee-089731d17a8c"))
    sx, sy = 36 + 5 * 11 / 12, 0.0
    kx, ky = 36 + 17 * 11 / 12, 3.66 - 6 * 0.915
    assert got[G["distance_m"]] == pytest.approx(52.5 - sx)
    assert got[G["defenders_in_triangle"]] == 2
    assert got[G["attackers_in_triangle"]] == 0
    assert got[G["keeper_in_triangle"]] == 1
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(52.5 - kx, ky))  # hypot(0.9167, 1.83)
    assert got[G["keeper_to_line_m"]] == pytest.approx(abs(ky - sy))  # the segment is y = 0, kx on it
    assert got[G["nearest_defender_m"]] == pytest.approx((109 - 107) * 11 / 12)
    assert got[G["defenders_within_3m"]] == 1


def test_real_shot_ronaldo_juventus_real_2017() -> None:
    """Match 18244 (Juventus v Real Madrid, 2017), 19:38, Ronaldo. Shooter at (105, 44):
    x = 36 + 3 * 11/12 = 38.75, y = -3.66 (level with the right post). The triangle's lower edge is
    y = -3.66; its upper edge is y(px) = -3.66 + 7.32 * (px - 38.75) / 13.75.

      Buffon (K) (118, 42): x = 36 + 16 * 11/12 = 50.6667, y = 3.66 - 6 * 0.915 = -1.83; upper edge
        -3.66 + 7.32 * 11.9167 / 13.75 = 2.684: -3.66 <= -1.83 <= 2.684, inside.
      Bonucci (D) (112, 41): x = 45.1667, y = -0.915; upper edge -3.66 + 7.32 * 6.4167 / 13.75 = -0.244:
        inside.
      Khedira (D) (112, 39): y = 3.66 - 3 * 0.915 = 0.915 > -0.244: outside.
      Chiellini (D) (108, 45): y > 44, below the lower edge: outside.
      Benzema (T) (112, 34), Barzagli (111, 31), Isco (T) (107, 22), Alex Sandro (113, 54), Carvajal (T)
        (112, 58): y outside [36, 44]: outside.
      Kroos (T) (104, 40), Modric (T) (93, 40), Mandzukic (99, 51), Pjanic (98, 30): behind.
    Keeper to the segment (38.75, -3.66) -> (52.5, 0): direction (13.75, 3.66), keeper offset
    (11.9167, 1.83): the projection 170.55 / 202.46 = 0.84 falls on the segment; the distance is
    |11.9167 * 3.66 - 1.83 * 13.75| / hypot(13.75, 3.66) = 18.45 / 14.23 = 1.297.
    """
    got = _geometry_of(_load_shot("16_2.jsonl.gz", "af7c575a-50d8-419a-89a5-b4abbc11e3c9"))
    sx, sy = 36 + 3 * 11 / 12, -3.66
    kx, ky = 36 + 16 * 11 / 12, 3.66 - 6 * 0.915
    assert got[G["distance_m"]] == pytest.approx(math.hypot(52.5 - sx, sy))
    assert got[G["defenders_in_triangle"]] == 1
    assert got[G["attackers_in_triangle"]] == 0
    assert got[G["keeper_in_triangle"]] == 1
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(52.5 - kx, ky))
    cross = (kx - sx) * (0 - sy) - (ky - sy) * (52.5 - sx)
    assert got[G["keeper_to_line_m"]] == pytest.approx(abs(cross) / math.hypot(52.5 - sx, sy))
    assert got[G["keeper_to_line_m"]] == pytest.approx(1.297, abs=1e-3)


def test_real_shot_benzema_juventus_real_2017() -> None:
    """Match 18244, 74:39, Benzema. Shooter at (112, 27): x = 36 + 10 * 11/12 = 45.1667,
    y = 20.16 - 9 * 11/12 = 11.91, wide on the left. Lines to the posts: y(px) = 11.91 - 8.25 f (left
    post) and 11.91 - 15.57 f (right post), f = (px - 45.1667) / 7.3333.

      Dani Alves (D) (114, 30): x = 47, y = 20.16 - 12 * 11/12 = 9.16; f = 0.25, span [8.0175, 9.8475]:
        inside.
      Buffon (K) (119, 39): x = 51.5833, y = 3.66 - 3 * 0.915 = 0.915; f = 0.875, span [-1.714, 4.691]:
        inside.
      Kroos (T) (113, 39): x = 46.0833, y = 0.915; f = 0.125, span [9.964, 10.879]: outside.
      Chiellini (D) (114, 43): x = 47, y = -2.745, below 8.0175: outside.
      Bonucci (D) (112, 38): level with the shooter (f = 0) but 10 m across: outside.
      Ronaldo (T) (112, 49), Alex Sandro (111, 48): y > 44: outside.
      Cuadrado (100, 30), Marchisio (103, 41), Isco (T) (107, 41): behind.
    Keeper to the segment (45.1667, 11.91) -> (52.5, 0): direction (7.3333, -11.91), keeper offset
    (6.4167, -10.995): cross 6.4167 * -11.91 + 10.995 * 7.3333 = 4.207, length 13.987: 0.301 m.
    Nearest defender: Bonucci, hypot(0, 11.91 - 1.83) = 10.08 m; Dani Alves hypot(1.8333, 2.75) = 3.305 m:
    none within 3 m.
    """
    got = _geometry_of(_load_shot("16_2.jsonl.gz", "ce7a8043-3c29-47c7-a4dd-38bd8faa9742"))
    sx, sy = 36 + 10 * 11 / 12, 20.16 - 9 * 11 / 12
    kx, ky = 36 + 17 * 11 / 12, 3.66 - 3 * 0.915
    assert got[G["distance_m"]] == pytest.approx(math.hypot(52.5 - sx, sy))
    assert got[G["defenders_in_triangle"]] == 1
    assert got[G["attackers_in_triangle"]] == 0
    assert got[G["keeper_in_triangle"]] == 1
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(52.5 - kx, ky))
    assert got[G["keeper_to_line_m"]] == pytest.approx(0.301, abs=1e-3)
    alves = (36 + 12 * 11 / 12, 20.16 - 12 * 11 / 12)
    assert got[G["nearest_defender_m"]] == pytest.approx(math.hypot(alves[0] - sx, alves[1] - sy))
    assert got[G["defenders_within_3m"]] == 0


def test_real_shot_henry_leeds_arsenal_2004() -> None:
    """Match 3749346 (Leeds United v Arsenal, 2003/04), 76:27, Henry. Shooter at (111.7, 32.1):
    x = 36 + 9.7 * 11/12 = 44.8917, y = 20.16 - 14.1 * 11/12 = 7.235. Lines to the posts:
    y(px) = 7.235 - 3.575 f and 7.235 - 10.895 f, f = (px - 44.8917) / 7.6083.

      Kelly (D) (119.5, 37.3): x = 36 + 17.5 * 11/12 = 52.0417, y = 3.66 - 1.3 * 0.915 = 2.4705;
        f = 0.9398, span [-3.004, 3.875]: inside.
      Parlour (T) (115.0, 35.7): x = 36 + 13 * 11/12 = 47.9167, y = 20.16 - 17.7 * 11/12 = 3.935;
        f = 0.3976, span [2.903, 5.814]: inside.
      Aliadiere (T) (112.6, 35.7): x = 45.7167, y = 3.935; f = 0.1084, span [6.054, 6.847]: outside.
      Robinson (K) (113.7, 39.1): x = 46.725, y = 3.66 - 3.1 * 0.915 = 0.8235; f = 0.2410,
        span [4.610, 6.374]: outside -- the keeper is off the shot's triangle.
      Camara (D) (109.2, 42.0), Pires (T) (103.5, 26.5): behind.
    """
    got = _geometry_of(_load_shot("2_44.jsonl.gz", "516bcefd-3458-40d1-97f3-8bbc26609dbc"))
    sx, sy = 36 + 9.7 * 11 / 12, 20.16 - 14.1 * 11 / 12
    kx, ky = 36 + 11.7 * 11 / 12, 3.66 - 3.1 * 0.915
    assert got[G["distance_m"]] == pytest.approx(math.hypot(52.5 - sx, sy))
    assert got[G["defenders_in_triangle"]] == 1
    assert got[G["attackers_in_triangle"]] == 1
    assert got[G["keeper_in_triangle"]] == 0
    assert got[G["keeper_to_goal_m"]] == pytest.approx(math.hypot(52.5 - kx, ky))  # hypot(5.775, 0.8235)


def test_a_player_with_no_position_is_not_counted_in_the_triangle() -> None:
    # NaN compares false both ways: the sign test must not read "no disagreement" as inside.
    shooter = np.array([40.0, 0.0])
    players = np.array([[np.nan, np.nan], [45.0, 0.0], [45.0, 20.0]])
    roles = np.array([DEFENDER, DEFENDER, DEFENDER])
    g = dict(zip(SHOT_GEOMETRY_NAMES, shot_geometry(shooter, players, roles), strict=True))
    assert g["defenders_in_triangle"] == 1.0
    assert g["nearest_defender_m"] == 5.0
    assert list(in_triangle(players, shooter, np.array([52.5, 3.66]), np.array([52.5, -3.66]))) == [
        False,
        True,
        False,
    ]


def test_without_a_freeze_frame_only_the_players_geometry_becomes_unknown() -> None:
    x = np.arange(2 * len(SHOT_FEATURE_NAMES), dtype=np.float64).reshape(2, -1)
    event_only = without_freeze_frame(x)
    players = [SHOT_FEATURE_NAMES.index(n) for n in FREEZE_FRAME_NAMES]
    others = [i for i in range(len(SHOT_FEATURE_NAMES)) if i not in players]
    assert np.isnan(event_only[:, players]).all() and (event_only[:, others] == x[:, others]).all()
    assert np.isfinite(x).all()  # a copy: the input is left alone
    assert {"distance_m", "angle_deg", "offcentre_deg"}.isdisjoint(FREEZE_FRAME_NAMES)


def test_players_are_known_when_any_of_their_geometry_is() -> None:
    rows = np.full((3, len(SHOT_FEATURE_NAMES)), np.nan)
    rows[1, SHOT_FEATURE_NAMES.index("nearest_defender_m")] = 2.0
    rows[2] = 1.0
    assert players_known(rows).tolist() == [False, True, True]
    assert not players_known(without_freeze_frame(rows)).any()
