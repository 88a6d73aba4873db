"""Publishing outputs to Redis for broadcast graphics: one pub/sub channel, one latest-state key and
one capped stream (for clients that resume, through the gateway) per match and kind, and an index of
live matches, all written in batches through pipelines by a single background flusher.

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
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, FieldT

from ..contracts import COMPARISON_KINDS, Output

__all__ = [
    "InMemoryPublisher",
    "PublishStats",
    "Publisher",
    "RedisPublisher",
    "channel_name",
    "latest_key",
    "live_event_ts_key",
    "live_index_key",
    "live_member",
    "output_stream_key",
]

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode


def channel_name(prefix: str, match_id: str, kind: str) -> str:
    """The pub/sub channel of one match and kind: ``{prefix}:{match_id}:{kind}``."""
    return f"{prefix}:{match_id}:{kind}"


def latest_key(prefix: str, match_id: str, kind: str) -> str:
    """The latest-state key of one match and kind: ``{prefix}:{match_id}:{kind}:latest``."""
    return f"{prefix}:{match_id}:{kind}:latest"


def output_stream_key(prefix: str, match_id: str, kind: str) -> str:
    """The capped Redis stream of one match and kind, for resuming: ``{prefix}:{match_id}:{kind}:stream``.
    Each entry has the fields ``seq``, ``published_ts`` and ``output`` (the payload)."""
    return f"{prefix}:{match_id}:{kind}:stream"


def live_index_key(prefix: str) -> str:
    """The sorted set of live ``{match_id}:{kind}`` members, scored by the last ``published_ts`` (epoch
    ms); members idle past the latest-state TTL are trimmed by the publisher."""
    return f"{prefix}:live-matches"


def live_event_ts_key(prefix: str) -> str:
    """The hash ``{match_id}:{kind}`` -> the last output's ``event_ts`` (epoch ms), beside the index."""
    return f"{prefix}:live-matches:event-ts"


def live_member(match_id: str, kind: str) -> str:
    return f"{match_id}:{kind}"


# Outputs kept per match and kind on its stream (XADD MAXLEN ~): 10,000 is 6.7 minutes of 25 Hz frames.
STREAM_KEPT = 10_000


def comparison_key(prefix: str, model: str) -> str:
    """The Redis stream of one model's challenger comparisons: ``{prefix}:challenger:{model}``."""
    return f"{prefix}:challenger:{model}"


# Challenger comparisons kept per model (XADD MAXLEN ~): about a season of shots.
COMPARISONS_KEPT = 100_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class PublishStats(msgspec.Struct):
    """Counters kept by a publisher; the metrics layer reads them."""

    published: int = 0
    batches: int = 0
    errors: int = 0
    retries: int = 0
    comparisons_lost: int = 0  # challenger outputs Redis refused (never graphics' outputs)


