"""Per-match state: latest frame, output seq counters, stale frames, checkpoints and replays;
the input ledger."""

from __future__ import annotations

from stream.contracts import Output
from stream.match.processing import MatchProcessor, ProcessingStats, Received, Source
from stream.match.state import StateStore
from stream.worker.ledger import Admit, InputLedger
from tests.factories import frame, pass_event

AT = Received(produced_ts=10, ingest_ts=12)


def framed(outputs: list[Output]) -> Output | None:
    """The ``frame`` output among a frame's outputs (stats come along every 0.5 s of match time)."""
    found = [o for o in outputs if o.kind == "frame"]
    assert len(found) <= 1
    return found[0] if found else None


def test_frames_get_increasing_seq_per_match_and_kind() -> None:
    proc = MatchProcessor()
    outs = [framed(proc.on_frame(frame("m1", n), AT)) for n in range(3)]
    other = framed(proc.on_frame(frame("m2", 0), AT))
    events = proc.on_event(pass_event("m1", 0), AT) + proc.on_event(pass_event("m1", 1), AT)
    assert [o.seq for o in outs if o] == [1, 2, 3]
    assert other is not None and other.seq == 1
    assert [(e.kind, e.seq) for e in events] == [("event", 1), ("event", 2)]


def test_output_carries_times_and_positions() -> None:
    proc = MatchProcessor()
    out = framed(proc.on_frame(frame("m1", 2, simulated=True), AT))
    assert out is not None
    assert (out.event_ts, out.produced_ts, out.ingest_ts) == (frame("m1", 2).ts, 10, 12)
    assert out.simulated is True
    assert out.data["ball"] == [1.0, 0.0, 0.2]
    assert {"id": "h1", "side": "home", "role": "goalkeeper", "x": -50.0, "y": 0.0} in out.data["objects"]


def test_repeated_and_out_of_order_frames_are_dropped_and_counted() -> None:
    proc = MatchProcessor()
    assert framed(proc.on_frame(frame("m1", 5), AT)) is not None
    assert framed(proc.on_frame(frame("m1", 5), AT)) is None  # repeat
    assert framed(proc.on_frame(frame("m1", 4), AT)) is None  # behind
    after = framed(proc.on_frame(frame("m1", 6), AT))
    assert after is not None and after.seq == 2
    assert proc.stats.stale_frames == 2
    latest = proc.latest_frame("m1")
    assert latest is not None and latest.frame == 6


def test_a_replayed_match_with_later_times_is_accepted() -> None:
    proc = MatchProcessor()
    assert framed(proc.on_frame(frame("m1", 100), AT)) is not None
    assert framed(proc.on_frame(frame("m1", 0, ts=1_800_000_000_000), AT)) is not None


def test_a_newer_session_supersedes_even_with_earlier_event_times() -> None:
    # A fast replay's clock runs ahead of the wall clock: its successor starts "earlier".
    proc = MatchProcessor()
    assert (
        framed(proc.on_frame(frame("m1", 500, ts=1_700_000_900_000, session=1_700_000_000_000), AT))
        is not None
    )
    newer = framed(proc.on_frame(frame("m1", 0, ts=1_700_000_060_000, session=1_700_000_060_000), AT))
    assert newer is not None and newer.data["frame"] == 0
    # A late frame of the old run is now stale.
    assert (
        framed(proc.on_frame(frame("m1", 501, ts=1_700_000_900_040, session=1_700_000_000_000), AT)) is None
    )


def save(proc: MatchProcessor, store: StateStore) -> None:
    for partition, key, record in proc.checkpoint():
        store.write(partition, key, record)


def test_a_checkpoint_carries_seq_and_live_features_to_a_new_processor() -> None:
    store = StateStore()
    first = MatchProcessor(store)
    first.on_frame(frame("m1", 0), AT, Source("t", 0, 0))
    save(first, store)
    assert first.checkpoint() == []  # nothing changed since
    # A new processor over the same store (a worker taking over the partition) continues the seq,
    # and the live features from the checkpoint.
    second = MatchProcessor(store)
    out = framed(second.on_frame(frame("m1", 1), AT, Source("t", 0, 1)))
    assert out is not None and out.seq == 2
    save(second, store)
    # ``match`` once: the first frame gave the period.
    assert store.data["m1"]["seqs"] == {"match": 1, "frame": 2, "player_stats": 1, "team_stats": 1}
    assert store.data["m1"]["through"] == {"t": 1}
    before, after = first.live("m1"), second.live("m1")
    assert before is not None and after is not None
    assert after.ids == before.ids == ["h1", "a9"]


