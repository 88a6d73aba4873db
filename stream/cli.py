"""The ``pitchside`` command line: the entry point that builds the settings and composes the rest.

Every command turns a :class:`~models.errors.PitchsideError` or invalid setting into a one-line
message and exit status 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped]
from redis.exceptions import ConnectionError as RedisConnectionError

from models.errors import PitchsideError
from models.settings import Settings
from training.cli import evaluate_command, train
from training.cli_support import settings_from_env
from training.models_cli import compare_cmd, models

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):  # only if a command is invoked outside the group
        raise click.ClickException("internal: settings were not built")
    return settings


def friendly_errors(func: F) -> F:
    """Report expected failures, an unreachable Kafka or Redis among them, as one line and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PitchsideError as exc:
            raise click.ClickException(str(exc)) from None
        except KafkaConnectionError:
            where = _settings(click.get_current_context()).kafka_bootstrap
            raise click.ClickException(f"cannot reach Kafka at {where}: {_START_HINT}") from None
        except RedisConnectionError:
            where = _settings(click.get_current_context()).redis_url
            raise click.ClickException(f"cannot reach Redis at {where}: {_START_HINT}") from None

    return wrapper  # type: ignore[return-value]


_START_HINT = "start the local stack with `pitchside stack up`, or point PITCHSIDE_* at a running server"


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pitchside: real-time sports stats. Settings come from PITCHSIDE_* environment variables."""
    ctx.obj = settings_from_env()


# --- stack -----------------------------------------------------------------------------------------


@cli.group()
def stack() -> None:
    """The local stack without Docker: Kafka (KRaft) and Redis on loopback."""


def _print_status(statuses: list[Any]) -> None:
    for comp in statuses:
        pid = f"pid {comp.pid}" if comp.pid else ""
        click.echo(f"{comp.name:<6} {comp.state:<9} {comp.address:<16} {pid:<10} log: {comp.log}")


@stack.command("up")
@click.option("--timeout", default=90.0, show_default=True, help="seconds to wait for health")
@click.pass_context
@friendly_errors
def stack_up(ctx: click.Context, timeout: float) -> None:
    """Start Kafka and Redis (idempotent) and create the topics."""
    from .stack import Stack

    started = time.monotonic()
    statuses = Stack(_settings(ctx)).up(timeout_s=timeout)
    _print_status(statuses)
    click.echo(f"stack healthy in {time.monotonic() - started:.1f}s")


@stack.command("status")
@click.pass_context
@friendly_errors
def stack_status(ctx: click.Context) -> None:
    """Show each component's state; exit 1 unless all are healthy."""
    from .stack import Stack

    statuses = Stack(_settings(ctx)).status()
    _print_status(statuses)
    if not all(s.healthy for s in statuses):
        sys.exit(1)


@stack.command("down")
@click.option("--reset", is_flag=True, help="also delete Kafka's data (topics and offsets)")
@click.pass_context
@friendly_errors
def stack_down(ctx: click.Context, reset: bool) -> None:
    """Stop what the stack started."""
    from .stack import Stack

    stack_ = Stack(_settings(ctx))
    stopped = stack_.down()
    if reset:
        stack_.kafka.reset()
    click.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack.command("fetch")
@click.pass_context
@friendly_errors
def stack_fetch(ctx: click.Context) -> None:
    """Fetch the Kafka jars with Maven into the cache (done by `up` when needed)."""
    from .stack.kafka import KafkaBroker

    click.echo(f"Kafka jars in {KafkaBroker(_settings(ctx)).fetch()}")


# --- worker, producers, clients --------------------------------------------------------------------


@cli.command()
@click.pass_context
@friendly_errors
def worker(ctx: click.Context) -> None:
    """Run a Faust worker (more workers in the same group share the partitions)."""
    from .worker.runner import run_worker

    run_worker(_settings(ctx))


