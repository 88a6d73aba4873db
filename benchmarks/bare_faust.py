"""The bare pass-throughs ``benchmarks.capacity`` measures the pitchside worker against: Kafka in, one
Redis ``PUBLISH`` per message out, and nothing in between but decoding the JSON.

    python -m benchmarks.bare_faust faust --kafka H:P --redis URL --topic T --group G --prefix P --datadir D
    python -m benchmarks.bare_faust aiokafka --kafka H:P --redis URL --topic T --group G --prefix P

``faust``: a faust-streaming app (in-memory store, raw serializers, no tables, web off) with one agent
on the topic, publishing through a queue that one background flusher drains into Redis pipelines, as
``stream.outputs.publisher`` does. ``aiokafka``: a plain consumer, one pipeline per ``getmany`` batch.
Both read from the earliest offset with the given (fresh) consumer group and run until SIGTERM.

Kept apart from ``benchmarks.capacity`` so the processes measured import only what they use.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import orjson
import redis.asyncio as aioredis

QUEUE_MAX = 20_000  # the pitchside publisher's defaults (models.settings)
BATCH_MAX = 1_000


class RedisSink:
    """Queued publishes, written by one flusher: whatever queued up while the previous pipeline was
    in flight goes out in the next one, so a busy agent never waits for a Redis round trip."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=QUEUE_MAX)

    async def publish(self, value: bytes) -> None:
        match_id = orjson.loads(value)["match_id"]
        await self._queue.put((f"{self._prefix}:{match_id}:frame", value))

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_MAX and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            pipe = self._client.pipeline(transaction=False)
            for channel, value in batch:
                pipe.publish(channel, value)
            await pipe.execute()


def run_faust(args: argparse.Namespace) -> None:
    import faust  # only this variant pays for importing Faust

    app = faust.App(
        args.group,
        broker=f"kafka://{args.kafka}",
        store="memory://",
        datadir=args.datadir,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
    )
    topic = app.topic(args.topic, key_type=bytes, value_type=bytes, allow_empty=True)
    sink = RedisSink(aioredis.Redis.from_url(args.redis), args.prefix)

    @app.agent(topic, name="passthrough")
    async def passthrough(stream: Any) -> None:
        async for value in stream:
            await sink.publish(value)

    async def deliver() -> None:
        await sink.run()

    app.task(deliver)
    # "info", not "warn": at "warn" Faust sets the root logger to DEBUG for its spinner, which is slower.
    faust.Worker(app, loglevel="info", quiet=True).execute_from_commandline()


async def forward(args: argparse.Namespace) -> None:
    from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]

    consumer = AIOKafkaConsumer(
        args.topic, bootstrap_servers=args.kafka, group_id=args.group, auto_offset_reset="earliest"
    )
    client = aioredis.Redis.from_url(args.redis)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=BATCH_MAX)
            pipe = client.pipeline(transaction=False)
            count = 0
            for records in batches.values():
                for record in records:
                    match_id = orjson.loads(record.value)["match_id"]
                    pipe.publish(f"{args.prefix}:{match_id}:frame", record.value)
                    count += 1
            if count:
                await pipe.execute()
    finally:
        await consumer.stop()
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("variant", choices=("faust", "aiokafka"))
    parser.add_argument("--kafka", required=True, help="bootstrap host:port")
    parser.add_argument("--redis", required=True, help="Redis URL")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True, help="consumer group (Faust: app id); fresh per run")
    parser.add_argument("--prefix", required=True, help="channels are {prefix}:{match_id}:frame")
    parser.add_argument("--datadir", default=None, help="Faust's data directory")
    args = parser.parse_args()
    if args.variant == "faust":
        if args.datadir is None:  # Faust would make "{app id}-data" in the working directory
            parser.error("faust needs --datadir")
        run_faust(args)
    else:
        asyncio.run(forward(args))


if __name__ == "__main__":
    main()
