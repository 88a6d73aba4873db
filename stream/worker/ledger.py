"""Which input messages the worker processes: each offset of each partition once, in order."""

from __future__ import annotations

from enum import Enum

from ..match.processing import ProcessingStats
from ..match.state import StateStore

__all__ = ["Admit", "InputLedger"]


class Admit(Enum):
    """What to do with an input message, given the offsets already processed on its partition."""

    PROCESS = "process"
    REPLAYED = "replayed"  # processed before: skip
    FILL = "fill"  # arrived ahead of unprocessed offsets: read those first, then this one


class InputLedger:
    """The last input offset processed per topic partition, kept in a table so it moves with the
    partition through rebalances and restarts.

    Faust (0.15, with aiokafka 0.14) delivers at least once, and around a rebalance or a restart it
    can hand an agent a message ahead of offsets nobody processed: an early-fetched batch after a
    rebalance, or the first message after a restart skipped. Seeking Faust's consumer back does not
    help reliably: its read-offset check drops what it believes it has read, and while a worker starts
    it seeks to the committed offsets itself, overriding ours (both seen in tests here). So the
    ledger says ``FILL``: the worker reads the missing offsets straight from Kafka with a consumer of
    its own (:mod:`stream.worker.gap_fill`), feeds them through :meth:`admit` in order, then this message.
    Offsets processed before are skipped. What cannot be read (gone from the log) is reported with
    :meth:`accept_gap`.

    The offsets are kept in memory and saved with the matches' checkpoints (:meth:`checkpoint`); a
    partition not in memory starts from its saved offset. Saved offsets may lag what was processed
    (and committed): the worker then reads the difference back from Kafka, and each match skips what
    its own checkpoint already took in (:meth:`stream.match.state.MatchState.seen`).
    """

    def __init__(self, store: StateStore, stats: ProcessingStats) -> None:
        self._store = store
        self._offsets: dict[str, int] = {}
        self._changed: set[tuple[str, int]] = set()
        self.stats = stats

    def last(self, topic: str, partition: int) -> int | None:
        key = f"{topic}:{partition}"
        last = self._offsets.get(key)
        if last is None:
            saved = self._store.get(key)
            if saved is not None:
                last = self._offsets[key] = int(saved)
        return last

    def checkpoint(self) -> list[tuple[int | None, str, int]]:
        """``(partition, key, offset)`` of every partition moved on since the last checkpoint."""
        records: list[tuple[int | None, str, int]] = [
            (p, f"{t}:{p}", self._offsets[f"{t}:{p}"]) for t, p in sorted(self._changed)
        ]
        self._changed.clear()
        return records

    def forget(self) -> None:
        """Drop the offsets from memory (after a rebalance); :meth:`checkpoint` first."""
        self._offsets.clear()
        self._changed.clear()

    def admit(self, topic: str, partition: int, offset: int) -> tuple[Admit, int]:
        """Decide on one message. Returns the action and, for ``FILL``, the first missing offset."""
        key = f"{topic}:{partition}"
        last = self.last(topic, partition)
        if last is not None and offset <= last:
            self.stats.replayed += 1
            return Admit.REPLAYED, 0
        if last is None or offset == last + 1:
            self._offsets[key] = offset
            self._changed.add((topic, partition))
            return Admit.PROCESS, 0
        self.stats.rewinds += 1
        return Admit.FILL, last + 1

    def accept_gap(self, topic: str, partition: int, offset: int) -> int:
        """Offsets before ``offset`` could not be read: count them, and let ``offset`` be processed
        next. Returns how many were lost."""
        key = f"{topic}:{partition}"
        last = self.last(topic, partition)
        if last is None:
            last = offset - 1
        missing = max(0, offset - last - 1)
        if missing:
            self._offsets[key] = offset - 1
            self._changed.add((topic, partition))
            self.stats.offset_gaps += 1
            self.stats.skipped_offsets += missing
        return missing
