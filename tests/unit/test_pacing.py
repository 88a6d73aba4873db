"""Replay pacing: event time advances ``speed`` times faster than wall time, records keep their order.
Only lower bounds on wall time are asserted: a sleep can overrun on a busy machine, never undershoot."""

from __future__ import annotations

import time
from typing import Any

from stream.contracts import MatchEvent, TrackingFrame
from stream.sources.pacing import send_paced
from tests.factories import frame, pass_event

T0 = 1_700_000_000_000


class ListSink:
    def __init__(self) -> None:
        self.sent: list[tuple[float, TrackingFrame | MatchEvent]] = []
        self.flushed = False

    async def send(self, record: TrackingFrame | MatchEvent) -> Any:
        self.sent.append((time.monotonic(), record))

    async def flush(self) -> None:
        self.flushed = True


def _records() -> list[TrackingFrame | MatchEvent]:
    # 1 s of event time: frames every 100 ms and an event at 500 ms.
    # (The factory adds 40 ms per frame number to ts, hence the 60 ms steps given here.)
    records: list[TrackingFrame | MatchEvent] = [frame("m1", n, ts=T0 + 60 * n) for n in range(11)]
    records.insert(6, pass_event("m1", 0, ts=T0 + 500))
    return records


async def test_speed_ten_plays_one_second_of_match_in_a_tenth_of_a_second() -> None:
    sink = ListSink()
    report = await send_paced(sink, _records(), speed=10.0)
    assert (report.frames, report.events) == (11, 1)
    assert [r.ts for _, r in sink.sent] == sorted(r.ts for _, r in sink.sent)
    start = sink.sent[0][0]
    for sent_at, record in sink.sent:
        assert sent_at - start >= (record.ts - T0) / 1000 / 10 - 1e-3  # never ahead of schedule
    assert report.wall_s >= 0.099
    assert sink.flushed


async def test_real_time_is_speed_one() -> None:
    sink = ListSink()
    report = await send_paced(sink, _records()[:4], speed=1.0)  # 300 ms of event time
    assert report.wall_s >= 0.299


async def test_speed_zero_sends_everything_without_waiting_and_a_deadline_stops_early() -> None:
    sink = ListSink()
    report = await send_paced(sink, _records(), speed=0)
    assert report.messages == 12
    cut = ListSink()
    short = await send_paced(cut, _records(), speed=1.0, deadline_s=0.25)
    assert 2 <= short.messages < 12
