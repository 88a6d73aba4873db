"""What the worker does with each decoded record, apart from Faust and Redis.

The per-match state lives in two mappings the caller provides: Faust tables in the worker (durable
through their changelog topics, co-partitioned with the inputs by match), plain dicts in unit tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import MutableMapping
from typing import Any, NamedTuple

import msgspec

from .contracts import MatchEvent, Output, TrackingFrame

__all__ = ["MatchProcessor", "ProcessingStats", "Received"]


class Received(NamedTuple):
    """When a message was produced to Kafka and when the worker read it, epoch ms."""

    produced_ts: int
    ingest_ts: int


class ProcessingStats(msgspec.Struct):
    frames: int = 0
    events: int = 0
    outputs: int = 0
    # Frames that arrive repeated or behind the latest one are valid but stale: dropped, counted.
    stale_frames: int = 0
    dead_letters: Counter[str] = msgspec.field(default_factory=Counter)


class MatchProcessor:
    """Turns frames and events into outputs, keeping the latest frame and the output ``seq`` per
    match and kind.

    ``latest_frames`` maps ``match_id`` to the latest :class:`TrackingFrame` as plain JSON-able data
    (what a Faust table gives back after recovering from its changelog, so live and recovered state
    look the same); ``seqs`` maps ``"{match_id}:{kind}"`` to the last ``seq`` published.
    """

    def __init__(
        self, latest_frames: MutableMapping[str, dict[str, Any]], seqs: MutableMapping[str, int]
    ) -> None:
        self._latest = latest_frames
        self._seqs = seqs
        self.stats = ProcessingStats()

    def next_seq(self, match_id: str, kind: str) -> int:
        key = f"{match_id}:{kind}"
        seq = self._seqs.get(key, 0) + 1
        self._seqs[key] = seq
        return seq

    def latest_frame(self, match_id: str) -> TrackingFrame | None:
        stored = self._latest.get(match_id)
        return None if stored is None else msgspec.convert(stored, TrackingFrame)

    def on_frame(self, frame: TrackingFrame, received: Received) -> Output | None:
        """Store the frame as the match's latest and return its ``frame`` output, or ``None`` when
        the frame is not newer than the latest one (a repeat or out of order)."""
        self.stats.frames += 1
        stored = self._latest.get(frame.match_id)
        # Event time orders frames; the frame number breaks ties. A replay run again restarts
        # frame numbers at 0 with later times, and is accepted.
        if stored is not None and (frame.ts, frame.frame) <= (stored["ts"], stored["frame"]):
            self.stats.stale_frames += 1
            return None
        self._latest[frame.match_id] = msgspec.to_builtins(frame)
        ball = frame.ball
        data: dict[str, Any] = {
            "frame": frame.frame,
            "period": frame.period,
            "home_attack": frame.home_attack,
            "ball": None if ball is None else [ball.x, ball.y, ball.z],
            "objects": [[o.id, o.team, o.role, o.x, o.y] for o in frame.objects if o.role != "ball"],
        }
        return self._output(frame.match_id, "frame", frame.ts, received, data, frame.simulated)

    def on_event(self, event: MatchEvent, received: Received) -> list[Output]:
        """Every event is forwarded as an ``event`` output (the live event feed)."""
        self.stats.events += 1
        data = msgspec.to_builtins(event)
        data.pop("match_id", None)
        return [self._output(event.match_id, "event", event.ts, received, data, event.simulated)]

    def _output(
        self,
        match_id: str,
        kind: str,
        event_ts: int,
        received: Received,
        data: dict[str, Any],
        simulated: bool,
    ) -> Output:
        self.stats.outputs += 1
        return Output(
            match_id=match_id,
            kind=kind,
            seq=self.next_seq(match_id, kind),
            event_ts=event_ts,
            produced_ts=received.produced_ts,
            ingest_ts=received.ingest_ts,
            data=data,
            simulated=simulated,
        )
