"""What the worker does with each decoded record, apart from Faust and Redis.

The per-match state lives in two mappings the caller provides: Faust tables in the worker (durable
through their changelog topics, co-partitioned with the inputs by match), plain dicts in unit tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import MutableMapping
from enum import Enum
from typing import Any, NamedTuple

import msgspec

from .contracts import MatchEvent, Output, TrackingFrame

__all__ = ["Admit", "InputLedger", "MatchProcessor", "ProcessingStats", "Received"]


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
    # Messages read again after a rebalance or restart rewound the consumer: skipped, counted.
    replayed: int = 0
    # Early messages after a rebalance that made the worker seek back to unprocessed offsets.
    rewinds: int = 0
    # Offsets that jumped by more than one on a partition: messages no worker processed.
    offset_gaps: int = 0
    skipped_offsets: int = 0
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
        # A newer session (a replay started again) supersedes; within a session event time orders
        # frames and the frame number breaks ties. A fast replay's clock runs ahead of the wall
        # clock, so event time alone could not tell a new run from a late frame of the old one.
        order = (frame.session, frame.ts, frame.frame)
        if stored is not None and order <= (stored.get("session", 0), stored["ts"], stored["frame"]):
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


class Admit(Enum):
    """What to do with an input message, given the offsets already processed on its partition."""

    PROCESS = "process"
    REPLAYED = "replayed"  # processed before: skip
    REWIND = "rewind"  # arrived ahead of unprocessed offsets: seek back, skip it for now
    STALE = "stale"  # more of the same early batch while rewinding: skip, it comes again


class InputLedger:
    """The last input offset processed per topic partition, kept in a table so it moves with the
    partition through rebalances and restarts.

    Faust (0.15, with aiokafka 0.14) delivers at least once and, right after a rebalance, can hand
    an agent messages from a batch fetched before the rewind, ahead of offsets it never processed;
    its own read-offset check would then drop the re-fetched ones. The ledger makes both harmless:
    offsets processed before are skipped, and a message that jumps ahead asks for a rewind to the
    first unprocessed offset, so every message is processed once and in order. If the re-read
    starts above that offset (the log no longer holds it), the gap is accepted and reported.
    """

    def __init__(self, offsets: MutableMapping[str, int], stats: ProcessingStats) -> None:
        self._offsets = offsets
        self._stats = stats
        self._rewinding: dict[str, int] = {}
        self._previous: dict[str, int] = {}

    def admit(self, topic: str, partition: int, offset: int) -> tuple[Admit, int]:
        """Decide on one message. Returns the action and a number: the offset to seek to for
        ``REWIND``, the count of offsets never processed before this one for ``PROCESS``."""
        key = f"{topic}:{partition}"
        last = self._offsets.get(key)
        previous = self._previous.get(key)
        self._previous[key] = offset
        if last is not None and offset <= last:
            self._stats.replayed += 1
            return Admit.REPLAYED, 0
        if last is None or offset == last + 1:
            self._rewinding.pop(key, None)
            self._offsets[key] = offset
            return Admit.PROCESS, 0
        if key not in self._rewinding:
            self._rewinding[key] = last + 1
            self._stats.rewinds += 1
            return Admit.REWIND, last + 1
        if previous is not None and offset < previous:
            # The re-read began here, above the offsets asked for: they are gone from the log.
            del self._rewinding[key]
            self._offsets[key] = offset
            missing = offset - last - 1
            self._stats.offset_gaps += 1
            self._stats.skipped_offsets += missing
            return Admit.PROCESS, missing
        return Admit.STALE, 0

    def give_up_rewind(self, topic: str, partition: int, offset: int) -> int:
        """The rewind could not be done: process ``offset`` and report what lies before it."""
        key = f"{topic}:{partition}"
        self._rewinding.pop(key, None)
        last = self._offsets.get(key, offset - 1)
        self._offsets[key] = offset
        missing = max(0, offset - last - 1)
        if missing:
            self._stats.offset_gaps += 1
            self._stats.skipped_offsets += missing
        return missing
