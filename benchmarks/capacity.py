"""Capacity of one pitchside worker: how fast it drains a backlog next to bare pass-throughs, and how
many live matches it keeps under 50 ms from Kafka to Redis.

    python -m benchmarks.capacity [--frames 50000] [--matches 16] [--rounds 2]
                                  [--sweep 10,25,50,100] [--sweep-seconds 60] [--skip-sweep]

Runs a stack of its own (own state directory, Kafka on 29192/29193, Redis on 26479).

1. Drain: one backlog of at least ``--frames`` full frames (22 players and the ball) over
   ``--matches`` matches, interleaved, is produced once. Each round then drains it with three
   consumers in turn (the order rotates each round), each a fresh subprocess with a fresh consumer
   group reading from the earliest offset and its own Redis prefix:
   ``bare_faust`` (a Faust agent forwarding each frame to Redis, see ``benchmarks.bare_faust``),
   ``aiokafka`` (a plain consumer forwarding each ``getmany`` batch) and ``pitchside`` (``python -m
   stream worker``, default settings). Each run counts the ``frame`` outputs on a Redis pattern
   subscription: frames/s from the first output to the last, the process's CPU time per frame (read
   from /proc when the last output arrives) and its peak RSS.
2. Sweep (unless ``--skip-sweep``): for each N in ``--sweep``, a fresh pitchside worker gets N matches
   live at 25 Hz for ``--sweep-seconds``; each frame is timed from being handed to the producer to
   its ``frame`` output arriving on Redis, and the lag (frames produced - outputs received) is read
   every second.

Progress goes to stderr; stdout gets one JSON line. Exits 1 when any run missed frames.
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
from statistics import median
from typing import Any

import redis

from benchmarks.capacity_drain import build_backlog, describe, drain_once, produce_backlog
from benchmarks.capacity_probe import REPO, Run, log
from benchmarks.capacity_sweep import sweep
from models.settings import Settings
from stream.stack import Stack
from stream.stack.kafka import port_open

KAFKA_PORT, CONTROLLER_PORT, REDIS_PORT = 29192, 29193, 26479
VARIANTS = ("bare_faust", "aiokafka", "pitchside")


# --- settings ----------------------------------------------------------------------------------


def bench_settings(state_dir: Path) -> Settings:
    return Settings(
        kafka_bootstrap=f"127.0.0.1:{KAFKA_PORT}",
        kafka_controller_port=CONTROLLER_PORT,
        redis_url=f"redis://127.0.0.1:{REDIS_PORT}/0",
        state_dir=state_dir,
    )


# --- drain rounds ------------------------------------------------------------------------------


async def drain_rounds(
    settings: Settings, rounds: int, expected: int, services: dict[str, int | None]
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for round_no in range(1, rounds + 1):
        shift = (round_no - 1) % len(VARIANTS)  # rotate the order so no variant always goes first
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            run_id = f"cap-{variant.replace('_', '')}-r{round_no}-{uuid.uuid4().hex[:6]}"
            run = Run(variant, run_id, settings.state_dir / "runs" / run_id, settings.topic_tracking)
            figures = await drain_once(settings, run, round_no, expected, services)
            log(describe(figures))
            if not figures["complete"]:
                log(f"{run_id} log tail:\n{figures['log_tail']}")
            runs.append(figures)
    return runs


# --- drain summary -----------------------------------------------------------------------------


def _median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(median(values), 1) if values else None


def summarise_variants(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for variant in VARIANTS:
        mine = sorted((r for r in runs if r["variant"] == variant), key=lambda r: r["round"])
        done = [r for r in mine if r["complete"]]
        summary[variant] = {
            # One per round; None for a round that missed frames.
            "frames_per_s": [r.get("frames_per_s") if r["complete"] else None for r in mine],
            "frames_per_s_median": _median_of(done, "frames_per_s"),
            "cpu_us_per_frame_median": _median_of(done, "cpu_us_per_frame"),
            "cpu_us_per_frame_flowing_median": _median_of(done, "cpu_us_per_frame_flowing"),
            "rss_mb_median": _median_of(done, "rss_mb"),
            "complete_runs": len(done),
            "runs": len(mine),
        }
    return summary


def ratio(runs: list[dict[str, Any]], numerator: str, denominator: str) -> dict[str, Any]:
    """``numerator`` frames/s over ``denominator`` frames/s within each round (same conditions)."""
    rates: dict[tuple[str, int], float] = {
        (r["variant"], r["round"]): r["frames_per_s"] for r in runs if r["complete"] and r.get("frames_per_s")
    }
    per_round = [
        round(rates[(numerator, n)] / rates[(denominator, n)], 3)
        for n in sorted({r["round"] for r in runs})
        if (numerator, n) in rates and (denominator, n) in rates
    ]
    if not per_round:
        return {"per_round": []}
    return {
        "per_round": per_round,
        "min": min(per_round),
        "median": round(median(per_round), 3),
        "max": max(per_round),
    }


# --- the whole run -----------------------------------------------------------------------------


def git(*args: str) -> str:
    binary = shutil.which("git")
    if binary is None:
        return ""
    out = subprocess.run([binary, *args], cwd=REPO, capture_output=True, text=True, check=False)
    return out.stdout.strip()


def source() -> dict[str, Any]:
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "worktree_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    return {
        "platform": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "cpus": os.cpu_count(),
        "cpu_model": model,
    }


async def make_backlog(settings: Settings, frames: int, matches: int) -> tuple[int, dict[str, int]]:
    """Build and produce the backlog; returns its size and frames per partition. The frames are not
    kept: this process receives during every run, and its collector need not walk them."""
    started = time.perf_counter()
    backlog = build_backlog(frames, matches)
    built_s = time.perf_counter() - started
    log(f"backlog: {len(backlog)} frames over {matches} matches, built in {built_s:.1f}s")
    partitions = await produce_backlog(settings, backlog)
    log(f"produced; frames per partition {partitions}")
    return len(backlog), partitions


async def measure(
    settings: Settings, args: argparse.Namespace, services: dict[str, int | None]
) -> dict[str, Any]:
    frames, partitions = await make_backlog(settings, args.frames, args.matches)
    runs = await drain_rounds(settings, args.rounds, frames, services)
    figures: dict[str, Any] = {
        "drain": {
            "frames": frames,
            "matches": args.matches,
            "frames_per_partition": partitions,
            "rounds": args.rounds,
            "variants": summarise_variants(runs),
            "ratios": {
                "pitchside_over_bare_faust": ratio(runs, "pitchside", "bare_faust"),
                "pitchside_over_aiokafka": ratio(runs, "pitchside", "aiokafka"),
            },
            "runs": runs,
        }
    }
    if not args.skip_sweep:
        variants = ("pitchside", "bare_faust") if args.sweep_baseline else ("pitchside",)
        figures["sweep"] = await sweep(settings, args.sweep, args.sweep_seconds, services, variants)
    return figures


def incomplete(figures: dict[str, Any]) -> bool:
    runs = figures["drain"]["runs"]
    points = figures.get("sweep", {}).get("points", [])
    return not all(r["complete"] for r in runs) or not all(p["complete"] for p in points)


def others_max(figures: dict[str, Any]) -> float | None:
    """The most CPU anything but the stack, the measured process and this one took during a run."""
    measured = figures["drain"]["runs"] + figures.get("sweep", {}).get("points", [])
    values = [m["others_cpu_pct"] for m in measured if m.get("others_cpu_pct") is not None]
    return max(values) if values else None


def match_counts(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=50_000, help="backlog size, at least")
    parser.add_argument("--matches", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="drains of the backlog per variant")
    parser.add_argument("--sweep", type=match_counts, default=[10, 25, 50, 100], help="live match counts")
    parser.add_argument("--sweep-seconds", type=float, default=60.0)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument(
        "--sweep-baseline", action="store_true", help="sweep the bare Faust pass-through too, at each N"
    )
    return parser.parse_args()


def ports_taken() -> list[int]:
    return [port for port in (KAFKA_PORT, CONTROLLER_PORT, REDIS_PORT) if port_open("127.0.0.1", port)]


def start_stack(stack: Stack, settings: Settings) -> None:
    stack.kafka.fetch()  # a one-off download, cached
    stack.up()
    # Our own Redis: let a subscriber fall behind without being disconnected (the default pub/sub
    # limit is 32 MB), so a slow reader shows up as lateness, never as missing frames.
    client = redis.Redis.from_url(settings.redis_url)
    client.config_set("client-output-buffer-limit", "pubsub 0 0 0")
    client.close()


def main() -> None:
    args = parse_args()
    # The stack would take a server already answering on one of its ports as "external" and use
    # it: a second run at the same time would share this one's broker, and lose it when this stops.
    if taken := ports_taken():
        sys.exit(f"ports {taken} are in use: is another benchmarks.capacity running?")
    state_dir = Path(tempfile.mkdtemp(prefix="pitchside-capacity-"))
    settings = bench_settings(state_dir)
    wall = time.perf_counter()
    # Read before the workers start: the code they run is the code at this point.
    code_at_start = source()
    figures: dict[str, Any] = {}
    stack = Stack(settings)
    try:
        start_stack(stack, settings)
        # Their CPU is read too: on two cores the broker and Redis compete with the measured process.
        services = {"kafka": stack.kafka.process.pid(), "redis": stack.redis.process.pid()}
        figures = asyncio.run(measure(settings, args, services))
    finally:
        stack.down()  # stops only what it started
        # Keep the logs of a run that missed frames; otherwise leave nothing behind.
        if figures and not incomplete(figures):
            shutil.rmtree(state_dir, ignore_errors=True)
        else:
            log(f"state and logs kept in {state_dir}")
    code_at_end = source()
    figures = {
        "benchmark": "capacity",
        **code_at_start,
        # Others may commit or edit while this runs; later workers then ran other code.
        "source_changed_during_run": code_at_end != code_at_start,
        "machine": machine(),
        "wall_s": round(time.perf_counter() - wall, 1),
    } | figures
    figures["others_cpu_pct_max"] = others_max(figures)
    figures["complete"] = not incomplete(figures)
    print(json.dumps(figures))
    sys.exit(0 if figures["complete"] else 1)


if __name__ == "__main__":
    main()
