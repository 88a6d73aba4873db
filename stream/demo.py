"""``pitchside demo``: the main job in one command. Brings the local stack up, starts a worker and a
gateway (its overlay page shows the match), replays a real match (with simulated tracking) and shows
the outputs arriving from Redis."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from models.settings import Settings

from .outputs.feed import LiveFeed
from .outputs.watch import WatchSummary, watch
from .probe import wait_until_flowing
from .sources.pacing import send_paced
from .sources.producer import RecordProducer
from .sources.replay import build_plan, resolve_match
from .stack import Stack
from .stack.process import ManagedProcess
from .worker.app import redis_client

__all__ = ["KEY_EVENTS", "is_key_event", "overlay_url", "run_demo", "start_gateway", "start_worker"]

# What a broadcast ticker shows; the full feed has ~3,000 events a match.
KEY_EVENTS = frozenset(
    {
        "shot",
        "half_start",
        "half_end",
        "substitution",
        "foul_committed",
        "bad_behaviour",
        "own_goal_against",
        "penalty",
        "starting_xi",
    }
)


def is_key_event(data: dict[str, Any]) -> bool:
    return data.get("type") in KEY_EVENTS


def start_worker(settings: Settings, name: str = "worker") -> ManagedProcess:
    process = ManagedProcess(name, settings.state_dir / "run", settings.state_dir / "logs")
    if process.pid() is None:
        process.start([sys.executable, "-m", "stream", "worker"])
    return process


def start_gateway(settings: Settings, name: str = "demo-gateway") -> ManagedProcess:
    process = ManagedProcess(name, settings.state_dir / "run", settings.state_dir / "logs")
    if process.pid() is None:
        process.start([sys.executable, "-m", "stream", "gateway"])
    return process


def overlay_url(settings: Settings, match_id: str) -> str:
    """The overlay page of ``match_id`` on the settings' gateway (a browser source for OBS)."""
    host = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "") else settings.gateway_host  # noqa: S104
    url = f"http://{host}:{settings.gateway_port}/overlay/{match_id}"
    # The token is the operator's secret: named, never printed.
    return url + "?token=<a PITCHSIDE_GATEWAY_TOKENS token>" if settings.gateway_tokens else url


async def _replay_and_watch(
    settings: Settings,
    match_id: str,
    speed: float,
    tracking_hz: float,
    minutes: float | None,
    out: Callable[[str], None],
) -> dict[str, Any]:
    source = resolve_match(settings, match_id)
    plan = build_plan(source, tracking_hz=tracking_hz)
    if minutes is not None:
        plan = plan.until(minutes)
    frames, events = plan.frames, plan.events
    label = "bundled sample" if source.bundled else str(source.path)
    out(
        f"replaying match {match_id} ({label}): {events} real events + {frames} SIMULATED tracking frames "
        f"at {tracking_hz:g} Hz, {speed:g}x speed. Event data: StatsBomb Open Data."
    )
    client = redis_client(settings)
    try:
        async with RecordProducer(settings) as producer:
            ready_s = await wait_until_flowing(producer, client, prefix=settings.redis_prefix)
            out(f"pipeline live (probe frame round trip after {ready_s:.1f}s); outputs from Redis:")
            feed = LiveFeed(client, prefix=settings.redis_prefix, match_id=match_id)
            # Start following before producing, so nothing is missed; stop on silence.
            watcher = asyncio.create_task(watch(feed, idle_timeout_s=5.0, show_events=is_key_event, out=out))
            await asyncio.sleep(0.2)
            report = await send_paced(producer, (m.record for m in plan), speed=speed)
            summary: WatchSummary = await watcher
    finally:
        await client.aclose()
    return {
        "match_id": match_id,
        "produced": {"frames": report.frames, "events": report.events},
        "replay_wall_s": round(report.wall_s, 1),
        **summary.as_dict(),
    }


def run_demo(
    settings: Settings,
    *,
    match_id: str,
    speed: float,
    tracking_hz: float,
    minutes: float | None,
    stop_stack: bool,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    stack = Stack(settings)
    started = time.monotonic()
    for comp in stack.up():
        out(f"{comp.name:<6} {comp.state:<9} {comp.address}  log: {comp.log}")
    out(f"local stack up in {time.monotonic() - started:.1f}s")
    worker = start_worker(settings, "demo-worker")
    out(f"worker started (pid {worker.pid()}), log: {worker.out_file}")
    gateway = start_gateway(settings)
    out(f"gateway started (pid {gateway.pid()}), log: {gateway.out_file}")
    out(f"overlay (open in a browser, or as an OBS browser source): {overlay_url(settings, match_id)}")
    try:
        return asyncio.run(_replay_and_watch(settings, match_id, speed, tracking_hz, minutes, out))
    finally:
        gateway.stop()
        worker.stop()
        if stop_stack:
            stack.down()
