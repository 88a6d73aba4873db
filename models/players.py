"""Player reference data the models need beside a live pitch: runner sprint speeds and catcher pop
times (Baseball Savant figures, one per player), and the players' steal records of earlier seasons.

Speeds and pop times are read once at start-up from the data directory
(``{data_dir}/savant/runner_sprint_speed.csv`` and ``catcher_pop_time.csv``); the worker and the
training pipeline read the same files through this module, so a model is trained and scored with the
same lookups. The files carry no season column (one recent figure per player), so they cannot be
taken by season. A player missing from them is unknown (NaN), not guessed.

:class:`PlayerHistory` is the steal record (attempts, steals) of each runner, catcher and pitcher
over a run of seasons, with the league's. Training builds one per season from the seasons before it;
a registered lead version ships the one through its last data season as ``player_history.json``,
which the worker looks players up in. A player it does not know has no attempts: the league rate.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from features.baseball import history_features

from .errors import PitchsideError

__all__ = [
    "HISTORY_FILE",
    "POP_TIME_FILE",
    "SPRINT_FILE",
    "PlayerHistory",
    "PlayerReference",
    "PlayerReferenceError",
    "load_player_reference",
    "pitcher_id_from_name",
]

SPRINT_FILE = "runner_sprint_speed.csv"
POP_TIME_FILE = "catcher_pop_time.csv"
HISTORY_FILE = "player_history.json"
_HISTORY_FORMAT = 1
_ROLES = ("runners", "catchers", "pitchers")
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
FloatArray = npt.NDArray[np.float64]


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


def pitcher_id_from_name(name: str) -> str:
    """The id a pitcher goes by when only his name is known: the Savant files name pitchers
    (``"Jorge | De La Rosa"``) where they give catchers and runners their MLBAM ids. Replayed pitch
    events (:mod:`stream.sources.pitches`) and the history files use this same id
    (``"Jorge-De-La-Rosa"``); two pitchers of one name share it."""
    text = name.replace("|", " ").replace("@", "at")
    return _NOT_ID.sub("-", text).strip("-")[:64] or "unknown"


Record = tuple[int, int]  # (attempts, steals): SB + CS, and SB
Ids = Sequence[str | None]  # one player id per pitch, None where the pitch names nobody


@dataclass(frozen=True)
class PlayerHistory:
    """Steal attempts and steals (SB) per runner, per catcher (against him) and per pitcher (while he
    pitched), and the league's, over ``seasons``. Keys: MLBAM ids for runners and catchers,
    :func:`pitcher_id_from_name` for pitchers."""

    seasons: tuple[int, ...] = ()
    league: Record = (0, 0)
    runners: Mapping[str, Record] = field(default_factory=dict)
    catchers: Mapping[str, Record] = field(default_factory=dict)
    pitchers: Mapping[str, Record] = field(default_factory=dict)

    @property
    def league_rate(self) -> float:
        """The league's steal success rate over ``seasons``; NaN before any season."""
        attempts, steals = self.league
        return steals / attempts if attempts else math.nan

    def records(self, runner_ids: Ids, catcher_ids: Ids, pitcher_ids: Ids) -> FloatArray:
        """``(n, 6)`` counts for :func:`features.baseball.history_features`; unknown players: zeros."""
        tables = (self.runners, self.catchers, self.pitchers)
        out = np.zeros((len(runner_ids), 6))
        for row, ids in enumerate(zip(runner_ids, catcher_ids, pitcher_ids, strict=True)):
            for role, (table, key) in enumerate(zip(tables, ids, strict=True)):
                if key is not None and key in table:
                    out[row, 2 * role : 2 * role + 2] = table[key]
        return out

    def features(self, runner_ids: Ids, catcher_ids: Ids, pitcher_ids: Ids) -> FloatArray:
        """The ``(n, 4)`` history feature block of ``n`` pitches."""
        return history_features(self.records(runner_ids, catcher_ids, pitcher_ids), self.league_rate)

    def encode(self) -> bytes:
        """Compact, sorted JSON: the same history always gives the same bytes (checksummed)."""
        data = {
            "format": _HISTORY_FORMAT,
            "seasons": list(self.seasons),
            "league": list(self.league),
            **{role: {k: list(v) for k, v in sorted(getattr(self, role).items())} for role in _ROLES},
        }
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes, where: str = HISTORY_FILE) -> PlayerHistory:
        """A history from :meth:`encode`'s bytes; :class:`PlayerReferenceError` names what is wrong."""
        try:
            raw = json.loads(data)
            if raw.get("format") != _HISTORY_FORMAT:
                raise ValueError(f"format {raw.get('format')!r}, not {_HISTORY_FORMAT}")
            tables = {role: {str(k): _record(v) for k, v in raw[role].items()} for role in _ROLES}
            return cls(tuple(int(s) for s in raw["seasons"]), _record(raw["league"]), **tables)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PlayerReferenceError(f"{where}: not a player history ({exc})") from None


def _record(value: object) -> Record:
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{value!r} is not [attempts, steals]")
    attempts, steals = value
    if not 0 <= steals <= attempts:
        raise ValueError(f"{value!r}: need 0 <= steals <= attempts")
    return attempts, steals


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
