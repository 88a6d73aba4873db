"""What led to a StatsBomb shot, in the terms of :mod:`features.buildup`, from the match's events.

The open-data event files hold every event of a match; :func:`preceding_actions` keeps, for each shot,
the last :data:`features.buildup.BUILDUP_DEPTH` actions of its period before it (file order, as the
worker receives them), and :func:`statsbomb_actions` turns them into features' terms: a pass is a
cross (``pass.cross``), a through ball (``pass.through_ball`` in the oldest specification,
``pass.technique`` "Through Ball" since), a set piece by its ``pass.type``. Locations are StatsBomb's,
each drawn in its own team's direction, so an opponent's is turned round. The worker does the same
from the events topic (``stream.match.buildup``); a parity test holds the two together.

The shots files (``statsbomb/shots``) carry the shot events alone: their shots have no actions
known, and their build-up features are NaN.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import Any

from features.buildup import (
    BUILDUP_DEPTH,
    EVENT_ACTIONS,
    PASS_SET_PIECES,
    ActionRow,
    Actions,
    actions_from_rows,
)
from features.coordinates import statsbomb_to_pitch

__all__ = ["event_type", "name_of", "preceding_actions", "statsbomb_actions"]


def name_of(obj: Any) -> str | None:
    """The ``name`` of a StatsBomb object (type, team, outcome...), if it has one."""
    return obj.get("name") if isinstance(obj, dict) else None


def event_type(event: dict[str, Any]) -> str:
    """A StatsBomb event's type as the contract names it: 'Goal Keeper' -> 'goal_keeper'."""
    name = str(name_of(event.get("type")) or "")
    return "fifty_fifty" if name == "50/50" else re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _clock_ms(event: dict[str, Any]) -> int:
    h, m, s = str(event.get("timestamp") or "0:0:0").split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def preceding_actions(events: Sequence[Any]) -> dict[int, tuple[dict[str, Any], ...]]:
    """For each shot (by its index in ``events``), the actions of its period just before it;
    anything in ``events`` that is not an event object is passed over."""
    out: dict[int, tuple[dict[str, Any], ...]] = {}
    recent: deque[dict[str, Any]] = deque(maxlen=BUILDUP_DEPTH)
    period = None
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            continue
        if event.get("period") != period:
            period = event.get("period")
            recent.clear()
        kind = event_type(event)
        if kind == "shot":
            out[i] = tuple(recent)
        if kind in EVENT_ACTIONS:
            recent.append(event)
    return out


def _point(xy: Any, sign: float) -> tuple[float, float] | None:
    if not isinstance(xy, list) or len(xy) < 2:
        return None
    x, y = statsbomb_to_pitch([float(xy[0]), float(xy[1])], sign)[0]
    return float(x), float(y)


def _action(event: dict[str, Any], shot: dict[str, Any]) -> ActionRow:
    own = name_of(event.get("team")) == name_of(shot.get("team"))
    sign = 1.0 if own else -1.0
    kind = EVENT_ACTIONS.get(event_type(event), "other")
    ps: dict[str, Any] = (event.get("pass") or {}) if kind == "pass" else {}
    through = bool(ps.get("through_ball")) or name_of(ps.get("technique")) == "Through Ball"
    return ActionRow(
        kind,
        own,
        _point(event.get("location"), sign),
        _point(ps.get("end_location"), sign),
        (_clock_ms(shot) - _clock_ms(event)) / 1000.0,
        cross=bool(ps.get("cross")),
        through_ball=through,
        set_piece=PASS_SET_PIECES.get(str(name_of(ps.get("type")))),
    )


def statsbomb_actions(previous: Sequence[dict[str, Any]], shot: dict[str, Any]) -> Actions:
    """``previous`` (from :func:`preceding_actions`) before ``shot``, in features' terms."""
    return actions_from_rows([_action(e, shot) for e in previous if e.get("period") == shot.get("period")])
