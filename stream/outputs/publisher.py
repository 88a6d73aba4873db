"""Publishing outputs to Redis for broadcast graphics: one pub/sub channel and one latest-state key
per match and kind, written in batches through pipelines by a single background flusher.

Agents call :meth:`Publisher.publish`, which only enqueues; the flusher drains whatever has queued up
while the previous round trip was in flight, so an idle worker writes each output at once and a busy
one writes hundreds per round trip. A full queue makes ``publish`` wait (back-pressure: input stays
in Kafka, lag grows, nothing is dropped). A failed write is retried with capped backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..contracts import Output

__all__ = [
    "InMemoryPublisher",
    "PublishStats",
    "Publisher",
    "RedisPublisher",
    "channel_name",
    "latest_key",
]

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode


def channel_name(prefix: str, match_id: str, kind: str) -> str:
    """The pub/sub channel of one match and kind: ``{prefix}:{match_id}:{kind}``."""
    return f"{prefix}:{match_id}:{kind}"


def latest_key(prefix: str, match_id: str, kind: str) -> str:
    """The latest-state key of one match and kind: ``{prefix}:{match_id}:{kind}:latest``."""
    return f"{prefix}:{match_id}:{kind}:latest"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class PublishStats(msgspec.Struct):
    """Counters kept by a publisher; the metrics layer reads them."""

    published: int = 0
    batches: int = 0
    errors: int = 0
    retries: int = 0


class Publisher(Protocol):
    """Where outputs go. The Redis publisher in production, an in-memory one in unit tests."""

    stats: PublishStats

    async def publish(self, output: Output) -> None: ...

    def pending(self) -> int:
        """Outputs published but not yet delivered."""
        ...

    async def run(self) -> None:
        """Deliver queued outputs until cancelled; flush what is left on the way out."""
        ...

    async def flush(self) -> None:
        """Return once everything published so far has been delivered."""
        ...


class RedisPublisher:
    """Batched, ordered writes to Redis with an async client (never blocks the event loop)."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "pitchside",
        latest_ttl_s: int = 6 * 3600,
        queue_max: int = 20_000,
        batch_max: int = 1_000,
        on_batch: Callable[[list[Output], float], None] | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = latest_ttl_s
        self._batch_max = batch_max
        self._queue: asyncio.Queue[Output] = asyncio.Queue(maxsize=queue_max)
        self._on_batch = on_batch
        self.stats = PublishStats()

    async def publish(self, output: Output) -> None:
        await self._queue.put(output)

    def pending(self) -> int:
        return self._queue.qsize()

    async def flush(self) -> None:
        await self._queue.join()

    async def run(self) -> None:
        try:
            while True:
                batch = [await self._queue.get()]
                await self._drain_into(batch)
        except asyncio.CancelledError:
            # Shutting down: deliver what is queued (bounded by one retry cycle) before leaving.
            leftover: list[Output] = []
            while not self._queue.empty():
                leftover.append(self._queue.get_nowait())
            if leftover:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._write(leftover), timeout=5.0)
            raise

    async def _drain_into(self, batch: list[Output]) -> None:
        while len(batch) < self._batch_max and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        await self._write_with_retry(batch)
        for _ in batch:
            self._queue.task_done()

    async def _write_with_retry(self, batch: list[Output]) -> None:
        delay = 0.05
        while True:
            try:
                started = time.perf_counter()
                await self._write(batch)
                break
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self.stats.errors += 1
                self.stats.retries += 1
                log.warning(
                    "Redis write of %d outputs failed (%s); retrying in %.2fs", len(batch), exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        if self._on_batch is not None:
            # After the write, outside the retry: a failing hook must neither stop delivery nor
            # make the batch go out twice.
            try:
                self._on_batch(batch, time.perf_counter() - started)
            except Exception:
                log.exception("the publisher's batch hook failed")

    async def _write(self, batch: list[Output]) -> None:
        published_ts = now_ms()
        pipe = self._client.pipeline(transaction=False)
        latest: dict[str, bytes] = {}
        for out in batch:
            payload = _encode(msgspec.structs.replace(out, published_ts=published_ts))
            pipe.publish(channel_name(self._prefix, out.match_id, out.kind), payload)
            # Only the last output per key survives a batch anyway: one SET per key, not per output.
            latest[latest_key(self._prefix, out.match_id, out.kind)] = payload
        for key, payload in latest.items():
            pipe.set(key, payload, ex=self._ttl)
        await pipe.execute()
        self.stats.published += len(batch)
        self.stats.batches += 1


class InMemoryPublisher:
    """The same contract as :class:`RedisPublisher`, kept in memory, for unit tests and dry runs."""

    def __init__(self, prefix: str = "pitchside") -> None:
        self._prefix = prefix
        self.stats = PublishStats()
        self.channels: dict[str, list[Output]] = defaultdict(list)
        self.latest: dict[str, Output] = {}

    async def publish(self, output: Output) -> None:
        stamped = msgspec.structs.replace(output, published_ts=now_ms())
        self.channels[channel_name(self._prefix, output.match_id, output.kind)].append(stamped)
        self.latest[latest_key(self._prefix, output.match_id, output.kind)] = stamped
        self.stats.published += 1

    def pending(self) -> int:
        return 0

    async def run(self) -> None:
        await asyncio.Event().wait()  # nothing to deliver in the background; waits to be cancelled

    async def flush(self) -> None:
        return None
