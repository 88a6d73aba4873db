"""StatsBomb files and events as contract records: one record per event, on the period clock, in the
pitch frame with each team's direction of attack."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from models.errors import PitchsideError
from stream.contracts import GenericEvent, ShotEvent
from stream.sources.statsbomb import (
    ConvertedMatch,
    ReplayDataError,
    check_match_id,
    convert_events,
    load_events,
    match_home_team,
)

KICKOFF = 1_700_000_000_000
BREAK = 60_000
FINAL = "8658"  # World Cup 2018 final, France (home) v Croatia
SAMPLE = Path(__file__).resolve().parents[2] / "stream" / "sample" / "statsbomb-8658.json.gz"


@pytest.fixture(scope="module")
def final(events: list[dict[str, Any]]) -> ConvertedMatch:
    return convert_events(events, FINAL, kickoff_ms=KICKOFF, break_ms=BREAK)


# --- loading -----------------------------------------------------------------------------------------


def test_load_events_reads_json_and_the_gzipped_sample(events: list[dict[str, Any]]) -> None:
    assert len(events) == 2978
    assert load_events(SAMPLE) == events  # the bundled sample is the same match, compacted


def test_load_events_names_the_path_when_missing_empty_or_not_a_list(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ReplayDataError, match=re.escape(str(missing))):
        load_events(missing)
    wrong = tmp_path / "match.json.gz"
    wrong.write_bytes(gzip.compress(json.dumps({"match_id": 1}).encode()))
    with pytest.raises(ReplayDataError, match="not a list") as info:
        load_events(wrong)
    assert str(wrong) in str(info.value)
    assert isinstance(info.value, PitchsideError)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(ReplayDataError, match="holds no events"):
        load_events(empty)


def test_match_home_team_reads_the_match_lists(data_dir: Path) -> None:
    assert match_home_team(data_dir / "matches", "15946") == "Barcelona"
    assert match_home_team(data_dir / "matches", "3895292") == "Union Berlin"
    assert match_home_team(data_dir / "matches", "999999999") is None
    assert match_home_team(data_dir / "no-such-dir", "15946") is None


# --- events --------------------------------------------------------------------------------------------


def test_the_home_team_defaults_to_the_first_starting_xi(final: ConvertedMatch) -> None:
    assert final.home == "France"
    assert sorted(final.spans) == [1, 2]
    assert final.spans[1][0] == KICKOFF


def test_generic_types_are_snake_case_with_small_bodies(final: ConvertedMatch) -> None:
    generic = [t.record for t in final.events if isinstance(t.record, GenericEvent)]
    types = {g.type for g in generic}
    assert {"ball_receipt", "own_goal_against", "goal_keeper", "half_start"} <= types
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", t) for t in types)
    assert all(set(g.body) <= {"outcome"} for g in generic)
    assert {g.body.get("outcome") for g in generic if g.type == "substitution"} == {"Tactical"}
    assert {g.body.get("outcome") for g in generic if g.type == "ball_receipt"} == {None, "Incomplete"}
    assert all(len(msgspec.json.encode(g)) < 1000 for g in generic)  # no line-ups copied


def test_event_times_follow_the_period_clock(
    final: ConvertedMatch, events: list[dict[str, Any]], period_lengths: dict[int, int]
) -> None:
    first_half = period_lengths[1]
    by_id = {t.record.event_id: t.ts for t in final.events}
    assert all(t.ts == t.record.ts for t in final.events)
    vida = next(e for e in events if e["type"]["name"] == "Shot")  # 00:20:51.227 in period 1
    assert by_id[vida["id"]] == KICKOFF + 20 * 60_000 + 51_227
    kante_off = next(e for e in events if e["type"]["name"] == "Substitution")  # 00:09:07.440 in period 2
    assert by_id[kante_off["id"]] == KICKOFF + first_half + BREAK + 9 * 60_000 + 7_440


def test_vida_header_lands_near_the_goal_croatia_attacks(
    final: ConvertedMatch, events: list[dict[str, Any]]
) -> None:
    shot = next(t.record for t in final.events if isinstance(t.record, ShotEvent))
    assert shot.player is not None and shot.player.name == "Domagoj Vida"
    assert shot.team == "Croatia" and shot.period == 1
    # StatsBomb (112, 49), mapped between the markings around it: x between the penalty spot (108 ->
    # 41.5 m) and the six-yard line (114 -> 47 m): 41.5 + 4/6 * 5.5 = 45.17 m; y between the post
    # (44 -> -3.66 m) and the six-yard box edge (50 -> -9.16 m): -3.66 - 5/6 * 5.5 = -8.24 m. France
    # is home and attacks +x in period 1, so Croatia attacks -x: both turn, to (-45.17, 8.24), on
    # Croatia's right (+y when facing -x).
    assert shot.location == pytest.approx([-45.17, 8.24], abs=0.005)
    assert shot.shot.body_part == "Head" and shot.shot.outcome is not None
    ff = shot.shot.freeze_frame
    assert ff is not None
    lloris = [p for p in ff if p.keeper]
    assert len(lloris) == 1 and not lloris[0].teammate and lloris[0].x == pytest.approx(-52.5)
    assert all(p.x < -30 for p in ff)  # everybody in France's box, at the -x end
    # With Croatia as home, the same header is at the +x end.
    flipped = convert_events(events[:800], FINAL, kickoff_ms=KICKOFF, break_ms=BREAK, home_team="Croatia")
    shot2 = next(t.record for t in flipped.events if isinstance(t.record, ShotEvent))
    assert shot2.location == pytest.approx([45.17, -8.24], abs=0.005)


def test_bad_ids_and_clocks_are_refused_by_name(events: list[dict[str, Any]]) -> None:
    check_match_id(FINAL)
    with pytest.raises(ReplayDataError, match="match id 'bad id:1'"):
        check_match_id("bad id:1")
    broken = [*events[:5], {"id": "x", "period": 6, "timestamp": "00:00:01.000", "type": {"name": "Pass"}}]
    with pytest.raises(ReplayDataError, match=r"event #5 .*period 6"):
        convert_events(broken, FINAL, kickoff_ms=0, break_ms=0)
    lone = [{"id": "y", "period": 1, "timestamp": "00:00:01.000", "type": {"name": "Pass"}}]
    with pytest.raises(ReplayDataError, match="no home team"):
        convert_events(lone, FINAL, kickoff_ms=0, break_ms=0)
