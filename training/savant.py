"""Baseball Savant stolen-base opportunities as a lead-distance dataset.

Rows are steal *attempts*: result ``SB`` (stolen, label 1) or ``CS`` (caught stealing, 0). Pickoffs
(``PK``) are not attempts to steal the next base and mostly have no lead at the first move: left
out, as are balks (``BK``) and the rarer codes. An attempt with no lead at the pitcher's first move
is left out too (the model's main input). Features come from :func:`features.baseball.pitch_context`
with the runner's sprint speed and the catcher's pop time joined by player id from the reference
files (:mod:`models.players`), as the live worker does; an unknown player gets NaN, which XGBoost
sends down its learned missing-value branch (the documented default).

Each attempt also gets its runner's, catcher's and pitcher's record from earlier seasons only
(:mod:`training.player_history`), counted over every SB and CS row, those without a lead too. The
files name pitchers rather than giving ids: they go by :func:`models.players.pitcher_id_from_name`.
Only columns known at the pitcher's first move are read: ``at_pitch_release``,
``lead_distance_gained``, ``pitch_type`` and ``velo`` (all measured after the runner's decision)
and ``runner_stealing_runs`` and ``description`` (the outcome) never are.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from features.baseball import pitch_context
from models.players import PlayerHistory, PlayerReference, pitcher_id_from_name

from .player_history import Attempt, histories_before, history_block
from .shots import TrainingDataError

__all__ = ["REQUIRED_COLUMNS", "LeadDataset", "csv_files", "load_opportunities"]

FloatArray = npt.NDArray[np.float64]
REQUIRED_COLUMNS = (
    "date",
    "catcher_name",
    "runner_name",
    "target_base",
    "result",
    "at_pitchers_first_move",
    "ball_count",
    "strike_count",
    "pitcher_name",
)
ATTEMPTS = {"SB": 1.0, "CS": 0.0}


@dataclass(frozen=True)
class LeadDataset:
    x: FloatArray
    success: FloatArray
    season: npt.NDArray[np.int64]
    runner: npt.NDArray[np.str_]
    catcher: npt.NDArray[np.str_]
    pitcher: npt.NDArray[np.str_]
    target_base: npt.NDArray[np.str_]
    left_out: dict[str, int]
    # Every season's record: the earlier seasons of a live season that follows them all.
    history: PlayerHistory

    def __len__(self) -> int:
        return len(self.success)


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        return math.nan  # Savant writes unknowns as "--"
    return number if math.isfinite(number) else math.nan


def _player(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "--") else value


def _season(path: Path, row: dict[str, str]) -> int:
    try:
        return int(row["date"][:4])
    except ValueError as exc:
        raise TrainingDataError(f"{path}: a date is not YYYY-MM-DD ({exc})") from None


def _pitcher(row: dict[str, str]) -> str | None:
    name = _player(row["pitcher_name"])
    return None if name is None else pitcher_id_from_name(name)


def _attempts(path: Path, rows: list[dict[str, str]]) -> list[Attempt]:
    return [
        Attempt(
            _season(path, r),
            _player(r["runner_name"]),
            _player(r["catcher_name"]),
            _pitcher(r),
            r["result"].strip() == "SB",
        )
        for r in rows
        if r["result"].strip() in ATTEMPTS
    ]


def csv_files(path: Path) -> list[Path]:
    if not path.exists():
        raise TrainingDataError(f"{path} does not exist: pass an opportunities CSV or a directory of them")
    files = [path] if path.is_file() else sorted(path.glob("stolen_base_opportunities*.csv"))
    if not files:
        raise TrainingDataError(f"{path} holds no stolen_base_opportunities*.csv files")
    return files


def load_opportunities(
    path: Path, reference: PlayerReference, earlier: PlayerHistory | None = None
) -> LeadDataset:
    """Every steal attempt with a lead under ``path`` (a CSV in the Savant layout, or a directory).

    ``earlier``: the players' record of seasons before the file's (a version's shipped history, to
    score a later season with it), used when it ends before the file's first season."""
    rows: list[dict[str, str]] = []
    for file in csv_files(path):
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise TrainingDataError(f"{file}: missing column(s) {', '.join(missing)}")
            rows.extend(reader)
    left_out: dict[str, int] = {}
    kept: list[dict[str, str]] = []
    for row in rows:
        result = row["result"].strip()
        if result not in ATTEMPTS:
            left_out[f"result {result or 'blank'}"] = left_out.get(f"result {result or 'blank'}", 0) + 1
        elif math.isnan(_number(row["at_pitchers_first_move"])):
            left_out["no lead"] = left_out.get("no lead", 0) + 1
        else:
            kept.append(row)
    if not kept:
        raise TrainingDataError(f"{path}: no steal attempts (SB or CS) with a lead among {len(rows)} rows")
    before, history = histories_before(_attempts(path, rows), earlier)
    seasons = np.array([_season(path, r) for r in kept])
    runners = [r["runner_name"].strip() for r in kept]
    catchers = [r["catcher_name"].strip() for r in kept]
    pitchers = [_pitcher(r) for r in kept]
    bases = [r["target_base"].strip() for r in kept]
    # Counts beyond the legal range (Savant has a 4-ball row) are unknown, not clipped.
    balls = [b if b <= 3 else math.nan for b in (_number(r["ball_count"]) for r in kept)]
    strikes = [s if s <= 2 else math.nan for s in (_number(r["strike_count"]) for r in kept)]
    x = pitch_context(
        np.array([_number(r["at_pitchers_first_move"]) for r in kept]),
        np.array([reference.sprint_speed(r) for r in runners]),
        np.array([reference.pop_time(c, b) for c, b in zip(catchers, bases, strict=True)]),
        np.array(balls),
        np.array(strikes),
        math.nan,  # outs are not in the Savant files
        bases,
        history_block(
            before, seasons, [_player(r) for r in runners], [_player(c) for c in catchers], pitchers
        ),
    )
    return LeadDataset(
        x=x,
        success=np.array([ATTEMPTS[r["result"].strip()] for r in kept]),
        season=seasons,
        runner=np.array(runners),
        catcher=np.array(catchers),
        pitcher=np.array([p or "" for p in pitchers]),
        target_base=np.array(bases),
        left_out=left_out,
        history=history,
    )
