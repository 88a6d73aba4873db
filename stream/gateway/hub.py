"""The live side of the gateway's streaming: one reader per followed set of streams, shared by every
client following it, instead of one blocking ``XREAD`` per client.

A :class:`Feed` is one task reading one match's requested kinds (the streams of a ``(match, kinds)``
pair) with ``XREAD BLOCK`` from its own cursors, and handing each read, parsed once, to every
:class:`Subscriber`: each checks ``seq`` with its own :class:`~stream.gateway.streams.SeqCheck` and
puts the shared messages on its own bounded queue. A queue that is full drops that client alone
(:class:`SlowClient`); the feed never waits for one.

Joining is where catching up ends. A client comes with its cursors (where its snapshot or its own
catch-up reads left it) and the feed has its own; per stream, by entry id:

- the client is at or past the feed: the feed's entries up to the client's cursor are skipped for it;
- the client is behind (the feed read something while the client was catching up): the client is
  registered first, with the feed's next reads held for it, then reads the entries between its
  cursor and the feed's itself, then gets what was held. Registering and noting the feed's cursor
  happen with no ``await`` between, so nothing is lost or given twice.

A feed starts with its first client (at that client's cursors) and stops with its last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from models.errors import PitchsideError

from .streams import EntryId, Outgoing, SeqCheck, StreamEntry, StreamSource, decode_entries, entry_id

__all__ = ["Feed", "SlowClient", "StreamHub", "Subscriber"]

log = logging.getLogger(__name__)

BLOCK_MS = 1_000  # XREAD BLOCK per call, under redis-py's 5 s socket timeout; the loop calls again
READ_MAX = 500  # entries per stream per XREAD
# Consecutive reads that may time out before a feed's clients are dropped. A reply late past the
# client's socket timeout is what an event loop far behind sees (thousands of sends queued), not
# Redis gone; the cursors stay where they were, so reading again loses and repeats nothing, and
# clients that cannot keep up go by their queue bound (slow), not as a Redis failure.
READ_TIMEOUTS_TOLERATED = 3


class SlowClient(PitchsideError):
    """The client's send queue passed its bound."""


