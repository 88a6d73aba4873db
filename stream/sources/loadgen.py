"""``pitchside load``: N concurrent simulated matches (tracking at 25 Hz plus events), produced at
real-time pace, for tests and benchmarks. Every message is labelled ``simulated``."""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator

from ..contracts import MatchEvent, TrackingFrame
from .synthetic import synthetic_match

__all__ = ["merged_matches", "sim_match_ids"]


def sim_match_ids(count: int, prefix: str = "sim") -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


def merged_matches(
    match_ids: list[str], *, hz: float, seed: int, start_ms: int | None = None
) -> Iterator[TrackingFrame | MatchEvent]:
    """All matches' records merged into one stream ordered by event time (endless)."""
    start = time.time_ns() // 1_000_000 if start_ms is None else start_ms
    streams = [
        synthetic_match(match_id, start_ms=start, hz=hz, seed=seed + i)
        for i, match_id in enumerate(match_ids)
    ]
    return heapq.merge(*streams, key=lambda record: record.ts)
