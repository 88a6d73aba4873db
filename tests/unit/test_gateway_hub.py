"""The gateway's hub against an in-memory :class:`~stream.gateway.streams.StreamSource`: one feed
serves many clients with the same message objects, drops a full queue alone, and hands a client over
from its own cursor to the feed's without losing or repeating an entry, whichever is ahead."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping

import orjson
import pytest

from stream.gateway.hub import READ_TIMEOUTS_TOLERATED, SlowClient, StreamHub
from stream.gateway.streams import START, Outgoing, RawEntry, SeqCheck, entry_id

FRAME = b"p:m1:frame:stream"
EVENT = b"p:m1:event:stream"
KINDS = {FRAME: "frame", EVENT: "event"}
TIMEOUT_S = 5.0


class FakeStreams:
    """Streams in memory. ``read`` waits for an entry past a cursor (woken by :meth:`add`, never by a
    timer); ``gate``, when cleared, holds reads (``read``) or ranges (``between``) back until set."""

    def __init__(self) -> None:
        self.streams: dict[bytes, list[RawEntry]] = defaultdict(list)
        self.read_gate = asyncio.Event()
        self.read_gate.set()
        self.between_gate = asyncio.Event()
        self.between_gate.set()
        self.ranges = 0
        self.failure: Exception | None = None
        self.timeouts = 0  # the next reads that time out
        self._new = asyncio.Event()
        self._ms = 0

    def add(self, key: bytes, seq: int) -> bytes:
        self._ms += 1
        raw_id = f"{self._ms}-0".encode()
        output = orjson.dumps({"kind": KINDS[key], "seq": seq})
        self.streams[key].append(
            (raw_id, {b"seq": str(seq).encode(), b"published_ts": b"0", b"output": output})
        )
        self._new.set()
        return raw_id

    def fail(self, failure: Exception) -> None:
        self.failure = failure
        self._new.set()

    def _after(self, key: bytes, cursor: bytes, count: int) -> list[RawEntry]:
        return [e for e in self.streams[key] if entry_id(e[0]) > entry_id(cursor)][:count]

    async def read(
        self, cursors: Mapping[bytes, bytes], count: int, block_ms: int | None
    ) -> list[tuple[bytes, list[RawEntry]]]:
        await self.read_gate.wait()
        if self.timeouts:
            self.timeouts -= 1
            raise TimeoutError("the reply came too late")
        while True:
            if self.failure is not None:
                raise self.failure
            found = [(k, self._after(k, c, count)) for k, c in cursors.items()]
            found = [(k, entries) for k, entries in found if entries]
            if found or block_ms is None:
                return found
            self._new.clear()
            await self._new.wait()

    async def between(self, key: bytes, after: bytes, upto: bytes, count: int) -> list[RawEntry]:
        self.ranges += 1
        await self.between_gate.wait()
        return [e for e in self._after(key, after, 1 << 30) if entry_id(e[0]) <= entry_id(upto)][:count]


async def take(queue: asyncio.Queue[Outgoing], n: int) -> list[Outgoing]:
    return [await asyncio.wait_for(queue.get(), TIMEOUT_S) for _ in range(n)]


def seqs(messages: list[Outgoing]) -> list[tuple[str, int]]:
    decoded = [orjson.loads(m.data) for m in messages]
    return [(d["output"]["kind"], d["output"]["seq"]) for d in decoded]


def client(queue_max: int = 100) -> tuple[asyncio.Queue[Outgoing], SeqCheck]:
    return asyncio.Queue(maxsize=queue_max), SeqCheck("m1")


@pytest.fixture
async def hub() -> AsyncIterator[tuple[StreamHub, FakeStreams, list[int]]]:
    source = FakeStreams()
    counts: list[int] = []
    streams_hub = StreamHub(source, on_feeds=counts.append)
    yield streams_hub, source, counts
    await streams_hub.close()


async def test_one_feed_serves_every_client_the_same_message_objects(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, counts = hub
    clients = [client() for _ in range(50)]
    cursors = {FRAME: START, EVENT: START}
    subs = [await streams_hub.join("m1", KINDS, cursors, seq, queue) for queue, seq in clients]
    assert streams_hub.feeds() == 1 and counts == [1]
    source.add(FRAME, 1)
    source.add(EVENT, 1)
    source.add(FRAME, 2)
    got = [await take(queue, 3) for queue, _ in clients]
    assert all(seqs(g) == [("frame", 1), ("event", 1), ("frame", 2)] for g in got)
    # Parsed and built once: every client holds the very same objects.
    assert all(g[i] is got[0][i] for g in got for i in range(3))
    for sub in subs:
        streams_hub.leave(sub)
    assert streams_hub.feeds() == 0 and counts == [1, 0]


async def test_a_full_queue_drops_that_client_alone(hub: tuple[StreamHub, FakeStreams, list[int]]) -> None:
    streams_hub, source, _ = hub
    (fast_q, fast_seq), (slow_q, slow_seq) = client(), client(queue_max=3)
    cursors = {FRAME: START}
    kinds = {FRAME: "frame"}
    await streams_hub.join("m1", kinds, cursors, fast_seq, fast_q)
    slow = await streams_hub.join("m1", kinds, cursors, slow_seq, slow_q)
    for seq in range(1, 11):
        source.add(FRAME, seq)
        assert seqs(await take(fast_q, 1)) == [("frame", seq)]  # the fast one never waits on the slow
    with pytest.raises(SlowClient):
        await asyncio.wait_for(slow.done, TIMEOUT_S)
    assert seqs(await take(slow_q, 3)) == [("frame", 1), ("frame", 2), ("frame", 3)]


async def test_a_client_behind_the_feed_reads_the_difference_then_what_was_held(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, _ = hub
    kinds = {FRAME: "frame"}
    first_q, first_seq = client()
    await streams_hub.join("m1", kinds, {FRAME: START}, first_seq, first_q)
    ids = [source.add(FRAME, seq) for seq in range(1, 6)]
    await take(first_q, 5)  # the feed's cursor is now at seq 5
    # The late client has seq 2 (its own reads stopped there); its range read is held up while the
    # feed reads seqs 6 and 7, which must wait for it, in order, after 3..5.
    late_q, late_seq = client()
    late_seq.last["frame"] = 2
    source.between_gate.clear()
    joining = asyncio.create_task(streams_hub.join("m1", kinds, {FRAME: ids[1]}, late_seq, late_q))
    source.add(FRAME, 6)
    source.add(FRAME, 7)
    await take(first_q, 2)  # the feed has read 6 and 7 (held for the late client)
    assert late_q.empty() and not joining.done()
    source.between_gate.set()
    await asyncio.wait_for(joining, TIMEOUT_S)
    source.add(FRAME, 8)
    assert seqs(await take(late_q, 6)) == [("frame", s) for s in range(3, 9)]
    assert late_q.empty() and source.ranges == 1


async def test_a_client_ahead_of_the_feed_skips_what_it_has(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, _ = hub
    kinds = {FRAME: "frame", EVENT: "event"}
    first_q, first_seq = client()
    source.read_gate.clear()  # the feed is slow to read: a client can get ahead of it
    await streams_hub.join("m1", kinds, {FRAME: START, EVENT: START}, first_seq, first_q)
    ids = [source.add(FRAME, seq) for seq in range(1, 4)]
    event_id = source.add(EVENT, 1)
    ahead_q, ahead_seq = client()
    ahead_seq.last.update(frame=3, event=1)
    await streams_hub.join("m1", kinds, {FRAME: ids[2], EVENT: event_id}, ahead_seq, ahead_q)
    source.add(FRAME, 4)
    source.read_gate.set()
    assert seqs(await take(first_q, 5)) == [
        ("frame", 1),
        ("frame", 2),
        ("frame", 3),
        ("event", 1),
        ("frame", 4),
    ]
    source.add(EVENT, 2)
    assert seqs(await take(ahead_q, 2)) == [("frame", 4), ("event", 2)]
    assert ahead_q.empty() and source.ranges == 0


async def test_repeats_are_dropped_and_gaps_announced_per_client(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, _ = hub
    queue, seq = client()
    seq.last["frame"] = 1
    await streams_hub.join("m1", {FRAME: "frame"}, {FRAME: START}, seq, queue)
    for s in (1, 2, 2, 5):  # 1 is had, 2 is written twice (a replay), 3..4 were trimmed
        source.add(FRAME, s)
    got = await take(queue, 3)
    assert seqs([got[0]]) == [("frame", 2)] and seqs([got[2]]) == [("frame", 5)]
    gap = orjson.loads(got[1].data)
    assert (got[1].kind, gap["from_seq"], gap["to_seq"]) == ("gap", 3, 4)


async def test_redis_failing_under_a_feed_fails_its_clients_and_the_next_starts_anew(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, counts = hub
    subs = [
        await streams_hub.join("m1", {FRAME: "frame"}, {FRAME: START}, *reversed(client())) for _ in range(3)
    ]
    source.fail(ConnectionError("gone"))
    for sub in subs:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(sub.done, TIMEOUT_S)
    assert streams_hub.feeds() == 0 and counts == [1, 0]
    source.failure = None
    queue, seq = client()
    await streams_hub.join("m1", {FRAME: "frame"}, {FRAME: START}, seq, queue)
    source.add(FRAME, 1)
    assert seqs(await take(queue, 1)) == [("frame", 1)] and counts == [1, 0, 1]


async def test_reads_that_time_out_are_read_again_from_the_same_cursors(
    hub: tuple[StreamHub, FakeStreams, list[int]],
) -> None:
    streams_hub, source, counts = hub
    queue, seq = client()
    first = await streams_hub.join("m1", {FRAME: "frame"}, {FRAME: START}, seq, queue)
    source.add(FRAME, 1)
    assert seqs(await take(queue, 1)) == [("frame", 1)]
    source.timeouts = READ_TIMEOUTS_TOLERATED  # as many in a row as are let pass
    source.add(FRAME, 2)
    source.add(FRAME, 3)
    assert seqs(await take(queue, 2)) == [("frame", 2), ("frame", 3)] and counts == [1]
    source.timeouts = READ_TIMEOUTS_TOLERATED + 1  # one more: the feed gives up, as on Redis gone
    sub = await streams_hub.join("m1", {FRAME: "frame"}, {FRAME: START}, *reversed(client()))
    source.add(FRAME, 4)
    for failed in (first, sub):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(failed.done, TIMEOUT_S)
    assert counts == [1, 0]
