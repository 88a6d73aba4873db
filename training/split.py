"""Seeded splits by match or competition-season, never by shot: shots of one match share a game
state and a keeper, so a shot-level split would leak the test set into training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .shot_dataset import ShotDataset
from .shots import TrainingDataError

__all__ = ["DEFAULT_HOLDOUT", "Split", "holdout_keys", "split_dataset"]

# La Liga 2018/2019 (StatsBomb, 34 matches, 887 shots) and La Liga 2017/18 (Wyscout, event data only):
# whole competition-seasons nobody trains or tunes on, one with freeze frames and one without.
DEFAULT_HOLDOUT = "11_4,wyscout_Spain"


@dataclass(frozen=True)
class Split:
    """Row masks: ``train`` fits trees, ``valid`` decides when to stop (early stopping), ``test`` is
    the held-out competition-season, seen only by the evaluation."""

    train: npt.NDArray[np.bool_]
    valid: npt.NDArray[np.bool_]
    test: npt.NDArray[np.bool_]
    holdout: str  # one competition-season key, or several comma-separated
    seed: int
    valid_fraction: float

    @property
    def holdouts(self) -> list[str]:
        return holdout_keys(self.holdout)

    def describe(self, data: ShotDataset) -> dict[str, object]:
        return {
            "holdout": self.holdout,
            "holdout_name": " + ".join(data.competition_names.get(k, k) for k in self.holdouts),
            "seed": self.seed,
            "valid_fraction_of_matches": self.valid_fraction,
            "rows": {
                "train": int(self.train.sum()),
                "valid": int(self.valid.sum()),
                "test": int(self.test.sum()),
            },
            "matches": {
                part: len(set(data.match_id[mask]))
                for part, mask in (("train", self.train), ("valid", self.valid), ("test", self.test))
            },
        }


def holdout_keys(holdout: str) -> list[str]:
    return [k.strip() for k in holdout.split(",") if k.strip()]


def split_dataset(data: ShotDataset, holdout: str, seed: int, valid_fraction: float = 0.2) -> Split:
    """Hold out whole competition-seasons (``holdout``: keys, comma-separated); split the other
    matches (not shots) into train and valid."""
    keys = holdout_keys(holdout)
    for key in keys or [holdout]:
        if not (data.competition == key).any():
            known = ", ".join(f"{k} ({v})" for k, v in sorted(data.competition_names.items()))
            raise TrainingDataError(f"held-out competition {key!r} has no shots; known: {known}")
    test = np.isin(data.competition, keys)
    if test.all():
        raise TrainingDataError(f"every shot is in the held-out competition {holdout!r}: nothing to train on")
    rest = sorted(set(data.match_id[~test]))
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(rest))[: max(1, round(len(rest) * valid_fraction))]
    valid_matches = {rest[i] for i in chosen}
    valid = ~test & np.isin(data.match_id, list(valid_matches))
    return Split(~test & ~valid, valid, test, holdout, seed, valid_fraction)
