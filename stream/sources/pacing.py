"""Sending time-ordered records at event-time pace, ``speed`` times faster than real time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..contracts import MatchEvent, TrackingFrame

__all__ = ["PaceReport", "RecordSink", "send_paced"]


class RecordSink(Protocol):
    """Where paced records go: :class:`stream.sources.producer.RecordProducer`, or a list in tests."""

    async def send(self, record: TrackingFrame | MatchEvent) -> Any: ...

    async def flush(self) -> None: ...


@dataclass(frozen=True)
class PaceReport:
    frames: int
    events: int
    wall_s: float
    # How far behind schedule the last record went out: a producer that cannot keep up shows here.
    behind_s: float

    @property
    def messages(self) -> int:
        return self.frames + self.events


async def send_paced(
    producer: RecordSink,
    records: Iterable[TrackingFrame | MatchEvent],
    *,
    speed: float,
    deadline_s: float | None = None,
    on_record: Callable[[TrackingFrame | MatchEvent], None] | None = None,
) -> PaceReport:
    """Send ``records`` (sorted by ``ts``) so that event time advances ``speed`` x wall time;
    ``speed <= 0`` sends as fast as the producer takes them. Stops after ``deadline_s`` seconds."""
    start = time.monotonic()
    first_ts: int | None = None
    frames = events = 0
    behind = 0.0
    for record in records:
        now = time.monotonic()
        if deadline_s is not None and now - start >= deadline_s:
            break
        if first_ts is None:
            first_ts = record.ts
        if speed > 0:
            due = start + (record.ts - first_ts) / 1000.0 / speed
            if due > now:
                await asyncio.sleep(due - now)
            else:
                behind = now - due
        await producer.send(record)
        if isinstance(record, TrackingFrame):
            frames += 1
        else:
            events += 1
        if on_record is not None:
            on_record(record)
    await producer.flush()
    return PaceReport(frames=frames, events=events, wall_s=time.monotonic() - start, behind_s=behind)
