"""Summing up the challenger's live record: per pair of versions, how far apart and, where the
outcome is known, each side's log loss."""

from __future__ import annotations

import math

import pytest

from stream.outputs.comparison import summarize
from tests.factories import xg_challenger_output


def test_each_pair_of_versions_gets_its_counts_gap_and_log_losses() -> None:
    rows = summarize(
        [
            xg_challenger_output(1, 0.2, 0.4, True, (1, 2)),
            xg_challenger_output(2, 0.1, 0.1, False, (1, 2)),
            xg_challenger_output(
                3, 0.3, 0.5, None, (1, 2)
            ),  # no outcome yet: in the gap, not in the log loss
            xg_challenger_output(4, 0.5, 0.5, True, (1, 3)),
        ]
    )
    first, second = rows
    assert (first["production"], first["challenger"], first["scored"], first["with_outcome"]) == (1, 2, 3, 2)
    assert first["mean_abs_difference"] == pytest.approx((0.2 + 0.0 + 0.2) / 3, abs=1e-5)
    assert first["production_log_loss"] == pytest.approx(-(math.log(0.2) + math.log(0.9)) / 2, abs=1e-5)
    assert first["challenger_log_loss"] == pytest.approx(-(math.log(0.4) + math.log(0.9)) / 2, abs=1e-5)
    assert (second["challenger"], second["scored"]) == (3, 1)
    assert summarize([]) == []
