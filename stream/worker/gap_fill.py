"""Reading a range of offsets of one partition straight from Kafka, apart from Faust's consumer:
how the worker fills a gap the ledger found (:class:`stream.worker.ledger.InputLedger`)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

__all__ = ["fetch_range"]


async def fetch_range(
    bootstrap: str, topic: str, partition: int, start: int, end: int, timeout_s: float = 10.0
) -> list[Any]:
    """Records ``start <= offset < end`` of one partition, in order; fewer if the log no longer holds
    them (or they do not come within ``timeout_s``). A consumer of its own, assigned, never joining
    a group's rebalance (its throwaway group id only lets aiokafka stop cleanly)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"pitchside-gap-fill-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=200)
            for record in batch.get(tp, []):
                if record.offset >= end:
                    return records
                if record.offset >= start:
                    records.append(record)
            if records and records[-1].offset >= end - 1:
                return records
        return records
    finally:
        await consumer.stop()
