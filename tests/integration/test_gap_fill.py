"""Reading a range of offsets straight from the real broker (how a worker fills a gap)."""

from __future__ import annotations

import uuid

from models.settings import Settings
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.gap_fill import fetch_range
from stream.worker.topics import ensure_topics


async def test_a_range_of_offsets_comes_back_in_order_and_nothing_beyond_it(
    stack: Stack, settings: Settings
) -> None:
    topic = f"gap-{uuid.uuid4().hex[:8]}"
    own = Settings(**{**settings.model_dump(), "topic_tracking": topic})
    await ensure_topics(own)
    async with RecordProducer(own) as producer:
        sent = [await producer.send_raw(topic, b"k", f"m{n}".encode()) for n in range(30)]
        await producer.flush()
        partitions = {(await future).partition for future in sent}
    [partition] = partitions  # one key, one partition
    records = await fetch_range(own.kafka_bootstrap, topic, partition, 7, 19)
    assert [r.offset for r in records] == list(range(7, 19))
    assert [r.value for r in records] == [f"m{n}".encode() for n in range(7, 19)]
    # A range past the end returns what exists, without waiting past its timeout.
    tail = await fetch_range(own.kafka_bootstrap, topic, partition, 28, 40, timeout_s=2.0)
    assert [r.offset for r in tail] == [28, 29]
