"""Reading historical shots: StatsBomb and Wyscout shot events, from the shared JSON-lines files, or
StatsBomb's from any directory in the open-data layout.

The sources, one record type (:class:`ShotRecord`, its provider a column):

- a shots file or a directory of them: ``*.jsonl.gz`` / ``*.jsonl`` with one object per line, either
  ``{match_id, competition_id, season_id, competition_name, season_name, event, ...}`` where
  ``event`` is the original StatsBomb shot event (``../shared/data/statsbomb/shots``), or
  ``{match_id, competition, shot, previous, ...}`` where ``shot`` is the original Wyscout v2 event
  and ``previous`` the events before it (``../shared/data/wyscout``, see :mod:`training.wyscout`);
- an open-data directory: ``events/{match_id}.json`` (every event of a match) and
  ``matches/{competition_id}/{season_id}.json`` (which competition and season each match is in).

Bad input raises :class:`TrainingDataError` with what to fix; a malformed line names its file and line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import PitchsideError

from .buildup import preceding_actions
from .wyscout import competition_key

__all__ = ["ShotRecord", "TrainingDataError", "file_lineage", "hash_files", "load_shots"]


class TrainingDataError(PitchsideError):
    """The training or evaluation data cannot be used as given."""


@dataclass(frozen=True, slots=True)
class ShotRecord:
    """One historical shot: where it comes from and the provider's original event, with the events
    before it where the source has them (Wyscout's three; StatsBomb's from a whole match's events)."""

    match_id: str
    competition: str  # a competition-season, the unit of a held-out split
    competition_name: str
    event: dict[str, Any]
    provider: str = "statsbomb"  # or "wyscout"
    previous: tuple[dict[str, Any], ...] | None = None  # None: the source does not say


def _shot_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted([*path.glob("*.jsonl.gz"), *path.glob("*.jsonl")])


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            yield from enumerate(fh, start=1)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise TrainingDataError(f"{path}: cannot be read ({exc})") from None


def _from_jsonl(files: list[Path]) -> list[ShotRecord]:
    shots: list[ShotRecord] = []
    for path in files:
        for line_no, line in _lines(path):
            if not line.strip():
                continue
            try:
                shots.append(_record(json.loads(line)))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise TrainingDataError(
                    f"{path}:{line_no}: not a shot line ({exc!r}); expected JSON with match_id and "
                    "either competition_id, season_id and event (StatsBomb) or competition, shot "
                    "and previous (Wyscout)"
                ) from None
    return shots


def _record(row: dict[str, Any]) -> ShotRecord:
    if "shot" in row and "event" not in row:
        previous = row["previous"]
        if not isinstance(row["shot"], dict) or not isinstance(previous, list):
            raise TypeError("shot must be an object and previous a list")
        competition = str(row["competition"])
        label = f"{competition.replace('_', ' ')} (Wyscout)"
        return ShotRecord(
            str(row["match_id"]), competition_key(competition), label, row["shot"], "wyscout", tuple(previous)
        )
    comp = f"{row['competition_id']}_{row['season_id']}"
    name = f"{row.get('competition_name', '?')} {row.get('season_name', '?')}"
    return ShotRecord(str(row["match_id"]), comp, name, row["event"])


def _from_open_data(root: Path) -> list[ShotRecord]:
    competition: dict[str, tuple[str, str]] = {}
    for matches in sorted((root / "matches").glob("*/*.json")):
        try:
            for m in json.loads(matches.read_text(encoding="utf-8")):
                comp = m.get("competition", {})
                season = m.get("season", {})
                key = f"{comp.get('competition_id')}_{season.get('season_id')}"
                label = f"{comp.get('competition_name', '?')} {season.get('season_name', '?')}"
                competition[str(m["match_id"])] = (key, label)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TrainingDataError(f"{matches}: not a StatsBomb match list ({exc!r})") from None
    shots: list[ShotRecord] = []
    for events in sorted((root / "events").glob("*.json")):
        match_id = events.stem
        try:
            data = json.loads(events.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise TrainingDataError(f"{events}: not a StatsBomb event file ({exc})") from None
        key, label = competition.get(match_id, ("unknown", "unknown competition"))
        if not isinstance(data, list):
            raise TrainingDataError(f"{events}: not a StatsBomb event file (expected a list of events)")
        shots.extend(
            ShotRecord(match_id, key, label, data[i], previous=previous)
            for i, previous in preceding_actions(data).items()
        )
    return shots


def load_shots(path: Path) -> list[ShotRecord]:
    """Every shot under ``path`` (a shots file, a directory of them, or an open-data directory)."""
    if not path.exists():
        raise TrainingDataError(f"{path} does not exist: pass a shots file or directory (--data)")
    if path.is_dir() and (path / "events").is_dir():
        shots = _from_open_data(path)
    else:
        files = _shot_files(path)
        if not files:
            raise TrainingDataError(
                f"{path} holds no *.jsonl.gz / *.jsonl shot files and no events/ directory"
            )
        shots = _from_jsonl(files)
    if not shots:
        raise TrainingDataError(f"{path}: no shots found")
    return shots


def file_lineage(path: Path) -> list[dict[str, str]]:
    """The data files under ``path`` with their sha256, for a model's lineage."""
    if path.is_file():
        files = [path]
    elif (path / "events").is_dir():
        files = sorted([*(path / "events").glob("*.json"), *(path / "matches").glob("*/*.json")])
    else:
        files = _shot_files(path)
    return hash_files(files, path.parent if path.is_file() else path)


def hash_files(files: list[Path], base: Path) -> list[dict[str, str]]:
    """Each file's name relative to ``base`` (so lineage reads the same on any machine) and sha256."""
    return [
        {"file": str(f.relative_to(base)), "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
        for f in files
    ]
