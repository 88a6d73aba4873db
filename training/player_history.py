"""The players' steal records season by season, for the lead model's history features.

Every steal attempt (SB or CS, with or without a measured lead) counts toward its runner, its catcher
and its pitcher, and the league. A row of season S is given the record of seasons before S only
(:func:`histories_before`): what was known before the season started, never the season itself, so
no row sees its own outcome or a later one. The record through the last season is what a registered
version ships for live scoring (the live season comes after all of them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.baseball import HISTORY_FEATURE_NAMES
from models.players import PlayerHistory

__all__ = ["Attempt", "histories_before", "history_block"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Attempt:
    """One steal attempt; an id is None where the file does not name the player."""

    season: int
    runner: str | None
    catcher: str | None
    pitcher: str | None
    stolen: bool


class _Tally:
    """Running (attempts, steals) per player of each role, and the league's."""

    def __init__(self, start: PlayerHistory) -> None:
        self.seasons: list[int] = list(start.seasons)
        self.league = list(start.league)
        self.roles = tuple(defaultdict[str, list[int]](lambda: [0, 0]) for _ in range(3))
        for table, given in zip(self.roles, (start.runners, start.catchers, start.pitchers), strict=True):
            table.update({k: list(v) for k, v in given.items()})

    def add(self, attempt: Attempt) -> None:
        won = int(attempt.stolen)
        self.league[0] += 1
        self.league[1] += won
        for table, key in zip(self.roles, (attempt.runner, attempt.catcher, attempt.pitcher), strict=True):
            if key is not None:
                table[key][0] += 1
                table[key][1] += won

    def snapshot(self) -> PlayerHistory:
        runners, catchers, pitchers = ({k: (v[0], v[1]) for k, v in t.items()} for t in self.roles)
        league = (self.league[0], self.league[1])
        return PlayerHistory(tuple(self.seasons), league, runners, catchers, pitchers)


def histories_before(
    attempts: Iterable[Attempt], earlier: PlayerHistory | None = None
) -> tuple[dict[int, PlayerHistory], PlayerHistory]:
    """For each season with attempts, the record of every earlier season; and the record of all.

    ``earlier`` (a version's shipped record) stands for the seasons before the first one here, when
    it ends before that season; otherwise it is not used (the attempts already hold its seasons).
    """
    by_season: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_season[attempt.season].append(attempt)
    usable = earlier is not None and bool(by_season) and max(earlier.seasons, default=0) < min(by_season)
    tally = _Tally(earlier if usable and earlier is not None else PlayerHistory())
    before: dict[int, PlayerHistory] = {}
    for season in sorted(by_season):
        before[season] = tally.snapshot()
        for attempt in by_season[season]:
            tally.add(attempt)
        tally.seasons.append(season)
    return before, tally.snapshot()


def history_block(
    histories: dict[int, PlayerHistory],
    seasons: npt.NDArray[np.int64],
    runners: Sequence[str | None],
    catchers: Sequence[str | None],
    pitchers: Sequence[str | None],
) -> FloatArray:
    """The ``(n, 4)`` history features of ``n`` rows, each from the seasons before its own."""
    out = np.full((len(seasons), len(HISTORY_FEATURE_NAMES)), np.nan)
    for season in np.unique(seasons):
        rows = np.flatnonzero(seasons == season).tolist()
        out[rows] = histories[int(season)].features(
            [runners[i] for i in rows], [catchers[i] for i in rows], [pitchers[i] for i in rows]
        )
    return out
