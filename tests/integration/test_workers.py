"""Worker lifecycle on the real broker: a restart continues each match's seq from the table's
changelog without repeating or losing outputs, a worker killed outright is followed by one that
re-sends what came after the last checkpoint with the same seq and content, and a second worker
joining the group takes over partitions while every output still arrives exactly once, in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from models.settings import Settings
from stream.probe import wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.app import redis_client
from tests.factories import frame

from .collect import Collector
from .conftest import WorkerProcess, isolated_names


@pytest.fixture
def own_group(stack: Stack, overrides: dict[str, str]) -> Iterator[dict[str, str]]:
    """Topics and a consumer group of this test's own, apart from the session worker's."""
    yield {**overrides, **isolated_names("itw")}


async def _ready(settings: Settings, producer: RecordProducer, client: aioredis.Redis) -> None:
    await wait_until_flowing(producer, client, prefix=settings.redis_prefix, timeout_s=90)


def _now() -> int:
    return time.time_ns() // 1_000_000


async def test_a_restarted_worker_continues_seq_without_repeats(
    own_group: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(**own_group)  # type: ignore[arg-type]
    match_id = f"restart-{uuid.uuid4().hex[:8]}"
    client = redis_client(settings)
    first = WorkerProcess(own_group, tmp_path / "first.log")
    try:
        async with (
            RecordProducer(settings) as producer,
            Collector(client, settings.redis_prefix, match_id) as out,
        ):
            await _ready(settings, producer, client)
            for n in range(20):
                await producer.send(frame(match_id, n, ts=_now()))
            await producer.flush()
            await out.until({"frame": 20}, timeout_s=30, worker=first)
            assert first.stop() == 0  # a clean shutdown on SIGTERM, as the README promises

            second = WorkerProcess(own_group, tmp_path / "second.log")
            try:
                for n in range(20, 40):
                    await producer.send(frame(match_id, n, ts=_now()))
                await producer.flush()
                await out.until({"frame": 40}, timeout_s=90, worker=second)
                # A sentinel after everything: the match is in order on one partition, so a frame
                # the restart processed again would come out before it.
                await producer.send(frame(match_id, 40, ts=_now()))
                await producer.flush()
                await out.until({"frame": 41}, timeout_s=30, worker=second)
            finally:
                second.stop()
    finally:
        if first.proc.poll() is None:
            first.stop()
        await client.aclose()
    frames = out.by_kind["frame"]
    assert [p["data"]["frame"] for p in frames] == list(range(41)), "an output was lost or repeated"
    assert [p["seq"] for p in frames] == list(range(1, 42))


async def test_after_a_kill_the_next_worker_resends_from_the_checkpoint_with_the_same_seq(
    own_group: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(**own_group)  # type: ignore[arg-type]
    match_id = f"kill-{uuid.uuid4().hex[:8]}"
    client = redis_client(settings)
    first = WorkerProcess(own_group, tmp_path / "first.log")
    second: WorkerProcess | None = None
    try:
        async with (
            RecordProducer(settings) as producer,
            Collector(client, settings.redis_prefix, match_id) as out,
        ):
            await _ready(settings, producer, client)
            for n in range(40):
                await producer.send(frame(match_id, n, ts=_now()))
            await producer.flush()
            await out.until({"frame": 40}, timeout_s=30, worker=first)
            first.proc.kill()  # no shutdown: whatever came after the last checkpoint is replayed
            first.stop()
            second = WorkerProcess(own_group, tmp_path / "second.log")
            for n in range(40, 50):
                await producer.send(frame(match_id, n, ts=_now()))
            await producer.flush()
            await out.until_frame(49, timeout_s=90, worker=second)
            await out.drain(seconds=1.0)
    finally:
        for worker in (first, second):
            if worker is not None and worker.proc.poll() is None:
                worker.stop()
        await client.aclose()
    frames = out.by_kind["frame"]
    by_seq: dict[int, set[int]] = {}
    for payload in frames:
        by_seq.setdefault(payload["seq"], set()).add(payload["data"]["frame"])
    assert all(len(numbers) == 1 for numbers in by_seq.values()), "a seq was re-used for another frame"
    assert sorted(by_seq) == list(range(1, 51)), "a frame was lost"
    assert [by_seq[seq].pop() for seq in range(1, 51)] == list(range(50))
    repeated = len(frames) - 50
    assert 0 <= repeated <= 40  # at most what came after the first worker's last checkpoint


def _logs_assignment(log: Path, topic: str) -> bool:
    lines = log.read_text().splitlines() if log.exists() else []
    return any("{" in line and topic in line for line in lines)


async def _assigned(log: Path, topic: str, timeout_s: float) -> bool:
    """Whether the worker writing ``log`` was assigned partitions of ``topic`` within the time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _logs_assignment(log, topic):
            return True
        await asyncio.sleep(0.2)  # polling the log file: the assignment has no other signal
    return False


async def test_a_second_worker_takes_partitions_and_every_output_arrives_once(
    own_group: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(**own_group)  # type: ignore[arg-type]
    matches = [f"scale-{uuid.uuid4().hex[:6]}-{i}" for i in range(8)]
    per_match = 60
    client = redis_client(settings)
    workers = [WorkerProcess(own_group, tmp_path / "w1.log")]
    collectors = [Collector(client, settings.redis_prefix, m) for m in matches]
    try:
        async with RecordProducer(settings) as producer:
            for c in collectors:
                await c.__aenter__()
            await _ready(settings, producer, client)
            for n in range(per_match):
                if n == per_match // 3:  # join mid-stream: partitions move while frames flow
                    workers.append(WorkerProcess(own_group, tmp_path / "w2.log"))
                for m in matches:
                    await producer.send(frame(m, n, ts=_now()))
                await producer.flush()
                await asyncio.sleep(0.05)
            for c in collectors:
                await c.until({"frame": per_match}, timeout_s=120, worker=workers[-1])
            # The second worker's join ends with an assignment (Faust logs it as a table of topics
            # and partition sets); on a busy machine that can come after the frames above.
            served_by_second = await _assigned(tmp_path / "w2.log", settings.topic_tracking, timeout_s=90)
            # A sentinel per match after everything: whatever a rebalance made a worker process
            # again comes out before it, in the match's order.
            for m in matches:
                await producer.send(frame(m, per_match, ts=_now()))
            await producer.flush()
            for c in collectors:
                await c.until({"frame": per_match + 1}, timeout_s=60, worker=workers[-1])
    finally:
        for c in collectors:
            await c.__aexit__()
        for w in workers:
            w.stop()
        await client.aclose()
    for m, c in zip(matches, collectors, strict=True):
        frames = c.by_kind["frame"]
        assert [p["data"]["frame"] for p in frames] == list(range(per_match + 1)), f"{m}: lost or repeated"
        assert [p["seq"] for p in frames] == list(range(1, per_match + 2)), f"{m}: seq not contiguous"
    assert served_by_second, "the second worker never received partitions"
