"""Shot context for a live shot: join the shot to its match's tracking, or fall back to its freeze frame.

Where the players come from, in order (the output's ``source``):

1. ``tracking``: the match's tracking frame nearest the shot's event time, within the staleness limit
   (see :mod:`stream.match.frame_history`). Simulated tracking is used only when the shot has no freeze
   frame: real positions from the provider beat invented ones.
2. ``freeze_frame``: the players the shot event carries (StatsBomb-style feeds).
3. ``location_only``: neither; distance and angles from the shot's location, player features NaN.
4. ``none``: not even a location (nor a shooter found in tracking): every feature NaN.

The shooter's position is the event's ``location`` (where the ball was struck), else the shooter's
tracked position. The shooting team's attack direction is the event's ``attack``, else read from the
frame (the shooter's side and ``home_attack``), else inferred from the location (the nearer goal;
counted as ``attack_inferred``). The features themselves come from :mod:`features.shot`, the
functions training uses on freeze frames; what led to the shot from the match's recent actions
(:mod:`stream.match.buildup`), as training reads them from a match's events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.buildup import buildup_features
from features.coordinates import to_attacking
from features.shot import roles_from_flags, roles_from_teams, shot_attributes, shot_features, shot_geometry

from ..contracts import ShotEvent
from .buildup import ActionLog
from .frame_history import FrameHistory, Snapshot

__all__ = ["SHOOTER_MATCH_RADIUS_M", "ShotContext", "shot_context"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# When the shooter's id is not in the frame, the nearest teammate this close to the shot's location
# is taken to be the shooter (his track under another id) rather than a teammate in the way.
SHOOTER_MATCH_RADIUS_M = 1.5
_NAN2 = np.array([np.nan, np.nan])
_NO_PLAYERS = np.empty((0, 2))
_NO_ROLES = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class ShotContext:
    """A shot's features (:data:`features.shot.SHOT_FEATURE_NAMES` order) and where they came from.
    ``simulated`` is true when the players came from simulated tracking."""

    features: FloatArray
    source: str
    attack: int | None
    frame_ts: int | None
    simulated: bool


def _infer_attack(location: FloatArray, counts: Counter[str]) -> int:
    counts["attack_inferred"] += 1
    return 1 if location[0] >= 0.0 else -1


def _from_tracking(
    event: ShotEvent, snap: Snapshot, location: FloatArray | None, counts: Counter[str]
) -> tuple[FloatArray, FloatArray, IntArray, int | None]:
    """Shooter position, other players and their roles, attack sign, from one frame."""
    slot = snap.slot_of(event.player.id if event.player else None)
    if slot is None:
        counts["shooter_not_in_frame"] += 1
    if slot is not None:
        side = int(snap.team[slot])
        attack: int | None = snap.home_attack if side == 0 else -snap.home_attack
        attack = event.attack or attack
    elif event.attack is not None:
        attack = event.attack
        side = 0 if attack == snap.home_attack else 1
    elif location is not None:
        attack = _infer_attack(location, counts)
        side = 0 if attack == snap.home_attack else 1
    else:
        return _NAN2, _NO_PLAYERS, _NO_ROLES, None
    shooter = location if location is not None else snap.xy[slot] if slot is not None else snap.ball
    shown = snap.present.copy()
    if slot is not None:
        shown[slot] = False
    elif np.isfinite(shooter).all():
        gaps = np.hypot(snap.xy[:, 0] - shooter[0], snap.xy[:, 1] - shooter[1])
        mates = np.flatnonzero(shown & (snap.team == side) & (gaps <= SHOOTER_MATCH_RADIUS_M))
        if len(mates):
            shown[mates[np.argmin(gaps[mates])]] = False
    roles = roles_from_teams(snap.team[shown], snap.keeper[shown], side)
    return shooter, snap.xy[shown], roles, attack


def shot_context(
    event: ShotEvent,
    history: FrameHistory | None,
    max_age_ms: int,
    counts: Counter[str],
    actions: ActionLog | None = None,
) -> ShotContext:
    """The context of one shot; every fallback taken is counted in ``counts``. ``actions``, the
    match's recent actions, give what led to the shot (unknown without them)."""
    shot = event.shot
    location = np.array(event.location[:2], dtype=np.float64) if event.location else None
    snap = history.nearest(event.ts, max_age_ms) if history is not None else None
    frozen = shot.freeze_frame or []
    attack: int | None = event.attack
    frame_ts: int | None = None
    simulated = False
    if snap is not None and (not snap.simulated or not frozen):
        source, frame_ts, simulated = "tracking", snap.ts, snap.simulated
        shooter, players, roles, attack = _from_tracking(event, snap, location, counts)
    elif frozen:
        source = "freeze_frame"
        players = np.array([(p.x, p.y) for p in frozen], dtype=np.float64)
        roles = roles_from_flags(
            np.array([p.teammate for p in frozen], dtype=bool),
            np.array([p.keeper for p in frozen], dtype=bool),
        )
        shooter = location if location is not None else _NAN2
    else:
        source = "location_only" if location is not None else "none"
        shooter, players, roles = (location if location is not None else _NAN2), _NO_PLAYERS, _NO_ROLES
    if not np.isfinite(shooter).all():
        source = "none"
    elif attack is None:
        attack = _infer_attack(shooter, counts)
    counts[f"shot_from_{source}"] += 1
    buildup = None
    if source == "none" or attack is None:
        geometry = shot_geometry(_NAN2)
    else:
        turned = to_attacking(shooter, attack)[0]
        geometry = shot_geometry(turned, to_attacking(players, attack), roles)
        if actions is not None:
            buildup = buildup_features(actions.before(event, attack), turned)
    attributes = shot_attributes(
        shot.body_part,
        shot.technique,
        shot.shot_type,
        shot.play_pattern,
        first_time=shot.first_time,
        one_on_one=shot.one_on_one,
        open_goal=shot.open_goal,
        under_pressure=shot.under_pressure,
    )
    return ShotContext(shot_features(geometry, attributes, buildup), source, attack, frame_ts, simulated)
