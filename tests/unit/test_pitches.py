"""Baseball replay and load: real Savant rows as pitch events."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from stream.cli import cli
from stream.contracts import PitchEvent
from stream.decode import decode_event
from stream.sources.pitches import PitchReplayError, savant_pitches
from tests.shared_data import shared_path


def test_savant_rows_become_valid_pitch_events_with_runner_lead_and_count() -> None:
    source = shared_path("savant", "stolen_base_opportunities_2022-2024.csv")
    events = list(savant_pitches(source, start_ms=1_000, gap_ms=100, limit=50))
    assert len(events) == 50 and [e.ts for e in events[:3]] == [1_000, 1_100, 1_200]
    first = events[0]
    # The file's first row: Kershaw's 0-1 curveball, runner 682829 12.7 ft off first, LAD @ CIN 2023-06-08.
    assert first.match_id == "LAD-at-CIN-2023-06-08" and first.pitch is not None
    assert (first.pitch.pitcher_id, first.pitch.runner_id, first.pitch.catcher_id) == (
        "Clayton-Kershaw",
        "682829",
        "605131",
    )
    assert (first.pitch.runner_lead_ft, first.pitch.pitch_type, first.pitch.balls, first.pitch.strikes) == (
        12.7,
        "CU",
        0,
        1,
    )
    for event in events:  # every one passes the worker's own decoder
        assert isinstance(decode_event(msgspec.json.encode(event), event.match_id.encode()), PitchEvent)
    looped = list(savant_pitches(source, start_ms=0, gap_ms=1, limit=10, repeat=3, prefix="load"))
    assert len(looped) == 30 and len({e.event_id for e in looped}) == 30
    assert all(e.match_id.startswith(f"load-{n // 10}-") for n, e in enumerate(looped))


def test_a_bad_file_is_refused_with_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(PitchReplayError, match="is not a file"):
        list(savant_pitches(tmp_path / "nope.csv", start_ms=0, gap_ms=1))
    (tmp_path / "cols.csv").write_text("date,result\n2020-01-01,SB\n")
    with pytest.raises(PitchReplayError, match="missing column"):
        list(savant_pitches(tmp_path / "cols.csv", start_ms=0, gap_ms=1))
    result = CliRunner().invoke(cli, ["pitches", "--file", str(tmp_path / "cols.csv")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "missing column" in result.output
