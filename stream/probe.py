"""Waiting until the whole path is live: a probe frame produced to Kafka must come out on Redis.

Used by the demo, the integration tests and the benchmarks before they measure anything, so a
worker still joining its consumer group is never counted as latency.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import redis.asyncio as aioredis

from models.errors import PitchsideError

from .contracts import TrackedObject, TrackingFrame
from .outputs.publisher import channel_name
from .sources.producer import RecordProducer

__all__ = ["PipelineNotReady", "probe_frame", "wait_until_flowing"]


class PipelineNotReady(PitchsideError):
    """No output came back for a probe frame in time: is a worker running? See its log."""


def probe_frame(match_id: str, frame: int) -> TrackingFrame:
    ball = TrackedObject(id="ball", team="ball", role="ball", x=0.0, y=0.0, z=0.0)
    return TrackingFrame(
        match_id=match_id,
        sport="soccer",
        frame=frame,
        ts=time.time_ns() // 1_000_000,
        period=1,
        objects=[ball],
        simulated=True,
    )


async def wait_until_flowing(
    producer: RecordProducer, client: aioredis.Redis, *, prefix: str, timeout_s: float = 60.0
) -> float:
    """Send probe frames (one a second) until one's output arrives; returns the seconds it took."""
    match_id = f"probe-{uuid.uuid4().hex[:12]}"
    pubsub = client.pubsub()
    await pubsub.subscribe(channel_name(prefix, match_id, "frame"))
    start = time.monotonic()
    try:
        frame = 0
        while time.monotonic() - start < timeout_s:
            await producer.send(probe_frame(match_id, frame))
            await producer.flush()
            frame += 1
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if msg is not None:
                    return time.monotonic() - start
            await asyncio.sleep(0)
        raise PipelineNotReady(f"no output for probe match {match_id} within {timeout_s:.0f}s")
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
