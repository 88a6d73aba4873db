"""Creating the input, dead-letter and table changelog topics with the configured partition count.

Producers (replay, load, tests) and the worker all call :func:`ensure_topics` first, so a topic is
never auto-created by the broker with a different partition count than the worker's tables expect.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import TopicAlreadyExistsError  # type: ignore[import-untyped]

from models.settings import Settings

__all__ = [
    "CHANGELOG_CONFIG",
    "TABLES",
    "changelog_topics",
    "ensure_changelog_topics",
    "ensure_topics",
    "input_topics",
]

# The worker's tables (stream/worker/app.py); Faust names each changelog "{app_id}-{table}-changelog".
TABLES = ("match-state", "input-offset")
# Changelogs get a record per changed match every checkpoint interval. Kafka compacts only closed
# segments, and a default segment stays open for a week or 1 GiB, so a worker's recovery would
# replay every record ever written: short segments let compaction keep it to about one record per key.
CHANGELOG_CONFIG = {
    "segment.ms": "60000",
    "segment.bytes": str(16 * 1024 * 1024),
    "min.cleanable.dirty.ratio": "0.1",
    "delete.retention.ms": "60000",
}


def input_topics(settings: Settings) -> list[str]:
    return [settings.topic_tracking, settings.topic_events, settings.topic_deadletter]


def changelog_topics(settings: Settings) -> list[str]:
    return [f"{settings.app_id}-{table}-changelog" for table in TABLES]


async def ensure_topics(settings: Settings) -> list[str]:
    """Create any missing input topic; returns the names created (empty when all existed)."""
    return await _ensure(settings, input_topics(settings), None)


async def ensure_changelog_topics(settings: Settings) -> list[str]:
    """Create the tables' changelog topics before the worker starts. Left to Faust, they are created
    while the worker starts, and a worker once kept seeing one with 0 partitions in its metadata, so
    every write to that table failed (Faust's PartitionsMismatch) for the rest of its life."""
    return await _ensure(
        settings, changelog_topics(settings), {"cleanup.policy": "compact", **CHANGELOG_CONFIG}
    )


async def _ensure(settings: Settings, topics: list[str], config: dict[str, str] | None) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            new = [
                NewTopic(
                    t,
                    num_partitions=settings.topic_partitions,
                    replication_factor=1,
                    topic_configs=config or {},
                )
                for t in missing
            ]
            # Another producer or worker may win the race; the topic is there either way.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()
