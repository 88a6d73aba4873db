"""The Redis publisher's batching, latest-state writes and retries, against an in-process fake of
the redis-py pipeline (the real server is exercised by the integration tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from msgspec.structs import replace as msgspec_replace
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from stream.contracts import ModelRef, Output
from stream.outputs.publisher import (
    InMemoryPublisher,
    RedisPublisher,
    channel_name,
    latest_key,
    live_event_ts_key,
    live_index_key,
    output_stream_key,
)


def output(match_id: str, kind: str, seq: int) -> Output:
    return Output(
        match_id=match_id, kind=kind, seq=seq, event_ts=1, produced_ts=2, ingest_ts=3, data={"n": seq}
    )


class FakePipeline:
    def __init__(self, client: FakeRedis) -> None:
        self.client = client
        self.ops: list[tuple[str, Any, ...]] = []

    def publish(self, channel: str, payload: bytes) -> None:
        self.ops.append(("publish", channel, payload))

    def set(self, key: str, payload: bytes, ex: int) -> None:
        self.ops.append(("set", key, payload, ex))

    def xadd(self, key: str, fields: dict[str, Any], maxlen: int, approximate: bool) -> None:
        self.ops.append(("xadd", key, fields["output"], maxlen, approximate, fields))

    def expire(self, key: str, seconds: int) -> None:
        self.ops.append(("expire", key, seconds))

    def zadd(self, key: str, mapping: dict[str, int]) -> None:
        self.ops.append(("zadd", key, mapping))

    def hset(self, key: str, mapping: dict[str, int]) -> None:
        self.ops.append(("hset", key, mapping))

    def zremrangebyscore(self, key: str, low: str, high: int) -> None:
        self.ops.append(("zremrangebyscore", key, low, high))

    async def execute(self) -> None:
        if self.client.failures > 0:
            self.client.failures -= 1
            raise RedisConnectionError("connection refused")
        self.client.executed.append(self.ops)


class FakeRedis:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.executed: list[list[tuple[Any, ...]]] = []

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        assert transaction is False
        return FakePipeline(self)


async def run_until_flushed(pub: RedisPublisher, outputs: list[Output]) -> None:
    task = asyncio.create_task(pub.run())
    for out in outputs:
        await pub.publish(out)
    await asyncio.wait_for(pub.flush(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_names_follow_the_contract() -> None:
    assert channel_name("pitchside", "8658", "frame") == "pitchside:8658:frame"
    assert latest_key("pitchside", "8658", "frame") == "pitchside:8658:frame:latest"


async def test_outputs_queued_together_go_in_one_pipeline_with_one_set_per_key() -> None:
    client = FakeRedis()
    pub = RedisPublisher(client, latest_ttl_s=60)  # type: ignore[arg-type]
    outs = [output("m1", "frame", s) for s in range(1, 6)] + [output("m2", "event", 1)]
    for out in outs:  # queued before the flusher runs: one batch
        await pub.publish(out)
    await run_until_flushed(pub, [])
    assert len(client.executed) == 1
    ops = client.executed[0]
    published = [op for op in ops if op[0] == "publish"]
    sets = {op[1]: op for op in ops if op[0] == "set"}
    assert [orjson.loads(op[2])["seq"] for op in published] == [1, 2, 3, 4, 5, 1]
    assert set(sets) == {"pitchside:m1:frame:latest", "pitchside:m2:event:latest"}
    assert orjson.loads(sets["pitchside:m1:frame:latest"][2])["seq"] == 5
    assert sets["pitchside:m1:frame:latest"][3] == 60
    assert all(orjson.loads(op[2])["published_ts"] > 0 for op in published)
    assert pub.stats.published == 6


async def test_failed_writes_are_retried_without_loss_or_reordering() -> None:
    client = FakeRedis(failures=2)
    pub = RedisPublisher(client)  # type: ignore[arg-type]
    await run_until_flushed(pub, [output("m1", "frame", s) for s in range(1, 4)])
    delivered = [
        orjson.loads(op[2])["seq"] for batch in client.executed for op in batch if op[0] == "publish"
    ]
    assert delivered == [1, 2, 3]
    assert pub.stats.retries == 2


async def test_a_failing_batch_hook_neither_stops_delivery_nor_sends_twice() -> None:
    client = FakeRedis(failures=1)
    seen: list[int] = []

    def hook(batch: list[Output], _seconds: float) -> None:
        seen.append(len(batch))
        raise OSError("metrics broke")  # an error the write retry would otherwise catch

    pub = RedisPublisher(client, on_batch=hook)  # type: ignore[arg-type]
    await run_until_flushed(pub, [output("m1", "frame", s) for s in range(1, 4)])
    await run_until_flushed(pub, [output("m1", "frame", 4)])
    delivered = [
        orjson.loads(op[2])["seq"] for batch in client.executed for op in batch if op[0] == "publish"
    ]
    assert delivered == [1, 2, 3, 4]  # once each, the second batch after the hook failed
    assert sum(seen) == 4 and pub.stats.retries == 1


async def test_a_full_queue_makes_publish_wait() -> None:
    pub = RedisPublisher(FakeRedis(), queue_max=2)  # type: ignore[arg-type]
    await pub.publish(output("m1", "frame", 1))
    await pub.publish(output("m1", "frame", 2))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pub.publish(output("m1", "frame", 3)), timeout=0.05)


async def test_in_memory_publisher_keeps_channels_and_latest() -> None:
    pub = InMemoryPublisher()
    await pub.publish(output("m1", "frame", 1))
    await pub.publish(output("m1", "frame", 2))
    assert [o.seq for o in pub.channels["pitchside:m1:frame"]] == [1, 2]
    assert pub.latest["pitchside:m1:frame:latest"].seq == 2


async def test_a_delivery_callback_runs_after_the_outputs_before_it_are_written_not_before() -> None:
    client = FakeRedis(failures=1)
    pub = RedisPublisher(client, batch_max=2)  # type: ignore[arg-type]
    calls: list[int] = []
    await pub.publish_many([output("m1", "frame", s) for s in range(1, 4)])
    pub.after_delivery(lambda: calls.append(len(client.executed)))
    await pub.publish_many([output("m1", "frame", 4)])
    await run_until_flushed(pub, [])
    # Written as [1, 2] then [3, 4] (the first try failed): the callback came after 3, so after the
    # second pipeline, and not with the failed first try.
    assert calls == [2]
    assert pub.pending() == 0 and pub.stats.published == 4


async def test_a_batch_goes_in_whole_and_the_next_waits_for_room() -> None:
    pub = RedisPublisher(FakeRedis(), queue_max=2)  # type: ignore[arg-type]
    await pub.publish_many([output("m1", "frame", s) for s in range(1, 4)])  # past the bound: whole
    assert pub.pending() == 3
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pub.publish_many([output("m1", "frame", 4)]), timeout=0.05)


async def test_challenger_outputs_go_to_the_models_comparison_stream_not_to_graphics() -> None:
    client = FakeRedis()
    pub = RedisPublisher(client)  # type: ignore[arg-type]
    compared = msgspec_replace(output("m1", "xg_challenger", 1), model=ModelRef(name="xg", version=2))
    await run_until_flushed(pub, [output("m1", "xg", 1), compared])
    graphics, kept = client.executed  # graphics' pipeline first, the comparisons' after it
    assert [(op[0], op[1]) for op in graphics if op[0] in ("publish", "set", "xadd")] == [
        ("publish", "pitchside:m1:xg"),
        ("xadd", "pitchside:m1:xg:stream"),
        ("set", "pitchside:m1:xg:latest"),
    ]
    assert [(op[0], op[1], *op[3:5]) for op in kept] == [("xadd", "pitchside:challenger:xg", 100_000, True)]
    assert orjson.loads(kept[0][2])["kind"] == "xg_challenger" and pub.stats.published == 1
    memory = InMemoryPublisher()
    await memory.publish(compared)
    assert not memory.channels and not memory.latest
    [kept_in_memory] = memory.comparisons["pitchside:challenger:xg"]
    assert msgspec_replace(kept_in_memory, published_ts=0) == msgspec_replace(compared, published_ts=0)


async def test_a_refused_comparison_write_costs_only_the_comparisons() -> None:
    class RefusingXadd(FakeRedis):
        def pipeline(self, transaction: bool = True) -> FakePipeline:
            pipe = super().pipeline(transaction)
            real_execute = pipe.execute

            async def execute() -> None:
                # The comparisons' stream refused (its key holds another type, say); graphics'
                # XADDs to the match streams go through.
                if any(op[0] == "xadd" and op[1].startswith("pitchside:challenger:") for op in pipe.ops):
                    raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")
                await real_execute()

            pipe.execute = execute  # type: ignore[method-assign]
            return pipe

    client = RefusingXadd()
    pub = RedisPublisher(client)  # type: ignore[arg-type]
    compared = msgspec_replace(output("m1", "xg_challenger", 1), model=ModelRef(name="xg", version=2))
    await run_until_flushed(pub, [output("m1", "xg", 1), compared, output("m1", "xg", 2)])
    published = [op for batch in client.executed for op in batch if op[0] == "publish"]
    assert [orjson.loads(op[2])["seq"] for op in published] == [1, 2]  # graphics got everything
    assert pub.stats.comparisons_lost == 1 and pub.stats.errors == 0


async def test_each_output_is_also_appended_to_its_capped_stream_in_the_same_pipeline() -> None:
    client = FakeRedis()
    pub = RedisPublisher(client, latest_ttl_s=60, stream_maxlen=500)  # type: ignore[arg-type]
    outs = [output("m1", "frame", s) for s in range(1, 4)] + [output("m2", "event", 7)]
    await pub.publish_many(outs)  # queued before the flusher runs: one batch, one pipeline
    await run_until_flushed(pub, [])
    [ops] = client.executed
    published = [op for op in ops if op[0] == "publish"]
    added = [op for op in ops if op[0] == "xadd"]
    # One XADD per output, beside its PUBLISH, carrying the very same payload, capped with MAXLEN ~.
    assert [op[1] for op in added] == ["pitchside:m1:frame:stream"] * 3 + ["pitchside:m2:event:stream"]
    assert [op[2] for op in added] == [op[2] for op in published]
    assert all(op[3:5] == (500, True) for op in added)
    assert [(op[5]["seq"], op[5]["published_ts"]) for op in added] == [
        (orjson.loads(op[2])["seq"], orjson.loads(op[2])["published_ts"]) for op in added
    ]
    # Per key once: the stream expires with the latest key; the live index and event_ts are kept.
    expired = {op[1]: op[2] for op in ops if op[0] == "expire"}
    assert expired == {
        output_stream_key("pitchside", "m1", "frame"): 60,
        output_stream_key("pitchside", "m2", "event"): 60,
        live_index_key("pitchside"): 60,
        live_event_ts_key("pitchside"): 60,
    }
    [(_, index, members)] = [op for op in ops if op[0] == "zadd"]
    assert index == "pitchside:live-matches" and set(members) == {"m1:frame", "m2:event"}
    [(_, _, event_ts)] = [op for op in ops if op[0] == "hset"]
    assert event_ts == {"m1:frame": 1, "m2:event": 1}
    [(_, _, low, high)] = [op for op in ops if op[0] == "zremrangebyscore"]
    assert low == "-inf" and high == members["m1:frame"] - 60_000


async def test_the_in_memory_publisher_keeps_the_same_streams_capped_and_the_live_index() -> None:
    pub = InMemoryPublisher(stream_maxlen=3)
    for seq in range(1, 6):
        await pub.publish(output("m1", "frame", seq))
    kept = pub.streams[output_stream_key("pitchside", "m1", "frame")]
    assert [o.seq for o in kept] == [3, 4, 5]  # the oldest trimmed, as MAXLEN does
    assert [o.seq for o in pub.channels["pitchside:m1:frame"]] == [1, 2, 3, 4, 5]
    assert pub.live["m1:frame"] == kept[-1].published_ts > 0 and pub.live_event_ts["m1:frame"] == 1