@cli.command()
@click.option("--host", help="address to bind  [default: PITCHSIDE_GATEWAY_HOST]")
@click.option("--port", type=click.IntRange(1, 65535), help="port  [default: PITCHSIDE_GATEWAY_PORT]")
@click.pass_context
@friendly_errors
def gateway(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the outputs to graphics engines over HTTP, WebSocket and SSE, with resume (`since=`).
    Separate from the workers; run as many as the clients need."""
    from .gateway import run_gateway

    settings = _settings(ctx)
    changes = {k: v for k, v in {"gateway_host": host, "gateway_port": port}.items() if v is not None}
    run_gateway(settings.model_copy(update=changes))


@cli.command()
@click.option("--match", "match_id", default="8658", show_default=True, help="StatsBomb match id")
@click.option("--file", "file", type=click.Path(path_type=Path), help="a StatsBomb events JSON instead")
@click.option("--speed", default=1.0, show_default=True, help="times real time; 0 = as fast as possible")
@click.option("--tracking-hz", default=25.0, show_default=True, help="simulated tracking rate")
@click.option("--minutes", type=float, help="replay only the first N match minutes")
@click.pass_context
@friendly_errors
def replay(
    ctx: click.Context,
    match_id: str,
    file: Path | None,
    speed: float,
    tracking_hz: float,
    minutes: float | None,
) -> None:
    """Produce a real match's events to Kafka, with SIMULATED tracking frames."""
    from .sources.pacing import send_paced
    from .sources.producer import RecordProducer
    from .sources.replay import build_plan, resolve_match

    settings = _settings(ctx)
    if tracking_hz <= 0 or tracking_hz > 50:
        raise click.BadParameter("must be in (0, 50]", param_hint="--tracking-hz")
    source = resolve_match(settings, match_id, file)
    plan = build_plan(source, tracking_hz=tracking_hz)
    if minutes is not None:
        plan = plan.until(minutes)

    async def run() -> Any:
        async with RecordProducer(settings) as producer:
            return await send_paced(producer, (m.record for m in plan), speed=speed)

    report = asyncio.run(run())
    figures = {
        "match_id": match_id,
        "frames_simulated": report.frames,
        "events": report.events,
        "wall_s": round(report.wall_s, 2),
        "behind_s": round(report.behind_s, 3),
    }
    click.echo(json.dumps(figures))


@cli.command()
@click.option("--matches", default=4, show_default=True, help="concurrent simulated matches")
@click.option("--hz", default=25.0, show_default=True, help="tracking frames per second per match")
@click.option("--duration", default=30.0, show_default=True, help="seconds to run")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--id-prefix", default="sim", show_default=True, help="match ids are PREFIX-0000, PREFIX-0001, ..."
)
@click.pass_context
@friendly_errors
def load(ctx: click.Context, matches: int, hz: float, duration: float, seed: int, id_prefix: str) -> None:
    """Generate N SIMULATED matches at real-time pace (for tests and benchmarks)."""
    from .sources.loadgen import merged_matches, sim_match_ids
    from .sources.pacing import send_paced
    from .sources.producer import RecordProducer

    settings = _settings(ctx)
    if matches < 1 or hz <= 0 or duration <= 0:
        raise click.BadParameter("--matches, --hz and --duration must be positive")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", id_prefix):
        raise click.BadParameter(
            "letters, digits, '_', '.', '-' only (it becomes part of match ids)", param_hint="--id-prefix"
        )

    async def run() -> Any:
        async with RecordProducer(settings, linger_ms=5) as producer:
            records = merged_matches(sim_match_ids(matches, id_prefix), hz=hz, seed=seed)
            return await send_paced(producer, records, speed=1.0, deadline_s=duration)

    report = asyncio.run(run())
    figures = {
        "matches": matches,
        "frames": report.frames,
        "events": report.events,
        "frames_per_s": round(report.frames / report.wall_s, 1),
        "behind_s": round(report.behind_s, 3),
    }
    click.echo(json.dumps(figures))


