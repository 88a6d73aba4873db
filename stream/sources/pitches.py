"""Real baseball pitch events from Baseball Savant stolen-base opportunities, for replay and load.

Each row of a Savant opportunities CSV (a runner on base, a pitch) becomes one ``pitch`` event:
pitcher (his name as an id, :func:`models.players.pitcher_id_from_name`: the file has no pitcher
id), catcher and runner ids, target base, the runner's lead at the pitcher's first move, pitch type
and velocity, the count. Rows are real; only their times are made up: ``gap_ms`` apart from
``start_ms``. A game id is the matchup and date (``LAD-at-CIN-2023-06-08``); with ``repeat > 1`` the
rows are sent again under new game ids (``{prefix}-{n}-...``), which is the baseball load generator.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from pathlib import Path

from models.errors import PitchsideError
from models.players import pitcher_id_from_name

from ..contracts import PitchBody, PitchEvent

__all__ = ["PitchReplayError", "savant_pitches"]

_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_BASES = {"2B", "3B", "HP"}


class PitchReplayError(PitchsideError):
    """The opportunities file cannot be replayed."""


def _slug(text: str, limit: int = 64) -> str:
    return _ID.sub("-", text.replace("@", "at")).strip("-")[:limit] or "unknown"


def _number(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _count(value: str, high: int) -> int | None:
    number = _number(value, 0, high)
    return None if number is None else int(number)


def savant_pitches(
    path: Path, *, start_ms: int, gap_ms: int, limit: int | None = None, repeat: int = 1, prefix: str = ""
) -> Iterator[PitchEvent]:
    """Pitch events from the CSV at ``path``, in file order, ``gap_ms`` apart."""
    if not path.is_file():
        raise PitchReplayError(f"{path} is not a file: pass a stolen_base_opportunities CSV (--file)")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        needed = {"date", "pitcher_name", "catcher_name", "runner_name", "target_base", "match_up"}
        missing = sorted(needed - set(reader.fieldnames or []))
        if missing:
            raise PitchReplayError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)[:limit] if limit else list(reader)
    if not rows:
        raise PitchReplayError(f"{path}: no rows to replay")
    n = 0
    for round_no in range(repeat):
        for i, row in enumerate(rows):
            game = _slug(f"{row['match_up']}-{row['date']}")
            if prefix or repeat > 1:
                game = _slug(f"{prefix or 'load'}-{round_no}-{game}")
            base = row["target_base"].strip()
            body = PitchBody(
                pitcher_id=pitcher_id_from_name(row["pitcher_name"]),
                catcher_id=_slug(row["catcher_name"]) if row["catcher_name"].strip() else None,
                runner_id=_slug(row["runner_name"]) if row["runner_name"].strip() else None,
                target_base=base if base in _BASES else None,  # type: ignore[arg-type]
                runner_lead_ft=_number(row.get("at_pitchers_first_move", ""), -10, 60),
                pitch_type=(row.get("pitch_type") or "").strip()[:64] or None,
                velo_mph=_number(row.get("velo", ""), 30, 110),
                balls=_count(row.get("ball_count", ""), 3),
                strikes=_count(row.get("strike_count", ""), 2),
            )
            yield PitchEvent(
                match_id=game,
                event_id=f"savant-{round_no}-{i}",
                ts=start_ms + n * gap_ms,
                type="pitch",
                pitch=body,
            )
            n += 1
