"""The live latency sweep of ``benchmarks.capacity``: a fresh pitchside worker gets N matches live at
25 Hz; each frame is timed from being handed to the producer to its ``frame`` output arriving on
Redis, and the lag (frames produced - outputs received) is read every second."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec
import numpy as np

from benchmarks.capacity_feed import FrameFeed
from benchmarks.capacity_probe import (
    STALL_TIMEOUT_S,
    STARTUP_TIMEOUT_S,
    CpuMeter,
    Run,
    log,
    log_tail,
    peak_rss_mb,
    start,
    stop,
)
from benchmarks.frame_processing import frame_records
from models.settings import Settings
from stream.contracts import TrackingFrame
from stream.probe import wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.worker.app import redis_client
from stream.worker.topics import ensure_topics

FRAME_PERIOD_S = 0.040  # 25 Hz
TEMPLATE_FRAMES = 125  # distinct positions per sweep match (5 s), played forwards then backwards
P99_TARGET_MS = 50.0

_encode = msgspec.json.Encoder().encode


class FrameTemplate(NamedTuple):
    """An encoded frame split around its frame number and ts, so a send only splices two numbers
    into prebuilt bytes (the encoder's field order: match_id, sport, frame, ts, ...)."""

    head: bytes
    tail: bytes

    def payload(self, frame: int, ts: int) -> bytes:
        return b'%b%d,"ts":%d,%b' % (self.head, frame, ts, self.tail)


def template(record: TrackingFrame) -> FrameTemplate:
    encoded = _encode(record)
    marker = b'"frame":%d,"ts":%d,' % (record.frame, record.ts)
    at = encoded.find(marker)
    if at < 0:
        raise RuntimeError("the frame's encoding changed: no frame/ts fields to splice")
    made = FrameTemplate(encoded[:at] + b'"frame":', encoded[at + len(marker) :])
    if made.payload(12345, 1_700_000_000_001) != _encode(
        msgspec.structs.replace(record, frame=12345, ts=1_700_000_000_001)
    ):
        raise RuntimeError("splicing frame/ts into an encoded frame does not match the encoder")
    return made


@dataclass
class LiveMatch:
    key: bytes
    channel: bytes
    templates: list[FrameTemplate]
    sent_at: list[float] = field(default_factory=list)  # perf_counter per frame number
    got: bytearray = field(default_factory=bytearray)  # 1 per frame number whose output came

    def payload(self, frame: int, ts: int) -> bytes:
        # Forwards then backwards through the positions, so players never jump.
        cycle = 2 * len(self.templates) - 2
        i = frame % cycle
        return self.templates[i if i < len(self.templates) else cycle - i].payload(frame, ts)


def live_matches(n: int, prefix: str, ticks: int) -> list[LiveMatch]:
    now = time.time_ns() // 1_000_000
    out = []
    for i in range(n):
        match_id = f"live-{i:03d}"
        records = frame_records(TEMPLATE_FRAMES, match_id, seed=1000 + i, t0=now)
        out.append(
            LiveMatch(
                match_id.encode(),
                f"{prefix}:{match_id}:frame".encode(),
                [template(r) for r in records],
                got=bytearray(ticks),
            )
        )
    return out


@dataclass
class SweepState:
    produced: int = 0
    received: int = 0
    duplicates: int = 0
    producing: bool = True
    latencies_ms: list[float] = field(default_factory=list)
    max_lag: int = 0
    send_late_max_ms: float = 0.0


async def send_live(
    producer: RecordProducer, topic: str, matches: list[LiveMatch], ticks: int, state: SweepState
) -> None:
    """Frame k of match i is due at start + 40 ms * (k + i / N): each match at 25 Hz, the matches
    spread over the 40 ms as independent feeds would be. Due times come from one monotonic schedule,
    so a late wake-up sends what is due at once instead of drifting."""
    start = time.monotonic() + 0.1
    n = len(matches)
    for k in range(ticks):
        for i, match in enumerate(matches):
            due = start + FRAME_PERIOD_S * (k + i / n)
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                state.send_late_max_ms = max(state.send_late_max_ms, -delay * 1000.0)
            payload = match.payload(k, time.time_ns() // 1_000_000)
            match.sent_at.append(time.perf_counter())
            await producer.send_raw(topic, match.key, payload)  # enqueues; delivery not awaited
            state.produced += 1
    await producer.flush()
    state.producing = False


async def receive_live(feed: FrameFeed, matches: list[LiveMatch], state: SweepState) -> None:
    by_channel = {m.channel: m for m in matches}  # other channels: the probe match
    progress_at = time.monotonic()
    while state.producing or state.received < state.produced:
        pushes = await feed.read(1.0)
        now = time.perf_counter()
        for push in pushes:
            match = by_channel.get(push.channel)
            if match is None or not 0 <= push.frame < len(match.got):
                continue
            if match.got[push.frame]:
                state.duplicates += 1
                continue
            match.got[push.frame] = 1
            state.received += 1
            state.latencies_ms.append((now - match.sent_at[push.frame]) * 1000.0)
            progress_at = time.monotonic()
        if not state.producing and time.monotonic() - progress_at > STALL_TIMEOUT_S:
            return


async def sample_lag(state: SweepState) -> None:
    while True:
        await asyncio.sleep(1.0)
        state.max_lag = max(state.max_lag, state.produced - state.received)


def latency_figures(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    arr = np.asarray(values)
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p99": round(float(np.percentile(arr, 99)), 2),
        "max": round(float(arr.max()), 2),
        "n": len(values),
    }


@dataclass
class LiveRun:
    state: SweepState
    flowing_after_s: float
    cpu_pct: dict[str, float | None]  # from the first frame sent to the last output received


async def feed_live(
    producer: RecordProducer, feed: FrameFeed, topic: str, matches: list[LiveMatch], ticks: int
) -> SweepState:
    state = SweepState()
    lag = asyncio.create_task(sample_lag(state))
    try:
        await asyncio.gather(
            send_live(producer, topic, matches, ticks, state), receive_live(feed, matches, state)
        )
    finally:
        lag.cancel()
    return state


async def run_live(
    settings: Settings, run: Run, pids: dict[str, int | None], n: int, seconds: float
) -> LiveRun:
    """Feed ``n`` live matches to the worker (``pids["worker"]``) of ``run`` once it flows."""
    ticks = int(seconds / FRAME_PERIOD_S)
    matches = live_matches(n, run.run_id, ticks)
    topic_settings = settings.model_copy(update={"topic_tracking": run.topic})
    client = redis_client(settings)
    try:
        async with RecordProducer(topic_settings, linger_ms=5) as producer:
            ready_s = await wait_until_flowing(
                producer, client, prefix=run.run_id, timeout_s=STARTUP_TIMEOUT_S
            )
            feed = await FrameFeed.open(settings.redis_url, f"{run.run_id}:*:frame")
            meter = CpuMeter(pids)
            try:
                state = await feed_live(producer, feed, run.topic, matches, ticks)
            finally:
                await feed.close()
            return LiveRun(state, ready_s, meter.percents())
    finally:
        await client.aclose()


def point_figures(n: int, seconds: float, live: LiveRun) -> dict[str, Any]:
    state = live.state
    return {
        "matches": n,
        "seconds": seconds,
        "produced": state.produced,
        "received": state.received,
        "duplicates": state.duplicates,
        "complete": state.received >= state.produced,
        "latency_ms": latency_figures(state.latencies_ms),
        "max_lag_frames": state.max_lag,
        "send_late_max_ms": round(state.send_late_max_ms, 1),
        "worker_flowing_after_s": round(live.flowing_after_s, 2),
    } | live.cpu_pct


async def sweep_point(
    settings: Settings, n: int, seconds: float, services: dict[str, int | None], variant: str = "pitchside"
) -> dict[str, Any]:
    run_id = f"cap-live{n}-{variant.replace('_', '')}-{uuid.uuid4().hex[:6]}"
    # A topic of its own: a fresh group reads from the earliest offset, and must not start with the
    # drain backlog or an earlier point's frames.
    run = Run(variant, run_id, settings.state_dir / "runs" / run_id, f"{run_id}.tracking")
    await ensure_topics(settings.model_copy(update={"topic_tracking": run.topic}))
    proc = start(settings, run)
    try:
        live = await run_live(settings, run, {"worker": proc.pid, **services}, n, seconds)
    except Exception as exc:  # the worker never flowed, or died: report it, go on with the next N
        stop(proc)
        return {
            "matches": n,
            "variant": variant,
            "complete": False,
            "error": repr(exc),
            "log_tail": log_tail(run),
        }
    rss = peak_rss_mb(proc.pid)
    figures = {"variant": variant} | point_figures(n, seconds, live)
    figures |= {"worker_rss_mb": rss, "exit_code": stop(proc)}
    if not figures["complete"]:
        figures["log_tail"] = log_tail(run)
    return figures


def describe_point(p: dict[str, Any]) -> str:
    if "error" in p:
        return f"sweep {p['variant']} {p['matches']} matches: FAILED {p['error']}"
    lat = p["latency_ms"]
    return (
        f"sweep {p['variant']} {p['matches']} matches x {p['seconds']}s: "
        f"{p['received']}/{p['produced']} frames, "
        f"latency p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms, "
        f"max lag {p['max_lag_frames']} frames, worker cpu {p['worker_cpu_pct']}%, "
        f"kafka {p['kafka_cpu_pct']}%, redis {p['redis_cpu_pct']}%, bench {p['bench_cpu_pct']}%, "
        f"others {p['others_cpu_pct']}%, machine busy {p['machine_busy_pct']}% "
        f"(steal {p['machine_steal_pct']}%), "
        f"sender late by up to {p['send_late_max_ms']} ms" + ("" if p["complete"] else " INCOMPLETE")
    )


async def sweep(
    settings: Settings,
    counts: list[int],
    seconds: float,
    services: dict[str, int | None],
    variants: tuple[str, ...] = ("pitchside",),
) -> dict[str, Any]:
    """Each N in turn, each variant at that N (pitchside; optionally the bare Faust pass-through
    as the baseline under the same live load)."""
    points = []
    for n in counts:
        for variant in variants:
            point = await sweep_point(settings, n, seconds, services, variant)
            log(describe_point(point))
            if not point["complete"]:
                log(f"{variant}, {n} matches: log tail:\n{point['log_tail']}")
            points.append(point)
    return {"points": points} | {
        f"max_matches_p99_under_50ms_{variant}": _max_under_target(points, variant) for variant in variants
    }


def _max_under_target(points: list[dict[str, Any]], variant: str) -> int | None:
    under = [
        p["matches"]
        for p in points
        if p["variant"] == variant
        and p["complete"]
        and p["latency_ms"]["p99"] is not None
        and p["latency_ms"]["p99"] < P99_TARGET_MS
    ]
    return max(under) if under else None
