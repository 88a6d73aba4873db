"""Fan-out benchmark (issue 13): N WebSocket clients on one gateway during a 10-match load.

    python -m benchmarks.fanout [--clients 500] [--matches 10] [--seconds 30] [--client-procs 1]

Processes, so that no two share an event loop: a Redis server of its own (own port, nothing
persisted), the real gateway (``python -m stream gateway``: uvicorn, one event loop), the WebSocket
clients (``--client-procs`` processes, spread over the matches, all kinds), a plain Redis
``PSUBSCRIBE`` client as the baseline, and this process writing the load.

The load is written the way a worker writes it: through :class:`~stream.outputs.publisher.RedisPublisher`
(``PUBLISH`` + ``XADD`` + ``SET`` latest, one pipeline per round), at 25 Hz per match, the outputs
made beforehand by the worker's own :class:`~stream.match.processing.MatchProcessor` from simulated
frames of 22 players and the ball (``frame`` each frame, ``player_stats`` and ``team_stats`` at 2 Hz).
Each output carries ``data.bench_ns``, the monotonic clock (system-wide on Linux) read as the
publisher starts the Redis write that carries it, the moment it also takes ``published_ts``.

Latency is that stamp -> the client's socket read, per output per client (``published_ts`` -> receipt,
ms resolution, beside it). Every client checks ``seq`` per kind and counts what it got against what
its match was sent; the run fails (exit 1) if any client missed, repeated or was dropped, or the
run was incomplete. GC stays on everywhere. Prints a few lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.fanout_client import ClientPlan, ClientReport, run_baseline, run_clients
from benchmarks.frame_processing import frame_records
from models.settings import Settings
from stream.contracts import Output
from stream.match.processing import MatchProcessor, Received
from stream.outputs.publisher import RedisPublisher
from stream.stack.redis import RedisServer, redis_ready
from stream.worker.app import redis_client

MUST_P99_MS = 25.0  # issue 13: 500 clients; the goal is the same at 2,000
GOAL_CLIENTS = 2_000


class StampingPublisher(RedisPublisher):
    """The worker's publisher, stamping each output with the monotonic clock as its write begins."""

    async def _write(self, batch: list[Output]) -> None:
        now = time.perf_counter_ns()
        stamped = [msgspec.structs.replace(o, data={**o.data, "bench_ns": now}) for o in batch]
        await super()._write(stamped)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_load(match_ids: list[str], ticks: int) -> list[list[Output]]:
    """Per tick (a 25 Hz frame), every match's outputs of one frame, as the worker makes them."""
    processor, received = MatchProcessor(), Received(0, 0)
    t0 = time.time_ns() // 1_000_000
    tracks = [frame_records(ticks, m, seed=i, t0=t0) for i, m in enumerate(match_ids)]
    load: list[list[Output]] = []
    for k in range(ticks):
        outputs, failed = processor.on_frames([(track[k], received, None) for track in tracks])
        if failed:
            raise failed[0][1]
        load.append(outputs)
    return load


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"n": 0}
    qs = {"p50": 50, "p90": 90, "p99": 99, "p999": 99.9}
    return {k: round(float(np.percentile(values, q)), 2) for k, q in qs.items()} | {
        "max": round(float(values.max()), 2),
        "n": len(values),
    }


@contextlib.contextmanager
def private_redis(state_dir: Path) -> Iterator[tuple[Settings, int]]:
    """A Redis server of the run's own, and its pid (its CPU is part of the figures)."""
    settings = Settings(redis_url=f"redis://127.0.0.1:{_free_port()}/0", state_dir=state_dir)  # type: ignore[call-arg]
    server = RedisServer(settings)
    pid = server.start()
    try:
        deadline = time.monotonic() + 15
        while not redis_ready(settings):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start; see {server.log_dir / 'redis.log'}")
            time.sleep(0.05)
        yield settings, pid
    finally:
        server.process.stop()


@contextlib.contextmanager
def gateway_process(
    settings: Settings, prefix: str, port: int, log: Path, pythonpath: str | None
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        **({"PYTHONPATH": pythonpath} if pythonpath else {}),
        "PITCHSIDE_REDIS_URL": settings.redis_url,
        "PITCHSIDE_REDIS_PREFIX": prefix,
        "PITCHSIDE_LOG_LEVEL": "warn",
        "PITCHSIDE_GATEWAY_TOKENS": "",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stream", "gateway", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the gateway did not start; see {log}")
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gateway_metrics(port: int) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5.0).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


