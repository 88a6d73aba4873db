"""Duplicate and gap detection by seq, as a graphics client does it."""

from __future__ import annotations

from stream.outputs.feed import SeqStatus, SeqTracker


def test_in_order_seq_is_new() -> None:
    tracker = SeqTracker()
    assert [tracker.observe("m", "frame", s) for s in (1, 2, 3)] == [SeqStatus.NEW] * 3


def test_repeats_and_older_seq_are_duplicates() -> None:
    tracker = SeqTracker()
    tracker.observe("m", "frame", 5)
    assert tracker.observe("m", "frame", 5) is SeqStatus.DUPLICATE
    assert tracker.observe("m", "frame", 3) is SeqStatus.DUPLICATE
    assert tracker.duplicates == 2


def test_a_jump_is_a_gap_counting_the_missing_outputs() -> None:
    tracker = SeqTracker()
    tracker.observe("m", "frame", 1)
    assert tracker.observe("m", "frame", 5) is SeqStatus.GAP
    assert tracker.missing == 3
    assert tracker.observe("m", "frame", 6) is SeqStatus.NEW


def test_kinds_and_matches_are_tracked_apart() -> None:
    tracker = SeqTracker()
    tracker.observe("m", "frame", 7)
    assert tracker.observe("m", "event", 1) is SeqStatus.NEW
    assert tracker.observe("n", "frame", 1) is SeqStatus.NEW
