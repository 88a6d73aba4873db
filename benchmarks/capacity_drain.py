"""One drain of the backlog in ``benchmarks.capacity``: the backlog itself, and one consumer process
started on it, whose ``frame`` outputs are counted until all came (or it stalled or died), with its
frames/s, CPU time per frame and peak RSS."""

from __future__ import annotations

import asyncio
import math
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from benchmarks.capacity_feed import FrameFeed, Push
from benchmarks.capacity_probe import (
    STALL_TIMEOUT_S,
    STARTUP_TIMEOUT_S,
    CpuMeter,
    Run,
    cpu_seconds,
    log_tail,
    peak_rss_mb,
    start,
    stop,
)
from benchmarks.frame_processing import frame_records
from models.settings import Settings
from stream.sources.producer import RecordProducer
from stream.worker.topics import ensure_topics

_encode = msgspec.json.Encoder().encode


def build_backlog(frames: int, matches: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of ``ceil(frames / matches)`` frames per match, interleaved across matches,
    their ``ts`` starting now (as a live feed's would)."""
    per_match = math.ceil(frames / matches)
    now = time.time_ns() // 1_000_000
    ids = [f"cap-m{i:03d}" for i in range(matches)]
    encoded = [[_encode(f) for f in frame_records(per_match, m, seed=i, t0=now)] for i, m in enumerate(ids)]
    return [(ids[i].encode(), encoded[i][n]) for n in range(per_match) for i in range(matches)]


async def produce_backlog(settings: Settings, backlog: list[tuple[bytes, bytes]]) -> dict[str, int]:
    """Produce once, keyed by match id; returns how many frames each partition got."""
    await ensure_topics(settings)
    async with RecordProducer(settings, linger_ms=5) as producer:
        futures = [await producer.send_raw(settings.topic_tracking, k, v) for k, v in backlog]
        await producer.flush()
        delivered = await asyncio.gather(*futures)
    partitions: dict[str, int] = {}
    for meta in delivered:
        partitions[str(meta.partition)] = partitions.get(str(meta.partition), 0) + 1
    return dict(sorted(partitions.items()))


@dataclass
class Drained:
    """What one run's subscription saw, and the process's CPU and RSS when its last output came."""

    started: float
    received: set[tuple[bytes, int]] = field(default_factory=set)
    duplicates: int = 0
    first_at: float | None = None
    last_at: float | None = None
    cpu_first: float | None = None
    cpu_last: float | None = None
    rss_mb: float | None = None
    meter: CpuMeter | None = None  # from the first output on
    cpu_pct: dict[str, float | None] = field(default_factory=dict)
    ended: str = "complete"


def _count(pushes: list[Push], drained: Drained) -> bool:
    """Add the frame outputs among ``pushes``; True when any was new."""
    before = len(drained.received)
    for push in pushes:
        if push.kind != b"pmessage":
            continue
        key = (push.channel, push.frame)
        if key in drained.received:
            drained.duplicates += 1
        else:
            drained.received.add(key)
    return len(drained.received) > before


async def await_outputs(
    feed: FrameFeed, proc: subprocess.Popen[bytes], expected: int, services: dict[str, int | None]
) -> Drained:
    """Count frame outputs until all ``expected`` came, the process died, or nothing new came for a
    while (longer before the first output: the consumer has to start and join its group)."""
    drained = Drained(started=time.perf_counter())
    progress_at = time.monotonic()
    while len(drained.received) < expected:
        pushes = await feed.read(1.0)
        now = time.perf_counter()
        if _count(pushes, drained):
            progress_at = time.monotonic()
            drained.last_at = now
            if drained.first_at is None:
                drained.first_at, drained.cpu_first = now, cpu_seconds(proc.pid)
                drained.meter = CpuMeter({"worker": proc.pid, **services})
        if proc.poll() is not None:
            drained.ended = f"process exited with {proc.returncode}"
            break
        limit = STARTUP_TIMEOUT_S if drained.first_at is None else STALL_TIMEOUT_S
        if time.monotonic() - progress_at > limit:
            drained.ended = f"no new output for {limit:.0f}s"
            break
    # Sampled at once: after the last output the process only idles (or shuts down).
    drained.cpu_last, drained.rss_mb = cpu_seconds(proc.pid), peak_rss_mb(proc.pid)
    if drained.meter is not None:
        drained.cpu_pct = drained.meter.percents()
    return drained


def drain_figures(run: Run, round_no: int, expected: int, drained: Drained) -> dict[str, Any]:
    received = len(drained.received)
    figures: dict[str, Any] = {
        "variant": run.variant,
        "round": round_no,
        "frames": expected,
        "received": received,
        "duplicates": drained.duplicates,
        "complete": received >= expected,
        "ended": drained.ended,
        "rss_mb": drained.rss_mb,
    }
    if drained.first_at is None or drained.last_at is None:
        return figures
    span = drained.last_at - drained.first_at
    figures |= {
        "frames_per_s": round(received / span, 1) if span > 0 else None,
        "drain_s": round(span, 2),
        "first_output_after_s": round(drained.first_at - drained.started, 2),
        "wall_s": round(drained.last_at - drained.started, 2),
    }
    if drained.cpu_last is not None and drained.cpu_first is not None:
        figures |= {
            "cpu_s": round(drained.cpu_last, 2),
            "cpu_us_per_frame": round(drained.cpu_last / received * 1e6, 1),
            # Without start-up (imports, joining the group): what each further frame costs.
            "cpu_us_per_frame_flowing": round((drained.cpu_last - drained.cpu_first) / received * 1e6, 1),
        }
    return figures | drained.cpu_pct


async def drain_once(
    settings: Settings, run: Run, round_no: int, expected: int, services: dict[str, int | None]
) -> dict[str, Any]:
    feed = await FrameFeed.open(settings.redis_url, f"{run.run_id}:*:frame")
    proc = start(settings, run)
    try:
        drained = await await_outputs(feed, proc, expected, services)
    finally:
        code = stop(proc)
        await feed.close()
    figures = drain_figures(run, round_no, expected, drained)
    figures["exit_code"] = code
    if not figures["complete"]:
        figures["log_tail"] = log_tail(run)
    return figures


def describe(figures: dict[str, Any]) -> str:
    head = f"round {figures['round']} {figures['variant']}: {figures['received']}/{figures['frames']} frames"
    if "frames_per_s" not in figures:
        return f"{head}, {figures['ended']}"
    return (
        f"{head}, {figures['frames_per_s']} frames/s over {figures['drain_s']}s "
        f"(wall {figures['wall_s']}s), cpu {figures.get('cpu_us_per_frame')} us/frame "
        f"({figures.get('cpu_us_per_frame_flowing')} flowing), peak rss {figures['rss_mb']} MB; "
        f"cpu while draining: process {figures.get('worker_cpu_pct')}%, "
        f"kafka {figures.get('kafka_cpu_pct')}%, redis {figures.get('redis_cpu_pct')}%, "
        f"bench {figures.get('bench_cpu_pct')}%, "
        f"others {figures.get('others_cpu_pct')}%, machine busy {figures.get('machine_busy_pct')}%"
        + ("" if figures["complete"] else f", INCOMPLETE: {figures['ended']}")
    )
