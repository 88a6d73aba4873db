"""What a worker holds in memory about one match, and the checkpoint record it is saved as.

The state changes with every frame and event, in memory only. A checkpoint, one JSON-able record per
match, goes to a Faust table now and then (see :mod:`stream.worker.checkpoint`): the output ``seq``
per kind, the latest frame, the live features, the last on-ball actions (what led to the next shot),
the scoreboard and, per input topic, the last offset the state has taken in. After a crash the
worker reads from an earlier offset again; a message at or below the match's recorded offset is
skipped, and one after it is processed again from the same state, so it yields the same outputs
with the same ``seq`` (clients drop them as duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..contracts import TrackingFrame
from .buildup import ActionLog
from .live import MatchLive
from .scoreboard import Scoreboard

__all__ = ["MatchState", "StateStore"]

# (session, event time ms, frame number): how frames of a match are ordered.
Order = tuple[int, int, int]


class StateStore:
    """Where checkpoints go: ``get`` by match id, ``write`` with the input partition the match is
    on (so the record lands in that partition of the changelog and moves with it). A dict here; the
    worker passes a Faust table behind the same two methods."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = {} if data is None else data
        self.writes = 0

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def write(self, partition: int | None, key: str, value: Any) -> None:
        self.data[key] = value
        self.writes += 1


@dataclass(slots=True)
class MatchState:
    """One match's state: output sequence numbers, the latest frame, the live features, and the
    input offsets taken in. ``dirty`` while it differs from its last checkpoint."""

    match_id: str
    seqs: dict[str, int] = field(default_factory=dict)
    latest: TrackingFrame | None = None
    order: Order | None = None
    live: MatchLive | None = None
    through: dict[str, int] = field(default_factory=dict)
    partition: int | None = None
    dirty: bool = False
    actions: ActionLog = field(default_factory=ActionLog)  # the last on-ball actions, for shots
    board: Scoreboard = field(default_factory=Scoreboard)  # teams, score, clock, line-ups

    def next_seq(self, kind: str) -> int:
        seq = self.seqs.get(kind, 0) + 1
        self.seqs[kind] = seq
        return seq

    def seen(self, topic: str, offset: int) -> bool:
        """Whether this state already took in ``offset`` of ``topic`` (a message read again)."""
        last = self.through.get(topic)
        return last is not None and offset <= last

    def took(self, topic: str, partition: int, offset: int) -> None:
        self.through[topic] = offset
        self.partition = partition
        self.dirty = True

    def record(self) -> dict[str, Any]:
        """The checkpoint: plain JSON-able data, what a Faust table recovers from its changelog."""
        return {
            "seqs": dict(self.seqs),
            "latest": None if self.latest is None else msgspec.to_builtins(self.latest),
            "order": None if self.order is None else list(self.order),
            "live": None if self.live is None else self.live.checkpoint(),
            "through": dict(self.through),
            "partition": self.partition,
            "actions": self.actions.checkpoint(),
            "board": self.board.checkpoint(),
        }

    @classmethod
    def restore(cls, match_id: str, data: dict[str, Any], roster_max: int, history_ms: int) -> MatchState:
        latest = data.get("latest")
        order = data.get("order")
        live = data.get("live")
        return cls(
            match_id,
            seqs={str(k): int(v) for k, v in data.get("seqs", {}).items()},
            latest=None if latest is None else msgspec.convert(latest, TrackingFrame),
            order=None if order is None else (int(order[0]), int(order[1]), int(order[2])),
            live=None if live is None else MatchLive.restore(match_id, live, roster_max, history_ms),
            through={str(k): int(v) for k, v in data.get("through", {}).items()},
            partition=data.get("partition"),
            actions=ActionLog.restore(data.get("actions") or []),
            board=Scoreboard.restore(data.get("board")),
        )