@contextlib.asynccontextmanager
async def publishing(settings: Settings, prefix: str) -> AsyncIterator[StampingPublisher]:
    client = redis_client(settings)
    pub = StampingPublisher(client, prefix=prefix)
    task = asyncio.create_task(pub.run())
    try:
        yield pub
    finally:
        await pub.flush()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()


async def write_load(settings: Settings, prefix: str, load: list[list[Output]], hz: float) -> float:
    """Each tick's outputs at its time on an absolute schedule (a late tick does not delay the
    rest); returns how long it took, seconds."""
    async with publishing(settings, prefix) as pub:
        start = time.perf_counter()
        for k, outputs in enumerate(load):
            delay = start + k / hz - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load at 25 Hz, not waiting for a signal
            await pub.publish_many(outputs)
        await pub.flush()
        return time.perf_counter() - start


def _spawn(target: Any, *args: Any) -> tuple[Any, Connection]:
    ours, theirs = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, theirs), daemon=True)
    proc.start()
    return proc, ours


def _expect(pipe: Connection, what: str, timeout_s: float) -> Any:
    if not pipe.poll(timeout_s):
        raise RuntimeError(f"timed out waiting for {what}")
    return pipe.recv()


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607

    return git("rev-parse", "--short", "HEAD") + (
        "-dirty" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    prefix = f"fanout-{run_id}"
    match_ids = [f"fanout-{run_id}-{m:02d}" for m in range(args.matches)]
    ticks = int(args.seconds * args.hz)
    load = build_load(match_ids, ticks)
    expected = {m: sum(o.match_id == m for tick in load for o in tick) for m in match_ids}
    print(f"load: {ticks} ticks x {args.matches} matches, {sum(expected.values())} outputs", flush=True)
    state = Path(tempfile.mkdtemp(prefix="pitchside-fanout-"))
    port = _free_port()
    deadline_s = args.seconds + 60.0
    with (
        private_redis(state) as (settings, redis_pid),
        gateway_process(settings, prefix, port, state / "gateway.log", args.gateway_pythonpath) as gw,
    ):
        per_client = [match_ids[i % args.matches] for i in range(args.clients)]
        shares = [per_client[p :: args.client_procs] for p in range(args.client_procs)]
        baseline, baseline_pipe = _spawn(
            run_baseline,
            settings.redis_url,
            f"{prefix}:fanout-{run_id}-*",
            sum(expected.values()),
            deadline_s,
        )
        procs = [
            _spawn(run_clients, ClientPlan("127.0.0.1", port, share, expected, deadline_s=deadline_s))
            for share in shares
        ]
        _expect(baseline_pipe, "the baseline subscriber", 60)
        for _, pipe in procs:
            _expect(pipe, "the clients to connect", 300)
        connected = _gateway_metrics(port).get("pitchside_gateway_clients{transport=ws}", 0)
        print(f"{int(connected)} clients connected; writing the load for {args.seconds:.0f} s", flush=True)
        cpu_before, redis_before, wall_before = _cpu_s(gw.pid), _cpu_s(redis_pid), time.perf_counter()
        load_s = asyncio.run(write_load(settings, prefix, load, args.hz))
        reports: list[ClientReport] = [
            _expect(pipe, "the clients' reports", deadline_s + 30) for _, pipe in procs
        ]
        gateway_cpu_s, redis_cpu_s = _cpu_s(gw.pid) - cpu_before, _cpu_s(redis_pid) - redis_before
        # Over the whole delivery: a gateway that falls behind goes on sending after the load ends.
        cpu_wall_s = time.perf_counter() - wall_before
        base: ClientReport = _expect(baseline_pipe, "the baseline's report", 60)
        metrics = _gateway_metrics(port)
        for proc, _ in [*procs, (baseline, None)]:
            proc.join(timeout=10)
    return figures(
        args, reports, base, expected, per_client, metrics, load_s, (gateway_cpu_s, redis_cpu_s, cpu_wall_s)
    )


def figures(
    args: argparse.Namespace,
    reports: list[ClientReport],
    base: ClientReport,
    expected: dict[str, int],
    per_client: list[str],
    metrics: dict[str, float],
    load_s: float,
    cpu_s: tuple[float, float, float],
) -> dict[str, Any]:
    gateway_cpu_s, redis_cpu_s, cpu_wall_s = cpu_s
    latency = np.concatenate([np.frombuffer(r.latency_ms, dtype=np.float64) for r in reports])
    published = np.concatenate([np.frombuffer(r.published_ms, dtype=np.float64) for r in reports])
    base_latency = np.frombuffer(base.latency_ms, dtype=np.float64)
    received = sum(sum(r.received) for r in reports)
    want = sum(expected[m] for m in per_client)
    shares = [per_client[p :: args.client_procs] for p in range(args.client_procs)]
    short = sum(
        got < expected[m]
        for r, share in zip(reports, shares, strict=True)
        for got, m in zip(r.received, share, strict=True)
    )
    span_s = (
        (max(r.last_ns for r in reports) - min(r.first_ns for r in reports if r.first_ns)) / 1e9
        if received
        else 0.0
    )
    dropped = {
        reason: int(
            metrics.get(f"pitchside_gateway_clients_dropped_total{{reason={reason},transport=ws}}", 0)
        )
        for reason in ("slow", "redis")
    }
    lat, base_p = _percentiles(latency), _percentiles(base_latency)
    complete = (
        received == want
        and short == 0
        and sum(r.repeats + r.gaps + r.closed_early for r in reports) == 0
        and sum(base.received) == sum(expected.values())
        and not any(dropped.values())
    )
    p99 = lat.get("p99", float("inf"))
    return {
        "benchmark": "fanout",
        "commit": _commit(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "load": "RedisPublisher (the worker's writes), outputs by MatchProcessor from simulated 25 Hz frames",
        "gateway_source": args.gateway_pythonpath or "this tree",
        "clients": args.clients,
        "client_procs": args.client_procs,
        "matches": args.matches,
        "seconds": round(load_s, 1),
        "latency_ms": lat,
        "published_ts_latency_ms": _percentiles(published),
        "baseline_pubsub_latency_ms": base_p,
        "vs_baseline": {
            k: round(lat[k] / base_p[k], 2) for k in ("p50", "p99", "max") if k in lat and base_p.get(k)
        },
        "messages_per_s": round(received / span_s) if span_s else 0,
        "received": received,
        "expected": want,
        "clients_short": short,
        "repeats": sum(r.repeats for r in reports),
        "gaps": sum(r.gaps for r in reports),
        "dropped_clients": dropped,
        "close_codes": {str(k): v for r in reports for k, v in r.close_codes.items()},
        "delivery_s": round(cpu_wall_s, 1),
        "gateway_cpu_core_share": round(gateway_cpu_s / cpu_wall_s, 2),
        "gateway_cpu_us_per_message": round(gateway_cpu_s / received * 1e6, 1) if received else None,
        "redis_cpu_core_share": round(redis_cpu_s / cpu_wall_s, 2),
        "clients_cpu_core_share": round(sum(r.cpu_s for r in reports) / cpu_wall_s, 2),
        "gateway_messages_sent": int(metrics.get("pitchside_gateway_messages_sent_total{transport=ws}", 0)),
        "complete": complete,
        "must_p99_lt_25ms_at_500": complete and args.clients >= 500 and p99 < MUST_P99_MS,
        "goal_p99_lt_25ms_at_2000": complete and args.clients >= GOAL_CLIENTS and p99 < MUST_P99_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--matches", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--hz", type=float, default=25.0, help="frames per match per second")
    parser.add_argument("--client-procs", type=int, default=1, help="processes the clients are spread over")
    parser.add_argument(
        "--gateway-pythonpath",
        help="run the gateway from this source tree (say, an older commit's, for a before/after)",
    )
    args = parser.parse_args()
    result = run(args)
    lat = result["latency_ms"]
    print(
        f"{result['clients']} clients, {result['matches']} matches: p50 {lat.get('p50')} ms, "
        f"p99 {lat.get('p99')} ms, max {lat.get('max')} ms; {result['messages_per_s']} messages/s; "
        f"received {result['received']}/{result['expected']}; baseline p99 "
        f"{result['baseline_pubsub_latency_ms'].get('p99')} ms"
    )
    print(json.dumps(result))
    if not result["complete"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