class Subscriber:
    """One live client on a feed: its queue, its ``seq`` check, and per stream the entry id up to
    which it already has everything (only while joining; emptied as the feed passes them)."""

    def __init__(self, queue: asyncio.Queue[Outgoing], seq: SeqCheck, floor: dict[bytes, EntryId]) -> None:
        self.queue = queue
        self.seq = seq
        self.floor = floor
        self.held: list[StreamEntry] | None = None  # the feed's reads, while it fills its own gap
        self.feed: Feed | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def offer(self, entries: list[StreamEntry]) -> None:
        """One read of the feed; never waits."""
        if self.done.done():
            return
        if self.held is not None:
            self.held.extend(entries)
            if len(self.held) > self.queue.maxsize:
                self.fail(SlowClient())
            return
        self._deliver(entries)

    def release(self) -> None:
        """Its gap is filled: what the feed read meanwhile goes out, then every read as it comes."""
        held, self.held = self.held or [], None
        if not self.done.done():
            self._deliver(held)

    def fail(self, failure: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(failure)

    def _deliver(self, entries: list[StreamEntry]) -> None:
        messages: list[Outgoing] = []
        for entry in entries:
            if self.floor and self._had(entry):
                continue
            self.seq.admit(entry, messages)
        for message in messages:
            try:
                self.queue.put_nowait(message)
            except asyncio.QueueFull:
                self.fail(SlowClient())
                return

    def _had(self, entry: StreamEntry) -> bool:
        floor = self.floor.get(entry.key)
        if floor is None:
            return False
        if entry.id <= floor:
            return True
        del self.floor[entry.key]  # the feed is past the client's cursor on this stream for good
        return False


class Feed:
    """One reader task for one set of streams, and the clients it serves."""

    def __init__(
        self,
        source: StreamSource,
        kinds: Mapping[bytes, str],
        cursors: Mapping[bytes, bytes],
        on_end: Callable[[Feed], None],
    ) -> None:
        self.kinds = dict(kinds)
        self.cursors = dict(cursors)
        self.subscribers: set[Subscriber] = set()
        self._source = source
        self._on_end = on_end
        self._task = asyncio.create_task(self._run())

    async def _read(self) -> list[StreamEntry]:
        timeouts = 0
        while True:
            try:
                per_stream = await self._source.read(self.cursors, READ_MAX, BLOCK_MS)
            except TimeoutError:
                timeouts += 1
                if timeouts > READ_TIMEOUTS_TOLERATED:
                    raise
                log.info("a shared reader's read timed out; reading again from the same cursors")
                continue
            return decode_entries(per_stream, self.kinds, self.cursors)

    async def _run(self) -> None:
        try:
            while True:
                entries = await self._read()
                if entries:
                    for subscriber in tuple(self.subscribers):
                        subscriber.offer(entries)
        except Exception as exc:
            # Redis failed under it: every client of it is dropped with the error (and a client that
            # comes next starts a new feed).
            log.warning("a shared reader of %d client(s) failed: %r", len(self.subscribers), exc)
            for subscriber in self.subscribers:
                subscriber.fail(exc)
        finally:
            self._on_end(self)

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        subscriber.feed = self

    def stop(self) -> None:
        self._task.cancel()

    async def stopped(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class StreamHub:
    """The gateway's feeds, one per ``(match, kinds)`` followed live by at least one client."""

    def __init__(self, source: StreamSource, on_feeds: Callable[[int], None] | None = None) -> None:
        self._source = source
        self._feeds: dict[tuple[str, frozenset[str]], Feed] = {}
        self._on_feeds = on_feeds  # told the number of feeds whenever it changes (a gauge)

    def feeds(self) -> int:
        return len(self._feeds)

    async def join(
        self,
        match_id: str,
        kinds: Mapping[bytes, str],
        cursors: Mapping[bytes, bytes],
        seq: SeqCheck,
        queue: asyncio.Queue[Outgoing],
    ) -> Subscriber:
        """Serve a client from the feed of its match and kinds, from just after its ``cursors``
        (stream key -> last entry id it has); :meth:`leave` when it goes."""
        name = (match_id, frozenset(kinds.values()))
        feed = self._feeds.get(name)
        if feed is None:
            feed = self._feeds[name] = Feed(self._source, kinds, cursors, self._ended)
            self._changed()
            subscriber = Subscriber(queue, seq, {})
            feed.add(subscriber)
            return subscriber
        behind = {k: feed.cursors[k] for k, c in cursors.items() if entry_id(c) < entry_id(feed.cursors[k])}
        ahead = {k: entry_id(c) for k, c in cursors.items() if entry_id(c) > entry_id(feed.cursors[k])}
        subscriber = Subscriber(queue, seq, ahead)
        if behind:
            subscriber.held = []
        feed.add(subscriber)  # no await since reading feed.cursors: nothing slips between
        if behind:
            try:
                await self._fill(subscriber, kinds, cursors, behind)
            except BaseException:
                self.leave(subscriber)
                raise
            subscriber.release()
        return subscriber

    async def _fill(
        self,
        subscriber: Subscriber,
        kinds: Mapping[bytes, str],
        cursors: Mapping[bytes, bytes],
        upto: Mapping[bytes, bytes],
    ) -> None:
        """The entries after the client's cursor up to the feed's, stream by stream, as fast as the
        client takes them (the backlog waits in Redis)."""
        for key, last in upto.items():
            after = cursors[key]
            while after != last:
                room = max(1, subscriber.queue.maxsize - subscriber.queue.qsize())
                raw = await self._source.between(key, after, last, min(READ_MAX, room))
                if not raw:
                    break  # trimmed away meanwhile: the seq check reports the gap
                after = bytes(raw[-1][0])
                cursor = {key: after}
                messages: list[Outgoing] = []
                for entry in decode_entries([(key, raw)], kinds, cursor):
                    subscriber.seq.admit(entry, messages)
                for message in messages:
                    await subscriber.queue.put(message)

    def leave(self, subscriber: Subscriber) -> None:
        feed, subscriber.feed = subscriber.feed, None
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            # Out of the hub at once, not when its task ends: a client joining now starts a new one.
            self._ended(feed)
            feed.stop()

    async def close(self) -> None:
        feeds = tuple(self._feeds.values())
        for feed in feeds:
            feed.stop()
        for feed in feeds:
            await feed.stopped()

    def _ended(self, feed: Feed) -> None:
        for name, current in tuple(self._feeds.items()):
            if current is feed:
                del self._feeds[name]
                self._changed()

    def _changed(self) -> None:
        if self._on_feeds is not None:
            self._on_feeds(len(self._feeds))
