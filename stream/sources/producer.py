"""Producing contract records to Kafka, keyed by match so a match stays on one partition, in order."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]

from models.settings import Settings

from ..contracts import MatchEvent, TrackingFrame
from ..worker.topics import ensure_topics

__all__ = ["RecordProducer"]

_encode = msgspec.json.Encoder().encode


class RecordProducer:
    """An async context manager around one aiokafka producer. ``send`` only enqueues into the
    producer's batch; :meth:`flush` waits for delivery."""

    def __init__(self, settings: Settings, *, linger_ms: int = 0) -> None:
        self.settings = settings
        self._linger_ms = linger_ms
        self._producer: Any = None
        self.sent = 0

    async def __aenter__(self) -> RecordProducer:
        await ensure_topics(self.settings)
        # Made only once the broker answered, so a failed start leaves no unclosed client behind.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            linger_ms=self._linger_ms,
            max_request_size=max(self.settings.max_message_bytes * 2, 1_048_576),
        )
        try:
            await self._producer.start()
        except BaseException:
            await self._producer.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._producer.stop()  # flushes what is pending

    def topic_for(self, record: TrackingFrame | MatchEvent) -> str:
        if isinstance(record, TrackingFrame):
            return self.settings.topic_tracking
        return self.settings.topic_events

    async def send(self, record: TrackingFrame | MatchEvent) -> Any:
        """Enqueue one record on its topic; returns the delivery future."""
        return await self.send_raw(self.topic_for(record), record.match_id.encode(), _encode(record))

    async def send_raw(self, topic: str, key: bytes | None, value: bytes) -> Any:
        """Enqueue arbitrary bytes (tests use it to produce malformed messages)."""
        self.sent += 1
        return await self._producer.send(topic, value, key=key)

    async def flush(self) -> None:
        await self._producer.flush()