@cli.command()
@click.option(
    "--file", "path", type=click.Path(path_type=Path), help="Savant CSV [default: shared 2022-2024 file]"
)
@click.option("--limit", type=int, default=200, show_default=True, help="rows to send (0: all)")
@click.option("--rate", type=float, default=10.0, show_default=True, help="pitches per second (0: at once)")
@click.option(
    "--repeat", type=int, default=1, show_default=True, help="send the rows N times under new game ids (load)"
)
@click.option("--id-prefix", default="", help="prefix of the game ids")
@click.pass_context
@friendly_errors
def pitches(
    ctx: click.Context, path: Path | None, limit: int, rate: float, repeat: int, id_prefix: str
) -> None:
    """Produce real Baseball Savant pitches (runner on base) as pitch events: baseball replay and load."""
    from .sources.pacing import send_paced
    from .sources.pitches import savant_pitches
    from .sources.producer import RecordProducer

    settings = _settings(ctx)
    if limit < 0 or rate < 0 or repeat < 1:
        raise click.BadParameter("--limit and --rate must be >= 0, --repeat >= 1")
    source = path or settings.data_dir / "savant" / "stolen_base_opportunities_2022-2024.csv"
    gap_ms = round(1000 / rate) if rate > 0 else 1
    events = list(
        savant_pitches(
            source,
            start_ms=time.time_ns() // 1_000_000,
            gap_ms=gap_ms,
            limit=limit or None,
            repeat=repeat,
            prefix=id_prefix,
        )
    )

    async def run() -> Any:
        async with RecordProducer(settings, linger_ms=5) as producer:
            return await send_paced(producer, events, speed=1.0 if rate > 0 else 0.0)

    report = asyncio.run(run())
    games = len({e.match_id for e in events})
    click.echo(json.dumps({"pitches": report.events, "games": games, "wall_s": round(report.wall_s, 2)}))


@cli.command("watch")
@click.option("--match", "match_id", help="follow one match (default: all)")
@click.option("--idle-timeout", type=float, help="stop after this many seconds without output")
@click.option("--key-events-only", is_flag=True, help="print shots, halves, subs, fouls; not every pass")
@click.pass_context
@friendly_errors
def watch_cmd(
    ctx: click.Context, match_id: str | None, idle_timeout: float | None, key_events_only: bool
) -> None:
    """Follow the outputs on Redis like a graphics client: latest state first, then live."""
    from .demo import is_key_event
    from .outputs.feed import LiveFeed
    from .outputs.watch import watch
    from .worker.app import redis_client

    settings = _settings(ctx)

    async def run() -> Any:
        client = redis_client(settings)
        try:
            feed = LiveFeed(client, prefix=settings.redis_prefix, match_id=match_id)
            show = is_key_event if key_events_only else (lambda _d: True)
            return await watch(feed, idle_timeout_s=idle_timeout, show_events=show)
        finally:
            await client.aclose()

    try:
        summary = asyncio.run(run())
    except KeyboardInterrupt:
        return
    click.echo(json.dumps(summary.as_dict()))


@cli.command()
@click.option("--match", "match_id", default="8658", show_default=True)
@click.option("--speed", default=20.0, show_default=True, help="times real time")
@click.option("--tracking-hz", default=10.0, show_default=True)
@click.option("--minutes", type=float, help="replay only the first N match minutes")
@click.option("--stop-stack", is_flag=True, help="bring the stack down at the end")
@click.pass_context
@friendly_errors
def demo(
    ctx: click.Context,
    match_id: str,
    speed: float,
    tracking_hz: float,
    minutes: float | None,
    stop_stack: bool,
) -> None:
    """The main job: stack up, a worker, a real match replayed, outputs from Redis shown live."""
    from .demo import run_demo

    result = run_demo(
        _settings(ctx),
        match_id=match_id,
        speed=speed,
        tracking_hz=tracking_hz,
        minutes=minutes,
        stop_stack=stop_stack,
    )
    click.echo("summary: " + json.dumps(result))
    if not stop_stack:
        click.echo("the stack is still up: `pitchside stack down` stops it")


