"""Player reference data the models need beside a live pitch: runner sprint speeds and catcher pop
times (Baseball Savant figures, one per player).

Read once at start-up from the data directory (``{data_dir}/savant/runner_sprint_speed.csv`` and
``catcher_pop_time.csv``); the worker and the training pipeline read the same files through this
module, so a model is trained and scored with the same lookups. A player missing from the files is
unknown (NaN), not guessed.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PitchsideError

__all__ = ["POP_TIME_FILE", "SPRINT_FILE", "PlayerReference", "PlayerReferenceError", "load_player_reference"]

SPRINT_FILE = "runner_sprint_speed.csv"
POP_TIME_FILE = "catcher_pop_time.csv"


class PlayerReferenceError(PitchsideError):
    """A reference file exists but cannot be read as expected."""


@dataclass(frozen=True)
class PlayerReference:
    """``sprint_speed_fps`` by runner id (ft/s); ``pop_time_s`` by (catcher id, target base) (s)."""

    sprint_speed_fps: dict[str, float] = field(default_factory=dict)
    pop_time_s: dict[tuple[str, str], float] = field(default_factory=dict)

    def sprint_speed(self, runner_id: str | None) -> float:
        return self.sprint_speed_fps.get(runner_id, math.nan) if runner_id else math.nan

    def pop_time(self, catcher_id: str | None, target_base: str | None) -> float:
        if not catcher_id or not target_base:
            return math.nan
        return self.pop_time_s.get((catcher_id, target_base), math.nan)


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise PlayerReferenceError(f"{path}: missing column(s) {', '.join(missing)}")
        return list(reader)


def _number(path: Path, line: int, value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None  # Savant writes unknowns as "--"
    if not math.isfinite(number):
        raise PlayerReferenceError(f"{path}:{line}: not a finite number: {value!r}")
    return number


def load_player_reference(savant_dir: Path) -> PlayerReference:
    """Read the reference files in ``savant_dir``; a missing file gives an empty table."""
    sprint: dict[str, float] = {}
    pop: dict[tuple[str, str], float] = {}
    path = savant_dir / SPRINT_FILE
    if path.is_file():
        for line, row in enumerate(_rows(path, ("runner_id", "sprint_speed")), start=2):
            value = _number(path, line, row["sprint_speed"])
            if value is not None:
                sprint[row["runner_id"].strip()] = value
    path = savant_dir / POP_TIME_FILE
    if path.is_file():
        for line, row in enumerate(_rows(path, ("catcher_id", "target_base", "pop_time")), start=2):
            value = _number(path, line, row["pop_time"])
            if value is not None:
                pop[(row["catcher_id"].strip(), row["target_base"].strip())] = value
    return PlayerReference(sprint, pop)
