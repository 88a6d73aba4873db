"""What a graphic needs to name things: the teams, the score, the period and clock, and the line-ups.

The worker learns it from the events topic: a ``lineup`` event names a team's side and its players
(numbers and positions), every event with a player adds his name, a ``shot`` whose outcome is
``Goal`` (or an ``own_goal_for`` event) adds a goal for its side. It is published as the ``match``
kind whenever it changes, and is checkpointed with the match. Names also fill other outputs
(``player_stats``, ``xg``), so ids there never need a second lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..contracts import LineupEvent, MatchEvent, PitchEvent, ShotEvent

__all__ = ["GOAL_OUTCOME", "OWN_GOAL_TYPE", "Scoreboard"]

GOAL_OUTCOME = "Goal"
OWN_GOAL_TYPE = "own_goal_for"  # StatsBomb's 'Own Goal For': ``team`` is the side that scores
_SIDES = ("home", "away")
# Names of players not in a line-up (substitutes, a feed without line-ups) are kept up to this many
# per match: enough for every squad, bounded against a feed that invents ids.
_NAMES_MAX = 400


@dataclass(slots=True)
class Scoreboard:
    """One match's teams, score, clock and line-ups; ``changed`` until its next ``match`` output."""

    teams: dict[str, str | None] = field(default_factory=lambda: {"home": None, "away": None})
    score: dict[str, int] = field(default_factory=lambda: {"home": 0, "away": 0})
    period: int | None = None
    clock_s: int | None = None
    lineup: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"home": [], "away": []})
    names: dict[str, str] = field(default_factory=dict)
    last_goal: dict[str, Any] | None = None
    goals: list[str] = field(default_factory=list)  # event ids counted, so a re-read never counts twice
    changed: bool = False

    def side_of(self, event: MatchEvent) -> str | None:
        """The acting team's side: as the event says, else by its team's name from the line-ups."""
        if event.side is not None:
            return event.side
        if event.team is None:
            return None
        return next((s for s in _SIDES if self.teams[s] == event.team), None)

    def player(self, player_id: str | None) -> dict[str, Any] | None:
        """``{id, name}`` of a player id (``name`` null while unknown)."""
        return None if player_id is None else {"id": player_id, "name": self.names.get(player_id)}

    def number(self, player_id: str) -> int | None:
        for players in self.lineup.values():
            for p in players:
                if p["id"] == player_id:
                    number: int | None = p["number"]
                    return number
        return None

    def observe_frame(self, period: int, clock_s: int | None) -> None:
        if clock_s is not None:
            self.clock_s = clock_s
        if period != self.period:
            self.period = period
            self.changed = True

    def observe_event(self, event: MatchEvent) -> str | None:
        """Take in one event; returns its side (see :meth:`side_of`)."""
        if isinstance(event, PitchEvent):  # baseball: innings and runs are not kept here (yet)
            return self.side_of(event)
        if isinstance(event, LineupEvent) and self._restarted(event):
            self._reset()
        self.observe_frame(event.period, event.clock_s)
        if isinstance(event, LineupEvent):
            self._lineup(event)
        side = self.side_of(event)
        if event.player is not None and event.player.name is not None:
            self._name(event.player.id, event.player.name)
        if side is not None and event.team is not None and self.teams[side] != event.team:
            self.teams[side] = event.team
            self.changed = True
        if side is not None and _is_goal(event) and event.event_id not in self.goals:
            self._goal(event, side)
        return side

    def _restarted(self, event: LineupEvent) -> bool:
        """A line-up of the first period after the match went past it (a later period, or a goal):
        the match is fed again from the start (a replay run again), so its score starts afresh."""
        past = (self.period or 1) > 1 or any(self.score.values())
        return event.period == 1 and past

    def _reset(self) -> None:
        self.score = {"home": 0, "away": 0}
        self.period = self.clock_s = self.last_goal = None
        self.goals = []
        self.changed = True

    def _name(self, player_id: str, name: str) -> None:
        if player_id in self.names or len(self.names) < _NAMES_MAX:
            self.names[player_id] = name

    def _lineup(self, event: LineupEvent) -> None:
        side = event.side if event.side is not None else self.side_of(event)
        if side is None:
            # The first line-up without a side is the home team's, as StatsBomb files order them.
            side = "home" if not self.lineup["home"] else "away"
        self.teams[side] = event.team if event.team is not None else self.teams[side]
        self.lineup[side] = [
            {"id": p.id, "name": p.name, "number": p.number, "position": p.position}
            for p in event.lineup.players
        ]
        for p in event.lineup.players:
            if p.name is not None:
                self._name(p.id, p.name)
        self.changed = True

    def _goal(self, event: MatchEvent, side: str) -> None:
        self.score[side] += 1
        self.goals.append(event.event_id)
        self.last_goal = {
            "event_id": event.event_id,
            "side": side,
            "player": self.player(None if event.player is None else event.player.id),
            "clock_s": event.clock_s,
            "own_goal": event.type == OWN_GOAL_TYPE,
        }
        self.changed = True

    def payload(self) -> dict[str, Any]:
        """The ``match`` output's data; clears ``changed``."""
        self.changed = False
        return {
            "teams": {s: {"name": self.teams[s]} for s in _SIDES},
            "score": dict(self.score),
            "period": self.period,
            "clock_s": self.clock_s,
            "lineup": {s: [dict(p) for p in self.lineup[s]] for s in _SIDES},
            "last_goal": self.last_goal,
        }

    def checkpoint(self) -> dict[str, Any]:
        return {
            "teams": dict(self.teams),
            "score": dict(self.score),
            "period": self.period,
            "clock_s": self.clock_s,
            "lineup": self.lineup,
            "names": dict(self.names),
            "last_goal": self.last_goal,
            "goals": list(self.goals),
        }

    @classmethod
    def restore(cls, data: dict[str, Any] | None) -> Scoreboard:
        if not data:
            return cls()
        return cls(
            teams={s: data["teams"].get(s) for s in _SIDES},
            score={s: int(data["score"].get(s, 0)) for s in _SIDES},
            period=data.get("period"),
            clock_s=data.get("clock_s"),
            lineup={s: list(data["lineup"].get(s, [])) for s in _SIDES},
            names={str(k): str(v) for k, v in data.get("names", {}).items()},
            last_goal=data.get("last_goal"),
            goals=[str(g) for g in data.get("goals", [])],
        )


def _is_goal(event: MatchEvent) -> bool:
    if isinstance(event, ShotEvent):
        return event.shot.outcome == GOAL_OUTCOME
    return event.type == OWN_GOAL_TYPE
