"""``pitchside replay``: a real StatsBomb match produced to Kafka at real time or N times faster,
with simulated tracking frames (labelled ``simulated``) for the whole match."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ConfigurationError
from models.settings import Settings

from .replay_plan import MatchPlan, plan_match
from .statsbomb import load_events, match_home_team

__all__ = ["SAMPLE_DIR", "MatchSource", "build_plan", "resolve_match"]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"


@dataclass(frozen=True)
class MatchSource:
    match_id: str
    path: Path
    home_team: str | None
    bundled: bool


def _home_from_index(data_dir: Path, match_id: str) -> str | None:
    index = data_dir / "statsbomb" / "shots" / "MATCHES.csv"
    if not index.is_file():
        return None
    with index.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("match_id") == match_id:
                return row.get("home_team") or None
    return None


def resolve_match(settings: Settings, match_id: str, file: Path | None = None) -> MatchSource:
    """Find a match's event file: ``file`` if given, else ``{data_dir}/statsbomb/events/{id}.json``,
    else the bundled sample. The home team comes from the shared match lists when they know it."""
    if file is not None:
        if not file.is_file():
            raise ConfigurationError(
                f"no event file at {file}: pass a StatsBomb events JSON (.json or .json.gz)"
            )
        return MatchSource(match_id, file, None, bundled=False)
    data_dir = settings.data_dir
    shared = data_dir / "statsbomb" / "events" / f"{match_id}.json"
    if shared.is_file():
        home = match_home_team(data_dir / "statsbomb" / "matches", match_id) or _home_from_index(
            data_dir, match_id
        )
        return MatchSource(match_id, shared, home, bundled=False)
    sample = SAMPLE_DIR / f"statsbomb-{match_id}.json.gz"
    if sample.is_file():
        meta: dict[str, Any] = json.loads((SAMPLE_DIR / f"statsbomb-{match_id}.meta.json").read_text())
        return MatchSource(match_id, sample, meta.get("home_team"), bundled=True)
    raise ConfigurationError(
        f"match {match_id} not found: looked for {shared} and the bundled sample {sample}. "
        "Set PITCHSIDE_DATA_DIR to a directory with statsbomb/events/, or pass --file PATH."
    )


def build_plan(source: MatchSource, *, tracking_hz: float, kickoff_ms: int | None = None) -> MatchPlan:
    """The time-ordered messages of a replay (built as they are iterated); kick-off is now unless
    given (epoch ms)."""
    events = load_events(source.path)
    kickoff = time.time_ns() // 1_000_000 if kickoff_ms is None else kickoff_ms
    return plan_match(
        events, source.match_id, kickoff_ms=kickoff, tracking_hz=tracking_hz, home_team=source.home_team
    )
