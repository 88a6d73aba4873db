"""Creating the input and dead-letter topics with the configured partition count.

Producers (replay, load, tests) and the worker all call :func:`ensure_topics` first, so a topic is
never auto-created by the broker with a different partition count than the worker's tables expect.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import TopicAlreadyExistsError  # type: ignore[import-untyped]

from models.settings import Settings

__all__ = ["ensure_topics", "input_topics"]


def input_topics(settings: Settings) -> list[str]:
    return [settings.topic_tracking, settings.topic_events, settings.topic_deadletter]


async def ensure_topics(settings: Settings) -> list[str]:
    """Create any missing topic; returns the names created (empty when all existed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [t for t in input_topics(settings) if t not in existing]
        if missing:
            new = [
                NewTopic(t, num_partitions=settings.topic_partitions, replication_factor=1) for t in missing
            ]
            # Another producer or worker may win the race; the topic is there either way.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()
