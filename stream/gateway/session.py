"""One streaming client: a pump task reads its outputs from Redis into a bounded queue, and the
transport (WebSocket or SSE) sends from the queue.

While the client catches up (what it missed is already in Redis), the pump reads only as much as
the queue has room for: the backlog stays in Redis, not in memory. Once it follows live, a client
whose queue is full when the next output arrives (``queue_max`` messages waiting for it) is dropped.
Each client has its own pump and queue, so a slow one never holds up another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from models.errors import PitchsideError

from .metrics import GatewayMetrics
from .resume import Queued, StreamFollower

__all__ = ["ClientSession", "SlowClient"]

_BLOCK_MS = 1_000  # XREAD BLOCK per call, under redis-py's 5 s socket timeout; the loop calls again
_READ_MAX = 500  # entries per kind per XREAD


class SlowClient(PitchsideError):
    """The client's send queue passed its bound."""


class ClientSession:
    def __init__(
        self, follower: StreamFollower, *, queue_max: int, metrics: GatewayMetrics, transport: str
    ) -> None:
        self._follower = follower
        self._queue: asyncio.Queue[Queued] = asyncio.Queue(maxsize=queue_max)
        self._metrics = metrics
        self._transport = transport

    async def pump(self) -> None:
        """Fill the queue until cancelled; raises :class:`SlowClient` once it overflows, or the
        Redis error that stopped it."""
        for message in await self._follower.start():
            self._put(message)
        # Catching up (what was missed is waiting in Redis) until a read comes back short; after
        # that the client follows live for good, and a full queue drops it.
        catching_up = bool(self._follower.follow.since)
        kinds = len(self._follower.follow.kinds)
        while True:
            free = self._queue.maxsize - self._queue.qsize()
            # XREAD's COUNT is per stream: shared out so one read fits the room left.
            count = max(1, min(_READ_MAX, free // kinds))
            messages, full = await self._follower.read(_BLOCK_MS, count)
            catching_up = catching_up and full
            for message in messages:
                if catching_up:
                    await self._queue.put(message)  # the rest waits in Redis, not here
                else:
                    self._put(message)

    def _put(self, message: Queued) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            raise SlowClient from None

    async def messages(self) -> AsyncGenerator[tuple[str, bytes]]:
        """The queued messages, in order; each recorded as sent (with its fan-out latency) once the
        caller asks for the next."""
        sent = self._metrics.messages.labels(self._transport)
        fanout = self._metrics.fanout.labels(self._transport)
        while True:
            kind, payload, published_ts = await self._queue.get()
            yield kind, payload
            sent.inc()
            if published_ts:
                fanout.observe(max(0.0, time.time() - published_ts / 1000.0))
