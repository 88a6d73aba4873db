"""Consumer lag as the worker sees it: input messages on the broker it has not processed yet.

Measured against the input ledger (the last offset each partition had processed), not against
committed or fetched offsets: a worker blocked on Redis back-pressure still fetches and commits a
little, but processes nothing, and this is what the lag alert must see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

__all__ = ["consumer_lag"]


class _Ledger(Protocol):
    def last(self, topic: str, partition: int) -> int | None: ...


async def consumer_lag(consumer: Any, ledger: _Ledger, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    """Lag per assigned input partition. ``consumer`` is Faust's consumer (``assignment``,
    ``highwaters`` and ``earliest_offsets``, the latter two asking the broker)."""
    wanted = frozenset(topics)
    assigned = sorted(
        (tp for tp in consumer.assignment() if tp.topic in wanted), key=lambda tp: (tp.topic, tp.partition)
    )
    if not assigned:
        return {}
    ends: Mapping[Any, int] = await consumer.highwaters(*assigned)
    unseen = [tp for tp in assigned if ledger.last(tp.topic, tp.partition) is None]
    # Nothing processed yet on a partition: everything still in its log is behind.
    starts: Mapping[Any, int] = await consumer.earliest_offsets(*unseen) if unseen else {}
    lag: dict[tuple[str, int], int] = {}
    for tp in assigned:
        last = ledger.last(tp.topic, tp.partition)
        next_offset = last + 1 if last is not None else int(starts.get(tp, 0) or 0)
        end = ends.get(tp)
        if end is not None:
            lag[(tp.topic, tp.partition)] = max(0, int(end) - next_offset)
    return lag
