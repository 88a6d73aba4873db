"""Seeded splits by match or competition-season, never by shot: shots of one match share a game
state and a keeper, so a shot-level split would leak the test set into training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .shot_dataset import ShotDataset
from .shots import TrainingDataError

__all__ = ["DEFAULT_HOLDOUT", "Split", "split_dataset"]

# La Liga 2018/2019 (34 matches, 887 shots): a whole competition-season nobody trains or tunes on.
DEFAULT_HOLDOUT = "11_4"


@dataclass(frozen=True)
class Split:
    """Row masks: ``train`` fits trees, ``valid`` decides when to stop (early stopping), ``test`` is
    the held-out competition-season, seen only by the evaluation."""

    train: npt.NDArray[np.bool_]
    valid: npt.NDArray[np.bool_]
    test: npt.NDArray[np.bool_]
    holdout: str
    seed: int
    valid_fraction: float

    def describe(self, data: ShotDataset) -> dict[str, object]:
        return {
            "holdout": self.holdout,
            "holdout_name": data.competition_names.get(self.holdout, self.holdout),
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


def split_dataset(data: ShotDataset, holdout: str, seed: int, valid_fraction: float = 0.2) -> Split:
    """Hold out one competition-season; split the other matches (not shots) into train and valid."""
    test = data.competition == holdout
    if not test.any():
        known = ", ".join(f"{k} ({v})" for k, v in sorted(data.competition_names.items()))
        raise TrainingDataError(f"held-out competition {holdout!r} has no shots; known: {known}")
    if test.all():
        raise TrainingDataError(f"every shot is in the held-out competition {holdout!r}: nothing to train on")
    rest = sorted(set(data.match_id[~test]))
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(rest))[: max(1, round(len(rest) * valid_fraction))]
    valid_matches = {rest[i] for i in chosen}
    valid = ~test & np.isin(data.match_id, list(valid_matches))
    return Split(~test & ~valid, valid, test, holdout, seed, valid_fraction)
