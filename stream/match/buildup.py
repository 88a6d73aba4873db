"""A match's recent on-ball actions, for the features of what led to a shot (:mod:`features.buildup`).

The worker sees a match's events in order on one partition. :class:`ActionLog` keeps the last
:data:`features.buildup.BUILDUP_DEPTH` of them that are actions (a pass, a shot, or an event type in
:data:`features.buildup.EVENT_ACTIONS`), as training keeps them from a match's event file
(``training.buildup``), and is checkpointed with the match. At a shot it gives them in the shooting
team's attacking frame, its own period only. A shot whose feed sends what led to it
(``shot.preceding``) is read from that instead: the provider saw events this worker may not have.
"""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

from features.buildup import BUILDUP_DEPTH, EVENT_ACTIONS, ActionRow, Actions, actions_from_rows
from features.coordinates import to_attacking

from ..contracts import MatchEvent, PassEvent, ShotEvent

__all__ = ["ActionLog", "LoggedAction"]

Point = tuple[float, float]


class LoggedAction(NamedTuple):
    """One action as logged: team by name, points in the pitch frame, ``ts`` epoch ms."""

    kind: str
    team: str | None
    period: int
    ts: int
    start: Point | None
    end: Point | None
    cross: bool = False
    through_ball: bool = False
    set_piece: str | None = None


def _xy(point: Any) -> Point | None:
    """A contract point (or a checkpointed one) as (x, y)."""
    return None if point is None else (float(point[0]), float(point[1]))


def _turned(point: Point | None, attack: int) -> Point | None:
    if point is None:
        return None
    x, y = to_attacking(point, attack)[0]
    return float(x), float(y)


def logged(event: MatchEvent) -> LoggedAction | None:
    """``event`` as an action, or None if it is not one."""
    kind = EVENT_ACTIONS.get(event.type)
    if kind is None:
        return None
    start = _xy(event.location)
    if isinstance(event, PassEvent):
        body = event.pass_
        return LoggedAction(
            kind,
            event.team,
            event.period,
            event.ts,
            start,
            _xy(body.end_location),
            body.cross,
            body.through_ball,
            body.set_piece,
        )
    return LoggedAction(kind, event.team, event.period, event.ts, start, None)


def _row(action: LoggedAction, own: bool, shot_ts: int, attack: int) -> ActionRow:
    return ActionRow(
        action.kind,
        own,
        _turned(action.start, attack),
        _turned(action.end, attack),
        (shot_ts - action.ts) / 1000.0,
        action.cross,
        action.through_ball,
        action.set_piece,
    )


class ActionLog:
    """The last :data:`BUILDUP_DEPTH` actions of one match."""

    def __init__(self, recent: list[LoggedAction] | None = None) -> None:
        self.recent: deque[LoggedAction] = deque(recent or (), maxlen=BUILDUP_DEPTH)

    def observe(self, event: MatchEvent) -> bool:
        """Log ``event`` if it is an action; whether it was."""
        action = logged(event)
        if action is not None:
            self.recent.append(action)
        return action is not None

    def before(self, shot: ShotEvent, attack: int) -> Actions:
        """The actions before ``shot`` in its period, in the attacking frame of ``attack``."""
        given = shot.shot.preceding
        if given is not None:
            mine = [
                (
                    a.own,
                    LoggedAction(
                        a.kind,
                        None,
                        shot.period,
                        a.ts,
                        _xy(a.location),
                        _xy(a.end_location),
                        a.cross,
                        a.through_ball,
                        a.set_piece,
                    ),
                )
                for a in given[-BUILDUP_DEPTH:]
            ]
        else:
            mine = [(a.team == shot.team, a) for a in self.recent if a.period == shot.period]
        return actions_from_rows([_row(a, own, shot.ts, attack) for own, a in mine])

    def checkpoint(self) -> list[list[Any]]:
        return [list(a) for a in self.recent]

    @classmethod
    def restore(cls, data: list[list[Any]]) -> ActionLog:
        return cls(
            [
                LoggedAction(str(k), t, int(p), int(ts), _xy(s), _xy(e), bool(c), bool(tb), sp)
                for k, t, p, ts, s, e, c, tb, sp in data
            ]
        )