class Publisher(Protocol):
    """Where outputs go. The Redis publisher in production, an in-memory one in unit tests."""

    stats: PublishStats

    async def publish(self, output: Output) -> None: ...

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        """Queue a batch of outputs, in order (waits while the queue is full)."""
        ...

    def after_delivery(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once everything published before it has been delivered (checkpoints
        cover only delivered outputs)."""
        ...

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
    """Batched, ordered writes to Redis with an async client (never blocks the event loop).

    The queue holds outputs and delivery callbacks in order; the flusher takes up to ``batch_max``
    outputs at a time into one pipeline, then runs the callbacks that were queued among them.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "pitchside",
        latest_ttl_s: int = 6 * 3600,
        queue_max: int = 20_000,
        batch_max: int = 1_000,
        stream_maxlen: int = STREAM_KEPT,
        on_batch: Callable[[list[Output], float], None] | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = latest_ttl_s
        self._stream_maxlen = stream_maxlen
        self._batch_max = batch_max
        self._queue_max = queue_max
        self._items: deque[Output | Callable[[], None]] = deque()
        self._outputs = 0  # outputs in _items
        self._queued = 0  # outputs ever queued, and ever delivered: flush waits for them to meet
        self._delivered = 0
        self._ready = asyncio.Event()  # something to deliver
        self._room = asyncio.Event()  # the queue has room
        self._room.set()
        self._progress = asyncio.Event()  # a batch was delivered
        self._on_batch = on_batch
        self.stats = PublishStats()

    async def publish(self, output: Output) -> None:
        await self.publish_many((output,))

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        # One batch goes in whole, even past queue_max: the bound holds back the next batch.
        while self._outputs >= self._queue_max:
            self._room.clear()
            await self._room.wait()
        self._items.extend(outputs)
        self._outputs += len(outputs)
        self._queued += len(outputs)
        self._ready.set()

    def after_delivery(self, callback: Callable[[], None]) -> None:
        self._items.append(callback)
        self._ready.set()

    def pending(self) -> int:
        return self._outputs

    async def flush(self) -> None:
        target = self._queued
        while self._delivered < target or any(callable(i) for i in self._items):
            self._progress.clear()
            await self._progress.wait()

    async def run(self) -> None:
        try:
            while True:
                if not self._items:
                    self._ready.clear()
                    await self._ready.wait()
                    continue
                batch, callbacks = self._take()
                if batch:
                    await self._write_with_retry(batch)
                self._done(batch, callbacks)
        except asyncio.CancelledError:
            # Shutting down: deliver what is queued (bounded by one retry cycle) before leaving.
            leftover = [i for i in self._items if isinstance(i, Output)]
            self._items.clear()
            if leftover:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._write(leftover), timeout=5.0)
            raise

    def _take(self) -> tuple[list[Output], list[Callable[[], None]]]:
        batch: list[Output] = []
        callbacks: list[Callable[[], None]] = []
        items = self._items
        while items and len(batch) < self._batch_max:
            item = items.popleft()
            if isinstance(item, Output):
                batch.append(item)
            else:
                callbacks.append(item)
        return batch, callbacks

    def _done(self, batch: list[Output], callbacks: list[Callable[[], None]]) -> None:
        self._outputs -= len(batch)
        self._delivered += len(batch)
        if self._outputs < self._queue_max:
            self._room.set()
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a delivery callback failed")
        self._progress.set()

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
        latest: dict[tuple[str, str], tuple[bytes, int]] = {}
        compared: list[tuple[str, bytes]] = []
        for out in batch:
            payload = _encode(msgspec.structs.replace(out, published_ts=published_ts))
            if out.kind in COMPARISON_KINDS and out.model is not None:
                # Kept for `models compare --live`, never on a graphics channel.
                compared.append((comparison_key(self._prefix, out.model.name), payload))
                continue
            pipe.publish(channel_name(self._prefix, out.match_id, out.kind), payload)
            # The same payload on the match's stream, in the same pipeline: a resuming client reads
            # there exactly what pub/sub carried.
            pipe.xadd(
                output_stream_key(self._prefix, out.match_id, out.kind),
                {"seq": out.seq, "published_ts": published_ts, "output": payload},
                maxlen=self._stream_maxlen,
                approximate=True,
            )
            # Only the last output per key survives a batch anyway: one SET per key, not per output.
            latest[(out.match_id, out.kind)] = (payload, out.event_ts)
        if latest:
            self._write_latest(pipe, latest, published_ts)
        await pipe.execute()
        self.stats.published += len(batch) - len(compared)
        self.stats.batches += 1
        if compared:
            await self._keep_comparisons(compared)

    def _write_latest(
        self, pipe: Pipeline, latest: dict[tuple[str, str], tuple[bytes, int]], published_ts: int
    ) -> None:
        """Per key once a batch: the latest state, the stream's expiry and the live-match index."""
        index, event_ts_key = live_index_key(self._prefix), live_event_ts_key(self._prefix)
        members: dict[str, int] = {}
        event_ts: dict[FieldT, EncodableT] = {}
        for (match_id, kind), (payload, ts) in latest.items():
            pipe.set(latest_key(self._prefix, match_id, kind), payload, ex=self._ttl)
            pipe.expire(output_stream_key(self._prefix, match_id, kind), self._ttl)
            member = live_member(match_id, kind)
            members[member] = published_ts
            event_ts[member] = ts
        pipe.zadd(index, members)
        pipe.hset(event_ts_key, mapping=event_ts)
        # A member unheard of for the latest-state TTL has no latest key left: out of the index.
        pipe.zremrangebyscore(index, "-inf", published_ts - self._ttl * 1000)
        pipe.expire(index, self._ttl)
        pipe.expire(event_ts_key, self._ttl)

    async def _keep_comparisons(self, compared: list[tuple[str, bytes]]) -> None:
        """The challenger's outputs, after graphics' and apart from them: a failure here (an ACL
        without XADD, a key of another type, Redis away) is logged and costs only these."""
        pipe = self._client.pipeline(transaction=False)
        for key, payload in compared:
            pipe.xadd(key, {"output": payload}, maxlen=COMPARISONS_KEPT, approximate=True)
        try:
            await pipe.execute()
        except RedisError as exc:
            self.stats.comparisons_lost += len(compared)
            log.warning("could not keep %d challenger output(s): %s", len(compared), exc)


class InMemoryPublisher:
    """The same contract as :class:`RedisPublisher`, kept in memory, for unit tests and dry runs."""

    def __init__(self, prefix: str = "pitchside", stream_maxlen: int = STREAM_KEPT) -> None:
        self._prefix = prefix
        self._stream_maxlen = stream_maxlen
        self.stats = PublishStats()
        self.channels: dict[str, list[Output]] = defaultdict(list)
        self.latest: dict[str, Output] = {}
        # Trimmed exactly at stream_maxlen (Redis trims approximately: at least that many are kept).
        self.streams: dict[str, deque[Output]] = defaultdict(lambda: deque(maxlen=self._stream_maxlen))
        self.live: dict[str, int] = {}  # live_member -> the last published_ts
        self.live_event_ts: dict[str, int] = {}
        self.comparisons: dict[str, list[Output]] = defaultdict(list)

    async def publish(self, output: Output) -> None:
        stamped = msgspec.structs.replace(output, published_ts=now_ms())
        if output.kind in COMPARISON_KINDS and output.model is not None:
            self.comparisons[comparison_key(self._prefix, output.model.name)].append(stamped)
            return
        self.channels[channel_name(self._prefix, output.match_id, output.kind)].append(stamped)
        self.streams[output_stream_key(self._prefix, output.match_id, output.kind)].append(stamped)
        self.latest[latest_key(self._prefix, output.match_id, output.kind)] = stamped
        member = live_member(output.match_id, output.kind)
        self.live[member] = stamped.published_ts
        self.live_event_ts[member] = output.event_ts
        self.stats.published += 1

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            await self.publish(output)

    def after_delivery(self, callback: Callable[[], None]) -> None:
        callback()  # nothing is ever pending here

    def pending(self) -> int:
        return 0

    async def run(self) -> None:
        await asyncio.Event().wait()  # nothing to deliver in the background; waits to be cancelled

    async def flush(self) -> None:
        return None
