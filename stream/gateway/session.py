"""One streaming client: a pump fills a bounded queue, and the transport (WebSocket or SSE) sends
from it.

The pump gives the snapshot (or, with ``since=``, reads what the client missed with reads of its
own, only as much as the queue has room for: the backlog stays in Redis, not in memory), then hands
the client to the hub, whose shared feed serves it live with every other client of its match and
kinds. A client whose queue is full when the next live output arrives (``queue_max`` messages
waiting for it) is dropped; it never holds up another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from .hub import READ_MAX, SlowClient, StreamHub
from .metrics import GatewayMetrics
from .resume import StreamFollower
from .streams import Outgoing

__all__ = ["ClientSession", "SlowClient"]


class ClientSession:
    def __init__(
        self,
        follower: StreamFollower,
        hub: StreamHub,
        *,
        queue_max: int,
        metrics: GatewayMetrics,
        transport: str,
    ) -> None:
        self._follower = follower
        self._hub = hub
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=queue_max)
        self._metrics = metrics
        self._transport = transport
        # Messages queued before the client follows live (its snapshot, what it missed): they are
        # old by design, so their age is not fan-out latency. They leave the queue first.
        self._backlog = 0

    async def pump(self) -> None:
        """Fill the queue until cancelled; raises :class:`SlowClient` once it overflows, or the
        Redis error that stopped it."""
        for message in await self._follower.start():
            self._put(message)
            self._backlog += 1
        if self._follower.follow.since:
            await self._catch_up()
        follower = self._follower
        subscriber = await self._hub.join(
            follower.follow.match_id, follower.kinds, follower.cursors, follower.seq, self._queue
        )
        try:
            await subscriber.done  # only ever ends in failure: slow, or Redis under the feed
        finally:
            self._hub.leave(subscriber)

    async def _catch_up(self) -> None:
        """What was missed, read until a read comes back short: the client is then at the stream's
        end, and the hub's feed (reading the same streams by entry id) takes it from there."""
        kinds = len(self._follower.follow.kinds)
        while True:
            free = self._queue.maxsize - self._queue.qsize()
            # XREAD's COUNT is per stream: shared out so one read fits the room left.
            count = max(1, min(READ_MAX, free // kinds))
            messages, full = await self._follower.read(None, count)
            for message in messages:
                await self._queue.put(message)  # the rest waits in Redis, not here
                self._backlog += 1
            if not full:
                return

    def _put(self, message: Outgoing) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            raise SlowClient from None

    async def messages(self) -> AsyncGenerator[Outgoing]:
        """The queued messages, in order; each recorded as sent (a live one with its fan-out
        latency) once the caller asks for the next."""
        sent = self._metrics.messages.labels(self._transport)
        fanout = self._metrics.fanout.labels(self._transport)
        while True:
            message = await self._queue.get()
            yield message
            sent.inc()
            if self._backlog:
                self._backlog -= 1
            elif message.published_ts:
                fanout.observe(max(0.0, time.time() - message.published_ts / 1000.0))