def test_inputs_replayed_after_a_crash_give_the_same_outputs_with_the_same_seq() -> None:
    store = StateStore()
    inputs = [frame("m1", n, ts=1_700_000_000_000 + 40 * n) for n in range(30)]
    events = [pass_event("m1", n) for n in range(5)]
    crashed = MatchProcessor(store)
    sent: list[Output] = []
    for n, f in enumerate(inputs):
        sent += crashed.on_frame(f, AT, Source("tracking", 0, n))
        if n < 5:
            sent += crashed.on_event(events[n], AT, Source("events", 0, n))
        if n == 11:
            save(crashed, store)  # the last checkpoint before the crash
            saved = dict(store.data["m1"]["seqs"])
    # The next worker reads from before the checkpoint again: what the checkpoint took in is skipped,
    # the rest comes out as it did, same seq and content.
    again = MatchProcessor(store)
    resent: list[Output] = []
    for n, f in enumerate(inputs):
        resent += again.on_frame(f, AT, Source("tracking", 0, n))
        if n < 5:
            resent += again.on_event(events[n], AT, Source("events", 0, n))
    assert again.stats.replayed == 12 + 5
    expected = [o for o in sent if o.seq > saved.get(o.kind, 0)]
    assert {o.kind for o in expected} == {"frame", "player_stats", "team_stats"}
    assert [(o.kind, o.seq, o.data) for o in resent] == [(o.kind, o.seq, o.data) for o in expected]


def _admit_all(ledger: InputLedger, offsets: list[int]) -> list[tuple[Admit, int]]:
    return [ledger.admit("t", 0, o) for o in offsets]


def test_the_ledger_skips_offsets_already_processed_after_a_rewind() -> None:
    stats = ProcessingStats()
    store = StateStore()
    ledger = InputLedger(store, stats)
    assert _admit_all(ledger, [0, 1, 2, 3, 4]) == [(Admit.PROCESS, 0)] * 5
    # A consumer rewound to offset 2 (the last commit) reads 2..4 again: all skipped.
    assert [a for a, _ in _admit_all(ledger, [2, 3, 4, 5])] == [Admit.REPLAYED] * 3 + [Admit.PROCESS]
    assert stats.replayed == 3
    # Partitions are independent; a checkpoint saves them (to a Faust table in the worker).
    assert ledger.admit("t", 1, 7) == (Admit.PROCESS, 0)
    records = ledger.checkpoint()
    assert records == [(0, "t:0", 5), (1, "t:1", 7)] and ledger.checkpoint() == []
    for partition, key, value in records:
        store.write(partition, key, value)
    assert InputLedger(store, ProcessingStats()).admit("t", 0, 5)[0] is Admit.REPLAYED
    ledger.forget()  # after a rebalance: the saved offsets again
    assert ledger.admit("t", 0, 6) == (Admit.PROCESS, 0)


def test_a_message_ahead_of_unprocessed_offsets_asks_for_them_first_and_nothing_is_lost() -> None:
    stats = ProcessingStats()
    ledger = InputLedger(StateStore(), stats)
    _admit_all(ledger, [168, 169, 170])
    # After a rebalance an early batch hands over 177 while 171..176 were never processed.
    assert ledger.admit("t", 0, 177) == (Admit.FILL, 171)
    # The worker reads 171..176 itself and feeds them in order, then 177 again.
    assert _admit_all(ledger, list(range(171, 178))) == [(Admit.PROCESS, 0)] * 7
    # Faust later delivers 178.. and perhaps 171.. again: the new ones pass, the old ones are skipped.
    assert [a for a, _ in _admit_all(ledger, [178, 171, 176, 179])] == [
        Admit.PROCESS,
        Admit.REPLAYED,
        Admit.REPLAYED,
        Admit.PROCESS,
    ]
    assert (stats.rewinds, stats.offset_gaps, stats.skipped_offsets) == (1, 0, 0)


def test_offsets_that_cannot_be_read_are_reported_and_the_partition_moves_on() -> None:
    stats = ProcessingStats()
    ledger = InputLedger(StateStore(), stats)
    _admit_all(ledger, [10])
    assert ledger.admit("t", 0, 20) == (Admit.FILL, 11)
    # Only 15.. are still in the log (retention deleted 11..14): those are read and processed.
    assert _admit_all(ledger, [15]) == [(Admit.FILL, 11)]  # 15 alone would still leave a hole
    assert ledger.accept_gap("t", 0, 15) == 4
    assert _admit_all(ledger, [15, 16, 17, 18, 19, 20]) == [(Admit.PROCESS, 0)] * 6
    assert (stats.offset_gaps, stats.skipped_offsets) == (1, 4)
    assert ledger.accept_gap("t", 0, 21) == 0  # nothing missing: nothing reported
    assert stats.offset_gaps == 1
