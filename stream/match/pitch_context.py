"""Pitch context for a live pitch with a runner on base: the lead-distance model's named inputs.

The pitch body gives the lead, the count, outs and the target base. Its pitch type and speed are not
inputs: they are known only once the ball is thrown, after the runner's decision at the pitcher's
first move (:mod:`features.baseball`); the event output still forwards them. The runner's sprint
speed and the catcher's pop time come from the body when the feed sends them, else from the player
reference data (:mod:`models.players`); what neither knows is NaN. The players' steal records of
earlier seasons are left NaN here: they ship with each model version, which fills them in by the
pitch's runner, catcher and pitcher ids (:meth:`models.lead.LeadModel.with_history`). A pitch with no
runner (or no target base) has no steal to price: no output, counted as ``pitch_without_runner``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.baseball import pitch_context
from models.players import PlayerReference

from ..contracts import PitchEvent

__all__ = ["PitchContext", "live_pitch_context"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PitchContext:
    """One row of :data:`features.baseball.PITCH_FEATURE_NAMES`, and where the player figures came
    from (``event``, ``reference`` or ``None``)."""

    features: FloatArray
    runner_id: str
    target_base: str
    sprint_speed_from: str | None
    pop_time_from: str | None
    catcher_id: str | None = None
    pitcher_id: str | None = None

    @property
    def players(self) -> tuple[str | None, str | None, str | None]:
        """Runner, catcher and pitcher ids: the keys of a version's player history."""
        return self.runner_id, self.catcher_id, self.pitcher_id


def _pick(given: float | None, looked_up: float) -> tuple[float, str | None]:
    if given is not None:
        return given, "event"
    return looked_up, None if math.isnan(looked_up) else "reference"


def _known(value: int | float | None) -> float:
    return math.nan if value is None else float(value)


def live_pitch_context(
    event: PitchEvent, reference: PlayerReference, counts: Counter[str]
) -> PitchContext | None:
    """The context of one pitch, or ``None`` when there is no runner going anywhere."""
    body = event.pitch
    if body is None or body.runner_id is None or body.target_base is None:
        counts["pitch_without_runner"] += 1
        return None
    sprint, sprint_from = _pick(body.runner_sprint_speed_fps, reference.sprint_speed(body.runner_id))
    pop, pop_from = _pick(body.catcher_pop_time_s, reference.pop_time(body.catcher_id, body.target_base))
    for name, source in (("sprint_speed", sprint_from), ("pop_time", pop_from)):
        if source is None:
            counts[f"pitch_unknown_{name}"] += 1
    row = pitch_context(
        _known(body.runner_lead_ft),
        sprint,
        pop,
        _known(body.balls),
        _known(body.strikes),
        _known(body.outs),
        [body.target_base],
    )[0]
    return PitchContext(
        row, body.runner_id, body.target_base, sprint_from, pop_from, body.catcher_id, body.pitcher_id
    )
