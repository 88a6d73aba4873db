"""Which input messages the worker processes: each offset of each partition once, in order."""

from __future__ import annotations

from collections.abc import MutableMapping
from enum import Enum

from ..match.processing import ProcessingStats

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
    """

    def __init__(self, offsets: MutableMapping[str, int], stats: ProcessingStats) -> None:
        self._offsets = offsets
        self._stats = stats

    def last(self, topic: str, partition: int) -> int | None:
        return self._offsets.get(f"{topic}:{partition}")

    def admit(self, topic: str, partition: int, offset: int) -> tuple[Admit, int]:
        """Decide on one message. Returns the action and, for ``FILL``, the first missing offset."""
        key = f"{topic}:{partition}"
        last = self._offsets.get(key)
        if last is not None and offset <= last:
            self._stats.replayed += 1
            return Admit.REPLAYED, 0
        if last is None or offset == last + 1:
            self._offsets[key] = offset
            return Admit.PROCESS, 0
        self._stats.rewinds += 1
        return Admit.FILL, last + 1

    def accept_gap(self, topic: str, partition: int, offset: int) -> int:
        """Offsets before ``offset`` could not be read: count them, and let ``offset`` be processed
        next. Returns how many were lost."""
        key = f"{topic}:{partition}"
        last = self._offsets.get(key, offset - 1)
        missing = max(0, offset - last - 1)
        if missing:
            self._offsets[key] = offset - 1
            self._stats.offset_gaps += 1
            self._stats.skipped_offsets += missing
        return missing
