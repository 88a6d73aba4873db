"""Wyscout v2 shots read into the same rows as StatsBomb's: tags decoded, the location mapped onto the
pitch frame between shared markings, the play pattern taken from the events before the shot, and
the provider kept as a column. Hand-made lines, then the shared files themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from features.coordinates import wyscout_to_pitch
from features.shot import SHOT_FEATURE_NAMES
from tests.shared_data import shared_path
from training.shot_dataset import build_dataset
from training.shots import TrainingDataError, load_shots
from training.wyscout import wyscout_actions, wyscout_row


def column(x: np.ndarray, name: str) -> Any:
    return x[..., SHOT_FEATURE_NAMES.index(name)]


def wyscout_line(
    *,
    tags: tuple[int, ...] = (402, 1801),
    sub_event: str = "Shot",
    at: tuple[float, float] = (90.0, 50.0),
    period: str = "1H",
    previous: tuple[tuple[str, int], ...] = (("Simple pass", 1),),
    match_id: int = 7,
    competition: str = "England",
) -> dict[str, Any]:
    shot = {
        "id": 1000 + match_id,
        "eventName": "Free Kick" if sub_event != "Shot" else "Shot",
        "subEventName": sub_event,
        "tags": [{"id": t} for t in tags],
        "teamId": 1,
        "matchPeriod": period,
        # The second position is where the ball ended: an outcome the reader must not read.
        "positions": [{"x": at[0], "y": at[1]}, {"x": 100, "y": 100}],
    }
    before = [{"subEventName": name, "teamId": team, "tags": []} for name, team in previous]
    return {"match_id": str(match_id), "competition": competition, "shot": shot, "previous": before}


def write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_shot_from_the_penalty_spot_is_eleven_metres_out_with_its_tags_decoded(tmp_path: Path) -> None:
    shots = load_shots(write_lines(tmp_path / "w.jsonl", [wyscout_line(tags=(101, 402))]))
    data = build_dataset(shots)
    row = data.x[0]
    assert column(row, "distance_m") == pytest.approx(11.0)
    assert column(row, "offcentre_deg") == pytest.approx(0.0)
    assert column(row, "body_part=right_foot") == 1.0
    assert column(row, "shot_type=open_play") == 1.0
    assert column(row, "play_pattern=regular_play") == 1.0
    assert np.isnan(column(row, "nearest_defender_m"))  # no freeze frame: player features unknown
    assert data.goal.tolist() == [1.0]
    assert np.isnan(data.provider_xg[0])
    assert data.provider.tolist() == ["wyscout"]
    assert data.competition.tolist() == ["wyscout_England"]


@pytest.mark.parametrize(
    ("line", "feature"),
    [
        (wyscout_line(previous=(("Corner", 1), ("Head pass", 1))), "play_pattern=from_corner"),
        (wyscout_line(previous=(("Throw in", 1),)), "play_pattern=from_throw_in"),
        (wyscout_line(previous=(("Corner", 2),)), "play_pattern=regular_play"),  # the other team's
        (wyscout_line(tags=(1901, 401)), "play_pattern=from_counter"),
        (wyscout_line(sub_event="Free kick shot"), "play_pattern=from_free_kick"),
        (wyscout_line(sub_event="Free kick shot"), "shot_type=free_kick"),
        (wyscout_line(tags=(401,)), "body_part=left_foot"),
        (wyscout_line(tags=(403,)), "body_part=head"),
    ],
)
def test_what_led_to_the_shot_and_how_it_was_hit(tmp_path: Path, line: dict[str, Any], feature: str) -> None:
    data = build_dataset(load_shots(write_lines(tmp_path / "w.jsonl", [line])))
    assert column(data.x[0], feature) == 1.0


def test_penalties_and_shootout_kicks_are_sorted_out_as_for_statsbomb(tmp_path: Path) -> None:
    rows = [
        wyscout_line(match_id=1, sub_event="Penalty"),
        wyscout_line(match_id=2, sub_event="Penalty", period="P"),
        wyscout_line(match_id=3),
    ]
    data = build_dataset(load_shots(write_lines(tmp_path / "w.jsonl", rows)))
    assert data.kind.tolist() == ["penalty", "shootout", "open_play"]


def test_statsbomb_and_wyscout_lines_read_into_one_dataset(tmp_path: Path) -> None:
    statsbomb = {
        "match_id": 9,
        "competition_id": 43,
        "season_id": 3,
        "event": {"id": "sb-1", "location": [108.0, 40.0], "shot": {"outcome": {"name": "Saved"}}},
    }
    data = build_dataset(load_shots(write_lines(tmp_path / "mixed.jsonl", [statsbomb, wyscout_line()])))
    assert data.provider.tolist() == ["statsbomb", "wyscout"]
    # The same spot on grass, whichever provider drew it.
    np.testing.assert_allclose(column(data.x, "distance_m"), [11.0, 11.0])


@pytest.mark.parametrize(
    "broken",
    [
        {"match_id": 1, "competition": "England", "shot": {}},  # no previous
        {"match_id": 1, "competition": "England", "shot": [], "previous": []},
    ],
)
def test_a_broken_wyscout_line_is_refused_by_file_and_line(tmp_path: Path, broken: dict[str, Any]) -> None:
    path = write_lines(tmp_path / "w.jsonl", [wyscout_line(), broken])
    with pytest.raises(TrainingDataError, match=r"w\.jsonl:2: not a shot line"):
        load_shots(path)


def test_the_shared_wyscout_shots_read_whole() -> None:
    folder = shared_path("wyscout")
    expected = {}
    for line in (folder / "INDEX.csv").read_text().splitlines()[1:]:
        competition, _kind, count = line.split(",")
        expected[competition] = expected.get(competition, 0) + int(count)
    data = build_dataset(load_shots(folder))
    assert len(data) == sum(expected.values()) == 45_945
    for competition, count in expected.items():
        assert np.count_nonzero(data.competition == f"wyscout_{competition}") == count
    assert set(data.provider) == {"wyscout"}
    distance = column(data.x, "distance_m")
    assert np.isfinite(distance).all()
    open_play = data.kind == "open_play"
    # Football's known shape: about one shot in ten scores, penalties about three in four.
    assert 0.08 < data.goal[open_play].mean() < 0.13
    assert 0.65 < data.goal[data.kind == "penalty"].mean() < 0.85
    assert 13.0 < np.median(distance[open_play]) < 20.0


def _event(
    name: str, sub: str, team: int, sec: float, start: tuple[int, int], end: tuple[int, int], *tags: int
) -> dict[str, Any]:
    return {
        "eventName": name,
        "subEventName": sub,
        "teamId": team,
        "matchPeriod": "1H",
        "eventSec": sec,
        "tags": [{"id": t} for t in tags],
        "positions": [{"x": start[0], "y": start[1]}, {"x": end[0], "y": end[1]}],
    }


def test_what_led_to_the_shot_is_read_from_the_events_before_it() -> None:
    shot = {**wyscout_line()["shot"], "eventSec": 100.0}
    build = [
        _event("Pass", "Smart pass", 2, 90.0, (30, 50), (60, 50)),  # the other team's
        _event("Duel", "Ground attacking duel", 1, 97.0, (60, 40), (70, 40), 503, 703),
        _event("Pass", "Cross", 1, 98.5, (95, 5), (90, 50), 1801),
    ]
    row = wyscout_row(shot, build)
    assert column(row, "assist_cross") == column(row, "assisted") == column(row, "take_on") == 1.0
    assert column(row, "assist_through_ball") == column(row, "rebound") == 0.0
    assert column(row, "since_previous_s") == pytest.approx(1.5)
    # The possession began at the take-on, 3 s before the shot, 40 % of 105 m behind it (mapped
    # between the pitch markings, not scaled: hence the tolerance).
    assert column(row, "counter_speed_mps") == pytest.approx(0.3 * 105 / 3.0, rel=0.05)
    actions = wyscout_actions(shot, build)
    # The opponent's pass is drawn in its own direction: turned into the shooting team's.
    assert actions.start[0, 0] == pytest.approx(-wyscout_to_pitch([30.0, 50.0])[0, 0])
    assert wyscout_actions({**shot, "matchPeriod": "2H"}, build).kind.size == 0