@models.command("drift")
@click.option("--model", "model_name", help="only this model (xg, lead)")
@click.option("--top", default=10, show_default=True, help="features shown per model, largest PSI first")
@click.option("--json", "as_json", is_flag=True, help="print every feature's PSI as JSON")
@click.pass_context
@friendly_errors
def drift_cmd(ctx: click.Context, model_name: str | None, top: int, as_json: bool) -> None:
    """How far live inputs moved from each serving version's training data (PSI per feature),
    over the windows every running worker wrote to Redis."""
    from models.registry import open_registry

    from .worker.app import redis_client
    from .worker.drift import merge_drift, read_drift

    settings = _settings(ctx)

    async def read() -> Any:
        client = redis_client(settings)
        try:
            return await read_drift(client, settings.redis_prefix)
        finally:
            await client.aclose()

    snapshots = [s for s in asyncio.run(read()) if model_name is None or s.model == model_name]
    merged = merge_drift(snapshots, open_registry(settings), settings.drift_min_inputs)
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(merged)))
        return
    if not merged:
        seen = sum(s.inputs for s in snapshots)
        click.echo(
            f"no drift picture yet: {seen} live input(s) in the workers' windows, "
            f"{settings.drift_min_inputs} needed (PITCHSIDE_DRIFT_MIN_INPUTS); "
            f"workers write their windows every {settings.drift_report_s:g} s"
        )
        return
    for m in merged:
        click.echo(
            f"{m.model} v{m.version}: {m.inputs} live inputs from {m.workers} worker(s); "
            "PSI < 0.1 stable, 0.1-0.25 watch, > 0.25 shifted"
        )
        ranked = sorted(m.psi.items(), key=lambda kv: -kv[1])
        for feature, value in ranked[:top]:
            verdict = "shifted" if value > 0.25 else "watch" if value >= 0.1 else ""
            click.echo(f"  {feature:<32} {value:7.3f}  {verdict}")
        if len(ranked) > top:
            click.echo(f"  ... {len(ranked) - top} more, largest {ranked[top][1]:.3f} (--top N)")


@click.command("compare")
@click.argument("name")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option("--live", is_flag=True, help="production against the challenger on the live traffic so far")
@click.option("--json", "as_json", is_flag=True, help="--live: one JSON line per pair of versions")
@click.pass_context
@friendly_errors
def compare_or_live_cmd(
    ctx: click.Context, name: str, a: int | None, b: int | None, live: bool, as_json: bool
) -> None:
    """Versions A and B side by side from the registry, or (--live) production against the
    challenger on what the workers scored, with log loss where outcomes are known."""
    if not live:
        if a is None or b is None:
            raise click.ClickException("give two versions A B, or --live")
        ctx.invoke(compare_cmd, name=name, a=a, b=b)
        return
    from .outputs.comparison import read_comparisons, summarize
    from .worker.app import redis_client

    settings = _settings(ctx)

    async def read() -> Any:
        client = redis_client(settings)
        try:
            return await read_comparisons(client, settings.redis_prefix, name)
        finally:
            await client.aclose()

    rows = summarize(asyncio.run(read()))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo(f"no challenger outputs for {name} yet: `pitchside models challenge {name} VERSION` first")
        return
    for r in rows:
        scores = (
            f"log loss on {r['with_outcome']} with outcomes: production {r['production_log_loss']}, "
            f"challenger {r['challenger_log_loss']}"
            if r["with_outcome"]
            else "no outcomes known yet"
        )
        click.echo(
            f"{name} production v{r['production']} vs challenger v{r['challenger']}: {r['scored']} scored, "
            f"mean |difference| {r['mean_abs_difference']}; {scores}"
        )


# The registry's compare, with the live comparison that needs Redis (this side holds the I/O).
models.add_command(compare_or_live_cmd, "compare")
# The analysts' commands live in training/ (this entry point is the one place both sides meet).
models.add_command(evaluate_command)
cli.add_command(train)
cli.add_command(models)


def main() -> None:
    cli(prog_name="pitchside")
