"""Checkpoints: the matches' state and the input offsets saved to Faust tables now and then, not
with every frame.

Every ``PITCHSIDE_CHECKPOINT_INTERVAL_S`` (1 s, wall clock) the records of the matches that changed,
and the offsets of the partitions that moved on, are taken; they go to the tables' changelogs only
once the publisher has delivered every output queued before them, so a checkpoint never claims an
output Redis did not get. On a rebalance and at shutdown the worker delivers what is queued, saves
everything at once, and forgets it (another worker may take the matches on from there).

What a crash (SIGKILL) replays: the inputs since the last delivered checkpoint, at most about an
interval plus the publish queue. Their outputs go out again with the same ``seq`` and content, and
clients drop them as duplicates (:class:`stream.outputs.feed.LiveFeed`). Nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..match.processing import MatchProcessor
from ..match.state import StateStore
from ..outputs.publisher import Publisher
from .ledger import InputLedger

__all__ = ["Checkpointer", "TableStore"]

log = logging.getLogger(__name__)

Record = tuple[int | None, str, Any]


class TableStore(StateStore):
    """A Faust table behind :class:`~stream.match.state.StateStore`. Writes name their changelog
    partition (the input partition of the match) instead of taking the current event's, so they can
    be made outside an agent's iteration, for many matches at once."""

    def __init__(self, table: Any) -> None:
        super().__init__(table.data)
        self._table = table

    def write(self, partition: int | None, key: str, value: Any) -> None:
        if partition is None:  # state never fed by a Kafka message: nothing to move with
            return
        self.data[key] = value
        self._table.send_changelog(partition, key, value)
        self.writes += 1


class Checkpointer:
    """Takes checkpoints of the processor and the ledger, and writes them once delivered."""

    def __init__(
        self,
        processor: MatchProcessor,
        ledger: InputLedger,
        stores: tuple[StateStore, StateStore],
        publisher: Publisher,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.processor = processor
        self.ledger = ledger
        self.matches, self.offsets = stores
        self.publisher = publisher
        self.interval_s = interval_s
        self._clock = clock
        self._last = clock()
        # Bumped when the worker forgets its state (a rebalance): a checkpoint taken before and still
        # waiting for delivery must not be written after the partitions may have moved on.
        self._generation = 0

    def maybe(self) -> None:
        """After each batch: take a checkpoint when the interval has passed."""
        if self._clock() - self._last >= self.interval_s:
            self.take()

    def take(self) -> None:
        """Take the changed records now; they are written once what is queued has been delivered."""
        self._last = self._clock()
        matches, offsets = self.processor.checkpoint(), self.ledger.checkpoint()
        if matches or offsets:
            generation = self._generation
            self.publisher.after_delivery(lambda: self._write(matches, offsets, generation))

    async def save_and_forget(
        self, flush_changelog: Callable[[], Awaitable[None]], timeout_s: float = 10.0
    ) -> None:
        """On a rebalance or at shutdown: deliver what is queued, save everything, forget it. If Redis
        does not take the queue in time, nothing more is saved: the next owner replays from the last
        checkpoint (same ``seq``), rather than skip outputs that were never delivered."""
        try:
            self.take()
            await asyncio.wait_for(self.publisher.flush(), timeout=timeout_s)
            await flush_changelog()
        except TimeoutError:
            log.warning("outputs not delivered within %.0fs: the last checkpoint stands", timeout_s)
        finally:
            self._generation += 1
            self.processor.forget()
            self.ledger.forget()

    def _write(self, matches: Sequence[Record], offsets: Sequence[Record], generation: int) -> None:
        if generation != self._generation:
            log.warning("a checkpoint delivered after a rebalance was dropped (the last one stands)")
            return
        # Matches first: should the worker die in between, the offsets lag and it reads more again.
        for partition, key, value in matches:
            self.matches.write(partition, key, value)
        for partition, key, value in offsets:
            self.offsets.write(partition, key, value)
        self.processor.stats.checkpoint_records += len(matches) + len(offsets)
