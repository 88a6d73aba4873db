"""Per-match state: latest frame, output seq counters, stale frames."""

from __future__ import annotations

from typing import Any

from stream.processing import MatchProcessor, Received
from tests.factories import frame, pass_event

AT = Received(produced_ts=10, ingest_ts=12)


def test_frames_get_increasing_seq_per_match_and_kind() -> None:
    proc = MatchProcessor({}, {})
    outs = [proc.on_frame(frame("m1", n), AT) for n in range(3)]
    other = proc.on_frame(frame("m2", 0), AT)
    events = proc.on_event(pass_event("m1", 0), AT) + proc.on_event(pass_event("m1", 1), AT)
    assert [o.seq for o in outs if o] == [1, 2, 3]
    assert other is not None and other.seq == 1
    assert [(e.kind, e.seq) for e in events] == [("event", 1), ("event", 2)]


def test_output_carries_times_and_positions() -> None:
    proc = MatchProcessor({}, {})
    out = proc.on_frame(frame("m1", 2, simulated=True), AT)
    assert out is not None
    assert (out.event_ts, out.produced_ts, out.ingest_ts) == (frame("m1", 2).ts, 10, 12)
    assert out.simulated is True
    assert out.data["ball"] == [1.0, 0.0, 0.2]
    assert ["h1", "home", "goalkeeper", -50.0, 0.0] in out.data["objects"]


def test_repeated_and_out_of_order_frames_are_dropped_and_counted() -> None:
    proc = MatchProcessor({}, {})
    assert proc.on_frame(frame("m1", 5), AT) is not None
    assert proc.on_frame(frame("m1", 5), AT) is None  # repeat
    assert proc.on_frame(frame("m1", 4), AT) is None  # behind
    after = proc.on_frame(frame("m1", 6), AT)
    assert after is not None and after.seq == 2
    assert proc.stats.stale_frames == 2
    latest = proc.latest_frame("m1")
    assert latest is not None and latest.frame == 6


def test_a_replayed_match_with_later_times_is_accepted() -> None:
    proc = MatchProcessor({}, {})
    assert proc.on_frame(frame("m1", 100), AT) is not None
    assert proc.on_frame(frame("m1", 0, ts=1_800_000_000_000), AT) is not None


def test_state_survives_in_the_mappings_it_is_given() -> None:
    latest: dict[str, dict[str, Any]] = {}
    seqs: dict[str, int] = {}
    MatchProcessor(latest, seqs).on_frame(frame("m1", 0), AT)
    # A new processor over the same state (a worker taking over the partition) continues the seq.
    out = MatchProcessor(latest, seqs).on_frame(frame("m1", 1), AT)
    assert out is not None and out.seq == 2
    assert seqs == {"m1:frame": 2}
