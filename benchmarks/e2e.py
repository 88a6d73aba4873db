"""End-to-end benchmark: local stack start-up, single-frame latency and throughput.

    python -m benchmarks.e2e [--frames 3000] [--gap-ms 10] [--burst 20000]

Runs a stack of its own (own state directory, own ports) so it never disturbs a development stack:
1. start-up: a cold start (fresh storage, formatted) and a warm restart of Kafka + Redis, until both
   answer (Kafka: a metadata request; Redis: PING) and the topics exist;
2. latency: ``--frames`` single frames, one every ``--gap-ms``, each timed from the moment it is
   handed to the Kafka producer to the moment its output arrives on a Redis subscription;
3. throughput: ``--burst`` frames over 8 matches produced at once, timed until every output arrived.
Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from benchmarks.frame_processing import frame_records
from models.settings import Settings
from stream.contracts import PitchBody, PitchEvent
from stream.probe import probe_frame, wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.app import redis_client


def _settings(state_dir: Path) -> tuple[Settings, dict[str, str]]:
    overrides = {
        "kafka_bootstrap": "127.0.0.1:29092",
        "kafka_controller_port": "29093",
        "redis_url": "redis://127.0.0.1:26379/0",
        "state_dir": str(state_dir),
        "worker_web_port": "0",
        "app_id": f"bench-{uuid.uuid4().hex[:6]}",
        "log_level": "warn",
    }
    return Settings(**overrides), {f"PITCHSIDE_{k.upper()}": v for k, v in overrides.items()}  # type: ignore[arg-type]


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {k: round(float(np.percentile(arr, q)), 2) for k, q in (("p50", 50), ("p90", 90), ("p99", 99))} | {
        "max": round(float(arr.max()), 2),
        "n": len(values),
    }


async def _latency(settings: Settings, frames: int, gap_ms: float) -> dict[str, float]:
    client = redis_client(settings)
    match_id = f"bench-{uuid.uuid4().hex[:8]}"
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    async with RecordProducer(settings) as producer:
        await wait_until_flowing(producer, client, prefix=settings.redis_prefix)
        pubsub = client.pubsub()
        await pubsub.subscribe(f"{settings.redis_prefix}:{match_id}:frame")

        async def receive() -> None:
            while len(latencies) < frames:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None:
                    now = time.perf_counter()
                    latencies.append((now - sent_at[orjson.loads(msg["data"])["data"]["frame"]]) * 1000.0)

        receiver = asyncio.create_task(receive())
        for n in range(frames):
            sent_at[n] = time.perf_counter()
            await producer.send(probe_frame(match_id, n))
            await asyncio.sleep(gap_ms / 1000.0)
        await asyncio.wait_for(receiver, timeout=60)
        await pubsub.aclose()
    await client.aclose()
    return _percentiles(latencies)


async def _pitch_latency(settings: Settings, pitches: int, gap_ms: float) -> dict[str, float]:
    """Produce a pitch with a runner on base -> its 21-point ``lead_curve`` received from Redis."""
    client = redis_client(settings)
    match_id = f"pitch-{uuid.uuid4().hex[:8]}"
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    body = PitchBody(
        pitcher_id="477132",
        catcher_id="605131",
        runner_id="682829",
        target_base="2B",
        runner_lead_ft=12.7,
        pitch_type="CU",
        velo_mph=73.1,
        balls=0,
        strikes=1,
    )
    async with RecordProducer(settings) as producer:
        pubsub = client.pubsub()
        await pubsub.subscribe(f"{settings.redis_prefix}:{match_id}:lead_curve")

        async def receive() -> None:
            while len(latencies) < pitches:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None:
                    event_id = orjson.loads(msg["data"])["data"]["event_id"]
                    latencies.append((time.perf_counter() - sent_at[event_id]) * 1000.0)

        receiver = asyncio.create_task(receive())
        for n in range(pitches):
            event_id = f"p{n}"
            sent_at[event_id] = time.perf_counter()
            ts = time.time_ns() // 1_000_000
            await producer.send(
                PitchEvent(match_id=match_id, event_id=event_id, ts=ts, type="pitch", pitch=body)
            )
            await asyncio.sleep(gap_ms / 1000.0)
        await asyncio.wait_for(receiver, timeout=60)
        await pubsub.aclose()
    await client.aclose()
    return _percentiles(latencies)


async def _throughput(settings: Settings, total: int, full: bool) -> dict[str, float]:
    """``full``: frames of 22 players and the ball (every feature at work); else a ball alone."""
    client = redis_client(settings)
    matches = [f"burst-{uuid.uuid4().hex[:6]}-{i}" for i in range(8)]
    per_match = total // len(matches)
    now = time.time_ns() // 1_000_000
    records = {
        m: frame_records(per_match, m, seed=i, t0=now)
        if full
        else [probe_frame(m, n) for n in range(per_match)]
        for i, m in enumerate(matches)
    }
    received = 0
    async with RecordProducer(settings, linger_ms=5) as producer:
        pubsub = client.pubsub()
        await pubsub.psubscribe(*[f"{settings.redis_prefix}:{m}:frame" for m in matches])
        start = time.perf_counter()
        for n in range(per_match):
            for m in matches:
                await producer.send(records[m][n])
        await producer.flush()
        produced_s = time.perf_counter() - start
        expected = (total // len(matches)) * len(matches)
        deadline = time.monotonic() + 300
        while received < expected and time.monotonic() < deadline:
            if await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0) is not None:
                received += 1
        elapsed = time.perf_counter() - start
        await pubsub.aclose()
    await client.aclose()
    return {
        "frames": expected,
        "received": received,
        "produce_s": round(produced_s, 2),
        "total_s": round(elapsed, 2),
        "frames_per_s": round(received / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=20000)
    args = parser.parse_args()

    state_dir = Path(tempfile.mkdtemp(prefix="pitchside-bench-"))
    settings, env = _settings(state_dir)
    stack = Stack(settings)
    stack.kafka.fetch()  # jar download is a one-off; not part of start-up
    worker: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.perf_counter()
        stack.up()
        cold_s = time.perf_counter() - t0
        stack.down()
        t0 = time.perf_counter()
        stack.up()
        warm_s = time.perf_counter() - t0
        print(f"stack start-up: cold (format + start) {cold_s:.2f}s, warm restart {warm_s:.2f}s")

        log = (state_dir / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "stream", "worker"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        latency = asyncio.run(_latency(settings, args.frames, args.gap_ms))
        print(f"single-frame latency, produce -> Redis receipt, ms: {latency}")
        pitch_latency = asyncio.run(_pitch_latency(settings, 500, 20.0))
        print(f"per pitch, produce -> 21-point lead curve received from Redis, ms: {pitch_latency}")
        throughput = asyncio.run(_throughput(settings, args.burst, full=False))
        print(f"throughput, one worker, frames of a ball alone: {throughput}")
        throughput_full = asyncio.run(_throughput(settings, args.burst, full=True))
        print(f"throughput, one worker, frames of 22 players and the ball: {throughput_full}")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        stack.down()
        shutil.rmtree(state_dir, ignore_errors=True)

    figures: dict[str, Any] = {
        "benchmark": "e2e",
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "stack_startup_cold_s": round(cold_s, 2),
        "stack_startup_warm_s": round(warm_s, 2),
        "latency_ms": latency,
        "frame_gap_ms": args.gap_ms,
        "pitch_latency_ms": pitch_latency,
        "throughput": throughput,
        "throughput_full_frames": throughput_full,
    }
    # A rate over frames that never came out is no figure: the run counts only when complete.
    figures["complete"] = all(t["received"] == t["frames"] for t in (throughput, throughput_full))
    print(json.dumps(figures))
    if not figures["complete"]:
        sys.exit(f"incomplete: frames missing from Redis ({throughput}, {throughput_full})")


if __name__ == "__main__":
    main()
