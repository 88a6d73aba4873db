"""Parity: every shot of the bundled match gets the same features live as in training.

Live: the match's events converted as the replay converts them, encoded and decoded through the
worker's boundary, and taken in one by one by the worker's match processing (no tracking: each shot's
players come from its freeze frame, as an event-only feed gives them). Training: the same events read
as an open-data match file is (``training.buildup`` and ``training.shot_dataset``). The only
difference allowed is the contract's centimetre rounding of locations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from features.buildup import BUILDUP_NAMES
from features.shot import SHOT_FEATURE_NAMES
from stream.decode import decode_event
from stream.match.processing import MatchProcessor, Received
from stream.sources.statsbomb import convert_events, load_events
from training.buildup import preceding_actions
from training.shot_dataset import shot_row

SAMPLE = Path(__file__).resolve().parents[2] / "stream" / "sample" / "statsbomb-8658.json.gz"
AT = Received(produced_ts=1, ingest_ts=2)
# Metres and degrees from locations rounded to 1 cm; seconds are exact (milliseconds both ways).
CONTINUOUS = {
    "distance_m",
    "angle_deg",
    "offcentre_deg",
    "keeper_to_goal_m",
    "keeper_to_line_m",
    "nearest_defender_m",
    "assist_length_m",
    "counter_speed_mps",
}


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return load_events(SAMPLE)


def _live(events: list[dict[str, Any]]) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    match = convert_events(events, "8658", kickoff_ms=1_700_000_000_000, break_ms=60_000)
    processor = MatchProcessor()
    out = {}
    for timed in match.events:
        record = decode_event(msgspec.json.encode(timed.record))
        for output in processor.on_event(record, AT):
            if output.kind == "shot_context":
                named = output.data["features"]
                out[output.data["event_id"]] = np.array(
                    [np.nan if named[n] is None else named[n] for n in SHOT_FEATURE_NAMES]
                )
    return out


def _training(events: list[dict[str, Any]]) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    return {
        str(events[i]["id"]): shot_row(events[i], previous)
        for i, previous in preceding_actions(events).items()
    }


def test_live_shot_features_equal_the_training_features_for_every_shot(events: list[dict[str, Any]]) -> None:
    live, training = _live(events), _training(events)
    assert len(training) == 23 and live.keys() == training.keys()
    buildup = [SHOT_FEATURE_NAMES.index(n) for n in BUILDUP_NAMES]
    for event_id, expected in training.items():
        got = live[event_id]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=event_id)
        for i, name in enumerate(SHOT_FEATURE_NAMES):
            if name in CONTINUOUS:
                assert got[i] == pytest.approx(expected[i], abs=0.05, nan_ok=True), (event_id, name)
            else:
                assert got[i] == expected[i] or np.isnan(expected[i]), (event_id, name)
    # Not a comparison of two blanks: what led to the shots is known, and varied.
    rows = np.array(list(training.values()))[:, buildup]
    assert np.isfinite(rows[:, BUILDUP_NAMES.index("since_previous_s")]).all()
    for flag in ("assisted", "same_possession"):
        assert 0 < np.nansum(rows[:, BUILDUP_NAMES.index(flag)]) < len(rows), flag
