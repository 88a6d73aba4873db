"""The client side of the Redis outputs, as a broadcast graphics client uses them.

A late joiner subscribes first, then reads the latest-state keys, then follows pub/sub: anything
published between the two steps arrives on the subscription and is recognised by ``seq``. Per match
and kind, ``seq <= last`` is a duplicate (dropped) and ``seq > last + 1`` a gap (reported).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import orjson
import redis.asyncio as aioredis

__all__ = ["FeedItem", "LiveFeed", "SeqStatus", "SeqTracker"]


class SeqStatus(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    GAP = "gap"


@dataclass
class SeqTracker:
    """Last ``seq`` seen per (match, kind), with counts of duplicates and missing outputs."""

    last: dict[tuple[str, str], int] = field(default_factory=dict)
    duplicates: int = 0
    missing: int = 0

    def observe(self, match_id: str, kind: str, seq: int) -> SeqStatus:
        key = (match_id, kind)
        last = self.last.get(key)
        if last is not None and seq <= last:
            self.duplicates += 1
            return SeqStatus.DUPLICATE
        self.last[key] = seq
        if last is not None and seq > last + 1:
            self.missing += seq - last - 1
            return SeqStatus.GAP
        return SeqStatus.NEW


@dataclass(frozen=True)
class FeedItem:
    payload: dict[str, Any]
    status: SeqStatus
    from_snapshot: bool
    received_ms: float


class LiveFeed:
    """Follow one match (or all, with ``match_id=None``) from Redis."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "pitchside", match_id: str | None = None):
        self._client = client
        self._prefix = prefix
        self._match = match_id or "*"
        self.tracker = SeqTracker()

    async def snapshot(self) -> list[dict[str, Any]]:
        """Every latest-state payload of the followed match(es), oldest event first."""
        keys = [
            k async for k in self._client.scan_iter(match=f"{self._prefix}:{self._match}:*:latest", count=500)
        ]
        if not keys:
            return []
        values = await self._client.mget(keys)
        payloads = [orjson.loads(v) for v in values if v is not None]
        return sorted(payloads, key=lambda p: (p.get("event_ts", 0), p.get("seq", 0)))

    async def follow(self, *, idle_timeout_s: float | None = None) -> AsyncIterator[FeedItem]:
        """Yield the snapshot, then live payloads, each classified by ``seq``; duplicates are
        yielded too (status ``DUPLICATE``) so callers can count them but should not show them.
        Ends after ``idle_timeout_s`` seconds without a message, if given."""
        pubsub = self._client.pubsub()
        await pubsub.psubscribe(f"{self._prefix}:{self._match}:*")
        try:
            for payload in await self.snapshot():
                yield self._item(payload, from_snapshot=True)
            idle_since = time.monotonic()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if message is None:
                    if idle_timeout_s is not None and time.monotonic() - idle_since > idle_timeout_s:
                        return
                    await asyncio.sleep(0)
                    continue
                idle_since = time.monotonic()
                yield self._item(orjson.loads(message["data"]), from_snapshot=False)
        finally:
            await pubsub.punsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    def _item(self, payload: dict[str, Any], *, from_snapshot: bool) -> FeedItem:
        status = self.tracker.observe(str(payload["match_id"]), str(payload["kind"]), int(payload["seq"]))
        return FeedItem(payload, status, from_snapshot, time.time() * 1000.0)
