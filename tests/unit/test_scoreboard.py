"""The ``match`` kind and the names graphics need: line-ups, sides, the score and the clock."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import msgspec

from models.registry import ModelRegistry
from models.settings import Settings
from stream.contracts import (
    GenericEvent,
    LineupBody,
    LineupEvent,
    LineupPlayer,
    Output,
    PlayerRef,
    ShotBody,
    ShotEvent,
)
from stream.match.model_serving import XgServer
from stream.match.processing import MatchProcessor, Received
from stream.match.state import MatchState, StateStore
from stream.sources.statsbomb import convert_events
from tests.factories import frame

AT = Received(produced_ts=1, ingest_ts=2)
T0 = 1_700_000_000_000
SAMPLE = Path(__file__).resolve().parents[2] / "stream" / "sample" / "statsbomb-8658.json.gz"


def lineup(side: str | None, team: str, *players: tuple[str, str, int], period: int = 1) -> LineupEvent:
    body = LineupBody(players=[LineupPlayer(id=i, name=n, number=k) for i, n, k in players])
    return LineupEvent(
        match_id="m1",
        event_id=f"lu-{team}-{period}",
        ts=T0,
        period=period,
        team=team,
        side=side,  # type: ignore[arg-type]
        type="lineup",
        lineup=body,
    )


def shot(n: int, team: str, player: str, outcome: str | None, **changes: Any) -> ShotEvent:
    return ShotEvent(
        match_id="m1", event_id=f"s{n}", ts=T0 + n * 1000, type="shot", team=team,
        player=PlayerRef(id=player), location=[40.0, 2.0], attack=1, shot=ShotBody(outcome=outcome),
        **changes,
    )  # fmt: skip


def matches(outputs: list[Output]) -> list[dict[str, Any]]:
    return [o.data for o in outputs if o.kind == "match"]


def kickoff(proc: MatchProcessor) -> None:
    proc.on_event(lineup("home", "France", ("h9", "Kylian Mbappé", 10), ("h1", "Hugo Lloris", 1)), AT)
    proc.on_event(lineup("away", "Croatia", ("a1", "Danijel Subašić", 23)), AT)


def test_line_ups_name_the_sides_and_a_goal_moves_the_score_once() -> None:
    proc = MatchProcessor()
    kickoff(proc)
    goal = shot(1, "France", "h9", "Goal", clock_s=600)  # no side: read from the line-ups by name
    out = proc.on_event(goal, AT)
    [board] = matches(out)
    assert board["teams"] == {"home": {"name": "France"}, "away": {"name": "Croatia"}}
    assert board["score"] == {"home": 1, "away": 0}
    assert board["last_goal"] == {
        "event_id": "s1", "side": "home", "player": {"id": "h9", "name": "Kylian Mbappé"},
        "clock_s": 600, "own_goal": False,
    }  # fmt: skip
    [event] = [o.data for o in out if o.kind == "event"]
    assert event["side"] == "home" and event["clock_s"] == 600
    # The same shot again (a producer's retry) counts nothing and publishes no scoreboard.
    assert matches(proc.on_event(goal, AT)) == []
    # A save changes nothing; an own goal for Croatia does.
    assert matches(proc.on_event(shot(2, "France", "h9", "Saved"), AT)) == []
    own = GenericEvent(match_id="m1", event_id="og", ts=T0 + 5000, type="own_goal_for", team="Croatia")
    [board] = matches(proc.on_event(own, AT))
    assert board["score"] == {"home": 1, "away": 1} and board["last_goal"]["own_goal"] is True


def test_a_match_fed_again_from_its_line_ups_starts_the_score_afresh() -> None:
    proc = MatchProcessor()
    kickoff(proc)
    proc.on_event(shot(1, "France", "h9", "Goal", period=2), AT)
    [board] = matches(proc.on_event(lineup("home", "France", ("h9", "Kylian Mbappé", 10)), AT))
    assert board["score"] == {"home": 0, "away": 0} and board["period"] == 1 and board["last_goal"] is None


def test_xg_and_player_stats_carry_names_numbers_outcome_and_side() -> None:
    registry = ModelRegistry(Settings().baseline_registry_dir)
    server = XgServer(registry)
    assert server.refresh_now()
    proc = MatchProcessor(xg=server)
    kickoff(proc)
    out = proc.on_frame(frame("m1", 0, ts=T0), AT)  # objects h1 and a9
    [stats] = [o.data for o in out if o.kind == "player_stats"]
    h1, a9 = stats["players"]
    assert (h1["name"], h1["number"], h1["side"]) == ("Hugo Lloris", 1, "home")
    assert (a9["name"], a9["number"], a9["side"]) == (None, None, "away")
    [teams] = [o.data for o in out if o.kind == "team_stats"]
    assert (teams["home"]["name"], teams["away"]["name"]) == ("France", "Croatia")
    scored = proc.on_event(shot(1, "France", "h9", "Off T"), AT)
    [xg] = [o.data for o in scored if o.kind == "xg"]
    assert xg["player"] == {"id": "h9", "name": "Kylian Mbappé"}
    assert (xg["side"], xg["outcome"], xg["goal"]) == ("home", "Off T", False)
    [context] = [o.data for o in scored if o.kind == "shot_context"]
    assert context["player"] == xg["player"] and context["side"] == "home"
    unknown = proc.on_event(shot(2, "Atlantis", "z1", None), AT)
    [xg] = [o.data for o in unknown if o.kind == "xg"]
    assert xg["player"] == {"id": "z1", "name": None} and xg["side"] is None and xg["goal"] is None


def test_the_scoreboard_survives_a_checkpoint() -> None:
    store = StateStore()
    first = MatchProcessor(store)
    kickoff(first)
    first.on_event(shot(1, "France", "h9", "Goal"), AT)
    for partition, key, record in first.checkpoint():
        store.write(partition, key, record)
    state = MatchState.restore("m1", json.loads(json.dumps(store.data["m1"])), 32, 10_000)
    assert state.board.score == {"home": 1, "away": 0}
    assert state.board.names["a1"] == "Danijel Subašić" and state.board.goals == ["s1"]


def test_a_replay_sends_both_line_ups_sides_and_the_clock() -> None:
    events = json.loads(gzip.decompress(SAMPLE.read_bytes()))
    final = convert_events(events, "8658", kickoff_ms=T0, break_ms=900_000)
    lineups = [t.record for t in final.events if isinstance(t.record, LineupEvent)]
    assert [(lu.team, lu.side, len(lu.lineup.players)) for lu in lineups] == [
        ("France", "home", 11), ("Croatia", "away", 11),
    ]  # fmt: skip
    mbappe = next(p for p in lineups[0].lineup.players if p.id == "3009")
    assert (mbappe.number, mbappe.position) == (10, "Right Midfield")
    second_half = next(t.record for t in final.events if t.period == 2)
    assert second_half.clock_s == 45 * 60  # the second half kicks off at 45:00
    goals = [
        t.record for t in final.events if isinstance(t.record, ShotEvent) and t.record.shot.outcome == "Goal"
    ]
    own = [t.record for t in final.events if t.record.type == "own_goal_for"]
    proc = MatchProcessor()
    for t in final.events:
        proc.on_event(t.record, AT)
    board = proc.state("8658").board
    # France 4-2 Croatia: three of France's goals and Croatia's two are shots; Mandžukić's own goal
    # counts for France.
    assert (len(goals), len(own)) == (5, 1)
    assert board.score == {"home": 4, "away": 2}
    assert msgspec.to_builtins(board.payload())["teams"]["away"] == {"name": "Croatia"}
